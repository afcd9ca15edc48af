package cluster

import (
	"dynasim/disk"
	"dynasim/node"
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
}

// Stats returns every node's statistics in address order.
func (c *Cluster) Stats() []NodeStats {
	out := make([]NodeStats, len(c.nodes))
	for i, s := range c.nodes {
		ns := NodeStats{Name: s.member.Name, Addr: s.addr, ID: s.id, DC: s.member.DC, Up: s.ep.Up(), Incarnations: s.incs, Total: s.past, MaxQueued: s.ep.MaxQueuedEvents()}
		if s.ep.Up() && s.cur != nil {
			ns.Current = s.cur.Stats()
			ns.Total.add(ns.Current)
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
