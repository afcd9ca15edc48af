package lsm

import (
	"errors"
	"fmt"
	"time"

	"dynasim/node/lsm/bloom"
	"dynasim/node/lsm/sstable"
	"dynasim/node/lsm/wal"
)

// SyncMode says when writes are made durable. See the package doc for
// exactly what each mode acknowledges.
type SyncMode int

const (
	// SyncEveryWrite syncs the commit log before every Put, Delete and Apply
	// returns: a nil error means the write is durable.
	SyncEveryWrite SyncMode = iota
	// SyncGroupCommit never syncs on its own: writes are durable once the
	// host calls Sync (one sync covers every write before it) or a flush
	// persists them. DurableSeq tells which writes are durable.
	SyncGroupCommit
	// SyncPeriodic is SyncGroupCommit plus an automatic Sync during a write
	// or Maintain once SyncInterval has passed since the last one.
	SyncPeriodic
)

func (m SyncMode) String() string {
	switch m {
	case SyncEveryWrite:
		return "every-write"
	case SyncGroupCommit:
		return "group-commit"
	case SyncPeriodic:
		return "periodic"
	}
	return fmt.Sprintf("SyncMode(%d)", int(m))
}

// Hard limits: the bounds Validate enforces on the options and the engine
// enforces on what it reads from disk.
const (
	HardMaxKeySizeBytes      = 64 << 10
	HardMaxValueSizeBytes    = 16 << 20
	HardMaxBatchSizeBytes    = wal.MaxRecordBytes
	MinMemtableSizeBytes     = 16 << 10
	HardMaxMemtableSizeBytes = 1 << 30
	HardMaxImmutables        = 16
	HardMaxBlockSizeBytes    = 1 << 20
	MinBlockSizeBytes        = 256
	HardMaxRestartInterval   = 1024
	HardMaxWALBufferBytes    = 64 << 20
	HardMaxCacheBytes        = 1 << 40
	HardMaxMergeWidth        = 64
	// HardMaxTables bounds the live tables (and so open table files); the
	// manifest refuses more.
	HardMaxTables = 1000
	// HardMaxCheckpointLogBytes bounds Options.CheckpointLogBytes.
	HardMaxCheckpointLogBytes = 64 << 30
	// MaxManifestBytes bounds the manifest file.
	MaxManifestBytes = 64 << 20
)

// Options configure a DB. Zero fields take the defaults listed; Validate
// reports anything out of bounds.
type Options struct {
	// Now is the host's clock (the node passes env.Now; a program passes
	// time.Now). It stamps tombstones with their deletion time, which
	// compaction compares with TombstoneGrace, and paces SyncPeriodic.
	// Required.
	Now func() time.Time

	// MaxKeySizeBytes limits a key. Default 1 KiB.
	MaxKeySizeBytes int
	// MaxValueSizeBytes limits a value. Default 10 KiB (the design's limit
	// for a key-value pair's value).
	MaxValueSizeBytes int
	// MaxBatchSizeBytes limits an encoded batch (one commit-log record).
	// Default 16 MiB.
	MaxBatchSizeBytes int

	// Sync is the durability policy. Default SyncEveryWrite.
	Sync SyncMode
	// SyncInterval paces SyncPeriodic. Default 100 ms.
	SyncInterval time.Duration
	// WALBufferSizeBytes is how many bytes of log records are gathered in
	// memory before one file write (a sync always writes them). Default
	// 256 KiB.
	WALBufferSizeBytes int

	// MemtableSizeBytes is the size at which the memtable becomes immutable
	// and a new one (with a new log segment) takes the writes. Default 4 MiB.
	MemtableSizeBytes int
	// MaxImmutableMemtables bounds the memtables waiting to be flushed; a
	// write that would exceed it flushes inline first (a write stall).
	// Default 2.
	MaxImmutableMemtables int
	// CheckpointLogBytes paces checkpoints (see checkpoint.go): once the
	// log segments of flushed memtables add up to this, Maintain syncs the
	// new tables and rewrites the manifest, and the segments go. It bounds
	// the log kept on disk and replayed after a crash; larger values let
	// more tables be compacted away before they are ever synced. Default
	// 4 x MemtableSizeBytes (16 MiB at the default memtable), as RocksDB
	// bounds its log at four times its write buffers; at least
	// MemtableSizeBytes. Why not a fixed 64 MiB, as before: a simulated
	// cluster holds every node's disk in memory, and a 5-node baseline
	// run then kept each node's whole log (≈ 28 MiB) to the end — 150 MB
	// of heap, page-faulted in, for no durability gain — and with small
	// memtables (the fuzzer's 16 KiB) no run ever reached a checkpoint, so
	// the checkpoint's code path went unexercised by every simulation.
	CheckpointLogBytes int64
	// InlineMaintenance makes every write run all due maintenance (flushes,
	// compactions) before returning, for callers without a maintenance
	// timer (benchmarks, tools). Default false: the host calls Maintain.
	InlineMaintenance bool

	// BlockSizeBytes is the target data block size. Default 4 KiB.
	BlockSizeBytes int
	// BlockRestartInterval is the number of keys between restart points.
	// Default 16.
	BlockRestartInterval int
	// BloomBitsPerKey is the Bloom filter density: 10 gives about 1 % false
	// positives. Default 10; -1 builds no filters.
	BloomBitsPerKey int
	// BlockCacheSizeBytes bounds the data block cache. Default 8 MiB; -1
	// disables the cache.
	BlockCacheSizeBytes int64

	// CompactionMinWidth is how many similar-sized adjacent tables a
	// compaction merges at least. Default 4.
	CompactionMinWidth int
	// CompactionMaxWidth caps the tables merged at once. Default 16.
	CompactionMaxWidth int
	// CompactionSizeRatio is how far apart (max/min) table sizes may be and
	// still count as one tier. Default 2.
	CompactionSizeRatio float64
	// MaxTables bounds read amplification: with more live tables than this,
	// the cheapest adjacent tables are merged even if their sizes differ.
	// Default 24.
	MaxTables int
	// TombstoneGrace is how long a tombstone is kept at least, so that
	// anti-entropy can carry the deletion to every replica before the
	// tombstone disappears (otherwise an old replica would resurrect the
	// value). Default 10 days, as Cassandra's gc_grace_seconds.
	TombstoneGrace time.Duration
}

// WithDefaults returns o with every zero field set to its default.
func (o Options) WithDefaults() Options {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&o.MaxKeySizeBytes, 1<<10)
	def(&o.MaxValueSizeBytes, 10<<10)
	def(&o.MaxBatchSizeBytes, 16<<20)
	def(&o.WALBufferSizeBytes, 256<<10)
	def(&o.MemtableSizeBytes, 4<<20)
	def(&o.MaxImmutableMemtables, 2)
	def(&o.BlockSizeBytes, 4<<10)
	def(&o.BlockRestartInterval, 16)
	def(&o.BloomBitsPerKey, 10)
	def(&o.CompactionMinWidth, 4)
	def(&o.CompactionMaxWidth, 16)
	def(&o.MaxTables, 24)
	if o.CheckpointLogBytes == 0 {
		o.CheckpointLogBytes = 4 * int64(o.MemtableSizeBytes)
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = 100 * time.Millisecond
	}
	if o.BlockCacheSizeBytes == 0 {
		o.BlockCacheSizeBytes = 8 << 20
	}
	if o.CompactionSizeRatio == 0 {
		o.CompactionSizeRatio = 2
	}
	if o.TombstoneGrace == 0 {
		o.TombstoneGrace = 10 * 24 * time.Hour
	}
	return o
}

// Validate reports the first option outside its bounds. It expects
// defaults to have been applied.
func (o Options) Validate() error {
	if o.Now == nil {
		return errors.New("lsm: Options.Now is nil: the engine needs the host's clock (pass env.Now or time.Now)")
	}
	type bound struct {
		name    string
		v, l, h int64
	}
	for _, b := range []bound{
		{"MaxKeySizeBytes", int64(o.MaxKeySizeBytes), 1, HardMaxKeySizeBytes},
		{"MaxValueSizeBytes", int64(o.MaxValueSizeBytes), 0, HardMaxValueSizeBytes},
		{"MaxBatchSizeBytes", int64(o.MaxBatchSizeBytes), batchHeaderLen + 1, HardMaxBatchSizeBytes},
		{"WALBufferSizeBytes", int64(o.WALBufferSizeBytes), 1, HardMaxWALBufferBytes},
		{"MemtableSizeBytes", int64(o.MemtableSizeBytes), MinMemtableSizeBytes, HardMaxMemtableSizeBytes},
		{"MaxImmutableMemtables", int64(o.MaxImmutableMemtables), 1, HardMaxImmutables},
		{"BlockSizeBytes", int64(o.BlockSizeBytes), MinBlockSizeBytes, HardMaxBlockSizeBytes},
		{"BlockRestartInterval", int64(o.BlockRestartInterval), 1, HardMaxRestartInterval},
		{"BlockCacheSizeBytes", o.BlockCacheSizeBytes, -1, HardMaxCacheBytes},
		{"CompactionMinWidth", int64(o.CompactionMinWidth), 2, HardMaxMergeWidth},
		{"CompactionMaxWidth", int64(o.CompactionMaxWidth), int64(o.CompactionMinWidth), HardMaxMergeWidth},
		{"MaxTables", int64(o.MaxTables), int64(o.CompactionMinWidth), HardMaxTables / 2},
		{"CheckpointLogBytes", o.CheckpointLogBytes, int64(o.MemtableSizeBytes), HardMaxCheckpointLogBytes},
	} {
		if b.v < b.l || b.v > b.h {
			return fmt.Errorf("lsm: Options.%s = %d is outside [%d, %d]", b.name, b.v, b.l, b.h)
		}
	}
	if o.BloomBitsPerKey != -1 && (o.BloomBitsPerKey < 1 || o.BloomBitsPerKey > bloom.MaxBitsPerKey) {
		return fmt.Errorf("lsm: Options.BloomBitsPerKey = %d is outside [1, %d] (or -1 for no filters)", o.BloomBitsPerKey, bloom.MaxBitsPerKey)
	}
	if o.MaxKeySizeBytes+o.MaxValueSizeBytes+batchHeaderLen+32 > o.MaxBatchSizeBytes {
		return fmt.Errorf("lsm: Options.MaxBatchSizeBytes = %d cannot hold one maximal key and value (%d + %d bytes)", o.MaxBatchSizeBytes, o.MaxKeySizeBytes, o.MaxValueSizeBytes)
	}
	if o.Sync < SyncEveryWrite || o.Sync > SyncPeriodic {
		return fmt.Errorf("lsm: Options.Sync = %d is not a SyncMode", int(o.Sync))
	}
	if o.SyncInterval < time.Millisecond || o.SyncInterval > time.Hour {
		return fmt.Errorf("lsm: Options.SyncInterval = %v is outside [1ms, 1h]", o.SyncInterval)
	}
	if o.CompactionSizeRatio < 1 || o.CompactionSizeRatio > 100 {
		return fmt.Errorf("lsm: Options.CompactionSizeRatio = %g is outside [1, 100]", o.CompactionSizeRatio)
	}
	if o.TombstoneGrace < 0 {
		return fmt.Errorf("lsm: Options.TombstoneGrace = %v is negative", o.TombstoneGrace)
	}
	return nil
}

func (o *Options) writerOptions() sstable.WriterOptions {
	bits := o.BloomBitsPerKey
	if bits < 0 {
		bits = 0
	}
	return sstable.WriterOptions{
		BlockSizeBytes:   o.BlockSizeBytes,
		RestartInterval:  o.BlockRestartInterval,
		BloomBitsPerKey:  bits,
		WriteBufferBytes: 256 << 10,
	}
}
