package coord

// Stats counts what a coordinator did in this incarnation.
type Stats struct {
	// Requests this node accepted as coordinator or forwarder (size-checked
	// requests; refusals for size are counted in Replies only).
	Gets, Puts, Deletes uint64
	// Forwarded are puts and deletes sent on to a replica of their key.
	Forwarded uint64
	// Replies by wire.Status (index: the status value).
	Replies [8]uint64
	// TwoPhaseReads are read phases of two-phase writes.
	TwoPhaseReads uint64
	// ReadRepairs are repair writes sent after a get (async mode).
	ReadRepairs uint64
	// RepairErrors are repairs skipped because the answers could not be
	// merged (sibling limit).
	RepairErrors uint64
	// WriteBacks are write-back writes of blocking read repair.
	WriteBacks uint64
	// Timeouts are requests that reached their timeout.
	Timeouts uint64
	// Overloaded are requests refused because MaxPending were in flight.
	Overloaded uint64
	// Stray are answers for requests that had finished, or from nodes
	// that were not asked; Duplicates are repeated answers.
	Stray, Duplicates uint64
	// SloppyRequests are requests a sloppy quorum placed with at least one
	// replica believed down; Fallbacks the fallbacks it chose for them.
	SloppyRequests, Fallbacks uint64
	// HintedWrites are writes sent to fallbacks, naming the replica they
	// stand in for.
	HintedWrites uint64
	// StandIn are puts and deletes this node coordinated without being a
	// replica of the key, because a sloppy quorum found every replica
	// down (put.go).
	StandIn uint64
	// StandInBytes is the memory the versions a stand-in remembers take
	// now (standin.go; bounded by Config.StandInMaxBytes); StandInRefused
	// the stand-in puts and deletes refused because it was full.
	StandInBytes   uint64
	StandInRefused uint64
	// DuplicateRequests are client or forwarded requests received again
	// (or too late to tell) and not executed (dedupe.go).
	DuplicateRequests uint64
}

// Stats returns the counters.
func (c *Coordinator) Stats() Stats {
	s := c.stats
	s.StandInBytes = uint64(c.standIn.bytes)
	return s
}
