package gossip

import (
	"bytes"
	"cmp"
	"slices"

	"dynasim/wire"
)

// compareVersion orders two entries of one member by (Generation,
// Heartbeat).
func compareVersion(a, b *wire.GossipEntry) int {
	if c := cmp.Compare(a.Generation, b.Generation); c != 0 {
		return c
	}
	return cmp.Compare(a.Heartbeat, b.Heartbeat)
}

// compareEntries is a total order on entries of one member: by version,
// then — for two different entries claiming one version, which a correct
// owner never publishes — by their remaining fields, so that merging stays
// a join (commutative, associative, idempotent) on any input.
func compareEntries(a, b *wire.GossipEntry) int {
	if c := compareVersion(a, b); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Status, b.Status); c != 0 {
		return c
	}
	if c := cmp.Compare(a.RingVersion, b.RingVersion); c != 0 {
		return c
	}
	if c := bytes.Compare(a.RingPayload, b.RingPayload); c != 0 {
		return c
	}
	return slices.CompareFunc(a.Suspects, b.Suspects, func(x, y wire.GossipSuspect) int {
		if c := cmp.Compare(x.Member, y.Member); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Generation, y.Generation); c != 0 {
			return c
		}
		return cmp.Compare(x.Heartbeat, y.Heartbeat)
	})
}

func cloneEntry(e wire.GossipEntry) wire.GossipEntry {
	e.RingPayload = bytes.Clone(e.RingPayload)
	e.Suspects = slices.Clone(e.Suspects)
	return e
}

// Merge is the merge rule on whole lists, as a pure function: for every
// member in either list it keeps the greater entry (compareEntries). Both
// inputs must be strictly ascending by member, as on the wire; so is the
// result, which shares no memory with them. It is commutative,
// associative and idempotent, and the result is at least each input,
// member by member. A node applies the same rule entry by entry as
// messages arrive.
func Merge(a, b []wire.GossipEntry) []wire.GossipEntry {
	out := make([]wire.GossipEntry, 0, max(len(a), len(b)))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].Member < b[j].Member):
			out = append(out, cloneEntry(a[i]))
			i++
		case i == len(a) || b[j].Member < a[i].Member:
			out = append(out, cloneEntry(b[j]))
			j++
		default:
			if compareEntries(&a[i], &b[j]) >= 0 {
				out = append(out, cloneEntry(a[i]))
			} else {
				out = append(out, cloneEntry(b[j]))
			}
			i++
			j++
		}
	}
	return out
}
