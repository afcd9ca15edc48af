package replica

// Engine is what the replica needs from a storage engine: point reads and
// writes of byte strings, an explicit sync, and background work driven by
// the host. node/lsm's DB is the production engine (adapted by the node
// package); tests may supply doubles.
//
// Contract:
//   - Put copies key and value; the caller may reuse both afterwards.
//   - A Put is visible to Get at once and durable after the next Sync
//     returns nil (or earlier, at the engine's discretion).
//   - Get returns a value the caller owns (a copy; the replica decodes it
//     in place and keeps slices of it). ok is false when the key is absent.
//   - Maintain does up to about budgetBytes of background work (flushes,
//     compactions) and reports whether more is waiting.
//   - An error from Sync means earlier writes may not be durable.
type Engine interface {
	Get(key []byte) (value []byte, ok bool, err error)
	Put(key, value []byte) error
	Sync() error
	Maintain(budgetBytes int64) (more bool, err error)
	Close() error
}

// SplitSyncer is an Engine that can sync in two steps, its slow half off
// the caller's goroutine (node/lsm's DB, adapted): SyncStart begins a sync
// of every write so far and returns its slow half, nil when nothing needs
// it; the caller runs the half anywhere, then reports back on the engine's
// goroutine with SyncFinish (passing what Run returned), and only then are the writes durable.
type SplitSyncer interface {
	SyncStart() (PendingSync, error)
	SyncFinish(p PendingSync, runErr error) error
}

// PendingSync is the slow half of a begun sync: Run may be called once, on
// any goroutine.
type PendingSync interface {
	Run() error
}

// DataLosing is an Engine that may drop data it held (node/lsm quarantines
// a table that fails its checksum): DataLost counts such losses, so that
// the Store can drop the cached sets the engine may no longer hold.
type DataLosing interface {
	DataLost() uint64
}
