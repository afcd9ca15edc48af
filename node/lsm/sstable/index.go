package sstable

import (
	"bytes"
	"fmt"

	"dynasim/node/lsm/base"
)

// index is a table's index block decoded once at Open into flat arrays,
// so that a lookup is a binary search with no varint decoding. Entry i
// covers data block i: its key is the block's last internal key.
type index struct {
	keys    []byte   // separator keys, concatenated
	ends    []uint32 // ends[i] is the end of key i in keys
	offsets []uint64 // data block offsets
	lengths []uint64 // data block lengths (without the CRC trailer)
}

// decodeIndex parses and validates an index block against a data region of
// dataEnd bytes: keys strictly increasing, blocks in order, contiguous and
// inside the region.
func decodeIndex(block []byte, dataEnd uint64) (*index, error) {
	var it blockIter
	if err := it.init(block); err != nil {
		return nil, err
	}
	x := &index{}
	next := uint64(0)
	var prev []byte
	for ok := it.first(); ok; ok = it.nextEntry() {
		h, hok := decodeHandle(it.val)
		if !hok {
			return nil, fmt.Errorf("entry %d: bad block handle", len(x.ends))
		}
		if h.Offset != next || h.Length > MaxBlockBytes || h.Offset+h.Length+blockTrailerLen > dataEnd {
			return nil, fmt.Errorf("entry %d: block [%d, +%d) is out of place", len(x.ends), h.Offset, h.Length)
		}
		next = h.Offset + h.Length + blockTrailerLen
		k := it.key
		if prev != nil && base.CompareInternal(prev, k) >= 0 {
			return nil, fmt.Errorf("entry %d: keys out of order", len(x.ends))
		}
		x.keys = append(x.keys, k...)
		x.ends = append(x.ends, uint32(len(x.keys)))
		prev = x.key(len(x.ends) - 1)
		x.offsets = append(x.offsets, h.Offset)
		x.lengths = append(x.lengths, h.Length)
	}
	if it.err != nil {
		return nil, it.err
	}
	if next != dataEnd {
		return nil, fmt.Errorf("blocks end at %d, the data region at %d", next, dataEnd)
	}
	return x, nil
}

func (x *index) len() int { return len(x.ends) }

func (x *index) key(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = x.ends[i-1]
	}
	return x.keys[start:x.ends[i]]
}

func (x *index) handle(i int) Handle { return Handle{x.offsets[i], x.lengths[i]} }

// search returns the first block whose last key is >= ikey (len() if none).
func (x *index) search(ikey []byte) int {
	uk := base.UserKey(ikey)
	tr := base.Trailer(ikey)
	lo, hi := 0, len(x.ends)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		k := x.key(mid)
		c := bytes.Compare(base.UserKey(k), uk)
		if c == 0 {
			// Trailers sort descending.
			if t := base.Trailer(k); t > tr {
				c = -1
			} else if t < tr {
				c = 1
			}
		}
		if c < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
