package fifo

// minReclaim is the consumed prefix below which Pop does not reclaim: a
// short queue that rarely drains would otherwise copy on most pops.
const minReclaim = 1024

// Queue is a FIFO of T. The zero value is an empty queue ready to use.
// Vacated slots are zeroed, so a popped or dropped item that holds
// pointers does not keep their targets alive.
type Queue[T any] struct {
	items []T // items[head:] are pending, oldest first
	head  int
}

// Len is the number of pending items.
func (q *Queue[T]) Len() int { return len(q.items) - q.head }

// Cap is how many items the backing slice holds room for: the memory the
// queue keeps, which follows the pending items rather than all ever pushed.
func (q *Queue[T]) Cap() int { return cap(q.items) }

// Push appends v at the back.
func (q *Queue[T]) Push(v T) { q.items = append(q.items, v) }

// Front returns the oldest pending item without removing it; ok is false
// when the queue is empty.
func (q *Queue[T]) Front() (v T, ok bool) {
	if q.head == len(q.items) {
		return v, false
	}
	return q.items[q.head], true
}

// Back returns the newest pending item without removing it; ok is false
// when the queue is empty.
func (q *Queue[T]) Back() (v T, ok bool) {
	if q.head == len(q.items) {
		return v, false
	}
	return q.items[len(q.items)-1], true
}

// Pop removes and returns the oldest pending item; ok is false when the
// queue is empty.
func (q *Queue[T]) Pop() (v T, ok bool) {
	if q.head == len(q.items) {
		return v, false
	}
	var zero T
	v = q.items[q.head]
	q.items[q.head] = zero
	q.head++
	switch {
	case q.head == len(q.items):
		q.items, q.head = q.items[:0], 0
	case q.head >= minReclaim && 2*q.head >= len(q.items):
		// Reclaim the consumed prefix: the copy moves at most as many
		// items as were popped since the last reclaim.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return v, true
}

// Retain keeps, in order, the pending items for which keep returns true
// and drops the rest, reclaiming the consumed prefix as it goes.
func (q *Queue[T]) Retain(keep func(T) bool) {
	kept := q.items[:0]
	for _, v := range q.items[q.head:] {
		if keep(v) {
			kept = append(kept, v)
		}
	}
	clear(q.items[len(kept):])
	q.items, q.head = kept, 0
}
