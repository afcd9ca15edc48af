// Package checker decides what a recorded history (package history) says
// about the store: is it linearizable, did it lose acknowledged writes, did
// replicas converge, how stale were reads, how available and how fast was it.
//
// Every check is a pure function of the history (and, where said, of the
// final replica states in it): same history in, same result out, whatever
// the map order or the number of cores. CheckLinearizability holds each
// key's search to budgets it counts (model steps, cached bytes), so its
// verdict is the same on any machine too; only its last-resort wall-clock
// cap can turn a verdict into "unknown" by the machine's speed, and the
// result says so (reason time_limit). Unknown is inconclusive, never a pass.
//
// # Linearizability
//
// CheckLinearizability runs Porcupine key by key (a key-value store is
// linearizable iff every key is) against one of two models: a register for
// single-value reads, and a multi-value register for the sibling-returning
// modes, whose state is the set of live written values: put(v, ctx) makes it
// (state \ ctx) ∪ {v}, where ctx is the set of values the client had read.
// A put with unknown outcome is closed at the first read that returned its
// value, and left out when nothing read it (both keep exactly the
// linearizations an open operation allows); deletes with unknown outcome
// stay open; failed operations are dropped. The caller decides when the
// check applies (W+R>N).
//
// # Durability, convergence, staleness
//
// LostWrites: after the quiet period every key is read once more; each
// acknowledged put must still be there or have been superseded. Convergence:
// every replica of every key holds the same versions at the end, and since
// when. Which nodes are a key's replicas is the recorder's to say: the
// simulator lists, at each probe, the replicas of the ring version in force
// then (the versions and the times they took effect are in the history's
// run.ring_versions, RunInfo.RingAt), not a ring the checks share with the
// nodes. Staleness: for each read, how long since the newest acknowledged
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
