package network

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/wire"
)

// requireCuts checks Connected for every ordered pair of endpoints 0..count-1
// against want: a link is connected unless want says it is cut.
func requireCuts(t *testing.T, n *Network, count int, want func(from, to wire.Addr) bool, state string) {
	t.Helper()
	for x := range wire.Addr(count) {
		for y := range wire.Addr(count) {
			cut := x != y && want(x, y)
			require.Equal(t, !cut, n.Connected(x, y), "%s: link %d->%d", state, x, y)
		}
	}
}

func in(xs ...wire.Addr) func(wire.Addr) bool {
	return func(a wire.Addr) bool { return slices.Contains(xs, a) }
}

func none(wire.Addr, wire.Addr) bool { return false }

func TestSymmetricPartitionCutsBothWays(t *testing.T) {
	n := newNet(t, Config{}, 1, "", "", "", "", "", "")
	requireCuts(t, n, 6, none, "before")
	a, b := in(0, 1), in(2, 3, 4)
	require.NoError(t, n.Partition("p", []wire.Addr{1, 0, 1}, []wire.Addr{4, 2, 3}, false))
	requireCuts(t, n, 6, func(x, y wire.Addr) bool { return a(x) && b(y) || b(x) && a(y) }, "partitioned")
	require.Equal(t, []string{"p"}, n.Partitions())
	require.NoError(t, n.Heal("p"))
	requireCuts(t, n, 6, none, "healed")
	require.Empty(t, n.Partitions())
}

func TestOneWayPartitionCutsOneWay(t *testing.T) {
	n := newNet(t, Config{}, 1, "", "", "", "")
	a, b := in(0), in(2, 3)
	require.NoError(t, n.Partition("p", []wire.Addr{0}, []wire.Addr{2, 3}, true))
	requireCuts(t, n, 4, func(x, y wire.Addr) bool { return a(x) && b(y) }, "one-way")
	require.NoError(t, n.Heal("p"))
	requireCuts(t, n, 4, none, "healed")
}

func TestDCPartitionCoversLaterEndpoints(t *testing.T) {
	for _, oneWay := range []bool{false, true} {
		t.Run(fmt.Sprint("oneWay=", oneWay), func(t *testing.T) {
			dcs := []string{"us", "us", "eu", "eu", "ap"}
			n := newNet(t, Config{}, 1, dcs...)
			dcOf := func(a wire.Addr) string { return dcs[a] }
			want := func(x, y wire.Addr) bool {
				return dcOf(x) == "us" && dcOf(y) == "eu" || !oneWay && dcOf(x) == "eu" && dcOf(y) == "us"
			}
			require.NoError(t, n.PartitionDC("p", "us", "eu", oneWay))
			requireCuts(t, n, len(dcs), want, "partitioned")
			// Endpoints added later join their datacenter's side.
			for _, dc := range []string{"eu", "us", "ap", "us"} {
				dcs = append(dcs, dc)
				require.NoError(t, n.AddEndpoint(wire.Addr(len(dcs)-1), dc))
				requireCuts(t, n, len(dcs), want, "after adding an endpoint to "+dc)
			}
			require.NoError(t, n.Heal("p"))
			requireCuts(t, n, len(dcs), none, "healed")
		})
	}
}

func TestIsolateCutsEveryoneIncludingLaterEndpoints(t *testing.T) {
	n := newNet(t, Config{}, 1, "us", "us", "eu")
	want := func(x, y wire.Addr) bool { return x == 1 || y == 1 }
	require.NoError(t, n.Isolate("i", 1))
	requireCuts(t, n, 3, want, "isolated")
	require.NoError(t, n.AddEndpoint(3, "eu"))
	require.NoError(t, n.AddEndpoint(40, "us")) // grows the tables
	requireCuts(t, n, 4, want, "after adding")
	require.False(t, n.Connected(1, 40))
	require.False(t, n.Connected(40, 1))
	require.True(t, n.Connected(0, 40))
	require.NoError(t, n.Heal("i"))
	requireCuts(t, n, 4, none, "healed")
	require.True(t, n.Connected(1, 40))
}

func TestOverlappingPartitionsHealOneAtATime(t *testing.T) {
	dcs := []string{"us", "us", "eu", "eu", "ap", "ap"}
	n := newNet(t, Config{}, 1, dcs...)
	dcOf := func(a wire.Addr) string { return dcs[a] }
	parts := map[string]func(x, y wire.Addr) bool{
		"sets":   func(x, y wire.Addr) bool { return in(0, 2)(x) && in(3, 4)(y) || in(3, 4)(x) && in(0, 2)(y) },
		"oneway": func(x, y wire.Addr) bool { return in(0, 1)(x) && in(2)(y) },
		"dc": func(x, y wire.Addr) bool {
			return dcOf(x) == "us" && dcOf(y) == "eu" || dcOf(x) == "eu" && dcOf(y) == "us"
		},
		"isolate": func(x, y wire.Addr) bool { return x == 2 || y == 2 },
		"dc-ap":   func(x, y wire.Addr) bool { return dcOf(x) == "ap" && dcOf(y) == "us" },
	}
	require.NoError(t, n.Partition("sets", []wire.Addr{0, 2}, []wire.Addr{3, 4}, false))
	require.NoError(t, n.Partition("oneway", []wire.Addr{0, 1}, []wire.Addr{2}, true))
	require.NoError(t, n.PartitionDC("dc", "us", "eu", false))
	require.NoError(t, n.Isolate("isolate", 2))
	require.NoError(t, n.PartitionDC("dc-ap", "ap", "us", true))
	active := []string{"sets", "oneway", "dc", "isolate", "dc-ap"}
	union := func(x, y wire.Addr) bool {
		for _, name := range active {
			if parts[name](x, y) {
				return true
			}
		}
		return false
	}
	requireCuts(t, n, 6, union, "all active")
	require.Equal(t, active, n.Partitions())
	for _, name := range []string{"dc", "sets", "dc-ap", "isolate"} {
		require.NoError(t, n.Heal(name))
		active = slices.DeleteFunc(active, func(s string) bool { return s == name })
		requireCuts(t, n, 6, union, "healed "+name)
		require.Equal(t, active, n.Partitions())
	}
	require.NotEmpty(t, active)
	n.HealAll()
	requireCuts(t, n, 6, none, "healed all")
	require.Empty(t, n.Partitions())
	require.NoError(t, n.Partition("sets", []wire.Addr{0}, []wire.Addr{1}, false), "a healed name can be reused")
}

func TestTransmitOnCutLinkDropsAndCounts(t *testing.T) {
	n := newNet(t, Config{}, 1, "", "")
	require.NoError(t, n.Partition("p", []wire.Addr{0}, []wire.Addr{1}, true))
	require.Equal(t, Arrivals{}, transmit(t, n, 0, 0, 1, 4, 10))
	require.Equal(t, 1, transmit(t, n, 0, 1, 0, 4, 10).N)
	s := n.Stats()
	require.Equal(t, Counts{Sent: 2, SentBytes: 20, Cut: 1}, s.Total)
}

func TestPartitionRejectsBadInput(t *testing.T) {
	n := newNet(t, Config{MaxPartitions: 2}, 1, "us", "us", "eu")
	require.EqualError(t, n.Partition("", []wire.Addr{0}, []wire.Addr{1}, false), "network: a partition needs a name")
	require.EqualError(t, n.Partition("p", nil, []wire.Addr{1}, false), `network: partition "p": side A is empty`)
	require.EqualError(t, n.Partition("p", []wire.Addr{0}, []wire.Addr{}, false), `network: partition "p": side B is empty`)
	require.EqualError(t, n.Partition("p", []wire.Addr{0}, []wire.Addr{7}, false), `network: partition "p": side B: endpoint 7 has not been added`)
	require.EqualError(t, n.Partition("p", []wire.Addr{0, 1}, []wire.Addr{1, 2}, false), `network: partition "p": endpoint 1 is on both sides`)
	require.EqualError(t, n.PartitionDC("p", "us", "us", false), `network: partition "p": cannot partition datacenter "us" from itself`)
	require.EqualError(t, n.PartitionDC("p", "us", "ue", false), `network: partition "p": datacenter "ue" has no endpoints`)
	require.EqualError(t, n.Isolate("p", 9), `network: partition "p": endpoint 9 has not been added`)
	require.EqualError(t, n.Heal("p"), `network: heal: no active partition "p" (active: [])`)
	requireCuts(t, n, 3, none, "after rejected partitions")

	require.NoError(t, n.Isolate("p", 0))
	require.EqualError(t, n.Isolate("p", 1), `network: partition "p" is already active`)
	require.NoError(t, n.Isolate("q", 1))
	require.EqualError(t, n.Isolate("r", 2), `network: partition "r": 2 partitions are active, the limit (max_partitions) is 2`)
	require.EqualError(t, n.Heal("r"), `network: heal: no active partition "r" (active: ["p" "q"])`)
}

// Growing the tables keeps link state: FIFO clamps, queues and streams carry
// over, as do cut counts.
func TestGrowthKeepsLinkState(t *testing.T) {
	cfg := Config{Default: LinkConfig{LatencyMs: expMs(5), BandwidthBytesPerSec: 1000}, FIFO: true}
	grown := newNet(t, cfg, 6, "", "", "")
	fixed := newNet(t, cfg, 6, "", "", "")
	require.NoError(t, fixed.AddEndpoint(999, "")) // full size from the start
	for _, n := range []*Network{grown, fixed} {
		require.NoError(t, n.Partition("p", []wire.Addr{2}, []wire.Addr{0}, false))
	}
	for i := range 200 {
		if i == 100 {
			require.NoError(t, grown.AddEndpoint(999, ""))
		}
		now := int64(i) * 1e5
		require.Equal(t, transmit(t, fixed, now, 0, 1, 1, 50), transmit(t, grown, now, 0, 1, 1, 50), "send %d", i)
		require.False(t, grown.Connected(2, 0))
		require.False(t, grown.Connected(0, 2))
	}
}
