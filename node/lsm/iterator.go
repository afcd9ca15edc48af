package lsm

import (
	"bytes"
	"fmt"

	"dynasim/node/lsm/base"
	"dynasim/node/lsm/memtable"
)

// IterOptions bound an iteration.
type IterOptions struct {
	// LowerBound is the first key iterated (inclusive); nil is unbounded.
	LowerBound []byte
	// UpperBound ends the iteration before this key (exclusive); nil is
	// unbounded.
	UpperBound []byte
	// FillCache adds the data blocks read to the block cache. Leave it off
	// for long scans (anti-entropy, streaming) so they do not evict the
	// blocks point reads need.
	FillCache bool
}

// Iterator walks the live keys of a range in ascending order, as of the
// moment it was created (a snapshot): later writes are invisible to it,
// and flushes and compactions do not disturb it (it keeps the memtables
// and table files it reads alive until Close). It must be closed.
type Iterator struct {
	d        *DB
	lower    []byte
	upper    []byte
	tables   []*table
	children []internalIter
	heap     mergeHeap
	key      []byte
	value    []byte
	valid    bool
	err      error
	closed   bool
	seekBuf  []byte
	skipBuf  []byte
}

// memIter adapts a memtable iterator (which cannot fail).
type memIter struct{ *memtable.Iter }

func (memIter) Err() error { return nil }

// NewIter returns an unpositioned iterator; call First or SeekGE.
func (d *DB) NewIter(o IterOptions) (*Iterator, error) {
	if d.closed {
		return nil, ErrClosed
	}
	if o.LowerBound != nil && o.UpperBound != nil && bytes.Compare(o.LowerBound, o.UpperBound) > 0 {
		return nil, fmt.Errorf("lsm: iterator lower bound %q is above upper bound %q", o.LowerBound, o.UpperBound)
	}
	it := &Iterator{d: d}
	if o.LowerBound != nil {
		it.lower = append([]byte{}, o.LowerBound...)
	}
	if o.UpperBound != nil {
		it.upper = append([]byte{}, o.UpperBound...)
	}
	snap := d.lastSeq
	it.children = append(it.children, memIter{d.mem.NewIter(snap)})
	for i := len(d.imm) - 1; i >= 0; i-- {
		it.children = append(it.children, memIter{d.imm[i].mem.NewIter(snap)})
	}
	for _, t := range d.tables {
		if it.upper != nil && bytes.Compare(t.smallestUser, it.upper) >= 0 ||
			it.lower != nil && bytes.Compare(t.largestUser, it.lower) < 0 {
			continue
		}
		t.ref()
		it.tables = append(it.tables, t)
		it.children = append(it.children, t.r.NewIter(o.FillCache, false))
	}
	d.openIters++
	return it, nil
}

// First moves to the first key in range.
func (it *Iterator) First() bool {
	if it.lower != nil {
		return it.SeekGE(it.lower)
	}
	if !it.usable() {
		return false
	}
	for _, c := range it.children {
		c.First()
	}
	return it.settle()
}

// SeekGE moves to the first key >= key (and >= the lower bound).
func (it *Iterator) SeekGE(key []byte) bool {
	if !it.usable() {
		return false
	}
	if it.lower != nil && bytes.Compare(key, it.lower) < 0 {
		key = it.lower
	}
	it.seekBuf = base.SearchKey(it.seekBuf[:0], key, base.MaxSeq)
	for _, c := range it.children {
		c.SeekGE(it.seekBuf)
	}
	return it.settle()
}

func (it *Iterator) usable() bool {
	it.valid = false
	if it.closed || it.d.closed {
		if it.err == nil {
			it.err = ErrClosed
		}
		return false
	}
	return it.err == nil
}

// settle builds the heap after a reposition and finds the first live key.
func (it *Iterator) settle() bool {
	for _, c := range it.children {
		if !c.Valid() && c.Err() != nil {
			it.err = c.Err()
			return false
		}
	}
	it.heap.init(it.children)
	return it.findLive()
}

// Next moves to the next key.
func (it *Iterator) Next() bool {
	if !it.valid || !it.usable() {
		return false
	}
	if !it.skip(it.key) {
		return false
	}
	return it.findLive()
}

// skip advances every child past the user key ukey.
func (it *Iterator) skip(ukey []byte) bool {
	for !it.heap.empty() && bytes.Equal(base.UserKey(it.heap.top().Key()), ukey) {
		if err := it.heap.next(); err != nil {
			it.err = err
			return false
		}
	}
	return true
}

// findLive moves to the newest version of the next user key that is a
// value (not a tombstone), within the upper bound.
func (it *Iterator) findLive() bool {
	for !it.heap.empty() {
		top := it.heap.top()
		k := top.Key()
		uk := base.UserKey(k)
		if it.upper != nil && bytes.Compare(uk, it.upper) >= 0 {
			return false
		}
		if base.KindOf(k) == base.KindSet {
			it.key = append(it.key[:0], uk...)
			it.value = top.Value()
			it.valid = true
			return true
		}
		it.skipBuf = append(it.skipBuf[:0], uk...)
		if !it.skip(it.skipBuf) {
			return false
		}
	}
	return false
}

// Valid reports whether the iterator is at a key.
func (it *Iterator) Valid() bool { return it.valid }

// Key is the current key; valid until the iterator moves.
func (it *Iterator) Key() []byte { return it.key }

// Value is the current value; valid until the iterator moves.
func (it *Iterator) Value() []byte { return it.value }

// Err is the first error met (for example corruption in a table), if any.
func (it *Iterator) Err() error { return it.err }

// Close releases the memtables and tables the iterator holds.
func (it *Iterator) Close() error {
	if it.closed {
		return nil
	}
	it.closed, it.valid = true, false
	for _, t := range it.tables {
		it.d.unref(t)
	}
	it.tables = nil
	it.d.openIters--
	if it.err == ErrClosed {
		return nil
	}
	return it.err
}
