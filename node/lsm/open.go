package lsm

import (
	"errors"
	"fmt"
	"io"
	"path"
	"sort"

	"dynasim/disk"
	"dynasim/node/lsm/base"
	"dynasim/node/lsm/memtable"
	"dynasim/node/lsm/sstable"
	"dynasim/node/lsm/wal"
)

// Open opens (creating if needed) the engine in directory dir of fs and
// recovers its durable state: the tables the manifest lists, plus the
// commit log after the last flush, replayed and flushed to a table. A torn
// record at the tail of the log is truncated silently (see Stats); damage
// anywhere else is an error naming the file and offset (errors.Is
// ErrCorruption).
func Open(fs disk.FS, dir string, opts Options) (*DB, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	d := &DB{fs: fs, dir: dir, opts: opts, nextFileNum: 1}
	if opts.BlockCacheSizeBytes > 0 {
		d.cache = sstable.NewCache(opts.BlockCacheSizeBytes)
	}
	if err := d.open(); err != nil {
		d.closeFiles()
		return nil, err
	}
	return d, nil
}

func (d *DB) open() error {
	if err := d.ensureDir(); err != nil {
		return err
	}
	names, err := d.fs.List(d.dir)
	if err != nil {
		return fmt.Errorf("lsm: listing %s: %w", d.dir, err)
	}
	var tableNums, logNums []uint64
	hasManifest, hasTmp := false, false
	var maxNum uint64
	for _, n := range names {
		kind, num := parseName(n)
		switch kind {
		case kindManifest:
			hasManifest = true
		case kindManifestTmp:
			hasTmp = true
		case kindTable:
			tableNums = append(tableNums, num)
		case kindLog:
			logNums = append(logNums, num)
		}
		maxNum = max(maxNum, num)
	}
	sort.Slice(logNums, func(i, j int) bool { return logNums[i] < logNums[j] })

	var m *manifest
	if hasManifest {
		if m, err = readManifest(d.fs, d.path(manifestName)); err != nil {
			return err
		}
	} else {
		if len(tableNums)+len(logNums) > 0 {
			return base.Corruptf(d.path(manifestName), 0, "missing, but the directory holds %d tables and %d log segments", len(tableNums), len(logNums))
		}
		m = &manifest{nextFileNum: 1}
		if err := d.writeManifest(m); err != nil {
			return err
		}
	}
	if hasTmp {
		_ = d.fs.Remove(d.path(manifestTmpName))
	}
	d.nextFileNum = max(m.nextFileNum, maxNum+1)
	d.flushedSeq, d.lastSeq = m.flushedSeq, m.flushedSeq

	live := map[uint64]bool{}
	for _, tm := range m.tables {
		t, err := d.openTable(tm, true)
		if err != nil {
			return err
		}
		d.tables = append(d.tables, t)
		live[tm.num] = true
	}
	for i := 1; i < len(d.tables); i++ {
		if d.tables[i].meta.maxSeq >= d.tables[i-1].meta.minSeq {
			return base.Corruptf(d.path(manifestName), 0, "tables %d and %d have overlapping sequence ranges", d.tables[i-1].meta.num, d.tables[i].meta.num)
		}
	}
	// Orphans: outputs of flushes or compactions that never got installed,
	// or inputs whose removal a crash undid.
	for _, n := range tableNums {
		if !live[n] {
			_ = d.fs.Remove(d.path(tableName(n)))
		}
	}
	var replay []uint64
	for _, n := range logNums {
		if n < m.logNum {
			_ = d.fs.Remove(d.path(logName(n)))
		} else {
			replay = append(replay, n)
		}
	}
	recovered, err := d.replay(replay)
	if err != nil {
		return err
	}
	for _, n := range replay {
		d.logs = append(d.logs, &logSegment{num: n, name: d.path(logName(n)), dirSynced: true})
	}

	// A fresh segment and memtable take new writes; the recovered ones are
	// flushed now, so that a torn tail never sits in front of new records.
	num, name, f, err := d.createLog()
	if err != nil {
		return err
	}
	d.logs = append(d.logs, &logSegment{num: num, name: name, w: wal.NewWriter(f, name, d.opts.WALBufferSizeBytes)})
	if err := d.syncDir(); err != nil {
		return err
	}
	d.curLog().dirSynced = true
	d.mem, d.memLog = memtable.New(), num
	d.imm = recovered
	for len(d.imm) > 0 {
		if _, err := d.stepFlush(unlimited); err != nil {
			return err
		}
	}
	if d.dirty || d.logs[0].num < d.memLog {
		if err := d.checkpoint(); err != nil {
			return err
		}
	}
	d.durableSeq = d.lastSeq
	d.lastSync = d.opts.Now()
	return d.err
}

// ensureDir creates the directory if needed (syncing its parent so that
// the new entry is durable) and opens it for syncing.
func (d *DB) ensureDir() error {
	if _, err := d.fs.Stat(d.dir); errors.Is(err, disk.ErrNotExist) {
		if err := d.fs.MkdirAll(d.dir); err != nil {
			return fmt.Errorf("lsm: creating %s: %w", d.dir, err)
		}
		if parent := path.Dir(d.dir); parent != d.dir {
			pf, err := d.fs.OpenDir(parent)
			if err != nil {
				return fmt.Errorf("lsm: opening %s: %w", parent, err)
			}
			err = pf.Sync()
			_ = pf.Close()
			if err != nil {
				return fmt.Errorf("lsm: syncing %s: %w", parent, err)
			}
		}
	} else if err != nil {
		return fmt.Errorf("lsm: stat %s: %w", d.dir, err)
	}
	f, err := d.fs.OpenDir(d.dir)
	if err != nil {
		return fmt.Errorf("lsm: opening %s: %w", d.dir, err)
	}
	d.dirFile = f
	return nil
}

// replay reads the log segments nums (ascending) into one memtable each.
// See package wal for the rules that separate a torn tail from damage.
func (d *DB) replay(nums []uint64) ([]immMem, error) {
	expected := d.flushedSeq + 1
	var out []immMem
	for i, num := range nums {
		name := d.path(logName(num))
		mem, next, loss, err := d.replaySegment(name, expected)
		if err != nil {
			return nil, err
		}
		if !mem.Empty() {
			out = append(out, immMem{mem: mem, logNum: num, maxSeq: next - 1})
		}
		expected = next
		if loss == nil {
			continue
		}
		// The log ends at the loss. That is a crash's normal effect unless
		// a surviving record says a lost sequence had been synced.
		claim := loss.laterClaim
		for _, later := range nums[i+1:] {
			c, err := d.segmentClaims(d.path(logName(later)))
			if err != nil {
				return nil, err
			}
			claim = max(claim, c)
		}
		if claim >= expected {
			return nil, base.Corruptf(loss.file, loss.offset, "%s, but a later record says sequence %d was synced: acknowledged writes are damaged", loss.reason, claim)
		}
		d.stats.TornTails++
		d.stats.TornTailBytes += loss.bytes
		d.stats.DiscardedLogSegments += uint64(len(nums) - i - 1)
		break
	}
	d.lastSeq = expected - 1
	return out, nil
}

// logLoss describes where a segment's valid records end early.
type logLoss struct {
	file       string
	offset     int64
	reason     string
	bytes      uint64 // bytes dropped from this segment
	laterClaim uint64 // synced sequence claimed by records after the loss in this segment
}

func (d *DB) openSegment(name string) (disk.File, *wal.Reader, int64, error) {
	f, err := d.fs.Open(name)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("lsm: opening log %s: %w", name, err)
	}
	size, err := f.Size()
	if err != nil {
		_ = f.Close()
		return nil, nil, 0, fmt.Errorf("lsm: size of %s: %w", name, err)
	}
	return f, wal.NewReader(f, name, size, wal.MaxRecordBytes), size, nil
}

// replaySegment applies one segment's records from sequence expected on.
// It returns the next expected sequence and, if the segment's valid
// records end before its end (or start after a gap), where.
func (d *DB) replaySegment(name string, expected uint64) (*memtable.Memtable, uint64, *logLoss, error) {
	mem := memtable.New()
	f, rd, size, err := d.openSegment(name)
	if err != nil {
		return nil, 0, nil, err
	}
	defer f.Close()
	for {
		off := rd.Offset()
		p, _, err := rd.Next()
		if err == io.EOF {
			return mem, expected, nil, nil
		}
		var inv *wal.Invalid
		if errors.As(err, &inv) {
			next, found, err := rd.ValidAfter(inv.Offset)
			if err != nil {
				return nil, 0, nil, err
			}
			if found {
				return nil, 0, nil, base.Corruptf(name, inv.Offset, "%s (a valid record follows at offset %d)", inv.Reason, next)
			}
			return mem, expected, &logLoss{file: name, offset: inv.Offset, reason: inv.Reason, bytes: uint64(size - inv.Offset)}, nil
		}
		if err != nil {
			return nil, 0, nil, err
		}
		br, err := newBatchReader(p)
		if err != nil {
			return nil, 0, nil, base.Corruptf(name, off, "log record: %v", err)
		}
		if br.seq != expected {
			if br.seq > expected && off == 0 {
				// The previous segment lost its tail (it was never synced)
				// while this one kept a prefix: the log ends before here.
				claim, err := rd.SyncedClaims(0)
				if err != nil {
					return nil, 0, nil, err
				}
				return mem, expected, &logLoss{file: name, offset: 0, bytes: uint64(size),
					reason: fmt.Sprintf("segment starts at sequence %d, expected %d", br.seq, expected), laterClaim: claim}, nil
			}
			return nil, 0, nil, base.Corruptf(name, off, "log record has sequence %d, expected %d", br.seq, expected)
		}
		for s := br.seq; ; s++ {
			e, ok, err := br.next()
			if err != nil {
				return nil, 0, nil, base.Corruptf(name, off, "log record: %v", err)
			}
			if !ok {
				break
			}
			if e.kind == base.KindSet {
				mem.Add(e.key, s, base.KindSet, e.value)
			} else {
				mem.Add(e.key, s, base.KindDelete, p[12:20])
			}
		}
		expected = br.seq + uint64(br.count)
		d.stats.RecoveredRecords++
	}
}

// segmentClaims is the largest synced sequence any valid record of the
// segment claims.
func (d *DB) segmentClaims(name string) (uint64, error) {
	f, rd, _, err := d.openSegment(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return rd.SyncedClaims(0)
}
