package lsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"dynasim/node/lsm/base"
	"dynasim/node/lsm/bloom"
	"dynasim/node/lsm/sstable"
)

// pickCompaction chooses adjacent tables to merge (newest first), or nil.
//
// Size-tiered: scan windows of adjacent tables whose sizes are within
// CompactionSizeRatio of each other; a window of at least
// CompactionMinWidth tables qualifies, and the one with the smallest
// average table size wins (cheapest to rewrite, same read-amplification
// gain). If none qualifies but there are more than MaxTables tables, merge
// the cheapest CompactionMinWidth adjacent tables regardless of size.
// Only adjacent tables are merged, so sequence ranges stay disjoint and
// ordered, which lets a point read stop at the newest table holding a key.
func (d *DB) pickCompaction() []*table {
	ts := d.tables
	o := &d.opts
	bestStart, bestWidth, bestAvg := -1, 0, 0.0
	for i := 0; i < len(ts); i++ {
		lo, hi := ts[i].meta.size, ts[i].meta.size
		j := i + 1
		for j < len(ts) && j-i < o.CompactionMaxWidth {
			s := ts[j].meta.size
			nlo, nhi := min(lo, s), max(hi, s)
			if float64(nhi) > o.CompactionSizeRatio*float64(max(nlo, 1)) {
				break
			}
			lo, hi = nlo, nhi
			j++
		}
		if w := j - i; w >= o.CompactionMinWidth {
			var sum uint64
			for _, t := range ts[i:j] {
				sum += t.meta.size
			}
			avg := float64(sum) / float64(w)
			if bestStart < 0 || avg < bestAvg {
				bestStart, bestWidth, bestAvg = i, w, avg
			}
		}
	}
	if bestStart >= 0 {
		return ts[bestStart : bestStart+bestWidth]
	}
	if len(ts) <= o.MaxTables {
		return nil
	}
	w := o.CompactionMinWidth
	var bestSum uint64
	for i := 0; i+w <= len(ts); i++ {
		var sum uint64
		for _, t := range ts[i : i+w] {
			sum += t.meta.size
		}
		if bestStart < 0 || sum < bestSum {
			bestStart, bestSum = i, sum
		}
	}
	return ts[bestStart : bestStart+w]
}

// compactionJob merges adjacent tables into one, a budget at a time.
type compactionJob struct {
	inputs   []*table // newest first, adjacent in d.tables
	older    []*table // every table older than the inputs
	iters    []internalIter
	heap     mergeHeap
	w        *sstable.Writer
	num      uint64
	name     string
	now      time.Time
	lastUser []byte
	haveLast bool
	started  bool
	bytesIn  uint64
	dropped  uint64 // shadowed versions dropped
	tombs    uint64 // tombstones dropped
}

func (d *DB) startCompaction(inputs []*table) {
	j := &compactionJob{inputs: append([]*table(nil), inputs...), now: d.opts.Now()}
	last := inputs[len(inputs)-1]
	for i, t := range d.tables {
		if t == last {
			j.older = append(j.older, d.tables[i+1:]...)
		}
	}
	for _, t := range j.inputs {
		t.ref()
	}
	for _, t := range j.older {
		t.ref()
	}
	d.compJob = j
}

// stepCompaction advances the current compaction (picking one if none is
// running) by about budget bytes. It returns the bytes processed and
// whether a compaction was running.
func (d *DB) stepCompaction(budget int64) (int64, bool, error) {
	if d.compJob == nil {
		in := d.pickCompaction()
		if in == nil {
			return 0, false, nil
		}
		d.startCompaction(in)
	}
	j := d.compJob
	if !j.started {
		for _, t := range j.inputs {
			it := t.r.NewIter(false, true)
			it.First()
			if err := it.Err(); err != nil {
				d.abortCompaction()
				return 0, true, err
			}
			j.iters = append(j.iters, it)
		}
		j.heap.init(j.iters)
		j.started = true
	}
	var done int64
	for !j.heap.empty() && done < budget {
		it := j.heap.top()
		k, v := it.Key(), it.Value()
		done += int64(len(k) + len(v))
		j.bytesIn += uint64(len(k) + len(v))
		uk := base.UserKey(k)
		switch {
		case j.haveLast && bytes.Equal(uk, j.lastUser):
			j.dropped++ // an older version of a key already handled
		case base.KindOf(k) == base.KindDelete && d.tombstoneDroppable(j, uk, v):
			j.tombs++
			j.lastUser, j.haveLast = append(j.lastUser[:0], uk...), true
		default:
			if err := d.compactionOutput(j, k, v); err != nil {
				d.abortCompaction()
				return done, true, err
			}
			j.lastUser, j.haveLast = append(j.lastUser[:0], uk...), true
		}
		if err := j.heap.next(); err != nil {
			d.abortCompaction()
			return done, true, err
		}
	}
	if !j.heap.empty() {
		return done, true, nil
	}
	return done, true, d.finishCompaction()
}

// tombstoneDroppable: the grace period has passed since the deletion and
// no table older than the inputs may hold the key (key range, then Bloom
// filter; a false positive only keeps the tombstone longer).
func (d *DB) tombstoneDroppable(j *compactionJob, ukey, value []byte) bool {
	if len(value) != 8 {
		return false
	}
	deleted := time.Unix(0, int64(binary.LittleEndian.Uint64(value)))
	if j.now.Sub(deleted) < d.opts.TombstoneGrace {
		return false
	}
	h := bloom.Hash(ukey)
	for _, t := range j.older {
		if t.covers(ukey) && t.r.MayContain(h) {
			return false
		}
	}
	return true
}

func (d *DB) compactionOutput(j *compactionJob, k, v []byte) error {
	if j.w == nil {
		j.num = d.nextFileNum
		j.name = d.path(tableName(j.num))
		f, err := d.fs.Create(j.name)
		if err != nil {
			return fmt.Errorf("lsm: creating table %s: %w", j.name, err)
		}
		d.nextFileNum++
		j.w = sstable.NewWriter(f, j.name, d.opts.writerOptions())
	}
	return j.w.Add(k, v)
}

func (d *DB) releaseJob(j *compactionJob) {
	for _, t := range j.inputs {
		d.unref(t)
	}
	for _, t := range j.older {
		d.unref(t)
	}
}

func (d *DB) abortCompaction() {
	j := d.compJob
	d.compJob = nil
	if j.w != nil {
		j.w.Abort()
		_ = d.fs.Remove(j.name)
	}
	d.releaseJob(j)
	d.stats.CompactionsFailed++
}

// finishCompaction replaces the inputs with the output in the table list.
func (d *DB) finishCompaction() error {
	j := d.compJob
	var out *table
	var size uint64
	if j.w != nil {
		props, n, err := j.w.Finish(false)
		if err != nil {
			d.abortCompaction()
			return err
		}
		size = n
		if out, err = d.openTable(metaFromProps(j.num, size, &props), false); err != nil {
			d.abortCompaction()
			return err
		}
	}
	pos := -1
	for i, t := range d.tables {
		if t == j.inputs[0] {
			pos = i
		}
	}
	if pos < 0 || pos+len(j.inputs) > len(d.tables) || d.tables[pos+len(j.inputs)-1] != j.inputs[len(j.inputs)-1] {
		// An engine bug, not bad input: stop rather than guess.
		if out != nil {
			_ = out.r.Close()
		}
		d.fail(fmt.Errorf("compaction inputs are no longer adjacent in the table list"))
		d.abortCompaction()
		return d.err
	}
	tables := append([]*table(nil), d.tables[:pos]...)
	if out != nil {
		tables = append(tables, out)
	}
	tables = append(tables, d.tables[pos+len(j.inputs):]...)
	// Installed in memory only; the next checkpoint makes it durable.
	d.compJob = nil
	d.tables = tables
	d.dirty = true
	for _, t := range j.inputs {
		t.obsolete = true
		d.unref(t) // the table list's reference
	}
	d.releaseJob(j)
	d.stats.Compactions++
	d.stats.CompactionBytesRead += sumSizes(j.inputs)
	d.stats.CompactionBytesWritten += size
	d.stats.VersionsDropped += j.dropped
	d.stats.TombstonesDropped += j.tombs
	return nil
}

func sumSizes(ts []*table) uint64 {
	var n uint64
	for _, t := range ts {
		n += t.meta.size
	}
	return n
}
