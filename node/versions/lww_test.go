package versions

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/wire"
)

func lwwSib(actor wire.ActorID, counter uint64, ts int64, value string) wire.Sibling {
	return wire.Sibling{Dot: wire.Dot{Actor: actor, Counter: counter}, TimestampNs: ts, Value: []byte(value)}
}

// TestLWWWinnerPicksTheLatestOfEveryVersion: the winner is the greatest by
// (timestamp, actor, counter) wherever it sits — in either set, first,
// middle or last among several — and nil when there is none. Update and
// Merge both choose with lwwWinner.
func TestLWWWinnerPicksTheLatestOfEveryVersion(t *testing.T) {
	require.Nil(t, lwwWinner(nil, nil))
	all := []wire.Sibling{
		lwwSib(1, 1, 10, "a"),
		lwwSib(2, 4, 30, "b"), // ties c on time; the greater actor wins
		lwwSib(3, 1, 30, "c"),
		lwwSib(1, 2, 20, "d"),
	}
	const want = "c"
	for split := 0; split <= len(all); split++ {
		for rot := range all {
			vs := append(append([]wire.Sibling{}, all[rot:]...), all[:rot]...)
			a := wire.SiblingSet{Siblings: vs[:split]}
			b := wire.SiblingSet{Siblings: vs[split:]}
			require.Equal(t, want, string(lwwWinner(a.Siblings, b.Siblings).Value), "split %d rot %d", split, rot)
			require.Equal(t, want, string(lwwWinner(b.Siblings, a.Siblings).Value), "split %d rot %d swapped", split, rot)
		}
	}
	// Equal keys are one event: the first met is kept, so the pointer
	// tells which side supplied it.
	x := wire.SiblingSet{Siblings: []wire.Sibling{lwwSib(1, 1, 5, "same")}}
	y := wire.SiblingSet{Siblings: []wire.Sibling{lwwSib(1, 1, 5, "same")}}
	require.Same(t, &x.Siblings[0], lwwWinner(x.Siblings, y.Siblings))
	require.Same(t, &y.Siblings[0], lwwWinner(y.Siblings, x.Siblings))
}

// TestLWWMergeDropsContextTimestamps: a set can pass Check with timestamps
// in its context (Check does not forbid them; such a set may come off the
// wire). Merge must not hand it back as it is, since the sets it builds
// carry timestamp-free contexts.
func TestLWWMergeDropsContextTimestamps(t *testing.T) {
	v := mustVersioner(t, Config{Mode: ModeLWW})
	a := wire.SiblingSet{
		Context:  wire.Clock{{Actor: 1, Counter: 2, TimestampNs: 99}},
		Siblings: []wire.Sibling{lwwSib(1, 2, 5, "x")},
	}
	require.NoError(t, v.Check(a))
	for _, b := range []wire.SiblingSet{{}, {Context: clk(1, 1)}} {
		got, err := v.Merge(a, b)
		require.NoError(t, err)
		require.Equal(t, wire.SiblingSet{Context: clk(1, 2), Siblings: a.Siblings}, got)
		got, err = v.Merge(b, a)
		require.NoError(t, err)
		require.Equal(t, wire.SiblingSet{Context: clk(1, 2), Siblings: a.Siblings}, got)
	}
}

// TestLWWUpdateAllocations: Update allocates the new context once, even
// when it grows past both inputs (no actor in common, the writer new) and
// the client's context carries timestamps, and the one-version slice only
// when the new version wins.
func TestLWWUpdateAllocations(t *testing.T) {
	v := mustVersioner(t, Config{Mode: ModeLWW})
	stored := wire.SiblingSet{Context: clk(1, 3, 3, 1, 5, 2), Siblings: []wire.Sibling{lwwSib(1, 3, 100, "old")}}
	ctx := wire.Clock{{Actor: 2, Counter: 1, TimestampNs: 7}, {Actor: 4, Counter: 6, TimestampNs: 8}, {Actor: 6, Counter: 1, TimestampNs: 9}}
	for _, tc := range []struct {
		name   string
		now    int64
		allocs float64
	}{
		{"new version wins", 200, 2},
		{"stored version wins", 50, 1},
	} {
		w := Write{Actor: 7, Context: ctx, Value: []byte("new"), NowNs: tc.now}
		out, err := v.Update(stored, w)
		require.NoError(t, err)
		require.NoError(t, v.Check(out))
		require.Equal(t, clk(1, 3, 2, 1, 3, 1, 4, 6, 5, 2, 6, 1, 7, 1), out.Context, tc.name)
		got := testing.AllocsPerRun(100, func() {
			if _, err := v.Update(stored, w); err != nil {
				t.Fatal(err)
			}
		})
		require.Equal(t, tc.allocs, got, tc.name)
	}
}

// TestUnionLen: unionLen is the length of the merged clock with the
// actor's entry set, whether the clocks share actors or not and whether
// the actor is in either.
func TestUnionLen(t *testing.T) {
	clocks := []wire.Clock{nil, clk(1, 1), clk(1, 2, 3, 1), clk(2, 1, 4, 4), clk(1, 1, 2, 1, 3, 1, 4, 1)}
	for _, a := range clocks {
		for _, b := range clocks {
			for actor := wire.ActorID(0); actor <= 5; actor++ {
				want := len(setEntry(Merge(a, b), wire.ClockEntry{Actor: actor, Counter: 1}))
				require.Equal(t, want, unionLen(a, b, actor), "%v %v %d", a, b, actor)
			}
		}
	}
}
