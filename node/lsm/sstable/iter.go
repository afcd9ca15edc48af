package sstable

import "dynasim/node/lsm/base"

// readaheadBytes is how much a sequential iterator reads at once.
const readaheadBytes = 256 << 10

// Iter walks a table in internal-key order. Key and Value are valid until
// the next call that moves the iterator.
type Iter struct {
	r          *Reader
	pos        int // index entry of the current data block
	data       blockIter
	err        error
	fillCache  bool
	sequential bool
	ra         []byte // readahead window (sequential mode)
	blockOff   uint64 // offset of the current data block
	raOff      uint64
}

// NewIter returns an unpositioned iterator. fillCache adds the blocks it
// reads to the block cache; sequential reads the file in large chunks
// bypassing the cache, for compactions that read a whole table once.
func (r *Reader) NewIter(fillCache, sequential bool) *Iter {
	return &Iter{r: r, fillCache: fillCache, sequential: sequential}
}

func (it *Iter) corrupt(off uint64, what string, err error) bool {
	it.err = base.Corruptf(it.r.name, int64(off), "%s: %v", what, err)
	it.data.valid = false
	return false
}

// loadBlock loads data block it.pos.
func (it *Iter) loadBlock() bool {
	h := it.r.index.handle(it.pos)
	var b []byte
	var err error
	if it.sequential {
		b, err = it.readSequential(h)
	} else {
		b, err = it.r.dataBlock(h, it.fillCache)
	}
	if err != nil {
		it.err = err
		it.data.valid = false
		return false
	}
	it.blockOff = h.Offset
	if err := it.data.init(b); err != nil {
		return it.corrupt(h.Offset, "data block", err)
	}
	return true
}

func (it *Iter) readSequential(h Handle) ([]byte, error) {
	r := it.r
	if h.Offset+h.Length+blockTrailerLen > r.dataEnd || h.Length > MaxBlockBytes {
		return nil, base.Corruptf(r.name, int64(h.Offset), "data block handle (%d bytes) outside the data region", h.Length)
	}
	end := h.Offset + h.Length + blockTrailerLen
	if h.Offset < it.raOff || end > it.raOff+uint64(len(it.ra)) {
		n := max(end-h.Offset, min(readaheadBytes, r.dataEnd-h.Offset))
		if uint64(cap(it.ra)) < n {
			it.ra = make([]byte, n)
		}
		it.ra = it.ra[:n]
		if err := r.readAt(it.ra, int64(h.Offset)); err != nil {
			it.ra = it.ra[:0]
			return nil, err
		}
		it.raOff = h.Offset
	}
	s := h.Offset - it.raOff
	b, err := r.checkBlock(it.ra[s:s+h.Length+blockTrailerLen], h)
	if err != nil {
		return nil, err
	}
	r.stats.BlocksRead++
	r.stats.BlockBytesRead += h.Length
	return b, nil
}

// settle moves forward over exhausted blocks until an entry is found.
func (it *Iter) settle() bool {
	for !it.data.valid {
		if it.data.err != nil {
			return it.corrupt(it.blockOff, "data block", it.data.err)
		}
		if it.pos+1 >= it.r.index.len() {
			return false
		}
		it.pos++
		if !it.loadBlock() {
			return false
		}
		it.data.first()
	}
	return true
}

// First moves to the first entry.
func (it *Iter) First() bool {
	if it.err != nil {
		return false
	}
	it.pos = 0
	if it.r.index.len() == 0 {
		it.data.valid = false
		return false
	}
	if !it.loadBlock() {
		return false
	}
	it.data.first()
	return it.settle()
}

// SeekGE moves to the first entry whose internal key is >= ikey.
func (it *Iter) SeekGE(ikey []byte) bool {
	if it.err != nil {
		return false
	}
	it.pos = it.r.index.search(ikey)
	if it.pos == it.r.index.len() {
		it.data.valid = false
		return false
	}
	if !it.loadBlock() {
		return false
	}
	it.data.seekGE(ikey)
	return it.settle()
}

// Next moves to the next entry.
func (it *Iter) Next() bool {
	if it.err != nil || !it.data.valid {
		return false
	}
	it.data.nextEntry()
	return it.settle()
}

// Valid reports whether the iterator is at an entry.
func (it *Iter) Valid() bool { return it.err == nil && it.data.valid }

// Key is the current internal key.
func (it *Iter) Key() []byte { return it.data.key }

// Value is the current value.
func (it *Iter) Value() []byte { return it.data.val }

// Err is the first error met, if any.
func (it *Iter) Err() error { return it.err }
