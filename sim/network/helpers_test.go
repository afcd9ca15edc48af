package network

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/internal/dist"
	"dynasim/internal/streams"
	"dynasim/wire"
)

// testKinds returns n of the message kinds wire registers, the highest
// ones, so that they sort after the small unregistered kinds some tests also
// send. The simulated network only needs the kinds' names to exist.
func testKinds(t testing.TB, n int) []wire.Kind {
	t.Helper()
	all := wire.Kinds()
	require.GreaterOrEqual(t, len(all), n, "wire registers too few kinds")
	return all[len(all)-n:]
}

// newNet builds a network seeded with seed and adds the endpoints 0..len-1,
// endpoint i in datacenter dcs[i].
func newNet(t testing.TB, cfg Config, seed uint64, dcs ...string) *Network {
	t.Helper()
	n, err := New(cfg, streams.New(seed).Stream)
	require.NoError(t, err)
	for i, dc := range dcs {
		require.NoError(t, n.AddEndpoint(wire.Addr(i), dc))
	}
	return n
}

func constMs(v float64) dist.Spec { return dist.Spec{Dist: dist.Constant, Value: v} }

func expMs(mean float64) dist.Spec { return dist.Spec{Dist: dist.Exponential, Mean: mean} }

// transmit is Transmit that fails the test on error.
func transmit(t testing.TB, n *Network, nowNs int64, from, to wire.Addr, k wire.Kind, size int) Arrivals {
	t.Helper()
	a, err := n.Transmit(nowNs, from, to, k, size)
	require.NoError(t, err)
	return a
}
