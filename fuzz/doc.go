// Package fuzz runs fuzz campaigns over generated scenarios: one seed, one
// scenario, one simulated run, its invariants checked.
//
// # Generating
//
// Generate turns a base scenario and a seed into an ordinary resolved
// scenario (it validates, it is saved and replayed like a shipped one). A
// seed first draws a swarm — a random subset of the fault kinds
// (partitions, one-way cuts, isolation, crashes in every crash mode and
// power loss, pauses, slow nodes, clock jumps, message loss, duplication
// and reordering, clock skew and drift, disk latency, errors, bit flips and
// full disks) and of the failure handling (gossip membership, hinted
// handoff, a sloppy quorum, the client policy) — so that no kind always
// masks another (swarm testing), then the cluster, the node configuration
// within the profile, the network, disks, clocks, workload and a schedule
// of one to eight faults that all end Tail before the workload does.
//
// Merkle anti-entropy is drawn for half the seeds, from a stream of its own
// and after everything else, so that adding it left every seed's other
// choices as they were: a fast interval (0.2-1.5 s: runs last seconds),
// 4-256 buckets, a random rate and concurrency. Half the eventual seeds
// with anti-entropy and W >= 2 also wipe one node's disk once, outside its
// process and disk-fault windows: with every write synced before its
// acknowledgement another replica holds it, so the wipe may not lose an
// acknowledged write and the replicas must converge again. Half of those
// corrupt the node's largest table instead (corrupt_table, with a small
// memtable so that tables exist), which the node must find, quarantine and
// pull back from its peers. Safe seeds
// never wipe (a protocol that assumes replicas keep what they acknowledged
// does not claim linearizability when one forgets). A third of the
// seeds with gossip membership, safe and eventual, also join a server
// mid-run, its ranges streaming to it under the faults, or (half of those
// with more nodes than replicas) decommission one (the safe ones
// found a stale read after a join, fixed by the transition's middle
// step: testdata/join-stale-read.yaml, run by TestRegressions).
//
// # Profiles and invariants
//
// Safe draws the configurations that claim linearizability (W+R>N,
// blocking read repair, two-phase writes, a strict quorum) and holds them
// to it; eventual draws dotted version vectors with read repair, sloppy
// quorums included. Both require no lost acknowledged write, convergence
// (on a lossless network), and availability after the faults
// (AfterFaultsMin over at least MinOpsAfterFaults operations).
//
// # Results
//
// RunOne classifies a seed's run (panic, replay divergence, lost write,
// not linearizable, not converged, unavailable; inconclusive and tool
// errors apart) and gives each failure a signature — its class and the
// configuration that distinguishes causes (version mode, read repair,
// sloppy, anti-entropy) — so that a campaign reports each cause once. Run
// spreads seeds over jobs and shards with results independent of both;
// a file of known signatures reports them as KNOWN instead of failing.
// Shrink cuts a failing scenario down by delta debugging while it fails
// the same way.
package fuzz
