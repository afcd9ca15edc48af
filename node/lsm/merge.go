package lsm

import "dynasim/node/lsm/base"

// internalIter is what the merging iterator merges: memtable and table
// iterators over internal keys.
type internalIter interface {
	First() bool
	SeekGE(ikey []byte) bool
	Next() bool
	Valid() bool
	Key() []byte
	Value() []byte
	Err() error
}

// mergeHeap is a binary min-heap of positioned iterators ordered by
// internal key. Sequence numbers are unique, so no two iterators are ever
// at equal keys.
type mergeHeap struct {
	its []internalIter
}

func (h *mergeHeap) less(i, j int) bool {
	return base.CompareInternal(h.its[i].Key(), h.its[j].Key()) < 0
}

func (h *mergeHeap) swap(i, j int) { h.its[i], h.its[j] = h.its[j], h.its[i] }

func (h *mergeHeap) down(i int) {
	n := len(h.its)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}

// init builds the heap from the valid iterators among its.
func (h *mergeHeap) init(its []internalIter) {
	h.its = h.its[:0]
	for _, it := range its {
		if it.Valid() {
			h.its = append(h.its, it)
		}
	}
	for i := len(h.its)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *mergeHeap) empty() bool       { return len(h.its) == 0 }
func (h *mergeHeap) top() internalIter { return h.its[0] }

// next advances the top iterator and restores the heap. It returns the
// iterator's error if it failed.
func (h *mergeHeap) next() error {
	it := h.its[0]
	if it.Next() {
		h.down(0)
		return nil
	}
	if err := it.Err(); err != nil {
		return err
	}
	last := len(h.its) - 1
	h.its[0] = h.its[last]
	h.its = h.its[:last]
	if last > 0 {
		h.down(0)
	}
	return nil
}
