package coord

import (
	"time"

	"dynasim/internal/fifo"
)

// Request timeouts are kept with a ticker rather than one timer per
// request: while requests are in flight the coordinator asks its host for
// a tick every TimeoutTick and expires, at each tick, the requests whose
// deadline has passed. A request admitted between ticks k and k+1 expires
// at tick k+ceil(timeout/TimeoutTick)+1: never before its timeout, and less
// than one tick after it when the tick divides the timeout (the default
// tick does), less than two otherwise. This costs one timer event per tick per busy
// node instead of one per request (about a tenth of a busy simulation's
// events), needs no clock (the node's clock may jump; ticks cannot), and
// stops when the node is idle.
//
// Every request of one kind has the same timeout, so deadlines enter each
// queue in order: a FIFO per timeout suffices. Requests that finish early
// leave their entry behind; it is skipped when it reaches the head, and
// the queue is compacted if such entries pile up.

type deadline struct {
	tick uint64
	id   uint64
}

type expiryQueue struct {
	ticks   uint64 // ticks a request waits: ceil(timeout/tick)+1
	entries fifo.Queue[deadline]
}

func newExpiryQueue(timeout, tick time.Duration) expiryQueue {
	n := uint64((timeout + tick - 1) / tick)
	return expiryQueue{ticks: n + 1}
}

func (q *expiryQueue) push(now uint64, id uint64) {
	q.entries.Push(deadline{tick: now + q.ticks, id: id})
}

func (q *expiryQueue) len() int { return q.entries.Len() }

// due pops the next entry whose deadline is at or before now. A busy
// node's queue never drains; the fifo reclaims its consumed prefix.
func (q *expiryQueue) due(now uint64) (uint64, bool) {
	if d, ok := q.entries.Front(); !ok || d.tick > now {
		return 0, false
	}
	d, _ := q.entries.Pop()
	return d.id, true
}

// compact drops the entries of finished requests once the queue holds more
// than limit entries, keeping it within a small multiple of the live
// requests.
func (q *expiryQueue) compact(live func(id uint64) bool, limit int) {
	if q.len() <= limit {
		return
	}
	q.entries.Retain(func(d deadline) bool { return live(d.id) })
}

// expireAfter schedules op o's timeout: the request timeout, or the
// forward timeout for a forwarded request.
func (c *Coordinator) expireAfter(o *op) {
	q := &c.requestQ
	if o.kind == opProxy {
		q = &c.forwardQ
	}
	q.push(c.ticks, o.id)
	q.compact(func(id uint64) bool { return c.ops[id] != nil }, 2*c.cfg.MaxPending+1024)
	c.armTick()
}

func (c *Coordinator) armTick() {
	if !c.tickArmed && len(c.ops) > 0 {
		c.tickArmed = true
		c.host.SetTick(c.cfg.TimeoutTick)
	}
}

// Tick is the host's answer to Host.SetTick: it expires the requests whose
// deadline has passed, and asks for another tick while any are in flight.
func (c *Coordinator) Tick() {
	c.tickArmed = false
	c.ticks++
	for _, q := range []*expiryQueue{&c.requestQ, &c.forwardQ} {
		for {
			id, ok := q.due(c.ticks)
			if !ok {
				break
			}
			if o := c.ops[id]; o != nil {
				c.expire(o)
			}
		}
	}
	c.armTick()
}
