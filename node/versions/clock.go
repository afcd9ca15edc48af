package versions

import (
	"cmp"
	"slices"

	"dynasim/wire"
)

// Order is how one clock relates to another.
type Order int8

const (
	// Equal: the same history.
	Equal Order = iota
	// Before: the first clock happened before the second (the second
	// descends it).
	Before
	// After: the first clock descends the second.
	After
	// Concurrent: neither descends the other.
	Concurrent
)

func (o Order) String() string {
	return [...]string{"equal", "before", "after", "concurrent"}[o]
}

// Compare relates clock a to clock b. A missing entry counts as 0.
func Compare(a, b wire.Clock) Order {
	aMore, bMore := false, false
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].Actor < b[j].Actor):
			aMore = true
			i++
		case i == len(a) || b[j].Actor < a[i].Actor:
			bMore = true
			j++
		default:
			if a[i].Counter > b[j].Counter {
				aMore = true
			} else if a[i].Counter < b[j].Counter {
				bMore = true
			}
			i++
			j++
		}
		if aMore && bMore {
			return Concurrent
		}
	}
	switch {
	case aMore:
		return After
	case bMore:
		return Before
	}
	return Equal
}

// Descends reports whether a has seen everything b has (a >= b): every
// counter of b is at most a's counter for the same server.
func Descends(a, b wire.Clock) bool {
	o := Compare(a, b)
	return o == Equal || o == After
}

// Dominates reports whether a strictly descends b.
func Dominates(a, b wire.Clock) bool { return Compare(a, b) == After }

// IsConcurrent reports whether neither clock descends the other.
func IsConcurrent(a, b wire.Clock) bool { return Compare(a, b) == Concurrent }

// Counter is c's counter for actor (0 if absent).
func Counter(c wire.Clock, actor wire.ActorID) uint64 {
	if i, ok := find(c, actor); ok {
		return c[i].Counter
	}
	return 0
}

// Covers reports whether c has seen dot d.
func Covers(c wire.Clock, d wire.Dot) bool { return d.Counter <= Counter(c, d.Actor) }

func find(c wire.Clock, actor wire.ActorID) (int, bool) {
	if len(c) <= 8 {
		for i := range c {
			if c[i].Actor >= actor {
				return i, c[i].Actor == actor
			}
		}
		return len(c), false
	}
	return slices.BinarySearchFunc(c, actor, func(e wire.ClockEntry, a wire.ActorID) int { return cmp.Compare(e.Actor, a) })
}

// Merge returns the entrywise maximum of a and b (a new clock). An entry's
// timestamp comes with its larger counter (the later of the two on a tie).
func Merge(a, b wire.Clock) wire.Clock {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := make(wire.Clock, 0, max(len(a), len(b)))
	return mergeInto(out, a, b)
}

// unionLen is the number of distinct actors in a, b and actor: the length
// of Merge(a, b) with an entry for actor set.
func unionLen(a, b wire.Clock, actor wire.ActorID) int {
	n, i, j, seen := 0, 0, 0, false
	for i < len(a) || j < len(b) {
		var x wire.ActorID
		switch {
		case j == len(b) || (i < len(a) && a[i].Actor < b[j].Actor):
			x = a[i].Actor
			i++
		case i == len(a) || b[j].Actor < a[i].Actor:
			x = b[j].Actor
			j++
		default:
			x = a[i].Actor
			i++
			j++
		}
		seen = seen || x == actor
		n++
	}
	if !seen {
		n++
	}
	return n
}

func mergeInto(out, a, b wire.Clock) wire.Clock {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].Actor < b[j].Actor):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].Actor < a[i].Actor:
			out = append(out, b[j])
			j++
		default:
			e := a[i]
			if f := b[j]; f.Counter > e.Counter || (f.Counter == e.Counter && f.TimestampNs > e.TimestampNs) {
				e = f
			}
			out = append(out, e)
			i++
			j++
		}
	}
	return out
}

// Increment returns a copy of c whose entry for actor is one more than
// before (1 if absent), stamped nowNs — the design's rule for the server
// that handles a write.
func Increment(c wire.Clock, actor wire.ActorID, nowNs int64) wire.Clock {
	return setEntry(c, wire.ClockEntry{Actor: actor, Counter: Counter(c, actor) + 1, TimestampNs: nowNs})
}

// setEntry returns a copy of c with e replacing (or inserted as) the entry
// for e.Actor.
func setEntry(c wire.Clock, e wire.ClockEntry) wire.Clock {
	return putEntry(append(make(wire.Clock, 0, len(c)+1), c...), e)
}

// putEntry sets e in c in place: it replaces the entry of e's actor or
// inserts e in actor order, which reallocates only if c is full.
func putEntry(c wire.Clock, e wire.ClockEntry) wire.Clock {
	i, ok := find(c, e.Actor)
	if ok {
		c[i] = e
		return c
	}
	return slices.Insert(c, i, e)
}

// stripTimestamps returns c with every timestamp zeroed (a new clock when
// any was set). Causal contexts of dotted and LWW sets carry no times, so
// their encoding stays small and canonical.
func stripTimestamps(c wire.Clock) wire.Clock {
	for i := range c {
		if c[i].TimestampNs != 0 {
			out := slices.Clone(c)
			for j := range out {
				out[j].TimestampNs = 0
			}
			return out
		}
	}
	return c
}

// checkClock verifies a clock's shape: sorted by strictly increasing actor,
// counters >= 1, within the size limit.
func checkClock(what string, c wire.Clock) error {
	if len(c) > wire.MaxClockEntries {
		return &LimitError{What: what + " entries", Count: len(c), Limit: wire.MaxClockEntries}
	}
	for i := range c {
		if c[i].Counter == 0 {
			return invalid("%s: entry for %v has counter 0", what, c[i].Actor)
		}
		if i > 0 && c[i].Actor <= c[i-1].Actor {
			return invalid("%s: actors not strictly increasing (%v after %v)", what, c[i].Actor, c[i-1].Actor)
		}
	}
	return nil
}
