package versions

import (
	"bytes"
	"cmp"
	"slices"

	"dynasim/wire"
)

// compareSibling is the canonical total order of siblings: by dot, then by
// content, so that sets holding the same versions are identical and merge
// choices never depend on argument order.
func compareSibling(a, b *wire.Sibling) int {
	if c := compareDot(a.Dot, b.Dot); c != 0 {
		return c
	}
	if c := compareClock(a.Clock, b.Clock); c != 0 {
		return c
	}
	if a.Tombstone != b.Tombstone {
		if a.Tombstone {
			return 1
		}
		return -1
	}
	if c := cmp.Compare(a.TimestampNs, b.TimestampNs); c != 0 {
		return c
	}
	return bytes.Compare(a.Value, b.Value)
}

func compareDot(a, b wire.Dot) int {
	if c := cmp.Compare(a.Actor, b.Actor); c != 0 {
		return c
	}
	return cmp.Compare(a.Counter, b.Counter)
}

func compareClock(a, b wire.Clock) int {
	for i := range min(len(a), len(b)) {
		x, y := a[i], b[i]
		if c := cmp.Compare(x.Actor, y.Actor); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Counter, y.Counter); c != 0 {
			return c
		}
		if c := cmp.Compare(x.TimestampNs, y.TimestampNs); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func sortSiblings(s []wire.Sibling) {
	slices.SortFunc(s, func(a, b wire.Sibling) int { return compareSibling(&a, &b) })
}

// EqualSets reports whether two sets hold exactly the same versions and
// context. Sets from this package are canonical, so a replica whose set
// equals the merged result of a read needs no repair.
func EqualSets(a, b wire.SiblingSet) bool {
	if compareClock(a.Context, b.Context) != 0 || len(a.Siblings) != len(b.Siblings) {
		return false
	}
	for i := range a.Siblings {
		if compareSibling(&a.Siblings[i], &b.Siblings[i]) != 0 {
			return false
		}
	}
	return true
}

// Values appends the live (non-tombstone) values of s to dst[:0] in the
// set's canonical order and returns it. The values alias s.
func Values(s wire.SiblingSet, dst [][]byte) [][]byte {
	dst = dst[:0]
	for i := range s.Siblings {
		if !s.Siblings[i].Tombstone {
			dst = append(dst, s.Siblings[i].Value)
		}
	}
	return dst
}

// Live is the number of non-tombstone siblings: 0 means a read finds
// nothing (not found), more than 1 means the client sees a conflict.
func Live(s wire.SiblingSet) int {
	n := 0
	for i := range s.Siblings {
		if !s.Siblings[i].Tombstone {
			n++
		}
	}
	return n
}
