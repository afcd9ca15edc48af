package sim

import (
	"fmt"
	"math/bits"
	"time"
)

// Time is virtual time: nanoseconds since the start of a run.
type Time int64

// Duration converts t to a time.Duration since the start of the run.
func (t Time) Duration() time.Duration { return time.Duration(t) }

func (t Time) String() string { return time.Duration(t).String() }

// At converts a duration since the start of the run to a Time.
func At(d time.Duration) Time { return Time(d) }

// Scheduler is a priority queue of events of type E ordered by (time,
// insertion sequence). Events are stored in a slab and the queues order
// small fixed-size keys, so sifting never copies an event; the slab recycles
// slots so a steady-state run does not allocate.
//
// The keys wait in FIFO lanes and a heap. A simulation schedules events in
// streams that are each in time order — messages over links of constant
// latency, a client's timeouts, a node's periodic timers — and streams
// differ in their delays. So a key goes to the lane of its delay's binary
// order of magnitude (see laneOf: one lane per order, no two orders
// sharing one), appended if it is no earlier than the lane's last key, and
// only the rest go through the heap. Every lane is sorted by (time,
// sequence) by construction, so taking the smallest of the lanes' heads
// and the heap's top yields exactly the order a heap alone would.
//
// It is the kernel of the simulator and knows nothing about nodes or
// messages.
type Scheduler[E any] struct {
	now   Time
	seq   uint64
	heap  []heapKey
	lanes [numLanes]lane
	busy  uint64 // bit i: lane i has pending keys
	slab  []E
	free  []uint32
	done  uint64 // events popped so far
}

// numLanes is how many lanes the scheduler keeps beside its heap: one per
// bit length of a non-negative int64 delay (0 through 63), so every binary
// order of magnitude has a lane of its own. Idle lanes cost nothing:
// earliest visits only the lanes whose bit is set in Scheduler.busy.
const numLanes = 64 // at most 64: Scheduler.busy has a bit per lane

// laneOf maps a delay (at - now, never negative) to its lane: lane 0 for a
// zero delay and lane i for a delay in [2^(i-1), 2^i), i.e. bits.Len64 of
// the delay, capped at numLanes-1 (a cap no int64 delay reaches, kept so
// the index provably stays in range). Delays in different binary orders
// never share a lane, so a far-future key cannot divert the keys of a
// nearer stream to the heap.
func laneOf(delay Time) int {
	return min(bits.Len64(uint64(delay)), numLanes-1)
}

// lane is a FIFO of keys in (time, sequence) order: keys[head:] are pending.
//
// It is the same head-index queue as internal/fifo.Queue, kept separate on
// purpose: a lane is the scheduler's hot path, and built on fifo.Queue
// (which zeroes each popped slot and checks emptiness in Front and Back)
// BenchmarkScheduler/kernel took 85.5 ns/op against 79.8 and
// BenchmarkWorld 138.6 against 133.0 (medians of 6 interleaved runs). Keys
// hold no pointers, so nothing here needs zeroing, and earliest reads the
// head of a lane only when its busy bit says it is not empty.
type lane struct {
	keys []heapKey
	head int
}

func (l *lane) pending() int { return len(l.keys) - l.head }

func (l *lane) pop() heapKey {
	k := l.keys[l.head]
	l.head++
	switch {
	case l.head == len(l.keys):
		l.keys, l.head = l.keys[:0], 0
	case l.head >= 1024 && 2*l.head >= len(l.keys):
		// Reclaim the consumed prefix: amortised O(1) per key.
		n := copy(l.keys, l.keys[l.head:])
		l.keys, l.head = l.keys[:n], 0
	}
	return k
}

type heapKey struct {
	at   Time
	seq  uint64
	slot uint32
}

func (a heapKey) less(b heapKey) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// Now is the time of the event being processed (or of the last one).
func (s *Scheduler[E]) Now() Time { return s.now }

// Len is the number of pending events.
func (s *Scheduler[E]) Len() int {
	n := len(s.heap)
	for i := range s.lanes {
		n += s.lanes[i].pending()
	}
	return n
}

// Processed is the number of events popped so far.
func (s *Scheduler[E]) Processed() uint64 { return s.done }

// NextAt is the time of the earliest pending event; ok is false when none is
// pending.
func (s *Scheduler[E]) NextAt() (at Time, ok bool) {
	k, from := s.earliest()
	return k.at, from != noKey
}

// earliest returns the earliest pending key and where it is: a lane's
// index, heapTop, or noKey.
func (s *Scheduler[E]) earliest() (heapKey, int) {
	var best heapKey
	from := noKey
	if len(s.heap) > 0 {
		best, from = s.heap[0], heapTop
	}
	for m := s.busy; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		l := &s.lanes[i]
		if from == noKey || l.keys[l.head].less(best) {
			best, from = l.keys[l.head], i
		}
	}
	return best, from
}

const (
	noKey   = -1
	heapTop = -2
)

// Schedule adds an event at time at. An event in the past is scheduled now:
// virtual time never goes backwards.
func (s *Scheduler[E]) Schedule(at Time, e E) {
	if at < s.now {
		at = s.now
	}
	var slot uint32
	if n := len(s.free); n > 0 {
		slot = s.free[n-1]
		s.free = s.free[:n-1]
		s.slab[slot] = e
	} else {
		slot = uint32(len(s.slab))
		s.slab = append(s.slab, e)
	}
	s.seq++
	k := heapKey{at: at, seq: s.seq, slot: slot}
	// Streams are told apart by their delay: its binary order of magnitude
	// picks the lane. A key earlier than its lane's last goes to the heap.
	i := laneOf(at - s.now)
	l := &s.lanes[i]
	if l.head == len(l.keys) || l.keys[len(l.keys)-1].at <= at {
		l.keys = append(l.keys, k)
		s.busy |= 1 << i
		return
	}
	s.heap = append(s.heap, k)
	s.up(len(s.heap) - 1)
}

// Pop removes the earliest event, advances Now to its time and returns it.
func (s *Scheduler[E]) Pop() (Time, E, bool) {
	var zero E
	top, from := s.earliest()
	if from == noKey {
		return s.now, zero, false
	}
	slot := s.take(top, from)
	e := s.slab[slot]
	s.release(slot)
	return s.now, e, true
}

// take removes top, the earliest key, from where earliest found it,
// advances Now to its time and returns the event's slot, which stays
// allocated until release.
func (s *Scheduler[E]) take(top heapKey, from int) uint32 {
	if from >= 0 {
		l := &s.lanes[from]
		l.pop()
		if l.head == len(l.keys) {
			s.busy &^= 1 << from
		}
	} else {
		last := len(s.heap) - 1
		s.heap[0] = s.heap[last]
		s.heap = s.heap[:last]
		if last > 0 {
			s.down(0)
		}
	}
	s.now = top.at
	s.done++
	return top.slot
}

func (s *Scheduler[E]) release(slot uint32) {
	var zero E
	s.slab[slot] = zero // drop references for the GC
	s.free = append(s.free, slot)
}

// up and down implement a 4-ary heap: shallower than a binary heap, and the
// four children of a node share a cache line or two.
func (s *Scheduler[E]) up(i int) {
	h := s.heap
	k := h[i]
	for i > 0 {
		p := (i - 1) / 4
		if !k.less(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = k
}

func (s *Scheduler[E]) down(i int) {
	h := s.heap
	n := len(h)
	k := h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		end := c + 4
		if end > n {
			end = n
		}
		for j := c + 1; j < end; j++ {
			if h[j].less(h[m]) {
				m = j
			}
		}
		if !h[m].less(k) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = k
}

// Limit bounds a run. The zero value runs until no event is pending.
type Limit struct {
	// Until stops before the first event later than this time; 0 means no
	// deadline.
	Until Time
	// MaxEvents stops after this many events in this call; 0 means no
	// budget.
	MaxEvents uint64
}

// StopReason says why Run returned.
type StopReason uint8

const (
	// Quiescent: no event is pending.
	Quiescent StopReason = iota + 1
	// Deadline: the next event lies beyond Limit.Until.
	Deadline
	// Budget: Limit.MaxEvents events were processed.
	Budget
	// Stopped: the handler asked to stop.
	Stopped
)

func (r StopReason) String() string {
	switch r {
	case Quiescent:
		return "quiescent"
	case Deadline:
		return "deadline"
	case Budget:
		return "event budget spent"
	case Stopped:
		return "stopped"
	}
	return fmt.Sprintf("StopReason(%d)", uint8(r))
}

// Run pops events in order and hands each to handle until the limit is
// reached. handle returns false to stop the run after that event. When Run
// stops at a deadline, Now advances to the deadline.
func (s *Scheduler[E]) Run(lim Limit, handle func(at Time, e *E) bool) StopReason {
	var count uint64
	for {
		if lim.MaxEvents > 0 && count >= lim.MaxEvents {
			return Budget
		}
		next, from := s.earliest()
		if from == noKey {
			if lim.Until > s.now {
				s.now = lim.Until
			}
			return Quiescent
		}
		if lim.Until > 0 && next.at > lim.Until {
			if lim.Until > s.now {
				s.now = lim.Until
			}
			return Deadline
		}
		// The handler gets a pointer into the slab, saving a copy of the
		// event. The slot is released only after the handler returns, so
		// events it schedules cannot overwrite it; if they grow the slab the
		// pointer still refers to the old array, whose copy is intact.
		slot := s.take(next, from)
		count++
		more := handle(s.now, &s.slab[slot])
		s.release(slot)
		if !more {
			return Stopped
		}
	}
}
