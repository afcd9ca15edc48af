// Package gossip is a node's membership list and failure detector: a pure,
// single-threaded state machine in the style of etcd's raft. The caller
// (the node) feeds it inputs — Tick every GossipInterval, Step for every
// gossip message — and sends the Outgoing messages they return; it reads
// Status, Up, Members and Transitions. The package keeps no clock, timer,
// goroutine or global randomness: time comes in as arguments, randomness
// from the Rand the caller passes to New (the node's own seeded stream),
// and iteration is over sorted member ids, so outputs depend only on the
// inputs.
//
// # Membership entries
//
// Each member owns one entry (wire.GossipEntry): generation, heartbeat
// counter, declared status (alive or left), an opaque ring version and
// payload, and the list of members it currently suspects (each with the
// version of the suspect it last knew). Only the owner changes its entry,
// and it bumps its heartbeat with every change, so (generation, heartbeat)
// orders an entry's versions. Merging keeps, per member, the greater entry
// (compareEntries: by version, then by content, so that even conflicting
// entries claiming one version merge deterministically): Merge is
// commutative, associative and idempotent, and never moves an entry back.
//
// Suspicion travels inside the reporter's own entry, so merging needs no
// special case for it, and a report is as fresh as its reporter's
// heartbeat. The ring version travels the same way: each member announces
// the ring it holds (SetRing), and HighestRing returns the highest any
// member announces, for the membership work to define.
//
// # Generations
//
// A restarted member must start with a generation above every one it used
// before; the caller keeps it on its disk (the node's epoch file serves)
// and bumps it before calling New. Every other member then takes the new
// entry (generation g+1, heartbeat 1) over the old one (g, any heartbeat)
// and marks the member up again. If a member hears its own entry in a
// version at least its own (a reused generation), it moves its own
// heartbeat past it (Stats.SelfSuperseded counts this).
//
// # Protocol: push-pull of the whole list
//
// Every round (Tick) a node re-evaluates every member, bumps its
// heartbeat, writes its current suspicions into its entry, and sends a
// wire.GossipPush with its whole list (entries never heard of left out) to
// Fanout peers drawn uniformly from rng among the members that did not
// leave (down members included, so that a recovered member hears the
// news). The receiver merges the push and answers with a wire.GossipReply
// holding only the entries it knows in a greater version than the push
// carried, or that the push lacked; the pusher merges the reply. A reply
// is never answered. So an update reaches every member in O(log N) rounds
// (an epidemic with push and pull), and a round costs each node Fanout
// full lists plus the deltas it is sent back.
//
// Full lists rather than Cassandra's digest SYN / ACK / ACK2: with
// heartbeat failure detection every member's heartbeat changes every
// round, so nearly every entry differs between two peers and a digest
// (member, generation, heartbeat) is most of an entry anyway; push-pull
// needs two message kinds and one round trip instead of three messages.
//
// Measured sizes (TestBytesPerRound; default fanout 2, interval 1 s,
// converged cluster, no suspicions or ring payload, heartbeats below 128;
// an entry is about 7–9 bytes, a frame adds 10 bytes and a count):
//
//	members  one push  per node per round (pushes + replies)  whole cluster per round
//	8        67 B      207 B (134 + 73)                        1.7 KB
//	64       459 B     1,306 B (918 + 388)                     84 KB
//	256      1,996 B   5,558 B (3,992 + 1,566)                 1.4 MB
//
// A list whose frame would exceed MaxMessageBytes is sent in part: the own
// entry and, from a member drawn from rng on, as many others as fit. That
// keeps messages bounded, but it spreads heartbeats proportionally slower,
// so size MaxMessageBytes for the whole list (the default 1 MiB holds
// MaxMembers entries with small ring payloads) or raise SuspectAfter.
//
// # Failure detection
//
// A member's silence is the local time since this node last learned a
// greater heartbeat of it. With silence >= SuspectAfter this node
// suspects it (StatusSuspect; still up) and reports it in its own entry
// from its next round on. Then, by Config.Detector:
//
//   - DetectorHeartbeat (default): the member is marked down when this
//     node suspects it and at least ConfirmReporters distinct members —
//     this node included — report it. A report counts only if its reporter
//     is alive in this node's view and the report is about a version of
//     the suspect at least as great as the one this node knows (a report
//     about an older heartbeat was overtaken by news its reporter had not
//     heard yet).
//   - DetectorPhi: the member is marked down when its phi-accrual value
//     exceeds PhiThreshold (phi.go: exponential model over a sliding window
//     of inter-arrival times, as Cassandra). Reports are still published
//     and counted (for the reports), but do not decide.
//
// A down mark is sticky until a greater version of the member arrives,
// which marks it up at once. Members that declared MemberLeft are marked
// left and are never suspected, marked down or chosen as peers. Every
// mark is kept in Transitions with its time, the reporters counted and
// the phi value, for the membership reports.
//
// Detection bound (heartbeat detector): let P be the time for one update
// to reach every live member. After a crash at t, the last heartbeat
// reaches everyone by t+P; each live member suspects the crashed one
// SuspectAfter later, noticed at its next round (<= one interval), and
// publishes the report in that round; the report reaches everyone by
// another P, which makes two reporters. So every live member marks it
// down by t + SuspectAfter + GossipInterval + 2P. The tests take P =
// (ceil(log2 N) + 3) intervals: 18 s for 8 members, 22 s for 32 at the
// defaults, with 1 % message loss; the measured worst cases are about 7 s
// and 7.6 s.
package gossip
