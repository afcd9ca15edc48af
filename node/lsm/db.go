package lsm

import (
	"bytes"
	"dynasim/node/planted"
	"errors"
	"fmt"
	"slices"
	"time"

	"dynasim/disk"
	"dynasim/node/lsm/base"
	"dynasim/node/lsm/bloom"
	"dynasim/node/lsm/memtable"
	"dynasim/node/lsm/sstable"
	"dynasim/node/lsm/wal"
)

// Errors returned by the engine (compare with errors.Is).
var (
	// ErrNotFound: the key has no live value.
	ErrNotFound = errors.New("lsm: not found")
	// ErrClosed: the DB was closed.
	ErrClosed = errors.New("lsm: closed")
	// ErrTooLarge is wrapped by every size-limit error; the message states
	// the size and the limit.
	ErrTooLarge = errors.New("lsm: too large")
	// ErrCorruption is wrapped by every corruption error; see
	// base.CorruptionError for the file and offset.
	ErrCorruption = base.ErrCorruption
)

// table is a live SSTable.
type table struct {
	meta         tableMeta
	r            *sstable.Reader
	refs         int  // the table list's reference plus one per iterator or job
	obsolete     bool // no longer in the table list; delete when refs reach 0
	zombie       bool // obsolete but still referenced (listed in DB.zombies)
	synced       bool // the file is durable
	listed       bool // the durable manifest lists it
	smallestUser []byte
	largestUser  []byte
	// corruptReads counts the corrupt reads of the table since its last
	// good one (quarantine.go).
	corruptReads int
}

// overlaps reports whether ukey lies within the table's key range.
func (t *table) covers(ukey []byte) bool {
	return bytes.Compare(ukey, t.smallestUser) >= 0 && bytes.Compare(ukey, t.largestUser) <= 0
}

// immMem is a memtable that no longer takes writes and waits for its flush.
type immMem struct {
	mem    *memtable.Memtable
	logNum uint64 // the log segment holding its writes
	maxSeq uint64
}

// logSegment is a live commit-log segment: the current one, or one whose
// memtable is not flushed yet.
type logSegment struct {
	num       uint64
	name      string
	w         *wal.Writer // nil for a segment replayed by Open
	dirSynced bool        // the directory entry is durable
}

// DB is the storage engine. It is a single-threaded state machine: its
// methods must not be called concurrently, and it does nothing between
// calls. See the package documentation.
type DB struct {
	fs      disk.FS
	dir     string
	opts    Options
	dirFile disk.File
	cache   *sstable.Cache

	mem    *memtable.Memtable
	memLog uint64
	imm    []immMem      // oldest first
	logs   []*logSegment // oldest first; the last is the current segment
	tables []*table      // newest first; sequence ranges are disjoint
	// quarantined are the tables quarantined since Quarantined was last
	// called (quarantine.go).
	quarantined []Quarantine
	// zombies are obsolete tables that iterators still read.
	zombies []*table
	// pendingDeletes are obsolete tables the durable manifest still lists;
	// their files go at the next checkpoint.
	pendingDeletes []*table
	// dirty: the table list or flushed sequence was modified since the last
	// checkpoint.
	dirty bool

	nextFileNum uint64
	flushedSeq  uint64
	lastSeq     uint64 // last sequence number assigned
	durableSeq  uint64 // every write <= this is durable
	lastSync    time.Time

	flushJob *flushJob
	compJob  *compactionJob

	openIters int
	// spareMem is a flushed memtable, emptied for the next rotation (see
	// flush.go): recycling its memory saves megabytes of allocation per
	// flush.
	spareMem *memtable.Memtable
	err      error // sticky: a failed log write or manifest install
	closed   bool

	batch  Batch // reused by Put and Delete
	keyBuf []byte

	stats     Stats
	readStats sstable.ReadStats
}

// fail records a sticky error: the engine refuses writes and maintenance
// from now on (reads still work). The host should close and reopen it,
// which recovers the durable state.
func (d *DB) fail(err error) {
	if d.err == nil {
		d.err = fmt.Errorf("lsm: engine stopped after an I/O failure (reopen to recover): %w", err)
	}
}

// Stopped is the I/O failure that stopped the engine (see fail), or nil.
// A stopped engine refuses writes until it is closed and opened again.
func (d *DB) Stopped() error { return d.err }

func (d *DB) writable() error {
	if d.closed {
		return ErrClosed
	}
	return d.err
}

func (d *DB) syncDir() error {
	if err := d.dirFile.Sync(); err != nil {
		return fmt.Errorf("lsm: syncing directory %s: %w", d.dir, err)
	}
	d.stats.DirSyncs++
	return nil
}

func (d *DB) curLog() *logSegment { return d.logs[len(d.logs)-1] }

func (d *DB) checkKey(key []byte) error {
	if len(key) > d.opts.MaxKeySizeBytes {
		return fmt.Errorf("%w: key of %d bytes is over the limit of %d bytes", ErrTooLarge, len(key), d.opts.MaxKeySizeBytes)
	}
	return nil
}

func (d *DB) checkValue(value []byte) error {
	if len(value) > d.opts.MaxValueSizeBytes {
		return fmt.Errorf("%w: value of %d bytes is over the limit of %d bytes", ErrTooLarge, len(value), d.opts.MaxValueSizeBytes)
	}
	return nil
}

// Put stores value under key. See Options.Sync for when it is durable.
func (d *DB) Put(key, value []byte) error {
	if err := d.checkKey(key); err != nil {
		return err
	}
	if err := d.checkValue(value); err != nil {
		return err
	}
	return d.applyPut(key, value)
}

// Delete writes a tombstone for key.
func (d *DB) Delete(key []byte) error {
	if err := d.checkKey(key); err != nil {
		return err
	}
	d.batch.Reset()
	d.batch.Delete(key)
	return d.apply(&d.batch)
}

// Apply writes every entry of b atomically. It checks every entry against
// the size limits first and writes nothing if one is over. An empty batch
// is a no-op.
func (d *DB) Apply(b *Batch) error {
	if b.count == 0 {
		return nil
	}
	if len(b.data) > d.opts.MaxBatchSizeBytes {
		return fmt.Errorf("%w: batch of %d bytes is over the limit of %d bytes", ErrTooLarge, len(b.data), d.opts.MaxBatchSizeBytes)
	}
	if b.count > maxBatchEntries {
		return fmt.Errorf("%w: batch of %d entries is over the limit of %d entries", ErrTooLarge, b.count, maxBatchEntries)
	}
	if len(b.data) < batchHeaderLen {
		return fmt.Errorf("lsm: malformed batch: %d bytes", len(b.data))
	}
	r := batchReader{data: b.data[batchHeaderLen:], left: b.count, count: b.count}
	for i := 0; ; i++ {
		e, ok, err := r.next()
		if err != nil {
			return fmt.Errorf("lsm: malformed batch: %w", err)
		}
		if !ok {
			break
		}
		if err := d.checkKey(e.key); err != nil {
			return fmt.Errorf("batch entry %d: %w", i, err)
		}
		if err := d.checkValue(e.value); err != nil {
			return fmt.Errorf("batch entry %d: %w", i, err)
		}
	}
	return d.apply(b)
}

// apply writes a validated, non-empty batch: log record, then memtable.
func (d *DB) apply(b *Batch) error {
	seq, err := d.beginWrite(b.count)
	if err != nil {
		return err
	}
	var now int64
	if b.hasDelete {
		now = d.opts.Now().UnixNano()
	}
	b.seal(seq, now)
	if err := d.curLog().w.Append(b.data, d.durableSeq); err != nil {
		d.fail(err)
		return d.err
	}
	if err := d.logged(len(b.data), b.count); err != nil {
		return err
	}
	tomb := b.data[12:20]
	r, _ := newBatchReader(b.data)
	for s := seq; ; s++ {
		e, ok, _ := r.next()
		if !ok {
			break
		}
		if e.kind == base.KindSet {
			d.mem.Add(e.key, s, base.KindSet, e.value)
			d.stats.Puts++
		} else {
			d.mem.Add(e.key, s, base.KindDelete, tomb)
			d.stats.Deletes++
		}
		d.stats.BytesIngested += uint64(len(e.key) + len(e.value))
	}
	return nil
}

// applyPut is apply of a batch holding one put, without the batch: the
// log record (the same bytes) is encoded straight into the log's buffer,
// and the memtable takes key and value from the caller. It saves a copy of
// the value and the batch's decoding on the engine's commonest write.
func (d *DB) applyPut(key, value []byte) error {
	seq, err := d.beginWrite(1)
	if err != nil {
		return err
	}
	n := singlePutSize(key, value)
	err = d.curLog().w.AppendFunc(n, d.durableSeq, func(p []byte) { encodeSinglePut(p, seq, key, value) })
	if err != nil {
		d.fail(err)
		return d.err
	}
	if err := d.logged(n, 1); err != nil {
		return err
	}
	d.mem.Add(key, seq, base.KindSet, value)
	d.stats.Puts++
	d.stats.BytesIngested += uint64(len(key) + len(value))
	return nil
}

// beginWrite readies the engine for a write of count entries and returns
// the first entry's sequence number.
func (d *DB) beginWrite(count uint32) (uint64, error) {
	if err := d.writable(); err != nil {
		return 0, err
	}
	if err := d.makeRoom(); err != nil {
		return 0, err
	}
	// SyncPeriodic: a due sync runs before the write, so that its failure
	// fails this write rather than one that is already visible.
	if d.opts.Sync == SyncPeriodic && d.syncDue() {
		if err := d.Sync(); err != nil {
			return 0, err
		}
	}
	seq := d.lastSeq + 1
	if seq+uint64(count) > base.MaxSeq {
		return 0, fmt.Errorf("lsm: sequence numbers exhausted")
	}
	return seq, nil
}

// logged accounts for a log record of n payload bytes holding count
// entries, just appended. With SyncEveryWrite the write becomes visible
// only once durable, so a write that returns an error is never seen by
// reads (a crash may still bring it back: its outcome is unknown, as for
// any failed write).
func (d *DB) logged(n int, count uint32) error {
	d.stats.WALBytesWritten += uint64(n + wal.HeaderLen)
	d.lastSeq += uint64(count)
	d.stats.Batches++
	if d.opts.Sync == SyncEveryWrite {
		return d.Sync()
	}
	return nil
}

// makeRoom rotates a full memtable before a write and, if too many wait
// for their flush (or InlineMaintenance is set), performs the maintenance
// first. An error means the write must not happen.
func (d *DB) makeRoom() error {
	if d.mem.SizeBytes() < d.opts.MemtableSizeBytes {
		return nil
	}
	if err := d.rotate(); err != nil {
		return err
	}
	if d.opts.InlineMaintenance {
		_, err := d.Maintain(unlimited)
		return err
	}
	for len(d.imm) > d.opts.MaxImmutableMemtables {
		d.stats.WriteStalls++
		if _, err := d.stepFlush(unlimited); err != nil {
			return err
		}
	}
	for len(d.tables) > 2*d.opts.MaxTables {
		d.stats.WriteStalls++
		if _, _, err := d.stepCompaction(unlimited); err != nil {
			return err
		}
	}
	if d.dirty && d.retainedLogBytes() >= 2*d.opts.CheckpointLogBytes {
		d.stats.WriteStalls++
		return d.checkpoint()
	}
	return nil
}

// createLog creates the next log segment's file.
func (d *DB) createLog() (num uint64, name string, f disk.File, err error) {
	num = d.nextFileNum
	name = d.path(logName(num))
	if f, err = d.fs.Create(name); err != nil {
		return 0, "", nil, fmt.Errorf("lsm: creating log %s: %w", name, err)
	}
	d.nextFileNum++
	return num, name, f, nil
}

// rotate makes the memtable immutable and starts a new one with a new log
// segment. The old segment is written out but not synced (see package
// wal on why that is safe).
func (d *DB) rotate() error {
	if d.mem.Empty() {
		return nil
	}
	num, name, f, err := d.createLog()
	if err != nil {
		return err
	}
	w, err := d.curLog().w.Successor(f, name)
	if err != nil {
		_ = f.Close()
		_ = d.fs.Remove(name)
		d.fail(err)
		return d.err
	}
	d.logs = append(d.logs, &logSegment{num: num, name: name, w: w})
	d.imm = append(d.imm, immMem{mem: d.mem, logNum: d.memLog, maxSeq: d.lastSeq})
	if d.spareMem != nil {
		d.mem, d.spareMem = d.spareMem, nil
	} else {
		d.mem = memtable.New()
	}
	d.memLog = num
	d.stats.WALSegmentsCreated++
	return nil
}

// Sync makes every write so far durable with as few syncs as possible
// (group commit): it syncs each log segment holding unsynced records,
// oldest first, and the directory entries of new segments. Afterwards
// DurableSeq() == LastSeq().
func (d *DB) Sync() error {
	if err := d.writable(); err != nil {
		return err
	}
	if d.durableSeq == d.lastSeq {
		return nil
	}
	for _, s := range d.logs {
		if s.w == nil || !s.w.Unsynced() {
			continue
		}
		if !s.dirSynced {
			if err := d.syncDir(); err != nil {
				d.fail(err)
				return d.err
			}
			s.dirSynced = true
		}
		if planted.On(planted.AckBeforeSync) {
			continue
		}
		if err := s.w.Sync(); err != nil {
			d.fail(err)
			return d.err
		}
		d.stats.WALSyncs++
	}
	d.durableSeq = d.lastSeq
	if d.opts.Sync == SyncPeriodic {
		d.lastSync = d.opts.Now()
	}
	return nil
}

// PendingSync is a sync begun by SyncStart: the log files to sync and the
// writes they cover.
type PendingSync struct {
	db   *DB
	seq  uint64
	segs []pendingSegment
}

type pendingSegment struct {
	w    *wal.Writer
	f    disk.File
	upTo int64
	err  error // what Run's sync of f returned
}

// Run does the slow half of the sync: it syncs each log file. It touches
// nothing but those files and p, so — the one exception to the engine's
// single-threaded rule — it may run on another goroutine while the engine
// goes on taking writes (they are not covered; the next sync covers them),
// provided the file system allows a file's Sync beside its Write and Close
// (disk.OS does). It returns the first failure; SyncFinish looks at each.
func (p *PendingSync) Run() error {
	var first error
	for i := range p.segs {
		s := &p.segs[i]
		s.err = s.f.Sync()
		if first == nil {
			first = s.err
		}
	}
	return first
}

// SyncStart begins a Sync whose file syncs (PendingSync.Run) the caller
// runs where it likes, so that a host need not stop taking events while
// the disk syncs: it writes every buffered log record to its file (and
// syncs the directory of a new segment, which is rare), and returns what
// is left to do, or nil when every write is durable already. Nothing
// counts as durable until SyncFinish reports Run's result.
func (d *DB) SyncStart() (*PendingSync, error) {
	if err := d.writable(); err != nil {
		return nil, err
	}
	if d.durableSeq == d.lastSeq {
		return nil, nil
	}
	p := &PendingSync{db: d, seq: d.lastSeq}
	for _, s := range d.logs {
		if s.w == nil || !s.w.Unsynced() {
			continue
		}
		if !s.dirSynced {
			if err := d.syncDir(); err != nil {
				d.fail(err)
				return nil, d.err
			}
			s.dirSynced = true
		}
		if planted.On(planted.AckBeforeSync) {
			continue
		}
		f, upTo, err := s.w.StartSync()
		if err != nil {
			d.fail(err)
			return nil, d.err
		}
		p.segs = append(p.segs, pendingSegment{w: s.w, f: f, upTo: upTo})
	}
	return p, nil
}

// SyncFinish completes p once its Run has returned (and the caller has
// synchronised with it): on success every write made before SyncStart is
// durable (DurableSeq covers it); a failed file sync stops the engine, as
// a failed Sync does — except on a segment discarded meanwhile, whose
// writes a flushed table holds. A sync begun by another engine (closed and
// reopened since) is refused. runErr is what the caller got from Run, or
// its own reason the sync did not happen; an error no file sync explains
// fails the sync as well.
func (d *DB) SyncFinish(p *PendingSync, runErr error) error {
	if p.db != d {
		return fmt.Errorf("lsm: a sync begun by another engine instance")
	}
	if err := d.writable(); err != nil {
		return err
	}
	if runErr != nil && !slices.ContainsFunc(p.segs, func(s pendingSegment) bool { return s.err != nil }) {
		d.fail(fmt.Errorf("lsm: log sync did not run: %w", runErr))
		return d.err
	}
	for _, s := range p.segs {
		if s.w.Discarded() {
			continue
		}
		if err := s.w.FinishSync(s.upTo, s.err); err != nil {
			d.fail(err)
			return d.err
		}
		d.stats.WALSyncs++
	}
	d.durableSeq = max(d.durableSeq, p.seq)
	if d.opts.Sync == SyncPeriodic {
		d.lastSync = d.opts.Now()
	}
	return nil
}

func (d *DB) syncDue() bool {
	return d.durableSeq < d.lastSeq && d.opts.Now().Sub(d.lastSync) >= d.opts.SyncInterval
}

// LastSeq is the sequence number of the newest write (each entry of a
// batch takes one). Writes are visible to reads as soon as they return.
func (d *DB) LastSeq() uint64 { return d.lastSeq }

// DurableSeq is the largest sequence number s such that every write with a
// sequence number <= s survives a crash. A replica acknowledges a write
// once DurableSeq() >= the LastSeq() observed right after the write.
func (d *DB) DurableSeq() uint64 { return d.durableSeq }

// Get returns a copy of the newest value of key, or ErrNotFound if it has
// none (never written, or deleted).
func (d *DB) Get(key []byte) ([]byte, error) {
	if d.closed {
		return nil, ErrClosed
	}
	if err := d.checkKey(key); err != nil {
		return nil, err
	}
	d.stats.Gets++
	if v, kind, ok := d.mem.Get(key, base.MaxSeq); ok {
		return d.result(v, kind)
	}
	for i := len(d.imm) - 1; i >= 0; i-- {
		if v, kind, ok := d.imm[i].mem.Get(key, base.MaxSeq); ok {
			return d.result(v, kind)
		}
	}
	d.keyBuf = base.SearchKey(d.keyBuf[:0], key, base.MaxSeq)
	h := bloom.Hash(key)
	for _, t := range d.tables {
		if !t.covers(key) {
			continue
		}
		v, kind, found, err := t.r.Get(key, d.keyBuf, h)
		for try := 0; try < QuarantineAfter && errors.Is(err, ErrCorruption) && !d.QuarantineCorrupt(err); try++ {
			// A corrupt read: again, until it reads well or the table is
			// quarantined (the failed block was not cached).
			v, kind, found, err = t.r.Get(key, d.keyBuf, h)
		}
		if err != nil {
			if t.obsolete {
				// Quarantined: read on without it (an older table may
				// hold the key).
				return d.Get(key)
			}
			return nil, err
		}
		t.corruptReads = 0
		if found {
			return d.result(v, kind)
		}
	}
	return nil, ErrNotFound
}

func (d *DB) result(v []byte, kind base.Kind) ([]byte, error) {
	if kind == base.KindDelete {
		return nil, ErrNotFound
	}
	d.stats.GetHits++
	return append(make([]byte, 0, len(v)), v...), nil
}
