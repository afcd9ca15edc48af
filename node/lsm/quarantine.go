package lsm

import (
	"errors"

	"dynasim/node/lsm/base"
)

// A table that fails a checksum is quarantined: taken out of the live
// table list at once, so that reads and compactions go on with the rest
// instead of failing on it again, and deleted with the next checkpoint
// (the manifest then no longer lists it; a crash before that finds it
// listed, and it is met, and quarantined, again). What only it held is
// gone from this replica — read as an older version or as absent — which
// the replica's peers hold: the host is told (Quarantined) so that it can
// pull the table's key range back from them (anti-entropy). Corrupt data
// is never returned as data either way.

// QuarantineAfter is how many corrupt reads of a table in a row (with no
// good read of it between) quarantine it. A checksum failure may come
// from the read rather than the file (a flipped bit on the way): one
// failure is retried, and only a table that keeps failing is taken out,
// so that a flaky read never costs a replica good data.
const QuarantineAfter = 3

// QuarantineCorrupt counts a corrupt read of the live table that err (a
// corruption error, errors.As *base.CorruptionError) names, quarantines
// the table once QuarantineAfter such reads came in a row, and reports
// whether it did. A caller that met the error through an iterator or a
// job calls it, so that a damaged table cannot fail every later attempt.
func (d *DB) QuarantineCorrupt(err error) bool {
	var ce *base.CorruptionError
	if d.closed || !errors.As(err, &ce) {
		return false
	}
	for i, t := range d.tables {
		if t.r.Name() != ce.File {
			continue
		}
		t.corruptReads++
		d.stats.CorruptReads++
		if t.corruptReads < QuarantineAfter {
			return false
		}
		if j := d.compJob; j != nil && j.uses(t) {
			d.abortCompaction()
		}
		d.tables = append(d.tables[:i:i], d.tables[i+1:]...)
		d.dirty = true
		d.stats.TablesQuarantined++
		d.stats.LastQuarantine = ce.Error()
		d.quarantined = append(d.quarantined, Quarantine{File: ce.File, Smallest: append([]byte(nil), t.smallestUser...),
			Largest: append([]byte(nil), t.largestUser...), Reason: ce.Reason})
		t.obsolete = true
		d.unref(t) // the table list's reference
		return true
	}
	return false
}

// Quarantine is a table taken out for corruption: its file, the user-key
// range it covered (what the replica may have lost) and why.
type Quarantine struct {
	File              string
	Smallest, Largest []byte
	Reason            string
}

// Quarantined returns the tables quarantined since the last call.
func (d *DB) Quarantined() []Quarantine {
	q := d.quarantined
	d.quarantined = nil
	return q
}

// uses reports whether the job reads t (an input, or an older table its
// tombstone decisions look at).
func (j *compactionJob) uses(t *table) bool {
	for _, x := range j.inputs {
		if x == t {
			return true
		}
	}
	for _, x := range j.older {
		if x == t {
			return true
		}
	}
	return false
}

// QuarantinedTables is how many tables this engine has quarantined.
func (d *DB) QuarantinedTables() uint64 { return d.stats.TablesQuarantined }
