package sstable

import (
	"encoding/binary"
	"errors"

	"dynasim/node/lsm/base"
)

// errBadBlock is wrapped into a CorruptionError by the caller, which knows
// the file and offset.
var errBadBlock = errors.New("malformed block")

// blockWriter builds one block.
type blockWriter struct {
	buf             []byte
	restarts        []uint32
	restartInterval int
	count           int // entries since the last restart
	entries         int
	lastKey         []byte
}

func (w *blockWriter) reset() {
	w.buf = w.buf[:0]
	w.restarts = w.restarts[:0]
	w.count = 0
	w.entries = 0
	w.lastKey = w.lastKey[:0]
}

func (w *blockWriter) add(key, value []byte) {
	shared := 0
	if w.count == w.restartInterval || w.entries == 0 {
		w.restarts = append(w.restarts, uint32(len(w.buf)))
		w.count = 0
	} else {
		n := min(len(key), len(w.lastKey))
		for shared < n && key[shared] == w.lastKey[shared] {
			shared++
		}
	}
	w.buf = binary.AppendUvarint(w.buf, uint64(shared))
	w.buf = binary.AppendUvarint(w.buf, uint64(len(key)-shared))
	w.buf = binary.AppendUvarint(w.buf, uint64(len(value)))
	w.buf = append(w.buf, key[shared:]...)
	w.buf = append(w.buf, value...)
	w.lastKey = append(w.lastKey[:0], key...)
	w.count++
	w.entries++
}

// estimate is the size the block would have if finished now.
func (w *blockWriter) estimate() int { return len(w.buf) + 4*len(w.restarts) + 4 }

// finish appends the restart array and returns the block contents.
func (w *blockWriter) finish() []byte {
	for _, r := range w.restarts {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, r)
	}
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(w.restarts)))
	return w.buf
}

// blockIter iterates a finished block. Keys are internal keys.
type blockIter struct {
	data        []byte // the whole block
	entriesEnd  int    // where the restart array starts
	numRestarts int
	off         int // offset of the current entry
	next        int // offset of the entry after it
	key         []byte
	val         []byte
	valid       bool
	err         error
}

// init validates the block's restart array and positions nowhere.
func (it *blockIter) init(data []byte) error {
	*it = blockIter{data: data, key: it.key[:0]}
	if len(data) < 4 {
		return errBadBlock
	}
	n := int(binary.LittleEndian.Uint32(data[len(data)-4:]))
	if n < 1 || n > (len(data)-4)/4 {
		return errBadBlock
	}
	it.numRestarts = n
	it.entriesEnd = len(data) - 4 - 4*n
	if it.restart(0) != 0 {
		return errBadBlock
	}
	return nil
}

func (it *blockIter) restart(i int) int {
	return int(binary.LittleEndian.Uint32(it.data[it.entriesEnd+4*i:]))
}

// decodeAt decodes the entry at off into it.key/it.val.
func (it *blockIter) decodeAt(off int) bool {
	if off >= it.entriesEnd {
		it.valid = false
		return false
	}
	p := it.data[off:it.entriesEnd]
	shared, n1 := binary.Uvarint(p)
	if n1 <= 0 {
		return it.fail()
	}
	unshared, n2 := binary.Uvarint(p[n1:])
	if n2 <= 0 {
		return it.fail()
	}
	vlen, n3 := binary.Uvarint(p[n1+n2:])
	if n3 <= 0 {
		return it.fail()
	}
	h := n1 + n2 + n3
	rest := uint64(len(p) - h)
	if shared > uint64(len(it.key)) || unshared > rest || vlen > rest-unshared {
		return it.fail()
	}
	it.key = append(it.key[:shared], p[h:h+int(unshared)]...)
	if len(it.key) < base.TrailerLen {
		return it.fail()
	}
	vs := h + int(unshared)
	it.val = p[vs : vs+int(vlen) : vs+int(vlen)]
	it.off = off
	it.next = off + vs + int(vlen)
	it.valid = true
	return true
}

func (it *blockIter) fail() bool {
	it.valid = false
	it.err = errBadBlock
	return false
}

func (it *blockIter) first() bool {
	it.key = it.key[:0]
	return it.decodeAt(0)
}

func (it *blockIter) nextEntry() bool {
	if !it.valid {
		return false
	}
	return it.decodeAt(it.next)
}

// restartKey returns the full key stored at restart point i (shared is 0
// there), without disturbing the iterator.
func (it *blockIter) restartKey(i int) ([]byte, bool) {
	off := it.restart(i)
	if off >= it.entriesEnd {
		return nil, false
	}
	p := it.data[off:it.entriesEnd]
	shared, n1 := binary.Uvarint(p)
	if n1 <= 0 || shared != 0 {
		return nil, false
	}
	unshared, n2 := binary.Uvarint(p[n1:])
	if n2 <= 0 {
		return nil, false
	}
	_, n3 := binary.Uvarint(p[n1+n2:])
	if n3 <= 0 {
		return nil, false
	}
	h := n1 + n2 + n3
	if unshared > uint64(len(p)-h) || unshared < base.TrailerLen {
		return nil, false
	}
	return p[h : h+int(unshared)], true
}

// seekGE positions at the first entry whose key is >= target.
func (it *blockIter) seekGE(target []byte) bool {
	// Find the last restart point whose key is < target.
	lo, hi := 0, it.numRestarts-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		k, ok := it.restartKey(mid)
		if !ok {
			return it.fail()
		}
		if base.CompareInternal(k, target) < 0 {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	off := it.restart(lo)
	if off > it.entriesEnd {
		return it.fail()
	}
	it.key = it.key[:0]
	for ok := it.decodeAt(off); ok; ok = it.nextEntry() {
		if base.CompareInternal(it.key, target) >= 0 {
			return true
		}
	}
	return false
}
