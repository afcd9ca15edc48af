package lsm

import (
	"bytes"
	"fmt"

	"dynasim/node/lsm/base"
	"dynasim/node/lsm/memtable"
	"dynasim/node/lsm/sstable"
)

// flushJob writes the oldest immutable memtable to a table, a budget of
// bytes at a time.
type flushJob struct {
	imm      immMem
	it       *memtable.Iter
	w        *sstable.Writer
	num      uint64
	name     string
	lastUser []byte // user key of the last entry written (arena slice)
	haveLast bool
}

// stepFlush advances the flush of d.imm[0] by about budget bytes, and
// installs the table when the memtable is fully written. It returns the
// bytes processed.
func (d *DB) stepFlush(budget int64) (int64, error) {
	if len(d.imm) == 0 {
		return 0, nil
	}
	j := d.flushJob
	if j == nil {
		j = &flushJob{imm: d.imm[0], num: d.nextFileNum}
		j.name = d.path(tableName(j.num))
		f, err := d.fs.Create(j.name)
		if err != nil {
			return 0, fmt.Errorf("lsm: creating table %s: %w", j.name, err)
		}
		d.nextFileNum++
		j.w = sstable.NewWriter(f, j.name, d.opts.writerOptions())
		j.it = j.imm.mem.NewIter(base.MaxSeq)
		j.it.First()
		d.flushJob = j
	}
	var done int64
	for j.it.Valid() && done < budget {
		k, v := j.it.Key(), j.it.Value()
		uk := base.UserKey(k)
		// Entries of one user key come newest first; older versions are
		// shadowed, and no snapshot needs them (iterators hold memtables).
		if !j.haveLast || !bytes.Equal(uk, j.lastUser) {
			if err := j.w.Add(k, v); err != nil {
				d.abortFlush()
				return done, err
			}
			j.lastUser, j.haveLast = uk, true
		}
		done += int64(len(k) + len(v))
		j.it.Next()
	}
	if j.it.Valid() {
		return done, nil
	}
	return done, d.finishFlush()
}

func (d *DB) abortFlush() {
	j := d.flushJob
	d.flushJob = nil
	j.w.Abort()
	_ = d.fs.Remove(j.name)
	d.stats.FlushesFailed++
}

// finishFlush completes the table and installs it in memory. The table is
// not synced and the manifest not rewritten: the flushed memtable's log
// segment stays until a checkpoint makes the table durable (see
// checkpoint), so a table that a compaction soon replaces is never synced.
func (d *DB) finishFlush() error {
	j := d.flushJob
	props, size, err := j.w.Finish(false)
	if err != nil {
		d.abortFlush()
		return err
	}
	t, err := d.openTable(metaFromProps(j.num, size, &props), false)
	if err != nil {
		d.abortFlush()
		return err
	}
	d.flushJob = nil
	d.tables = append([]*table{t}, d.tables...)
	d.imm[0] = immMem{}
	d.imm = d.imm[1:]
	// The flushed memtable is recycled unless an iterator might still read
	// it (iterators opened later cannot see it; Get copies what it returns).
	if d.openIters == 0 {
		j.imm.mem.Reset()
		d.spareMem = j.imm.mem
	}
	d.flushedSeq = j.imm.maxSeq
	d.dirty = true
	d.stats.Flushes++
	d.stats.FlushBytesWritten += size
	return nil
}
