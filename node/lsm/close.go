package lsm

import "fmt"

// Close abandons any half-done flush or compaction (their partial files
// are removed; the memtables are recovered from the log on the next Open),
// syncs the log (so every write so far is durable), checkpoints, and closes
// every file. Iterators still open become invalid; Close reports them.
func (d *DB) Close() error {
	if d.closed {
		return ErrClosed
	}
	var first error
	keep := func(err error) {
		if first == nil && err != nil {
			first = err
		}
	}
	if d.flushJob != nil {
		d.abortFlush()
	}
	if d.compJob != nil {
		d.abortCompaction()
	}
	if d.err == nil {
		keep(d.Sync())
		if first == nil && d.dirty {
			keep(d.checkpoint())
		}
	} else {
		keep(d.err)
	}
	if d.openIters > 0 {
		keep(fmt.Errorf("lsm: closed with %d iterators still open", d.openIters))
	}
	d.closeFiles()
	d.closed = true
	return first
}

// closeFiles closes every open file handle, ignoring errors (nothing
// written through them is pending: Close synced first).
func (d *DB) closeFiles() {
	for _, s := range d.logs {
		if s.w != nil {
			_ = s.w.Close()
		}
	}
	for _, t := range d.tables {
		_ = t.r.Close()
	}
	for _, t := range d.zombies {
		_ = t.r.Close()
	}
	if d.dirFile != nil {
		_ = d.dirFile.Close()
	}
}
