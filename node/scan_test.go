package node

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node/merkle"
	"dynasim/node/ring"
	"dynasim/wire"
)

// ScanArcs over the engine (memtable and flushed tables) finds exactly
// the keys whose hashes lie in each arc, wrapping arcs included, whatever
// the gaps between the arcs.
func TestScanArcsMatchesAFilter(t *testing.T) {
	cfg := validConfig()
	cfg.Storage.Engine.MemtableSizeBytes = 16 << 10
	fs, err := disk.NewMemFS(disk.DefaultMemFSConfig())
	require.NoError(t, err)
	st, err := OpenStorage(cfg, fs, func() time.Time { return time.Unix(0, 0) })
	require.NoError(t, err)
	defer st.Close()
	rng := rand.New(rand.NewPCG(4, 5))
	type rec struct {
		key  string
		hash uint64
	}
	var all []rec
	for i := range 3000 {
		k := fmt.Sprintf("key-%d", i)
		h := ring.HashKey([]byte(k))
		set := wire.SiblingSet{Siblings: []wire.Sibling{{Dot: wire.Dot{Actor: 1, Counter: uint64(i + 1)}, Value: make([]byte, 50)}}}
		require.NoError(t, st.Put([]byte(k), h, set))
		all = append(all, rec{k, h})
		if i%500 == 0 {
			require.NoError(t, st.Sync())
			for more := true; more; {
				more, err = st.Maintain(1 << 20)
				require.NoError(t, err)
			}
		}
	}
	for trial := range 200 {
		// Random cut points around the ring; take a random subset of the
		// arcs between them, in ring order starting with the wrapping one.
		cuts := make([]uint64, 1+rng.IntN(40))
		for i := range cuts {
			cuts[i] = rng.Uint64()
		}
		slices.Sort(cuts)
		cuts = slices.Compact(cuts)
		var arcs [][2]uint64
		for i := range cuts {
			prev := cuts[(i+len(cuts)-1)%len(cuts)]
			if rng.IntN(3) > 0 {
				arcs = append(arcs, [2]uint64{prev, cuts[i]})
			}
		}
		if len(arcs) > 0 && arcs[0][0] > arcs[0][1] && rng.IntN(2) == 0 {
			arcs = append(arcs[1:], arcs[0]) // the wrapping arc last
		}
		got := make([][]string, len(arcs))
		require.NoError(t, st.ScanArcs(arcs, func(i int, key []byte, h uint64, set []byte) bool {
			require.Equal(t, ring.HashKey(key), h)
			got[i] = append(got[i], string(key))
			return true
		}))
		for i, a := range arcs {
			var want []string
			arc := merkle.Arc{Start: a[0], End: a[1]}
			for _, r := range all {
				if arc.Contains(r.hash) {
					want = append(want, r.key)
				}
			}
			slices.Sort(want)
			g := slices.Clone(got[i])
			slices.Sort(g)
			require.Equal(t, want, g, "trial %d arc %d %+v", trial, i, a)
		}
	}
}
