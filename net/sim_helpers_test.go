package net

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/internal/dist"
	"dynasim/internal/streams"
)

// withTestKinds registers n message kinds named simtest_0.. in free slots for
// the duration of the test. The real kinds are registered by the codec's
// files; the simulated network only needs names to exist.
func withTestKinds(t testing.TB, n int) []Kind {
	t.Helper()
	var ks []Kind
	for i := len(kindNames) - 1; i >= 0 && len(ks) < n; i-- {
		if kindNames[i] == "" {
			kindNames[i] = fmt.Sprintf("simtest_%d", len(ks))
			ks = append(ks, Kind(i))
		}
	}
	require.Len(t, ks, n, "no free kind slots")
	t.Cleanup(func() {
		for _, k := range ks {
			kindNames[k] = ""
		}
	})
	return ks
}

// newNet builds a network seeded with seed and adds the endpoints 0..len-1,
// endpoint i in datacenter dcs[i].
func newNet(t testing.TB, cfg SimConfig, seed uint64, dcs ...string) *SimNetwork {
	t.Helper()
	n, err := NewSimNetwork(cfg, streams.New(seed).Stream)
	require.NoError(t, err)
	for i, dc := range dcs {
		require.NoError(t, n.AddEndpoint(Addr(i), dc))
	}
	return n
}

func constMs(v float64) dist.Spec { return dist.Spec{Dist: dist.Constant, Value: v} }

func expMs(mean float64) dist.Spec { return dist.Spec{Dist: dist.Exponential, Mean: mean} }

// transmit is Transmit that fails the test on error.
func transmit(t testing.TB, n *SimNetwork, nowNs int64, from, to Addr, k Kind, size int) Arrivals {
	t.Helper()
	a, err := n.Transmit(nowNs, from, to, k, size)
	require.NoError(t, err)
	return a
}
