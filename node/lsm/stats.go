package lsm

// Stats are the engine's counters since Open (plus current sizes).
type Stats struct {
	// Writes.
	Puts, Deletes, Batches uint64
	BytesIngested          uint64 // user key and value bytes written
	LastSeq, DurableSeq    uint64
	WALBytesWritten        uint64 // log records including headers
	WALSyncs               uint64 // log segment fsyncs
	DirSyncs               uint64 // directory fsyncs
	WALSegmentsCreated     uint64
	WALSegmentsRemoved     uint64 // recycled after their memtable's flush was durable
	WriteStalls            uint64 // writes that had to flush or compact inline first

	// Memtables and flushes.
	MemtableBytes      int
	ImmutableMemtables int
	Flushes            uint64
	FlushesFailed      uint64
	FlushBytesWritten  uint64

	// Tables and compaction.
	Tables                 int
	TableBytes             uint64
	Compactions            uint64
	CompactionsFailed      uint64
	CompactionBytesRead    uint64
	CompactionBytesWritten uint64
	VersionsDropped        uint64 // shadowed versions dropped by compaction
	TombstonesDropped      uint64 // tombstones past their grace period dropped
	TablesDeleted          uint64
	// TablesQuarantined are tables taken out of the live list because a
	// read found them corrupt; LastQuarantine is the latest's error.
	TablesQuarantined uint64
	LastQuarantine    string
	// CorruptReads are table reads that failed their checksum (retried,
	// or counted towards a quarantine).
	CorruptReads     uint64
	ManifestWrites   uint64
	Checkpoints      uint64 // table lists made durable
	TableSyncs       uint64 // tables synced by checkpoints
	RetainedLogBytes int64  // log kept until the next checkpoint
	// WriteAmplification is (log + flush + compaction bytes written) /
	// BytesIngested.
	WriteAmplification float64

	// Reads.
	Gets, GetHits       uint64
	BloomChecks         uint64 // table filters consulted by Get
	BloomNegatives      uint64 // ... that ruled the table out
	BloomTruePositives  uint64 // ... "maybe", and the key was there
	BloomFalsePositives uint64 // ... "maybe", and it was not
	BlocksRead          uint64 // data blocks read from disk
	BlockBytesRead      uint64
	CacheHits           uint64
	CacheMisses         uint64
	CacheBytes          int64
	OpenIterators       int

	// Recovery (by this Open).
	RecoveredRecords     uint64 // log records replayed
	TornTails            uint64 // logs whose damaged tail was truncated
	TornTailBytes        uint64 // bytes dropped with them
	DiscardedLogSegments uint64 // whole segments after a truncated tail
}

// Stats returns the counters.
func (d *DB) Stats() Stats {
	s := d.stats
	s.LastSeq, s.DurableSeq = d.lastSeq, d.durableSeq
	if d.mem != nil {
		s.MemtableBytes = d.mem.SizeBytes()
	}
	s.ImmutableMemtables = len(d.imm)
	s.Tables = len(d.tables)
	s.TableBytes = d.totalTableBytes()
	if d.mem != nil {
		s.RetainedLogBytes = d.retainedLogBytes()
	}
	if s.BytesIngested > 0 {
		s.WriteAmplification = float64(s.WALBytesWritten+s.FlushBytesWritten+s.CompactionBytesWritten) / float64(s.BytesIngested)
	}
	r := d.readStats
	s.BloomChecks, s.BloomNegatives = r.BloomChecks, r.BloomNegatives
	s.BloomTruePositives, s.BloomFalsePositives = r.BloomTruePositives, r.BloomFalsePositives
	s.BlocksRead, s.BlockBytesRead = r.BlocksRead, r.BlockBytesRead
	if d.cache != nil {
		c := d.cache.Stats()
		s.CacheHits, s.CacheMisses, s.CacheBytes = c.Hits, c.Misses, c.UsedBytes
	}
	s.OpenIterators = d.openIters
	return s
}
