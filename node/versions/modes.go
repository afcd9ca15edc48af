package versions

import (
	"cmp"

	"dynasim/wire"
)

// ---- vector clocks ----

// vclockUpdate: the new clock is the client's context with the
// coordinator's entry set past every counter of its own it knows (the
// context's and its stored versions'), then pruned. The coordinator's own
// fresh entry is never pruned: it is the youngest (age 0 < YoungVClock).
func (v *Versioner) vclockUpdate(stored wire.SiblingSet, w Write) wire.SiblingSet {
	counter := Counter(w.Context, w.Actor)
	for i := range stored.Siblings {
		counter = max(counter, Counter(stored.Siblings[i].Clock, w.Actor))
	}
	counter++
	clock := setEntry(w.Context, wire.ClockEntry{Actor: w.Actor, Counter: counter, TimestampNs: w.NowNs})
	clock = Prune(clock, w.NowNs, v.cfg.Prune)
	fresh := wire.Sibling{
		Dot:         wire.Dot{Actor: w.Actor, Counter: counter},
		Clock:       clock,
		Value:       w.Value,
		Tombstone:   w.Tombstone,
		TimestampNs: w.NowNs,
	}
	return vclockMerge(stored, wire.SiblingSet{Siblings: []wire.Sibling{fresh}})
}

// vclockMerge keeps the maximal versions of the union: a version is dropped
// when another's clock strictly descends it, and of versions with equal
// clocks (the same event) the first in canonical order is kept.
func vclockMerge(a, b wire.SiblingSet) wire.SiblingSet {
	all := make([]wire.Sibling, 0, len(a.Siblings)+len(b.Siblings))
	all = append(append(all, a.Siblings...), b.Siblings...)
	sortSiblings(all)
	kept := all[:0:0]
	for i := range all {
		survives := true
		for j := range all {
			if i == j {
				continue
			}
			o := Compare(all[j].Clock, all[i].Clock)
			if o == After || (o == Equal && j < i) {
				survives = false
				break
			}
		}
		if survives {
			kept = append(kept, all[i])
		}
	}
	if len(kept) == 0 {
		kept = nil
	}
	return wire.SiblingSet{Siblings: kept}
}

// ---- dotted version vectors ----

// dvvUpdate: discard the stored versions the client's context covers, add
// the new dot (actor, n+1) where n is the highest counter of the actor in
// the stored context or the client's, and join the contexts.
func dvvUpdate(stored wire.SiblingSet, w Write) wire.SiblingSet {
	ctx := stripTimestamps(w.Context)
	counter := max(Counter(stored.Context, w.Actor), Counter(ctx, w.Actor)) + 1
	fresh := wire.Sibling{
		Dot:         wire.Dot{Actor: w.Actor, Counter: counter},
		Value:       w.Value,
		Tombstone:   w.Tombstone,
		TimestampNs: w.NowNs,
	}
	siblings := make([]wire.Sibling, 0, len(stored.Siblings)+1)
	for i := range stored.Siblings {
		if !Covers(ctx, stored.Siblings[i].Dot) {
			siblings = append(siblings, stored.Siblings[i])
		}
	}
	siblings = append(siblings, fresh)
	sortSiblings(siblings)
	context := Merge(stripTimestamps(stored.Context), ctx)
	context = setEntry(context, wire.ClockEntry{Actor: w.Actor, Counter: counter})
	return wire.SiblingSet{Context: context, Siblings: siblings}
}

// dvvMerge joins two dotted sets: a version survives if both sides hold it
// or the side lacking it has not seen its dot (so did not overwrite it).
// Both inputs are sorted by dot, so this is one merge pass.
func dvvMerge(a, b wire.SiblingSet) wire.SiblingSet {
	out := make([]wire.Sibling, 0, max(len(a.Siblings), len(b.Siblings)))
	i, j := 0, 0
	for i < len(a.Siblings) || j < len(b.Siblings) {
		var c int
		switch {
		case j == len(b.Siblings):
			c = -1
		case i == len(a.Siblings):
			c = 1
		default:
			c = compareDot(a.Siblings[i].Dot, b.Siblings[j].Dot)
		}
		switch {
		case c < 0:
			if s := &a.Siblings[i]; !Covers(b.Context, s.Dot) {
				out = append(out, *s)
			}
			i++
		case c > 0:
			if s := &b.Siblings[j]; !Covers(a.Context, s.Dot) {
				out = append(out, *s)
			}
			j++
		default:
			// One event, one version; should the contents differ (a dot
			// reused after lost state) keep the canonical first on both
			// sides so replicas still converge.
			s := &a.Siblings[i]
			if compareSibling(&b.Siblings[j], s) < 0 {
				s = &b.Siblings[j]
			}
			out = append(out, *s)
			i++
			j++
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return wire.SiblingSet{Context: Merge(stripTimestamps(a.Context), stripTimestamps(b.Context)), Siblings: out}
}

// ---- last-write-wins ----

// lwwLess orders versions by (timestamp, actor, counter): the later is
// the winner. Equal keys are the same event; contents break a tie only
// after lost state, to stay deterministic.
func lwwLess(a, b *wire.Sibling) bool {
	if c := cmp.Compare(a.TimestampNs, b.TimestampNs); c != 0 {
		return c < 0
	}
	if c := compareDot(a.Dot, b.Dot); c != 0 {
		return c < 0
	}
	return compareSibling(a, b) > 0
}

// lwwWinner is the version last-write-wins keeps of the union of a and b:
// the greatest by lwwLess, the first met of equal ones (nil if both are
// empty). Update and Merge both choose with it. Well-formed LWW sets hold
// at most one version each (Check), but the choice does not rely on that.
func lwwWinner(a, b []wire.Sibling) *wire.Sibling {
	var win *wire.Sibling
	for i := range a {
		if s := &a[i]; win == nil || lwwLess(win, s) {
			win = s
		}
	}
	for i := range b {
		if s := &b[i]; win == nil || lwwLess(win, s) {
			win = s
		}
	}
	return win
}

// lwwUpdate returns lwwMerge(stored, the new version alone with the
// client's context plus its dot), built in one pass with at most two
// allocations: the context, and the one-version slice unless the stored
// version alone still wins (then stored's is shared).
func lwwUpdate(stored wire.SiblingSet, w Write) wire.SiblingSet {
	counter := max(Counter(stored.Context, w.Actor), Counter(w.Context, w.Actor)) + 1
	fresh := [1]wire.Sibling{{
		Dot:         wire.Dot{Actor: w.Actor, Counter: counter},
		Value:       w.Value,
		Tombstone:   w.Tombstone,
		TimestampNs: w.NowNs,
	}}
	win := lwwWinner(stored.Siblings, fresh[:])
	// The merged context: the entrywise maximum of the stored context and
	// the client's, and the new dot's counter for the actor (it exceeds
	// both of theirs), allocated once at its exact length (unionLen).
	// Timestamps are dropped after the merge rather than before: the same
	// clock, without copying an input that carries them.
	c := mergeInto(make(wire.Clock, 0, unionLen(stored.Context, w.Context, w.Actor)), stored.Context, w.Context)
	c = putEntry(c, wire.ClockEntry{Actor: w.Actor, Counter: counter})
	for i := range c {
		c[i].TimestampNs = 0
	}
	out := wire.SiblingSet{Context: c}
	if len(stored.Siblings) == 1 && win == &stored.Siblings[0] {
		out.Siblings = stored.Siblings // the stored version alone still wins
	} else {
		out.Siblings = []wire.Sibling{*win}
	}
	return out
}

func lwwMerge(a, b wire.SiblingSet) wire.SiblingSet {
	win := lwwWinner(a.Siblings, b.Siblings)
	// Most merges change nothing on one side — a replica's set merged
	// with the newer one a coordinator sends, or with an identical copy
	// on a read — and then that side is the result (sets are immutable, so
	// it can be shared rather than rebuilt).
	if lwwIsMerge(a, b, win) {
		return a
	}
	if lwwIsMerge(b, a, win) {
		return b
	}
	out := wire.SiblingSet{Context: Merge(stripTimestamps(a.Context), stripTimestamps(b.Context))}
	if win != nil {
		out.Siblings = []wire.Sibling{*win}
	}
	return out
}

// lwwIsMerge reports whether x is exactly what lwwMerge of x and y builds
// when win is the winning version: x holds win alone, and x's context is
// timestamp-free and covers y's.
func lwwIsMerge(x, y wire.SiblingSet, win *wire.Sibling) bool {
	if len(x.Siblings) != 1 || &x.Siblings[0] != win || len(x.Context) == 0 {
		return false
	}
	for i := range x.Context {
		if x.Context[i].TimestampNs != 0 {
			return false
		}
	}
	for _, e := range y.Context {
		if i, ok := find(x.Context, e.Actor); !ok || x.Context[i].Counter < e.Counter {
			return false
		}
	}
	return true
}
