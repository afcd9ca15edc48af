package versions

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/net"
)

func lwwSib(actor net.ActorID, counter uint64, ts int64, value string) net.Sibling {
	return net.Sibling{Dot: net.Dot{Actor: actor, Counter: counter}, TimestampNs: ts, Value: []byte(value)}
}

// TestLWWWinnerPicksTheLatestOfEveryVersion: the winner is the greatest by
// (timestamp, actor, counter) wherever it sits — in either set, first,
// middle or last among several — and nil when there is none. Update and
// Merge both choose with lwwWinner.
func TestLWWWinnerPicksTheLatestOfEveryVersion(t *testing.T) {
	require.Nil(t, lwwWinner(net.SiblingSet{}, net.SiblingSet{}))
	all := []net.Sibling{
		lwwSib(1, 1, 10, "a"),
		lwwSib(2, 4, 30, "b"), // ties c on time; the greater actor wins
		lwwSib(3, 1, 30, "c"),
		lwwSib(1, 2, 20, "d"),
	}
	const want = "c"
	for split := 0; split <= len(all); split++ {
		for rot := range all {
			vs := append(append([]net.Sibling{}, all[rot:]...), all[:rot]...)
			a := net.SiblingSet{Siblings: vs[:split]}
			b := net.SiblingSet{Siblings: vs[split:]}
			require.Equal(t, want, string(lwwWinner(a, b).Value), "split %d rot %d", split, rot)
			require.Equal(t, want, string(lwwWinner(b, a).Value), "split %d rot %d swapped", split, rot)
		}
	}
	// Equal keys are one event: the first met is kept, so the pointer
	// tells which side supplied it.
	x := net.SiblingSet{Siblings: []net.Sibling{lwwSib(1, 1, 5, "same")}}
	y := net.SiblingSet{Siblings: []net.Sibling{lwwSib(1, 1, 5, "same")}}
	require.Same(t, &x.Siblings[0], lwwWinner(x, y))
	require.Same(t, &y.Siblings[0], lwwWinner(y, x))
}

// TestLWWMergeDropsContextTimestamps: a set can pass Check with timestamps
// in its context (Check does not forbid them; such a set may come off the
// wire). Merge must not hand it back as it is, since the sets it builds
// carry timestamp-free contexts.
func TestLWWMergeDropsContextTimestamps(t *testing.T) {
	v := mustVersioner(t, Config{Mode: ModeLWW})
	a := net.SiblingSet{
		Context:  net.Clock{{Actor: 1, Counter: 2, TimestampNs: 99}},
		Siblings: []net.Sibling{lwwSib(1, 2, 5, "x")},
	}
	require.NoError(t, v.Check(a))
	for _, b := range []net.SiblingSet{{}, {Context: clk(1, 1)}} {
		got, err := v.Merge(a, b)
		require.NoError(t, err)
		require.Equal(t, net.SiblingSet{Context: clk(1, 2), Siblings: a.Siblings}, got)
		got, err = v.Merge(b, a)
		require.NoError(t, err)
		require.Equal(t, net.SiblingSet{Context: clk(1, 2), Siblings: a.Siblings}, got)
	}
}

// TestLWWUpdateAllocations: Update allocates the new context once (sized
// for the worst case: no actor in common, the writer new, timestamps in
// the client's context) and the one-version slice only when the new
// version wins.
func TestLWWUpdateAllocations(t *testing.T) {
	v := mustVersioner(t, Config{Mode: ModeLWW})
	stored := net.SiblingSet{Context: clk(1, 3, 3, 1, 5, 2), Siblings: []net.Sibling{lwwSib(1, 3, 100, "old")}}
	ctx := net.Clock{{Actor: 2, Counter: 1, TimestampNs: 7}, {Actor: 4, Counter: 6, TimestampNs: 8}, {Actor: 6, Counter: 1, TimestampNs: 9}}
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
