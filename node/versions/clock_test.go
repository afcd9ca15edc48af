package versions

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/wire"
)

// Servers of the design's examples.
const (
	sx wire.ActorID = 1
	sy wire.ActorID = 2
	sz wire.ActorID = 3
	s0 wire.ActorID = 10
	s1 wire.ActorID = 11
)

// clk builds a clock from (actor, counter) pairs, in any order.
func clk(pairs ...uint64) wire.Clock {
	var c wire.Clock
	for i := 0; i < len(pairs); i += 2 {
		c = setEntry(c, wire.ClockEntry{Actor: wire.ActorID(pairs[i]), Counter: pairs[i+1]})
	}
	return c
}

func TestCompareTheDesignsExamples(t *testing.T) {
	// No conflict: D[s0,1][s1,1] is an ancestor of D[s0,1][s1,2].
	x, y := clk(10, 1, 11, 1), clk(10, 1, 11, 2)
	require.Equal(t, Before, Compare(x, y))
	require.Equal(t, After, Compare(y, x))
	require.True(t, Descends(y, x))
	require.False(t, Descends(x, y))
	require.True(t, Dominates(y, x))
	// Conflict: D[s0,1][s1,2] and D[s0,2][s1,1].
	a, b := clk(10, 1, 11, 2), clk(10, 2, 11, 1)
	require.Equal(t, Concurrent, Compare(a, b))
	require.True(t, IsConcurrent(b, a))
	require.Equal(t, clk(10, 2, 11, 2), stripTimestamps(Merge(a, b)))
	// A missing entry counts as zero.
	require.Equal(t, Before, Compare(clk(10, 1), clk(10, 1, 11, 1)))
	require.Equal(t, Concurrent, Compare(clk(10, 2), clk(10, 1, 11, 1)))
	require.Equal(t, Equal, Compare(nil, nil))
	require.Equal(t, Before, Compare(nil, clk(10, 1)))
	require.True(t, Descends(x, x))
	require.False(t, Dominates(x, x))
}

// The design's vector-clock walk-through, with the design's increment rule
// applied by hand: D1[Sx,1] → D2[Sx,2] → D3[Sx,2][Sy,1] and D4[Sx,2][Sz,1]
// in conflict → D5[Sx,3][Sy,1][Sz,1] resolves them.
func TestDesignWalkthroughWithIncrement(t *testing.T) {
	d1 := Increment(nil, sx, 1)
	require.Equal(t, clk(1, 1), stripTimestamps(d1))
	d2 := Increment(d1, sx, 2)
	require.Equal(t, clk(1, 2), stripTimestamps(d2))
	require.Equal(t, After, Compare(d2, d1), "D2 overwrites D1")
	d3 := Increment(d2, sy, 3)
	require.Equal(t, clk(1, 2, 2, 1), stripTimestamps(d3))
	d4 := Increment(d2, sz, 4)
	require.Equal(t, clk(1, 2, 3, 1), stripTimestamps(d4))
	require.Equal(t, Concurrent, Compare(d3, d4), "D3 and D4 conflict")
	d5 := Increment(Merge(d3, d4), sx, 5)
	require.Equal(t, clk(1, 3, 2, 1, 3, 1), stripTimestamps(d5))
	require.True(t, Dominates(d5, d3))
	require.True(t, Dominates(d5, d4))
	// Timestamps record each entry's last increment (used by pruning).
	require.Equal(t, int64(5), d5[0].TimestampNs)
	require.Equal(t, int64(3), d5[1].TimestampNs)
}

func TestMergeKeepsTheTimestampOfTheLargerCounter(t *testing.T) {
	a := wire.Clock{{Actor: 1, Counter: 3, TimestampNs: 30}, {Actor: 2, Counter: 1, TimestampNs: 99}}
	b := wire.Clock{{Actor: 1, Counter: 2, TimestampNs: 50}, {Actor: 3, Counter: 4, TimestampNs: 7}}
	require.Equal(t, wire.Clock{
		{Actor: 1, Counter: 3, TimestampNs: 30},
		{Actor: 2, Counter: 1, TimestampNs: 99},
		{Actor: 3, Counter: 4, TimestampNs: 7},
	}, Merge(a, b))
	require.Equal(t, Merge(a, b), Merge(b, a))
	require.Nil(t, Merge(nil, nil))
}

func TestCountersAndCoverage(t *testing.T) {
	c := clk(1, 3, 5, 1, 9, 2)
	require.Equal(t, uint64(3), Counter(c, 1))
	require.Equal(t, uint64(0), Counter(c, 4))
	require.True(t, Covers(c, wire.Dot{Actor: 1, Counter: 3}))
	require.True(t, Covers(c, wire.Dot{Actor: 1, Counter: 1}))
	require.False(t, Covers(c, wire.Dot{Actor: 1, Counter: 4}))
	require.False(t, Covers(c, wire.Dot{Actor: 2, Counter: 1}))
	// Lookups past the linear-scan size use binary search.
	var big wire.Clock
	for a := uint64(1); a <= 40; a++ {
		big = setEntry(big, wire.ClockEntry{Actor: wire.ActorID(a * 3), Counter: a})
	}
	for a := uint64(1); a <= 40; a++ {
		require.Equal(t, a, Counter(big, wire.ActorID(a*3)))
		require.Equal(t, uint64(0), Counter(big, wire.ActorID(a*3+1)))
	}
	require.NoError(t, checkClock("big", big))
}

func TestPruneFollowsRiaksRule(t *testing.T) {
	const s = int64(1e9)
	p := PruneConfig{SmallVClock: 2, BigVClock: 3, YoungVClock: 10e9, OldVClock: 100e9}
	entry := func(actor uint64, ts int64) wire.ClockEntry {
		return wire.ClockEntry{Actor: wire.ActorID(actor), Counter: 1, TimestampNs: ts}
	}
	now := 1000 * s
	// At most SmallVClock entries: kept whatever their age.
	c := wire.Clock{entry(1, 0), entry(2, 0)}
	require.Equal(t, c, Prune(c, now, p))
	// Oldest entry younger than YoungVClock: kept even if over BigVClock.
	c = wire.Clock{entry(1, now-5*s), entry(2, now-4*s), entry(3, now-3*s), entry(4, now-2*s)}
	require.Equal(t, c, Prune(c, now, p))
	// Over BigVClock with old-enough entries: oldest dropped until Big.
	c = wire.Clock{entry(1, now-50*s), entry(2, now-60*s), entry(3, now-20*s), entry(4, now-1*s)}
	require.Equal(t, wire.Clock{entry(1, now-50*s), entry(3, now-20*s), entry(4, now-1*s)}, Prune(c, now, p))
	// Within BigVClock but older than OldVClock: dropped down to Small.
	c = wire.Clock{entry(1, now-500*s), entry(2, now-200*s), entry(3, now-1*s)}
	require.Equal(t, wire.Clock{entry(2, now-200*s), entry(3, now-1*s)}, Prune(c, now, p))
	// Only the entries older than OldVClock go when that leaves more than Small.
	c = wire.Clock{entry(1, now-500*s), entry(2, now-50*s), entry(3, now-40*s)}
	require.Equal(t, wire.Clock{entry(2, now-50*s), entry(3, now-40*s)}, Prune(c, now, p))
	// Equal timestamps break by actor: of two equally old entries the lower
	// actor goes first.
	c = stripSort(wire.Clock{entry(7, now-500*s), entry(3, now-500*s), entry(5, now-1*s)})
	require.Equal(t, wire.Clock{entry(5, now-1*s), entry(7, now-500*s)},
		Prune(c, now, PruneConfig{SmallVClock: 2, BigVClock: 2, YoungVClock: 1, OldVClock: 1}))
}

// stripSort returns c sorted by actor (test helper for hand-built clocks).
func stripSort(c wire.Clock) wire.Clock {
	var out wire.Clock
	for _, e := range c {
		out = setEntry(out, e)
	}
	return out
}
