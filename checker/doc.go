// Package checker decides what a recorded history (package history) says
// about the store: is it linearizable, did it lose acknowledged writes, did
// replicas converge, how stale were reads, how available and how fast was it.
//
// Every check is a pure function of the history (and, where said, of the
// final replica states in it): same history in, same result out, whatever
// the map order or the number of cores. The one exception is
// CheckLinearizability's wall-clock time limit, which can turn a verdict into
// "unknown" — reported as inconclusive, never as a pass.
//
// # Linearizability
//
// CheckLinearizability runs Porcupine key by key (a key-value store is
// linearizable iff every key is) against one of two models: a register for
// single-value reads, and a multi-value register for the sibling-returning
// modes, whose state is the set of live written values: put(v, ctx) makes it
// (state \ ctx) ∪ {v}, where ctx is the set of values the client had read.
// Writes with unknown outcome stay open; failed operations are dropped. The
// caller decides when the check applies (W+R>N).
//
// # Durability, convergence, staleness
//
// LostWrites: after the quiet period every key is read once more; each
// acknowledged put must still be there or have been superseded. Convergence:
// every replica of every key holds the same versions at the end, and since
// when. Staleness: for each read, how long since the newest acknowledged
// write and whether the read reflects it (the t-visibility curve of Bailis et
// al., "Probabilistically Bounded Staleness"), and how many acknowledged
// versions it missed (k-staleness). See each function for exact definitions.
//
// # Workload statistics
//
// Siblings per read, availability overall and inside each fault window,
// latency quantiles per operation kind, throughput.
//
// # Choosing the model
//
// Register for last-write-wins stores (and for any mode whose reads never
// returned siblings); MultiValue for vector clocks and dotted version
// vectors. The model also decides what "superseded" means for the lost-write
// and staleness checks: by context only (MultiValue), or by context or real
// time (Register).
//
// Results are plain structs with snake_case json tags; the reports package
// serialises them as they are. Check runs everything at once. Package
// checker/synth generates deterministic synthetic histories (an ideal store,
// optionally with injected stale reads and lost writes) for tests and
// benchmarks.
package checker
