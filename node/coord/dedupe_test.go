package coord

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The window against a model that remembers every ID: inside the window
// the answers agree exactly; below it every ID is refused.
func TestReplayWindowMatchesAModel(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0))
		var w replayWindow
		seen := map[uint64]bool{}
		var highest uint64
		for range 2000 {
			var id uint64
			switch rng.IntN(4) {
			case 0: // a new, higher ID, sometimes far ahead
				id = highest + 1 + uint64(rng.IntN(300))
			case 1: // a duplicate of something seen
				id = highest - uint64(rng.IntN(int(min(highest, 400))+1))
			default: // anything near the top
				id = max(1, highest+50) - uint64(rng.IntN(int(min(highest+50, 400))))
			}
			if id == 0 {
				continue
			}
			want := !seen[id] && (id > highest || highest-id < replayWindowBits)
			require.Equal(t, want, w.admitID(id), "seed %d id %d highest %d", seed, id, highest)
			if want {
				seen[id] = true
				highest = max(highest, id)
			}
		}
	}
}

func TestDedupeIsPerSenderAndBounded(t *testing.T) {
	d := newDedupe(4) // two generations of two senders
	require.True(t, d.fresh(1, 7))
	require.True(t, d.fresh(2, 7), "the same ID from another sender is another request")
	require.False(t, d.fresh(1, 7))
	require.True(t, d.fresh(3, 1)) // rotates: {1, 2} become the previous generation
	require.False(t, d.fresh(1, 7), "found in the previous generation")
	require.True(t, d.fresh(4, 1))
	require.True(t, d.fresh(5, 1)) // rotates again: 2 is forgotten
	require.LessOrEqual(t, len(d.current)+len(d.prev), 4)
	require.True(t, d.fresh(2, 7), "a sender silent for a whole generation starts over")
}
