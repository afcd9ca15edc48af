// Package node is the Dynamo node: a single-threaded state machine driven by
// events (messages, timers) that touches the world only through the Env it is
// given. Nothing under node/ knows whether it runs in the simulator or in a
// real deployment; it uses no goroutines, channels, locks, wall-clock time,
// global random numbers, os or net — a lint test (internal/purity) enforces
// it, here and in every package of the module node/ imports. Its messages
// are package dynasim/wire's; it imports nothing of the simulator, the
// checks or the history, nor gonum (internal/layout's test holds the
// imports).
//
// env.go is the contract between a node and its host (Env, Event, Timer,
// Process, Factory). The rest of this package assembles a node from its
// parts, which live in sub-packages:
//
//   - ring: consistent hashing, preference lists, and ring versions
//     (Membership);
//   - versions: vector clocks, dotted version vectors, last-write-wins;
//   - coord: the coordinator (quorums, read repair, two-phase writes,
//     forwarding, the membership View);
//   - replica: the replica's store of sibling sets over a storage engine,
//     with a row cache, and the durable epoch counter;
//   - lsm: the storage engine (commit log, memtable, SSTables), adapted in
//     engine.go and run in group-commit mode;
//   - gossip: the membership list and failure detector, run by failure.go
//     when Config.Membership is enabled;
//   - hints: the persisted hint store, run by handoff.go when
//     Config.HintedHandoff is enabled;
//   - merkle: the hash trees over ring ranges that anti-entropy
//     (antientropy.go, Config.AntiEntropy) compares;
//   - streaming.go (in this package): joins and decommissions — ring
//     transitions adopted from gossip, pending-replica writes, pulls of the
//     gained arcs, and the settling of the transition (Config.Streaming);
//     cleanup.go drops the ranges a change took away.
//
// # One node
//
// New (or a Factory from NewFactory) starts an incarnation: it bumps and
// syncs the epoch (so versions minted after a crash never reuse a counter),
// opens the engine (which recovers what was durable), and arms the
// maintenance timer that drives the engine's flushes and compactions.
// Handle dispatches each event — client requests and replica answers to the
// coordinator, replica reads and writes to the store — and then settles:
// if the event wrote anything, the store is synced before any
// acknowledgement or data-bearing answer leaves (durable.go). The
// group-commit window (Storage.SyncDelay) trades acknowledgement latency
// for fewer syncs. HandleBatch processes several events and settles once
// after them: a real host hands over every event that queued while it was
// busy, so under load one fsync covers many writes without a timer's wait
// (an addition to DESIGN.md's Process contract; the simulation keeps calling
// Handle). Request timeouts come from a tick the coordinator asks
// for while requests are in flight (coord/expiry.go).
//
// An I/O failure stops the engine (it refuses writes, and since nothing can
// be synced the node could answer nothing that carries data). The next
// maintenance round reopens it from the disk under a new epoch, as a restart
// would but keeping the node's other state; until the disk works again the
// attempt fails, is counted, and is retried (reopenStorage).
//
// # Membership
//
// Every node owns its ring state: a ring.Membership, the ring version it
// places keys with (version number, members with ID, wire address,
// datacenter, rack and weight, and the placement). Config.Members is only
// the first version (Config.MembershipVersion, default 1); a host gives a
// node later ones with SetMembership, which accepts only newer versions
// that still list the node. The version lives in the node's coord.View,
// which the coordinator reads at the start of every request, so the next
// request after a change is placed by the new version; requests in flight
// keep the replicas they were placed with. Suspicion (coord.Suspicion) is
// kept per member of the current version and rebuilt from it, keyed by
// member ID, whatever the addresses. Versions are immutable, carry a
// digest, and order by number (Newer, Same), so gossip can carry them and
// join/leave can issue them. NewFactoryFrom lets a host choose the version
// a node starts or restarts with (the one in force, not the configured
// one). A member's ID (its tokens' seed) and its address are separate;
// nothing here assumes either equals a position.
//
// # Failures (off by default)
//
//   - Failure detection (failure.go): with Config.Membership enabled the
//     node gossips (generation = its epoch, messages through Env.Send, its
//     ring version announced in its entry) and the coordinator's View asks
//     gossip who is up; without it the View is local suspicion from
//     timeouts. Down and up marks are kept for the harness (Transitions).
//   - Sloppy quorum (coord.QuorumSloppy) places a request on the first
//     healthy members of the extended preference list; a fallback's write
//     names the replica it stands in for (WriteRequest.HintFor).
//   - Hinted handoff (handoff.go): a fallback keeps such a write in its
//     hint store (Storage.Dir/hints, synced before the acknowledgement),
//     answers reads of the key with it, and hands it to its target when
//     the target is believed up, throttled, deleting it only after the
//     target's durable acknowledgement; hints past their window are
//     dropped and counted.
//   - Anti-entropy (antientropy.go): with Config.AntiEntropy enabled,
//     replicas compare Merkle trees of the ring ranges they share
//     (node/merkle, rebuilt from ordered engine scans per exchange) top
//     down and exchange only the keys of differing buckets, merged by
//     the replica's normal merge; throttled, and counted against a full
//     copy. A host that replaced a node's disk gives it its last epoch
//     (FactoryOptions.LastEpoch) so it never reuses an actor.
//
// # Joins and decommissions (streaming.go)
//
// A ring version may be a transition (ring.Membership.Prev: the settled
// version it leaves, Changer: the joining or leaving node). It travels
// whole in the gossip entries' ring payload (ring.Membership.Encode): a
// node adopts any newer version a member announces (adoptRing) and
// announces its own, pushing it to every member at once. A transition
// runs in two steps: in the first the coordinator reads the old replicas
// and writes the old and the new (coord.placeReplicas), counting W plus
// one acknowledgement per pending replica, and every node that gains an
// arc pulls it from the nodes that lose it, chunk by chunk from ordered
// engine scans, paced, durable before the next request, refusing replica
// reads of arcs not received yet; when every gainer has reported
// StreamDone the changer issues the second step (ring.Membership.MoveReads:
// reads on the new replicas, writes still on both), and once every member
// runs that, the settled version (ring.Membership.Settle). Afterwards the
// displaced replicas drop what they no longer replicate (cleanup.go).
// Stored keys sort by ring hash (replica package), so a ring arc is one
// engine range (replica.Store.ScanArc).
// SetMembership accepts a version that lists the node as an old or a new
// member (Has).
package node
