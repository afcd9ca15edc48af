package replica

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Ranger is an Engine that can iterate a key range in ascending order (a
// snapshot as of the call). The node's engine (node/lsm) is one; the scan
// is what Merkle trees and anti-entropy read ranges of the ring with.
type Ranger interface {
	// Scan calls fn for every live key in [lower, upper) in ascending
	// order until fn returns false. key and value are valid only during
	// the call.
	Scan(lower, upper []byte, fn func(key, value []byte) bool) error
	// ScanSpans is Scan over several disjoint spans ([lower, upper)
	// pairs, in any order) with one iterator; fn gets the span's index.
	ScanSpans(spans [][2][]byte, fn func(span int, key, value []byte) bool) error
}

// ErrNoScan is returned by ScanArc when the engine cannot iterate.
var ErrNoScan = errors.New("replica: the storage engine cannot iterate ranges")

// ScanArc calls fn, in ring order, for every key stored whose ring hash
// lies in the arc (start, end] (wrapping past 2^64-1 when end < start;
// start == end is the whole ring) with its hash and its encoded sibling
// set, until fn returns false. key and set are valid only during the call.
// The row cache is bypassed: the engine holds everything written.
func (s *Store) ScanArc(start, end uint64, fn func(key []byte, hash uint64, set []byte) bool) error {
	return s.ScanArcs([][2]uint64{{start, end}}, func(_ int, key []byte, hash uint64, set []byte) bool { return fn(key, hash, set) })
}

// ScanArcs is ScanArc over several arcs with one engine iterator: fn gets
// the index of the arc a key belongs to. Arcs must not overlap; they are
// visited in the order given, each in ring order.
func (s *Store) ScanArcs(arcs [][2]uint64, fn func(arc int, key []byte, hash uint64, set []byte) bool) error {
	r, ok := s.eng.(Ranger)
	if !ok {
		return ErrNoScan
	}
	lowerOf := func(h uint64) []byte { return appendDataKey(nil, nil, h) }
	upperAfter := func(h uint64) []byte { // exclusive bound just past hash h
		if h == ^uint64(0) {
			return []byte{nsData + 1}
		}
		return appendDataKey(nil, nil, h+1)
	}
	var spans [][2][]byte
	var owner []int
	for i, a := range arcs {
		start, end := a[0], a[1]
		switch {
		case start == end:
			spans = append(spans, [2][]byte{{nsData}, {nsData + 1}})
			owner = append(owner, i)
		case start < end:
			spans = append(spans, [2][]byte{lowerOf(start + 1), upperAfter(end)})
			owner = append(owner, i)
		default:
			spans = append(spans, [2][]byte{lowerOf(start + 1), {nsData + 1}}, [2][]byte{{nsData}, upperAfter(end)})
			owner = append(owner, i, i)
		}
	}
	err := r.ScanSpans(spans, func(sp int, k, v []byte) bool {
		if len(k) < 9 || k[0] != nsData {
			return true
		}
		return fn(owner[sp], k[9:], binary.BigEndian.Uint64(k[1:9]), v)
	})
	if err != nil {
		return fmt.Errorf("replica: scan: %w", err)
	}
	return nil
}

// Deleter is an Engine that can delete a key (node/lsm writes a
// tombstone); Drop needs it.
type Deleter interface {
	Delete(key []byte) error
}

// ErrNoDelete is Drop's error for an engine that cannot delete.
var ErrNoDelete = errors.New("replica: the engine cannot delete keys")

// Drop removes what is stored for key (whose ring hash is hash): for a
// replica that no longer holds the key's range (the cleanup after a ring
// change), not for a client delete, which is a tombstone version.
func (s *Store) Drop(key []byte, hash uint64) error {
	d, ok := s.eng.(Deleter)
	if !ok {
		return ErrNoDelete
	}
	dk := s.dataKey(key, hash)
	if s.cache != nil {
		s.cache.drop(dk)
	}
	if err := d.Delete(dk); err != nil {
		return fmt.Errorf("replica: drop %s: %w", printable(key), err)
	}
	s.dirty = true
	s.stats.Drops++
	return nil
}
