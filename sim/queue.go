package sim

// queue is a FIFO of events waiting for a busy or paused endpoint. It reuses
// its backing array once drained, so a steady flow does not allocate.
type queue struct {
	items []event
	head  int
}

func (q *queue) len() int { return len(q.items) - q.head }

func (q *queue) push(e event) { q.items = append(q.items, e) }

func (q *queue) pop() event {
	e := q.items[q.head]
	q.items[q.head] = event{} // drop references for the GC
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	return e
}

func (q *queue) clear() {
	clear(q.items)
	q.items, q.head = q.items[:0], 0
}
