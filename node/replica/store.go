package replica

import (
	"dynasim/node/planted"
	"encoding/binary"
	"errors"
	"fmt"

	"dynasim/node/versions"
	"dynasim/wire"
)

// nsData is the namespace byte of data records (see the package comment).
const nsData = 'd'

// dataKeyLen is the storage key length for a user key of n bytes.
func dataKeyLen(n int) int { return 1 + 8 + n }

// appendDataKey appends the storage key of (key, hash) to dst.
func appendDataKey(dst, key []byte, hash uint64) []byte {
	dst = append(dst, nsData)
	dst = binary.BigEndian.AppendUint64(dst, hash)
	return append(dst, key...)
}

// Stats counts what a Store did in this incarnation.
type Stats struct {
	Reads         uint64 // Read calls (local and remote reads, merges)
	Merges        uint64 // Merge calls
	MergeNoChange uint64 // merges that found nothing new (no write)
	Puts          uint64 // sets written to the engine (by Put or Merge)
	BytesWritten  uint64 // encoded set bytes written
	Syncs         uint64 // engine syncs
	SyncErrors    uint64 // failed syncs
	Drops         uint64 // keys dropped (Drop: ranges no longer held)
	// CacheHits and CacheMisses count row-cache lookups (reads that
	// skipped the engine, and reads that went to it).
	CacheHits, CacheMisses uint64
	// CacheBytes is the row cache's current size.
	CacheBytes int64
}

// Store keeps sibling sets in an Engine. It is single-threaded, like the
// node that owns it.
type Store struct {
	eng   Engine
	v     *versions.Versioner
	kbuf  []byte
	vbuf  []byte
	dirty bool
	// splitting: a split sync (SyncStart) is under way; Sync then syncs
	// even when nothing was written since it began, since the writes it
	// covers are not durable yet.
	splitting bool
	// lostSeen is the engine's DataLost count the cache was last cleared
	// at.
	lostSeen    uint64
	lossPending bool       // reads fail until DataLossHandled
	lossy       DataLosing // eng, when it is one
	cache       *rowCache
	stats       Stats
}

// NewStore wraps an open engine. cacheBytes bounds the row cache of decoded
// sets (0 or less: no cache).
func NewStore(eng Engine, v *versions.Versioner, cacheBytes int64) *Store {
	lossy, _ := eng.(DataLosing)
	return &Store{eng: eng, v: v, cache: newRowCache(cacheBytes), lossy: lossy}
}

// Engine is the underlying engine (for statistics and maintenance).
func (s *Store) Engine() Engine { return s.eng }

// Stats returns the counters.
func (s *Store) Stats() Stats {
	st := s.stats
	if s.cache != nil {
		st.CacheHits, st.CacheMisses, st.CacheBytes = s.cache.hits, s.cache.misses, s.cache.bytes
	}
	return st
}

// Dirty reports whether a write has happened since the last successful
// Sync.
func (s *Store) Dirty() bool { return s.dirty }

func (s *Store) dataKey(key []byte, hash uint64) []byte {
	if cap(s.kbuf) < dataKeyLen(len(key)) {
		s.kbuf = make([]byte, 0, dataKeyLen(len(key))+32)
	}
	s.kbuf = appendDataKey(s.kbuf[:0], key, hash)
	return s.kbuf
}

// Read returns the set stored for key (whose ring hash is hash); an empty
// set when nothing is stored. The result does not alias engine memory and
// may be shared with the row cache: treat it as immutable. Stored data
// that fails to decode or check is reported as an error, never returned.
func (s *Store) Read(key []byte, hash uint64) (wire.SiblingSet, error) {
	s.stats.Reads++
	dk := s.dataKey(key, hash)
	s.noteLoss()
	if s.lossPending {
		return wire.SiblingSet{}, ErrDataLost
	}
	if s.cache != nil {
		if set, ok := s.cache.get(dk); ok {
			return set, nil
		}
	}
	raw, ok, err := s.eng.Get(dk)
	if err != nil {
		return wire.SiblingSet{}, fmt.Errorf("replica: read %s: %w", printable(key), err)
	}
	if s.noteLoss(); s.lossPending {
		return wire.SiblingSet{}, ErrDataLost
	}
	if !ok {
		return wire.SiblingSet{}, nil
	}
	set, err := wire.DecodeSiblingSetOwned(raw)
	if err != nil {
		return wire.SiblingSet{}, fmt.Errorf("replica: stored set of %s: %w", printable(key), err)
	}
	if err := s.v.Check(set); err != nil {
		return wire.SiblingSet{}, fmt.Errorf("replica: stored set of %s: %w", printable(key), err)
	}
	if s.cache != nil {
		s.cache.put(dk, set, len(raw))
	}
	return set, nil
}

// Put stores set as the key's whole state, replacing what was stored. The
// coordinator calls it with the result of Versioner.Update over the current
// stored set (or over a merge that includes it), so nothing is lost.
func (s *Store) Put(key []byte, hash uint64, set wire.SiblingSet) error {
	s.vbuf = wire.AppendSiblingSet(s.vbuf[:0], &set)
	dk := s.dataKey(key, hash)
	if err := s.eng.Put(dk, s.vbuf); err != nil {
		if s.cache != nil {
			s.cache.drop(dk) // the engine's state for the key is now unknown
		}
		return fmt.Errorf("replica: write %s: %w", printable(key), err)
	}
	if s.cache != nil {
		s.cache.put(dk, set, len(s.vbuf))
	}
	s.dirty = true
	s.stats.Puts++
	s.stats.BytesWritten += uint64(len(s.vbuf))
	return nil
}

// Merge joins an incoming set (from another node) into the stored one and
// writes the result if it differs. It returns the merged set and whether
// it was written. Errors matching versions.ErrInvalid or
// versions.ErrTooMany mean the incoming set was refused (malformed, or the
// merge would exceed the sibling limit) and nothing was written.
func (s *Store) Merge(key []byte, hash uint64, in wire.SiblingSet) (wire.SiblingSet, bool, error) {
	s.stats.Merges++
	if err := s.v.Check(in); err != nil {
		return wire.SiblingSet{}, false, fmt.Errorf("replica: incoming set for %s: %w", printable(key), err)
	}
	stored, err := s.Read(key, hash)
	if err != nil {
		return wire.SiblingSet{}, false, err
	}
	merged, err := s.v.Merge(stored, in)
	if err != nil {
		return wire.SiblingSet{}, false, fmt.Errorf("replica: merge for %s: %w", printable(key), err)
	}
	if planted.On(planted.DropSibling) && len(merged.Siblings) > 1 {
		merged.Siblings = merged.Siblings[:1]
	}
	if versions.EqualSets(stored, merged) {
		s.stats.MergeNoChange++
		return merged, false, nil
	}
	if err := s.Put(key, hash, merged); err != nil {
		return wire.SiblingSet{}, false, err
	}
	return merged, true, nil
}

// Sync makes every earlier write durable. After an error the writes since
// the last successful Sync may or may not be durable, and Dirty stays true.
func (s *Store) Sync() error {
	if !s.dirty && !s.splitting {
		return nil
	}
	s.stats.Syncs++
	if err := s.eng.Sync(); err != nil {
		s.stats.SyncErrors++
		return fmt.Errorf("replica: sync: %w", err)
	}
	s.dirty = false
	return nil
}

// ErrDataLost is what every read returns once the engine has lost data (a
// table quarantined for corruption) until the owner calls DataLossHandled:
// a set read now may lack versions this replica acknowledged, and a
// coordinator that minted over it could reuse one of its own dots.
var ErrDataLost = errors.New("replica: the storage engine lost data (a table was quarantined); reads wait for the node to take a new epoch")

// noteLoss notices a new loss of the engine's: the cache may hold sets the
// engine no longer has, so it is dropped, and reads fail until the owner
// has dealt with the loss.
func (s *Store) noteLoss() {
	if s.lossy != nil && s.lossy.DataLost() != s.lostSeen {
		s.lostSeen = s.lossy.DataLost()
		s.cache.clear()
		s.lossPending = true
	}
}

// DataLossHandled lets reads go on after a loss (the node has taken a new
// epoch, so it mints under a new actor, and asked its peers for the data).
func (s *Store) DataLossHandled() {
	s.noteLoss()
	s.lossPending = false
}

// CanSplitSync reports whether the engine syncs in two steps (SyncStart).
func (s *Store) CanSplitSync() bool {
	_, ok := s.eng.(SplitSyncer)
	return ok
}

// SyncStart begins a sync of every earlier write whose slow half the caller
// runs elsewhere (see SplitSyncer; the engine must be one): nil when
// nothing needs syncing. Dirty turns false at once — writes from now on
// make it true again — but nothing is durable until SyncFinish. One split
// sync at a time.
func (s *Store) SyncStart() (PendingSync, error) {
	if !s.dirty {
		return nil, nil
	}
	s.stats.Syncs++
	p, err := s.eng.(SplitSyncer).SyncStart()
	if err != nil {
		s.stats.SyncErrors++
		return nil, fmt.Errorf("replica: sync: %w", err)
	}
	s.dirty = false
	if p == nil {
		return nil, nil
	}
	s.splitting = true
	return p, nil
}

// SyncFinish completes the split sync p once its Run returned runErr: nil
// means every write made before SyncStart is durable. After an error those
// writes may not be, and Dirty is true again.
func (s *Store) SyncFinish(p PendingSync, runErr error) error {
	s.splitting = false
	if err := s.eng.(SplitSyncer).SyncFinish(p, runErr); err != nil {
		s.stats.SyncErrors++
		s.dirty = true
		return fmt.Errorf("replica: sync: %w", err)
	}
	return nil
}

// Maintain gives the engine up to budgetBytes of background work.
func (s *Store) Maintain(budgetBytes int64) (bool, error) { return s.eng.Maintain(budgetBytes) }

// Close closes the engine.
func (s *Store) Close() error { return s.eng.Close() }

// Refused reports whether err means the request's data was refused (a bad
// request) rather than the replica failing.
func Refused(err error) bool {
	return errors.Is(err, versions.ErrInvalid) || errors.Is(err, versions.ErrTooMany)
}

// printable quotes a key for an error message, cut to 64 bytes so that
// errors stay within what a message may carry.
func printable(key []byte) string {
	const max = 64
	if len(key) > max {
		return fmt.Sprintf("%q... (%d bytes)", key[:max], len(key))
	}
	return fmt.Sprintf("%q", key)
}
