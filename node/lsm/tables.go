package lsm

import (
	"fmt"

	"dynasim/node/lsm/base"
	"dynasim/node/lsm/sstable"
)

// openTable opens the table file for m and checks it against its metadata.
// durable says the file is synced and listed in the durable manifest.
func (d *DB) openTable(m tableMeta, durable bool) (*table, error) {
	name := d.path(tableName(m.num))
	f, err := d.fs.Open(name)
	if err != nil {
		return nil, fmt.Errorf("lsm: opening table %s: %w", name, err)
	}
	r, err := sstable.Open(f, name, m.num, d.cache, &d.readStats)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	p := r.Props()
	if uint64(r.Size()) != m.size || p.Entries != m.entries || p.MinSeq != m.minSeq || p.MaxSeq != m.maxSeq ||
		base.CompareInternal(p.Smallest, m.smallest) != 0 || base.CompareInternal(p.Largest, m.largest) != 0 {
		_ = r.Close()
		return nil, base.Corruptf(name, 0, "table does not match its manifest entry (size %d, want %d)", r.Size(), m.size)
	}
	return &table{
		meta: m, r: r, refs: 1,
		synced: durable, listed: durable,
		smallestUser: base.UserKey(m.smallest),
		largestUser:  base.UserKey(m.largest),
	}, nil
}

func (t *table) ref() { t.refs++ }

// unref drops a reference. When the last one of an obsolete table goes,
// its file is closed and removed — unless the durable manifest still lists
// it, in which case the removal waits for the next checkpoint.
func (d *DB) unref(t *table) {
	t.refs--
	if d.closed || !t.obsolete {
		return
	}
	if t.refs > 0 {
		if !t.zombie {
			t.zombie = true
			d.zombies = append(d.zombies, t)
		}
		return
	}
	if t.zombie {
		for i, z := range d.zombies {
			if z == t {
				d.zombies = append(d.zombies[:i], d.zombies[i+1:]...)
				break
			}
		}
	}
	_ = t.r.Close()
	if t.listed {
		d.pendingDeletes = append(d.pendingDeletes, t)
		return
	}
	d.removeTable(t)
}

func (d *DB) removeTable(t *table) {
	// A failed removal leaves an orphan that the next Open deletes.
	if err := d.fs.Remove(t.r.Name()); err == nil {
		d.stats.TablesDeleted++
	}
}

// manifestState is the manifest for the current in-memory state with the
// given table list.
func (d *DB) manifestState(tables []*table, flushedSeq, logNum uint64) *manifest {
	m := &manifest{nextFileNum: d.nextFileNum, flushedSeq: flushedSeq, logNum: logNum}
	for _, t := range tables {
		m.tables = append(m.tables, t.meta)
	}
	return m
}

// oldestLiveLog is the first log segment still needed once the given
// number of immutable memtables (the oldest) have been flushed.
func (d *DB) oldestLiveLog(flushed int) uint64 {
	if flushed < len(d.imm) {
		return d.imm[flushed].logNum
	}
	return d.memLog
}

// dropObsoleteLogs closes and removes segments older than logNum.
func (d *DB) dropObsoleteLogs(logNum uint64) {
	i := 0
	for i < len(d.logs)-1 && d.logs[i].num < logNum {
		s := d.logs[i]
		if s.w != nil {
			s.w.Discard()
		}
		if err := d.fs.Remove(s.name); err == nil {
			d.stats.WALSegmentsRemoved++
		}
		i++
	}
	d.logs = append(d.logs[:0], d.logs[i:]...)
}

func (d *DB) totalTableBytes() uint64 {
	var n uint64
	for _, t := range d.tables {
		n += t.meta.size
	}
	return n
}
