package versions

import (
	"cmp"
	"slices"

	"dynasim/wire"
)

// Prune drops a vector clock's oldest entries by Riak's rule (see
// PruneConfig), judging age against nowNs, the pruning server's clock. It
// returns c itself when nothing is dropped, else a new clock.
//
// Pruning is lossy. A dropped entry is history forgotten: a later version
// may no longer descend an earlier one it did descend (a spurious sibling),
// or a concurrent version that lost an entry may now look dominated by the
// other (a lost update). Riak, and the design, accept this to bound clocks.
func Prune(c wire.Clock, nowNs int64, p PruneConfig) wire.Clock {
	p = Config{Prune: p}.WithDefaults().Prune
	if len(c) <= p.SmallVClock {
		return c
	}
	byAge := slices.Clone(c)
	slices.SortFunc(byAge, func(a, b wire.ClockEntry) int {
		if o := cmp.Compare(a.TimestampNs, b.TimestampNs); o != 0 {
			return o
		}
		return cmp.Compare(a.Actor, b.Actor)
	})
	drop := 0
	for len(byAge)-drop > p.SmallVClock {
		age := nowNs - byAge[drop].TimestampNs
		if age < int64(p.YoungVClock) {
			break
		}
		if len(byAge)-drop <= p.BigVClock && age <= int64(p.OldVClock) {
			break
		}
		drop++
	}
	if drop == 0 {
		return c
	}
	kept := byAge[drop:]
	slices.SortFunc(kept, func(a, b wire.ClockEntry) int { return cmp.Compare(a.Actor, b.Actor) })
	return kept
}
