// Package sim is the deterministic world dynasim runs node logic in: a
// scheduler over virtual time, named random streams derived from one master
// seed, per-node clocks with offset, drift and jumps, the hosting of
// processes through the node contract (node.Env / node.Process) with crash,
// restart, pause and slow-node faults, and a running fingerprint over every
// delivered event that proves a run replays exactly from its seed.
//
// Simulated clients (client.go, workload.go) are processes too: they draw
// operations from a WorkloadConfig, send them to nodes, time out and retry,
// and record every operation in a Recorder of package dynasim/history. With
// a ClientPolicy (client_policy.go) each client also keeps its own view of
// healthy coordinators and retries, elsewhere, only what is safe to retry,
// as Cassandra's and Riak's drivers do. That
// leaf package holds the history model the checkers read; sim imports it so
// that what it records is exactly what they check.
//
// The simulated network — latency, loss, duplication, partitions,
// bandwidth — is the sub-package sim/network, a pure model the World asks
// when a message arrives; the messages themselves are package dynasim/wire's.
//
// One goroutine runs every node, client and fault. Events are ordered by
// (virtual time, insertion sequence), so ties break by the order in which they
// were scheduled — itself deterministic.
package sim
