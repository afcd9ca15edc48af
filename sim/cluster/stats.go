package cluster

import (
	"slices"
	"time"

	"dynasim/disk"
	"dynasim/node"
	"dynasim/node/gossip"
	"dynasim/sim"
	"dynasim/wire"
)

// Totals are a node's main counters summed over all its incarnations.
type Totals struct {
	Events                      uint64 // events its processes handled
	Gets, Puts, Deletes         uint64 // client requests it accepted
	Forwarded                   uint64 // puts and deletes it forwarded to a replica
	Replies                     [8]uint64
	ReadRepairs, WriteBacks     uint64
	TwoPhaseReads               uint64
	Timeouts                    uint64
	ReplicaReads, ReplicaWrites uint64 // served for other coordinators
	StoreWrites                 uint64 // sibling sets written to the engine
	StoreBytes                  uint64 // encoded bytes of those sets
	Syncs, SyncFailures         uint64
	// CorruptReads are storage-table reads that failed their checksum;
	// TablesQuarantined the tables taken out for it.
	CorruptReads, TablesQuarantined uint64
	// CleanupDropped are the keys it dropped after ring changes took
	// their ranges away (node/cleanup.go).
	CleanupDropped uint64
}

func (t *Totals) add(s node.Stats) {
	t.Events += s.Events
	c := &s.Coordinator
	t.Gets += c.Gets
	t.Puts += c.Puts
	t.Deletes += c.Deletes
	t.Forwarded += c.Forwarded
	for i := range t.Replies {
		t.Replies[i] += c.Replies[i]
	}
	t.ReadRepairs += c.ReadRepairs
	t.WriteBacks += c.WriteBacks
	t.TwoPhaseReads += c.TwoPhaseReads
	t.Timeouts += c.Timeouts
	t.ReplicaReads += s.ReplicaReads
	t.CorruptReads += s.Engine.CorruptReads
	t.TablesQuarantined += s.TablesQuarantined
	t.CleanupDropped += s.Cleanup.KeysDropped
	t.ReplicaWrites += s.ReplicaWrites
	t.StoreWrites += s.Replica.Puts
	t.StoreBytes += s.Replica.BytesWritten
	t.Syncs += s.Syncs
	t.SyncFailures += s.SyncFailures
}

// Coordinated is the number of client requests the node accepted.
func (t Totals) Coordinated() uint64 { return t.Gets + t.Puts + t.Deletes }

// NodeStats describes one node for reports.
type NodeStats struct {
	Name string
	Addr wire.Addr
	// ID is the member's ring ID (its tokens' seed), which may differ from
	// its address.
	ID wire.Addr
	DC string
	Up bool
	// Incarnations is how many times the node's process was started.
	Incarnations int
	// Total sums every incarnation; Current is the running one's full
	// counters (zero while the node is down).
	Total   Totals
	Current node.Stats
	// MaxQueued is the most events that waited for the node at once.
	MaxQueued int
	// Disk is the node's simulated disk: bytes in use and I/O counts.
	DiskUsageBytes int64
	Disk           disk.MemFSStats
	DiskFaults     disk.ErrorFSStats
	// Transitions are the down, up and left marks this node's gossip
	// made about the others, over all its incarnations, oldest first
	// (none with membership disabled).
	Transitions []Mark
	// Hints are this node's hinted handoff counters over all its
	// incarnations (zero with hinted handoff disabled).
	Hints HintTotals
	// AntiEntropy are this node's anti-entropy counters over all its
	// incarnations (zero with anti-entropy disabled).
	AntiEntropy node.AntiEntropyStats
}

// Mark is one membership mark a node made: at virtual time At (the
// harness's clock, not the node's), Member (by name and node index) was
// marked down, up or left, with the reporters counted.
type Mark struct {
	At          sim.Time
	Incarnation int // of the node that made the mark, from 1
	Member      string
	MemberIndex int // -1 when the address is not a member
	Kind        gossip.TransitionKind
	Reporters   int
	Phi         float64
}

// HintTotals are a node's hinted handoff counters summed over its
// incarnations (Pending and PendingBytes are the running incarnation's, or
// what the last one held on its disk while the node is down).
type HintTotals struct {
	Created      uint64 // hints stored (Stats.Hints.Added)
	Delivered    uint64 // acknowledged by their target and deleted
	Dropped      uint64 // expired and deleted
	Sent         uint64 // handoff messages sent (redeliveries included)
	BytesSent    uint64 // their key and version bytes
	TimedOut     uint64
	Refused      uint64
	StoreFailure uint64 // hinted writes that could not be stored (not acknowledged)
	Received     uint64 // handoffs this node took as their target
	WrongTarget  uint64 // handoffs this node refused because they named another node
	TornTails    uint64 // hint log tails cut off at recovery
	Pending      int
	PendingBytes int64
}

// add adds one incarnation's counters; current says it is the running
// one (whose pending hints replace the last known).
func (h *HintTotals) add(s node.Stats, current bool) {
	h.Created += s.Hints.Added
	h.Delivered += s.Hints.Delivered
	h.Dropped += s.Hints.Dropped
	h.Sent += s.Handoff.Sent
	h.BytesSent += s.Hints.BytesOut
	h.TimedOut += s.Handoff.TimedOut
	h.Refused += s.Handoff.Refused
	h.StoreFailure += s.Handoff.StoreFailures
	h.Received += s.Handoff.Received
	h.WrongTarget += s.Handoff.WrongTarget
	h.TornTails += s.Hints.TornTails
	h.Pending, h.PendingBytes = s.Hints.Pending, s.Hints.PendingBytes
}

// appendMarks appends the marks of node instance n (incarnation inc) to
// out, in the harness's time: a mark's node-clock time is mapped back
// through the node's clock error (the sim endpoint's clock).
func (c *Cluster) appendMarks(out []Mark, n *node.Node, inc int) []Mark {
	for _, t := range n.Transitions() {
		m := Mark{Incarnation: inc, Member: c.Name(t.Member), MemberIndex: -1, Kind: t.Kind, Reporters: t.Reporters, Phi: t.Phi}
		if i, ok := c.byAddr[t.Member]; ok {
			m.MemberIndex = i
		}
		m.At = c.worldTime(n, t.At)
		out = append(out, m)
	}
	return out
}

// Stats returns every node's statistics in address order.
func (c *Cluster) Stats() []NodeStats {
	out := make([]NodeStats, len(c.nodes))
	for i, s := range c.nodes {
		ns := NodeStats{Name: s.member.Name, Addr: s.addr, ID: s.id, DC: s.member.DC, Up: s.ep.Up(), Incarnations: s.incs, Total: s.past, MaxQueued: s.ep.MaxQueuedEvents()}
		ns.Hints = s.hints
		ns.AntiEntropy = s.ae
		ns.Transitions = s.marks
		if s.ep.Up() && s.cur != nil {
			ns.Current = s.cur.Stats()
			ns.Total.add(ns.Current)
			ns.Hints.add(ns.Current, true)
			ns.AntiEntropy.Add(ns.Current.AntiEntropy)
			ns.Transitions = c.appendMarks(slices.Clone(s.marks), s.cur, s.incs)
		}
		if m := s.ep.Mem(); m != nil {
			ns.DiskUsageBytes = m.Usage()
			ns.Disk = m.Stats()
		}
		if f := s.ep.Faults(); f != nil {
			ns.DiskFaults = f.Stats()
		}
		out[i] = ns
	}
	return out
}

// worldTime maps a time of node n's clock back to virtual time, through
// its endpoint's clock error (offset and drift; clock jumps as they stand
// now, so a mark made before a later jump is off by that jump).
func (c *Cluster) worldTime(n *node.Node, local time.Time) sim.Time {
	s := c.slotAt(n.Self())
	if s == nil {
		return 0
	}
	cfg := s.member.Clock
	jumps := s.ep.Clock().Error(0) - cfg.Offset
	d := local.Sub(sim.Epoch) - cfg.Offset - jumps
	return sim.Time(float64(d) / (1 + cfg.DriftPPM/1e6))
}
