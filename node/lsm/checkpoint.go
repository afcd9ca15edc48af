package lsm

// A checkpoint makes the in-memory table list durable: it syncs every table
// not yet synced, writes the manifest (which syncs the directory, making
// the tables' entries durable too), then removes what the new manifest no
// longer needs — log segments whose memtables are in tables, and tables
// that compactions replaced.
//
// Why flushes and compactions do not do this themselves: a table that a
// compaction replaces soon after it was written need never be synced — and
// if it is deleted before the kernel writes it back, it never reaches the
// disk at all. Until the checkpoint, the commit log keeps the flushed
// writes recoverable, so nothing is less durable; the price is log segments
// kept a little longer (bounded by Options.CheckpointLogBytes) and more log
// to replay after a crash.

import "fmt"

// checkpoint makes the current state durable.
func (d *DB) checkpoint() error {
	if len(d.tables) > HardMaxTables {
		// Unreachable while writes stall at 2*MaxTables; refuse rather than
		// write a manifest that Open would reject.
		return fmt.Errorf("lsm: %d live tables is over the limit of %d", len(d.tables), HardMaxTables)
	}
	for _, t := range d.tables {
		if !t.synced {
			if err := t.r.Sync(); err != nil {
				// After a failed fsync the file's state on disk is unknown.
				d.fail(err)
				return d.err
			}
			t.synced = true
			d.stats.TableSyncs++
		}
	}
	logNum := d.oldestLiveLog(0)
	if err := d.writeManifest(d.manifestState(d.tables, d.flushedSeq, logNum)); err != nil {
		return err
	}
	for _, t := range d.tables {
		t.listed = true
	}
	for _, t := range d.zombies {
		t.listed = false // removed when its last reader lets go
	}
	for _, t := range d.pendingDeletes {
		t.listed = false
		d.removeTable(t)
	}
	d.pendingDeletes = nil
	d.dropObsoleteLogs(logNum)
	d.durableSeq = max(d.durableSeq, d.flushedSeq)
	d.dirty = false
	d.stats.Checkpoints++
	return nil
}

// retainedLogBytes is the size of the log segments kept only because no
// checkpoint has made their flushed memtables durable yet.
func (d *DB) retainedLogBytes() int64 {
	live := d.oldestLiveLog(0)
	var n int64
	for _, s := range d.logs {
		if s.num >= live {
			break
		}
		if s.w != nil {
			n += s.w.Size()
		}
	}
	return n
}

// checkpointDue: enough flushed log is retained to be worth a checkpoint.
func (d *DB) checkpointDue() bool {
	return d.dirty && d.retainedLogBytes() >= d.opts.CheckpointLogBytes
}
