package node

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"dynasim/disk"
	"dynasim/node/lsm"
	"dynasim/node/replica"
	"dynasim/node/versions"
)

// engineDirName is the engine's directory under Storage.Dir.
const engineDirName = "engine"

// lsmEngine adapts the storage engine (node/lsm) to replica.Engine.
type lsmEngine struct{ db *lsm.DB }

func (e lsmEngine) Get(key []byte) ([]byte, bool, error) {
	v, err := e.db.Get(key)
	if errors.Is(err, lsm.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

func (e lsmEngine) Put(key, value []byte) error         { return e.db.Put(key, value) }
func (e lsmEngine) Delete(key []byte) error             { return e.db.Delete(key) }
func (e lsmEngine) Sync() error                         { return e.db.Sync() }
func (e lsmEngine) Maintain(budget int64) (bool, error) { return e.db.Maintain(budget) }

// DataLost makes lsmEngine a replica.DataLosing: the tables quarantined.
func (e lsmEngine) DataLost() uint64 { return e.db.QuarantinedTables() }

// SyncStart and SyncFinish make lsmEngine a replica.SplitSyncer.
func (e lsmEngine) SyncStart() (replica.PendingSync, error) {
	p, err := e.db.SyncStart()
	if p == nil || err != nil {
		return nil, err // a nil *PendingSync must not become a non-nil interface
	}
	return p, nil
}

func (e lsmEngine) SyncFinish(p replica.PendingSync, runErr error) error {
	ps, ok := p.(*lsm.PendingSync)
	if !ok {
		return fmt.Errorf("node: a pending sync of another engine kind (%T)", p)
	}
	return e.db.SyncFinish(ps, runErr)
}
func (e lsmEngine) Close() error { return e.db.Close() }

// storageKeyOverhead is what the replica adds to a key to make its storage
// key (namespace byte and ring hash; see package replica).
const storageKeyOverhead = 9

// engineOptions is the engine configuration a node runs with: the node's
// clock, group commit (the node decides when to sync: Storage.SyncDelay),
// and limits that fit the replica's records — storage keys a few bytes
// longer than the longest client key, and sibling sets far larger than one
// client value.
func (c StorageConfig) engineOptions(keyLimit int, now func() time.Time) (lsm.Options, error) {
	o := c.Engine
	if o.Sync != lsm.SyncEveryWrite && o.Sync != lsm.SyncGroupCommit {
		return o, fmt.Errorf("node: Storage.Engine.Sync must be left unset: the node syncs the engine itself (Storage.SyncDelay)")
	}
	o.Sync = lsm.SyncGroupCommit
	o.InlineMaintenance = false
	o.Now = now
	if o.MaxKeySizeBytes == 0 {
		o.MaxKeySizeBytes = keyLimit + storageKeyOverhead
	}
	if o.MaxKeySizeBytes < keyLimit+storageKeyOverhead {
		return o, fmt.Errorf("node: Storage.Engine.MaxKeySizeBytes %d cannot hold the storage key of a %d-byte client key (%d bytes)",
			o.MaxKeySizeBytes, keyLimit, keyLimit+storageKeyOverhead)
	}
	if o.MaxValueSizeBytes == 0 {
		o.MaxValueSizeBytes = lsm.HardMaxValueSizeBytes
	}
	if o.MaxBatchSizeBytes == 0 {
		o.MaxBatchSizeBytes = lsm.HardMaxBatchSizeBytes
	}
	o = o.WithDefaults()
	return o, o.Validate()
}

// OpenStorage opens a node's store on fs as the node would at start,
// without bumping its epoch: for tools and harnesses that inspect the
// durable state of a node that is not running (recovery may rewrite the
// engine's log). The caller closes the store.
func OpenStorage(cfg Config, fs disk.FS, now func() time.Time) (*replica.Store, error) {
	cfg = cfg.WithDefaults()
	v, err := versions.New(cfg.Versions)
	if err != nil {
		return nil, err
	}
	st := &cfg.Storage
	eng, err := st.openEngine(fs, cfg.Coordinator.Limits.KeySizeBytes, now)
	if err != nil {
		return nil, err
	}
	return replica.NewStore(eng, v, 0), nil
}

func (c *StorageConfig) openEngine(fs disk.FS, keyLimit int, now func() time.Time) (lsmEngine, error) {
	opts, err := c.engineOptions(keyLimit, now)
	if err != nil {
		return lsmEngine{}, err
	}
	db, err := lsm.Open(fs, c.Dir+"/"+engineDirName, opts)
	if err != nil {
		return lsmEngine{}, err
	}
	return lsmEngine{db}, nil
}

// ScanSpans implements replica.Ranger with one iterator. A span that
// starts at or after the previous one's end is reached without a seek when
// the iterator already stands at or past its start (the next key after the
// previous span lies beyond this one's start, so nothing in between
// exists); a seek reloads blocks, and ring ranges are many and small.
func (e lsmEngine) ScanSpans(spans [][2][]byte, fn func(span int, key, value []byte) bool) error {
	it, err := e.db.NewIter(lsm.IterOptions{})
	if err != nil {
		return err
	}
	defer it.Close()
	valid, seeked := false, false
	var prevUpper []byte
	for i, sp := range spans {
		forward := seeked && bytes.Compare(sp[0], prevUpper) >= 0
		switch {
		case forward && !valid && it.Err() == nil:
			// The iterator ran off the end: nothing at or after here.
		case forward && valid && bytes.Compare(it.Key(), sp[0]) >= 0:
			// Already at the first key >= sp[0].
		default:
			valid, seeked = it.SeekGE(sp[0]), true
		}
		prevUpper = sp[1]
		for valid && bytes.Compare(it.Key(), sp[1]) < 0 {
			if !fn(i, it.Key(), it.Value()) {
				return it.Close()
			}
			valid = it.Next()
		}
		if it.Err() != nil {
			break
		}
	}
	return it.Close()
}

// Scan implements replica.Ranger with the engine's ordered iterator, not
// filling the block cache (a long scan must not evict what point reads
// use).
func (e lsmEngine) Scan(lower, upper []byte, fn func(key, value []byte) bool) error {
	it, err := e.db.NewIter(lsm.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		if !fn(it.Key(), it.Value()) {
			break
		}
	}
	return it.Close()
}
