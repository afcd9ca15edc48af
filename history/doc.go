// Package history is the record of what clients did and saw during a run: the
// input every dynasim check works from.
//
// A history holds three kinds of record:
//
//   - Op: one client operation (get, put or delete) with its key, the unique
//     ID of the value it wrote, the context it passed back (the value IDs the
//     client had read), the sibling value IDs it got back, its invoke and
//     return times in virtual nanoseconds, its coordinator, the consistency
//     it asked for, and its outcome: ok, failed (definitely not applied) or
//     unknown (may or may not have been applied, e.g. a timeout).
//   - ReplicaState: what one replica held for one key at a probe time; the
//     last probe is the final state the convergence check reads.
//   - FaultWindow: a labelled [start, end) interval of virtual time during
//     which a fault was active, for availability per fault.
//
// Values are never stored, only their IDs: every put writes a value with a
// history-wide unique ID (the simulator mints them), so "which write did this
// read see" is an exact question. Tombstones are not values: a get that finds
// only a tombstone returns no value IDs.
//
// Timestamps. The checks interpret an operation as the closed interval
// [InvokeNs, ReturnNs]; two operations are ordered in real time only when one
// returns strictly before the other is invoked, so equal timestamps mean
// "concurrent" — a tie costs precision, never correctness. What is required
// (and validated) is 0 <= InvokeNs < ReturnNs for every operation. The
// Recorder goes further and makes every timestamp it hands out distinct and
// strictly increasing in call order, so the simulator's event order inside one
// virtual nanosecond survives into the history (see Recorder).
//
// History.Run describes the run that recorded the history (version mode,
// N/W/R and levels, seed, fingerprint, node names); History.Incomplete says
// why records may be missing, and is empty for a complete history. A
// history recorded against a real cluster (`dynasim run --target`) names
// its client addresses in Run.Targets; its times are wall-clock
// nanoseconds since the workload started, and it has no fingerprint.
//
// The on-disk form is JSON Lines (see Write and Read): a header line (with
// the run), then one record per line, each tagged with "type", then a
// trailer line counting the records, so a file cut short is told from a
// complete one. Reading is strict: unknown fields, wrong types, missing
// required fields and inconsistent records are errors naming the line and
// the field.
//
// This package is a leaf: it imports nothing else of dynasim (a layout test,
// internal/layout, holds that), so the simulator, the checker, the reports,
// the runner and the CLI — and, later, real-cluster clients — can all depend
// on it. That is why it sits at the top of the module rather than under
// checker/: the checker is one of its readers, not its owner.
package history
