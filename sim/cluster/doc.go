// Package cluster builds simulated Dynamo clusters: a sim.World hosting one
// node.Node per member, simulated clients running a sim.WorkloadConfig,
// and the probes the checkers need. It is what a scenario runner maps a
// scenario file onto.
//
// # Building
//
// New(Config) creates the world (seed, network model), adds every
// member's endpoint (idle), and only then — knowing every address — builds
// the first ring version from the members (ring ID: Config.MemberIDs[i] or
// i; the address the world gave the endpoint; name, datacenter, rack,
// weight or an exact vnode count), applies the link overrides named by
// member (Config.Links), and starts a node on each with the shared
// node.Config and the member's own clock error and disk. Faults go through
// the world (World().ScheduleFaults, or RunConfig.Faults).
//
// # Address book and ring versions
//
// The cluster keeps an address book: member name, ring ID, wire address
// and node index (the member's position, which the history's node lists
// and ReplicaState.Node use) — Addr, AddrOfID, IDOf, Index, Addrs. No code
// here assumes an address equals an index or an ID. SetMembership hands a
// new ring version to every running node and records it with the virtual
// time it took effect (RingChanges, RingAt); nodes that start later start
// with the version in force. Result.RingVersions carries the record into
// the history header (history.RunInfo.RingVersions). The checkers' oracle
// of which nodes should hold a key — the replicas ReplicaStates lists,
// holding something or not — is the version in force at each probe.
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
// Clients sit in Config.ClientDC (default: the first member's datacenter),
// or per datacenter as Config.ClientGroups says (Result.ClientsPerDC
// records it). They are routed by the cluster (it implements sim.Router): random,
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
//
// # Joins, decommissions and autoscaling
//
// A member with Spare set is an endpoint from the start but joins the
// ring only when Join (or a scheduled MembershipChange, RunConfig.Changes)
// starts it with a ring transition; Decommission gives a member the
// transition without it (join.go). The nodes do the rest by gossip and
// streaming; the harness watches every 100 ms, records each newer ring
// version a node holds (RingChanges, the checkers' oracle) and stops a
// leaving node once every member runs the settled version. Changes lists
// each change with its moved fraction and streamed bytes. After a change,
// replica states list only the replicas of the ring in force: a node that
// lost a range keeps its old copy, which no request reads, until its
// cleanup pass drops it (node/cleanup.go). Autoscale (autoscale.go) runs an operator policy
// (sim/autoscale) that joins spares and decommissions members as the load
// per node goes.
package cluster
