// Package lsm is the storage engine of a dynasim node: a log-structured
// merge tree with a checksummed commit log, a skiplist memtable, SSTables
// with Bloom filters, size-tiered compaction and crash recovery, written
// against disk.FS so it runs as is on the simulated disk (with its
// crashes and faults) and on the OS filesystem.
//
// It follows the write and read paths of the design (kv-store-design.ko.md,
// 쓰기 경로 / 읽기 경로): a write goes to the commit log, then the memtable;
// a full memtable is flushed to a sorted table; a read checks the memtable,
// then the tables newest first, consulting each table's Bloom filter before
// touching its blocks.
//
// # A pure state machine
//
// The engine lives under node/, so it starts no goroutines, takes no locks,
// reads no clock and touches storage only through disk.FS. It does nothing
// between calls. Work that other engines do in background threads is split
// into steps the host drives:
//
//   - NeedsMaintenance reports pending work: immutable memtables waiting to
//     be flushed, a compaction running or due, a checkpoint or a periodic
//     sync due.
//   - Maintain(budgetBytes) does about that many bytes of it — a flush or
//     compaction advances incrementally across calls, keeping its state —
//     and installs a job when it completes. The node calls it from a timer
//     between requests, so no request pays for a whole flush.
//   - Flush, Compact and CompactAll do the work synchronously.
//   - A checkpoint (checkpoint.go) makes the in-memory table list durable:
//     it syncs the tables that are not yet synced, rewrites the manifest
//     and recycles the log segments and replaced tables it no longer needs.
//     Flushes and compactions only install their tables in memory; the log
//     keeps the flushed writes recoverable until the checkpoint, which runs
//     once CheckpointLogBytes of such log has accumulated and compaction
//     has settled. So a table that a compaction replaces within that window
//     is never synced — and, deleted before the kernel writes it back,
//     usually never reaches the disk at all.
//   - Options.InlineMaintenance makes the write that fills the memtable run
//     all due work before it proceeds: the simple mode for benchmarks and
//     tools.
//
// "Writes continue into a fresh memtable while the old one is flushed": when
// the memtable reaches MemtableSizeBytes it becomes immutable and joins a
// queue, a new memtable (and log segment) takes the writes, and Maintain
// flushes the queue oldest first. The queue is bounded
// (MaxImmutableMemtables): a write that would exceed it flushes inline first
// (a write stall, counted in Stats), so memory stays bounded even if the
// host never calls Maintain. Likewise more than 2*MaxTables tables make
// writes compact inline, and twice CheckpointLogBytes of retained log makes
// a write checkpoint inline.
//
// The clock comes in as Options.Now (the node passes env.Now): it stamps
// tombstones and paces SyncPeriodic.
//
// # Durability: what is acknowledged when
//
// Every write gets sequence numbers (one per batch entry); LastSeq is the
// newest. A write is visible to reads as soon as Put/Delete/Apply returns
// nil, except as noted for SyncEveryWrite. DurableSeq is the largest s such
// that every write with a sequence number <= s survives a crash. It advances
// only when a log sync (covering every log segment with unsynced records,
// oldest first, and their directory entries) or a checkpoint (below)
// completes. So:
//
//   - SyncEveryWrite: the write's record is synced before it is applied;
//     nil means durable (DurableSeq >= its sequence). A write that fails is
//     not visible; a crash may or may not bring it back (unknown outcome).
//   - SyncGroupCommit: writes are buffered and visible at once; Sync makes
//     all of them durable with one fsync per segment touched. A replica
//     acknowledges a write when DurableSeq() >= the LastSeq() it saw right
//     after the write — typically the node applies a burst of writes, calls
//     Sync once, and then acknowledges them all.
//   - SyncPeriodic: group commit plus an automatic Sync when SyncInterval
//     has passed, run by Maintain or before the next write (so that a sync
//     failure fails that write, not one already visible).
//
// A checkpoint also makes every flushed write durable; Flush and Close
// checkpoint. Recovery leaves DurableSeq == LastSeq.
//
// After an I/O error whose effect on disk is unknown (a failed log write or
// sync, a failed directory sync after a manifest rename) the engine stops
// accepting writes and maintenance (reads still work) and every call
// reports the error; the host reopens it, which recovers the durable state.
// Errors with a known effect — a flush or compaction that runs out of space,
// a corrupt block met by a compaction — only abort that job, which a later
// Maintain retries.
//
// # Read path
//
// Get looks in the memtable, the immutable memtables newest first, then the
// tables newest first. A table is skipped if the key is outside its key
// range, then if its Bloom filter says no (10 bits per key: about 1 %
// false positives); otherwise one index lookup (the index is in memory)
// and one data block read, through a bounded LRU block cache. Because
// compaction merges only adjacent tables, tables have disjoint, ordered
// sequence ranges, and the first table holding the key has its newest
// version. Stats count filter checks, negatives, true and false positives,
// blocks read and cache hits and misses.
//
// NewIter iterates a key range [LowerBound, UpperBound) in order, as of its
// creation: it merges the memtables and tables (a heap over their
// iterators), keeps the newest version of each key and hides tombstones.
// Flushes and compactions may run while it is open — it holds references to
// the memtables and table files it reads, which are deleted only when the
// last reference goes. Anti-entropy (Merkle trees over key ranges) and
// range streaming use it; values are the node's opaque versioned records.
//
// # Compaction: size-tiered, and why
//
// The engine uses size-tiered compaction over an age-ordered list of tables:
// a run of at least CompactionMinWidth adjacent tables whose sizes are
// within CompactionSizeRatio of each other is merged into one table (the
// run with the smallest average size first); if there are more than
// MaxTables tables and no such run, the cheapest CompactionMinWidth adjacent
// tables are merged anyway, bounding read amplification.
//
// Why size-tiered rather than leveled:
//
//   - Write amplification is what this engine pays most dearly for. A
//     Dynamo store is write-heavy — every put is written by N replicas, and
//     read repair, hinted handoff and anti-entropy add more writes — and
//     here compaction runs on the node's only thread, so every rewritten
//     byte is request latency, not a background core's time. Tiering
//     rewrites a byte about log_W(data/memtable) times (W = merge width);
//     leveled compaction rewrites it about fanout (10) times per level.
//   - Point reads stay cheap anyway: a table that cannot hold the key costs
//     a key-range check and one cache-line Bloom probe, and the number of
//     tables is bounded by MaxTables, so a read is typically one block read.
//   - The costs of tiering fit the workload: space amplification (an
//     overwritten or deleted key occupies space until its versions meet in
//     one merge; a large merge briefly needs its input size again) and range
//     scans that merge more tables — scans here are background anti-entropy
//     and streaming, not latency-critical reads.
//   - Cassandra, the design's reference for this write path, defaults to
//     size-tiered compaction for the same reasons.
//
// Merging only adjacent tables keeps the tables' sequence ranges disjoint,
// which is what lets a point read stop at the newest table holding a key.
// Compaction keeps only the newest version of each key (no snapshot needs
// older ones: iterators pin the old tables instead). A tombstone is dropped
// only when TombstoneGrace has passed since its deletion time (so
// anti-entropy can spread the deletion to every replica first — otherwise a
// stale replica would resurrect the value) and no table older than the
// compaction's inputs may hold the key (key range, then Bloom filter). Stats
// report bytes written by the log, flushes and compactions, and write
// amplification ((log + flush + compaction bytes) / user bytes).
//
// # Files
//
// A directory holds NNNNNN.log commit-log segments (package wal: records
// with CRC-32C, one record per batch), NNNNNN.sst tables (package sstable:
// checksummed data blocks, index, Bloom filter (package bloom), meta block,
// footer with magic number and format version), and MANIFEST, the list of
// live tables with the flushed sequence number and the oldest live log
// segment. The manifest is rewritten whole and replaced atomically at every
// checkpoint: write MANIFEST.tmp, sync it, rename it over MANIFEST, sync the
// directory (which also makes the new tables' entries durable). A log
// segment is recycled (removed) once the flush of its memtable is durable,
// that is, at the checkpoint after the flush.
// (disk.FS files are append-only, so segments cannot be reused in place as
// Pebble does; a new segment costs one directory sync at its first Sync.)
//
// # Recovery
//
// Open reads the manifest, opens its tables (checking each against its
// manifest entry), removes orphan files (tables written after the last
// checkpoint, interrupted flushes and compactions), replays the log
// segments from the manifest's log number in order into memtables, flushes
// them and checkpoints — so that a torn tail never sits in front of new
// records. Rules (see package wal):
//
//   - A damaged or truncated record with no valid record after it in its
//     segment is a torn tail: the log ends there, silently (Stats.TornTails,
//     TornTailBytes), unless a surviving later record claims (in its header)
//     that a lost sequence number had been synced — then the lost data was
//     acknowledged, and Open fails with a corruption error.
//   - A damaged record followed by a valid one, a sequence gap inside a
//     segment, a bad table block, footer, index or filter, or a bad manifest
//     is a *base.CorruptionError (errors.Is ErrCorruption) naming the file
//     and byte offset. Corrupt data is never returned as data: Get and
//     iterators report the error.
//
// One ambiguity is inherent: a bit flip in the very last record ever
// written looks exactly like a torn write, and is truncated. Open needs
// free space for one table per recovered memtable.
//
// # Limits
//
// Keys (MaxKeySizeBytes, default 1 KiB), values (MaxValueSizeBytes,
// default 10 KiB, the design's limit) and batches (MaxBatchSizeBytes) are
// checked on every write, with errors (errors.Is ErrTooLarge) stating the
// size and the limit. Everything read from disk is bounded before anything
// is allocated: log records (wal.MaxRecordBytes and the file's size), blocks
// (sstable.MaxBlockBytes and the file's size), keys, the manifest
// (MaxManifestBytes) and its table count (HardMaxTables), Bloom filter
// shapes, batch entry counts. Options are bounded by the Hard* constants.
package lsm
