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
}

// ErrNoScan is returned by ScanArc when the engine cannot iterate.
var ErrNoScan = errors.New("replica: the storage engine cannot iterate ranges")

// ScanArc calls fn, in ring order, for every key stored whose ring hash
// lies in the arc (start, end] (wrapping past 2^64-1 when end < start;
// start == end is the whole ring) with its hash and its encoded sibling
// set, until fn returns false. key and set are valid only during the call.
// The row cache is bypassed: the engine holds everything written.
func (s *Store) ScanArc(start, end uint64, fn func(key []byte, hash uint64, set []byte) bool) error {
	r, ok := s.eng.(Ranger)
	if !ok {
		return ErrNoScan
	}
	stop := false
	visit := func(k, v []byte) bool {
		if len(k) < 9 || k[0] != nsData {
			return true
		}
		if !fn(k[9:], binary.BigEndian.Uint64(k[1:9]), v) {
			stop = true
			return false
		}
		return true
	}
	lowerOf := func(h uint64) []byte { return appendDataKey(nil, nil, h) }
	upperAfter := func(h uint64) []byte { // exclusive bound just past hash h
		if h == ^uint64(0) {
			return []byte{nsData + 1}
		}
		return appendDataKey(nil, nil, h+1)
	}
	var spans [][2][]byte
	switch {
	case start == end:
		spans = append(spans, [2][]byte{{nsData}, {nsData + 1}})
	case start < end:
		spans = append(spans, [2][]byte{lowerOf(start + 1), upperAfter(end)})
	default:
		spans = append(spans, [2][]byte{lowerOf(start + 1), {nsData + 1}}, [2][]byte{{nsData}, upperAfter(end)})
	}
	for _, sp := range spans {
		if err := r.Scan(sp[0], sp[1], visit); err != nil {
			return fmt.Errorf("replica: scan: %w", err)
		}
		if stop {
			break
		}
	}
	return nil
}
