package coord

import "dynasim/wire"

// The network may duplicate a message and deliver the copy much later. A
// duplicated get is harmless, but a duplicated put or delete would be
// executed twice: the copy mints a new version of the old value over a
// newer state, so a value that was overwritten comes back (with
// last-write-wins it even wins, since its timestamp is newer), and a put the
// client saw fail may be applied after all. So the coordinator executes each
// request once: a request is named by its sender and the sender's request
// ID, and IDs grow with every request a sender makes (clients count their
// requests, forwarding nodes use their op IDs, which carry their epoch).
//
// Per sender the coordinator keeps a sliding window (the anti-replay window
// of IPsec, RFC 4303 §3.4.3): the highest ID seen and a bitmap of the
// replayWindowBits IDs below it. An ID above the highest is new; one inside
// the window is new unless its bit is set; one below the window is too old
// to tell and is dropped too — its sender gave up on it long ago (a closed
// loop client has one request out at a time; a forwarding node times out),
// so dropping it costs at most a timeout and never a wrong answer.
//
// Senders are kept in two generations, each of at most
// Config.MaxTrackedSenders/2: when the current one is full it becomes the
// previous one and the old previous one is forgotten; a sender found in the
// previous generation moves to the current one. Memory stays bounded, and
// only a sender silent for a whole generation loses its window.

// replayWindowBits is how far below the highest ID a request may arrive and
// still be told apart from a duplicate.
const replayWindowBits = 256

type replayWindow struct {
	highest uint64
	seen    [replayWindowBits / 64]uint64 // bit i: highest-i was seen
}

// admitID reports whether id is new, and records it.
func (w *replayWindow) admitID(id uint64) bool {
	if id > w.highest {
		w.shift(id - w.highest)
		w.highest = id
		w.seen[0] |= 1
		return true
	}
	back := w.highest - id
	if back >= replayWindowBits {
		return false
	}
	word, bit := back/64, back%64
	if w.seen[word]&(1<<bit) != 0 {
		return false
	}
	w.seen[word] |= 1 << bit
	return true
}

// shift moves the window up by d IDs.
func (w *replayWindow) shift(d uint64) {
	if d >= replayWindowBits {
		w.seen = [replayWindowBits / 64]uint64{}
		return
	}
	words, bits := int(d/64), d%64
	for i := len(w.seen) - 1; i >= 0; i-- {
		var v uint64
		if j := i - words; j >= 0 {
			v = w.seen[j] << bits
			if bits > 0 && j > 0 {
				v |= w.seen[j-1] >> (64 - bits)
			}
		}
		w.seen[i] = v
	}
}

type dedupe struct {
	limit         int // per generation
	current, prev map[wire.Addr]*replayWindow
}

func newDedupe(maxSenders int) dedupe {
	return dedupe{limit: max(1, maxSenders/2), current: map[wire.Addr]*replayWindow{}}
}

// fresh reports whether the request (from, id) has not been seen before.
func (d *dedupe) fresh(from wire.Addr, id uint64) bool {
	w, ok := d.current[from]
	if !ok {
		if w, ok = d.prev[from]; ok {
			delete(d.prev, from)
		} else {
			w = &replayWindow{}
		}
		if len(d.current) >= d.limit {
			d.prev, d.current = d.current, make(map[wire.Addr]*replayWindow, d.limit)
		}
		d.current[from] = w
	}
	return w.admitID(id)
}

// firstTime reports whether request reqID of sender from is to be executed:
// false for a duplicate, which is counted and dropped without an answer
// (the first copy answers).
func (c *Coordinator) firstTime(from wire.Addr, reqID uint64) bool {
	if c.seen.fresh(from, reqID) {
		return true
	}
	c.stats.DuplicateRequests++
	return false
}
