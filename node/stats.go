package node

import (
	"time"

	"dynasim/node/coord"
	"dynasim/node/gossip"
	"dynasim/node/hints"
	"dynasim/node/lsm"
	"dynasim/node/replica"
)

// maintainSoon is how soon background work resumes when the engine reports
// more pending.
const maintainSoon = time.Millisecond

// Stats counts what one incarnation of a node did.
type Stats struct {
	Epoch uint32 // this incarnation's epoch
	// RingVersion is the version number of the ring version the node
	// places keys with now.
	RingVersion uint64
	Events      uint64 // events handled
	// ReplicaReads and ReplicaWrites are reads and writes served for
	// coordinators on other nodes.
	ReplicaReads, ReplicaWrites uint64
	// UnknownMessages are messages of a kind a node does not handle.
	UnknownMessages uint64
	// Syncs and SyncFailures count storage syncs owed by deferred outputs;
	// SplitSyncs those of them whose fsyncs the host ran off its event loop
	// (SplitSyncEnv), StaleSyncDone completions of no sync under way.
	Syncs, SyncFailures       uint64
	SplitSyncs, StaleSyncDone uint64
	// MaxDeferred is the most outputs that waited for a sync at once.
	MaxDeferred int
	// Maintenance counts rounds of engine background work;
	// MaintenanceErrors those that failed, the last with its error.
	Maintenance, MaintenanceErrors uint64
	LastMaintenanceError           string
	// Reopens count the times the storage engine, stopped by an I/O
	// failure, was closed and opened again from the disk (under a new
	// epoch); ReopenFailures the attempts that failed and wait for the next
	// maintenance round.
	Reopens, ReopenFailures uint64
	LastReopenError         string
	// TablesQuarantined counts storage tables taken out for corruption
	// (each one makes anti-entropy pull the node's ranges from its peers);
	// LastQuarantine names the latest and why.
	TablesQuarantined uint64
	LastQuarantine    string

	// Handoff counts the node's hinted handoff; Hints are its hint store's
	// counters (zero with hinted handoff disabled); Gossip its gossip's
	// (zero with membership disabled).
	Handoff HandoffStats
	Hints   hints.Stats
	Gossip  gossip.Stats
	// AntiEntropy counts the node's anti-entropy (zero when disabled).
	AntiEntropy AntiEntropyStats
	// Stream counts range streaming (streaming.go); RingRejected ring
	// versions announced in gossip that did not decode or apply.
	Stream       StreamStats
	RingRejected uint64
	// Cleanup counts the passes dropping the ranges ring changes took
	// away (cleanup.go).
	Cleanup CleanupStats

	Coordinator coord.Stats
	Replica     replica.Stats
	// Engine is the storage engine's counters: write path, flushes,
	// compactions and write amplification, Bloom filter and block cache
	// effectiveness, recovery.
	Engine lsm.Stats
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	s := n.stats
	s.Coordinator = n.coord.Stats()
	s.Replica = n.store.Stats()
	s.Engine = n.engine.db.Stats()
	if n.hh != nil {
		s.Hints = n.hh.store.Stats()
	}
	if n.gossip != nil {
		s.Gossip = n.gossip.Stats()
	}
	if n.ae != nil {
		s.AntiEntropy = n.ae.stats
	}
	return s
}
