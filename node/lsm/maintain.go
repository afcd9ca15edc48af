package lsm

import "math"

// unlimited is a budget that completes whatever it starts.
const unlimited = math.MaxInt64

// NeedsMaintenance reports whether Maintain has work: a memtable waiting
// for its flush, a compaction running or due, a checkpoint due, or
// (SyncPeriodic) unsynced writes older than SyncInterval.
func (d *DB) NeedsMaintenance() bool {
	if d.closed || d.err != nil {
		return false
	}
	return len(d.imm) > 0 || d.compJob != nil || d.pickCompaction() != nil ||
		d.checkpointDue() || d.opts.Sync == SyncPeriodic && d.syncDue()
}

// Maintain performs up to about budgetBytes of background work — flushes
// first (they free memory), then compaction, then a checkpoint if due — and
// the periodic sync if due. budgetBytes counts key and value bytes
// processed; a job that reaches its end within the budget is also made
// durable and installed, which costs a few syncs. It reports whether work
// remains. The host calls it from a timer between requests; with
// Options.InlineMaintenance the engine calls it itself.
//
// An error leaves the engine consistent and readable: a failed flush keeps
// its memtable (and log) and is retried by the next call; a failed
// compaction keeps its inputs. Only failures that leave the durable state
// unknown stop the engine (see fail).
func (d *DB) Maintain(budgetBytes int64) (more bool, err error) {
	if err := d.writable(); err != nil {
		return false, err
	}
	if budgetBytes <= 0 {
		budgetBytes = 1
	}
	if d.opts.Sync == SyncPeriodic && d.syncDue() {
		if err := d.Sync(); err != nil {
			return false, err
		}
	}
	for budgetBytes > 0 && len(d.imm) > 0 {
		n, err := d.stepFlush(budgetBytes)
		if err != nil {
			return true, err
		}
		budgetBytes -= max(1, n)
	}
	for budgetBytes > 0 {
		n, ran, err := d.stepCompaction(budgetBytes)
		if err != nil {
			if d.QuarantineCorrupt(err) {
				// The job met a corrupt input: it is out of the list now,
				// and compaction goes on with the others.
				budgetBytes -= max(1, n)
				continue
			}
			return true, err
		}
		if !ran {
			break
		}
		budgetBytes -= max(1, n)
	}
	// Checkpoint once compaction has settled (so that tables about to be
	// replaced are not synced), or regardless once twice the log limit is
	// retained.
	if d.checkpointDue() && (d.compJob == nil && d.pickCompaction() == nil ||
		d.retainedLogBytes() >= 2*d.opts.CheckpointLogBytes) {
		if err := d.checkpoint(); err != nil {
			return true, err
		}
	}
	return d.NeedsMaintenance(), nil
}

// Flush makes the current memtable immutable, writes every memtable to
// tables now and checkpoints. Afterwards every write so far is durable and
// in a table.
func (d *DB) Flush() error {
	if err := d.writable(); err != nil {
		return err
	}
	if err := d.rotate(); err != nil {
		return err
	}
	for len(d.imm) > 0 {
		if _, err := d.stepFlush(unlimited); err != nil {
			return err
		}
	}
	if !d.dirty {
		return nil
	}
	return d.checkpoint()
}

// Compact runs compactions until the policy picks none.
func (d *DB) Compact() error {
	if err := d.writable(); err != nil {
		return err
	}
	for {
		_, ran, err := d.stepCompaction(unlimited)
		if err != nil || !ran {
			return err
		}
	}
}

// CompactAll flushes the memtables, merges every table into one (a "major
// compaction"), dropping every shadowed version and every tombstone past
// its grace period, and checkpoints.
func (d *DB) CompactAll() error {
	if err := d.Flush(); err != nil {
		return err
	}
	if d.compJob != nil {
		if _, _, err := d.stepCompaction(unlimited); err != nil {
			return err
		}
	}
	for len(d.tables) > 1 {
		n := min(len(d.tables), HardMaxMergeWidth)
		d.startCompaction(d.tables[len(d.tables)-n:])
		if _, _, err := d.stepCompaction(unlimited); err != nil {
			return err
		}
	}
	if len(d.tables) == 1 && d.tables[0].meta.deletions > 0 {
		d.startCompaction(d.tables)
		if _, _, err := d.stepCompaction(unlimited); err != nil {
			return err
		}
	}
	if !d.dirty {
		return nil
	}
	return d.checkpoint()
}
