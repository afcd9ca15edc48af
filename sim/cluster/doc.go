// Package cluster builds simulated Dynamo clusters: a sim.World hosting one
// node.Node per member, simulated clients running a sim.WorkloadConfig,
// and the probes the checkers need. It is what a scenario runner maps a
// scenario file onto.
//
// # Building
//
// New(Config) creates the world (seed, network model), gives member i
// address i, builds the ring from the members (name, datacenter, rack,
// weight or an exact vnode count) and starts a node on each with the shared
// node.Config and the member's own clock error and disk. Faults go through
// the world (World().ScheduleFaults, or RunConfig.Faults).
//
// # Running
//
// Run(RunConfig) is the whole experiment: add the workload's clients,
// schedule the faults, run until the clients have spent their budget and
// nothing is in flight, wait a quiet period, read every key once more
// (final reads, recorded with Final: true), record every replica's final
// state per key (history.ReplicaState, including replicas that hold
// nothing), and close the history. The steps are also exported
// (AddWorkload, RunWorkload, FinalReads, ReplicaStates) for tests and
// runners that interleave their own actions.
//
// Clients are routed by the cluster (it implements sim.Router): random,
// first_replica (the head of the key's preference list) or non_replica (a
// node outside the request's replicas, which must forward writes).
//
// # Inspecting
//
// Node(addr) is a running node (nil while crashed); Stats() gives each
// node's counters summed over its incarnations (events, requests
// coordinated, repairs, replica reads and writes, storage writes and
// syncs) with its disk's usage and I/O counts. Config.WireCheck makes every
// node-to-node and node-to-client message travel as its decoded wire frame,
// which proves the codec on every message a run sends.
package cluster
