package network

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/internal/dist"
	"dynasim/wire"
	"math/rand/v2"
)

const sigmas = 5 // tolerance in standard errors

func requireBinomial(t *testing.T, p float64, hits, n int, what string) {
	t.Helper()
	if n == 0 {
		require.Zero(t, hits, what)
		return
	}
	tol := sigmas * math.Sqrt(p*(1-p)/float64(n))
	require.InDelta(t, p, float64(hits)/float64(n), tol, "%s: %d of %d", what, hits, n)
}

func TestLossAndDuplicationRates(t *testing.T) {
	for _, c := range []struct{ loss, dup float64 }{{0.2, 0}, {0, 0.1}, {0.3, 0.25}, {1, 0}, {0, 1}} {
		cfg := Config{Default: LinkConfig{LatencyMs: expMs(1), LossProb: c.loss, DupProb: c.dup}}
		n := newNet(t, cfg, 11, "", "", "")
		const sends = 20000
		var lost, dups int
		for i := range sends {
			a := transmit(t, n, int64(i)*1000, wire.Addr(i%3), wire.Addr((i+1)%3), 1, 100)
			switch a.N {
			case 0:
				lost++
			case 2:
				dups++
			}
		}
		requireBinomial(t, c.loss, lost, sends, "lost")
		// Duplication applies to the messages not lost.
		requireBinomial(t, c.dup, dups, sends-lost, "duplicated")
		s := n.Stats().Total
		require.Equal(t, uint64(lost), s.Lost)
		require.Equal(t, uint64(dups), s.Duplicated)
	}
}

// latencyMeanMs sends sends messages on from->to with no bandwidth limit and
// returns the mean latency of the arrivals in ms.
func latencyMeanMs(t *testing.T, n *Network, from, to wire.Addr, k wire.Kind, sends int) float64 {
	t.Helper()
	var sum float64
	var got int
	for i := range sends {
		now := int64(i) * 1e6
		a := transmit(t, n, now, from, to, k, 10)
		for c := range a.N {
			sum += float64(a.AtNs[c]-now) / 1e6
			got++
		}
	}
	require.Positive(t, got)
	return sum / float64(got)
}

func TestLatencyResolution(t *testing.T) {
	ks := testKinds(t, 2)
	fast, slow := ks[0], ks[1]
	cfg := Config{
		Default: LinkConfig{
			LatencyMs:     expMs(10),
			KindLatencyMs: map[string]dist.Spec{fast.String(): expMs(2)},
		},
		DCPairs: []DCPairConfig{
			{From: "us", To: "eu", Link: LinkConfig{LatencyMs: expMs(50)}},
			{From: "us", To: "ap", BothWays: true, Link: LinkConfig{
				LatencyMs:     expMs(80),
				KindLatencyMs: map[string]dist.Spec{slow.String(): expMs(200)},
			}},
		},
		Links: []LinkOverride{{From: 0, To: 1, Link: LinkConfig{LatencyMs: expMs(30)}}},
	}
	//                      0     1     2     3     4     5
	n := newNet(t, cfg, 5, "us", "us", "eu", "ap", "us", "eu")
	const sends = 8000
	other := wire.Kind(0) // no kind override anywhere
	for _, c := range []struct {
		name     string
		from, to wire.Addr
		kind     wire.Kind
		meanMs   float64
	}{
		{"default", 1, 0, other, 10},
		{"default kind override", 1, 0, fast, 2},
		{"default, kind with no override", 4, 1, slow, 10},
		{"link override beats dc pair and default", 0, 1, other, 30},
		{"link override replaces default's kind latencies", 0, 1, fast, 30},
		{"dc pair us->eu", 0, 2, other, 50},
		{"dc pair us->eu, other endpoints", 4, 5, other, 50},
		{"dc pair replaces default's kind latencies", 0, 2, fast, 50},
		{"dc pair is directional: eu->us is default", 2, 0, other, 10},
		{"dc pair both ways: us->ap", 0, 3, other, 80},
		{"dc pair both ways: ap->us", 3, 4, other, 80},
		{"dc pair's own kind override", 3, 0, slow, 200},
		{"intra-dc eu has no override", 2, 5, other, 10},
	} {
		got := latencyMeanMs(t, n, c.from, c.to, c.kind, sends)
		// An exponential's standard deviation equals its mean.
		require.InDelta(t, c.meanMs, got, sigmas*c.meanMs/math.Sqrt(sends), c.name)
	}
}

func TestLatencyIsClampedToMaxLatency(t *testing.T) {
	cfg := Config{
		Default:      LinkConfig{LatencyMs: dist.Spec{Dist: dist.Pareto, Scale: 1, Shape: 0.5}},
		MaxLatencyMs: 20,
	}
	n := newNet(t, cfg, 3, "", "")
	var clamped int
	for i := range 2000 {
		a := transmit(t, n, 0, 0, 1, 1, 1)
		require.Equal(t, 1, a.N)
		require.LessOrEqual(t, a.AtNs[0], int64(20e6), "send %d", i)
		require.GreaterOrEqual(t, a.AtNs[0], int64(1e6), "pareto scale is the minimum")
		if a.AtNs[0] == 20e6 {
			clamped++
		}
	}
	// P(X > 20) = (1/20)^0.5 = 0.224.
	requireBinomial(t, math.Sqrt(1.0/20), clamped, 2000, "clamped")
}

func TestFIFONeverReordersWithinALink(t *testing.T) {
	lat := dist.Spec{Dist: dist.LogNormal, Median: 10, Sigma: 1}
	run := func(fifo bool, dup float64) (inversions int) {
		cfg := Config{Default: LinkConfig{LatencyMs: lat, DupProb: dup}, FIFO: fifo}
		n := newNet(t, cfg, 9, "", "", "")
		last := map[[2]wire.Addr]int64{}
		for i := range 3000 {
			from, to := wire.Addr(i%3), wire.Addr((i/3)%3)
			a := transmit(t, n, int64(i)*100_000, from, to, 1, 1) // every 0.1 ms
			for c := range a.N {
				k := [2]wire.Addr{from, to}
				if a.AtNs[c] < last[k] {
					inversions++
				}
				last[k] = max(last[k], a.AtNs[c])
			}
		}
		return inversions
	}
	require.Zero(t, run(true, 0))
	require.Zero(t, run(true, 0.3), "duplicates stay in order too")
	require.Greater(t, run(false, 0), 100, "random latency reorders without FIFO")
}

func TestBandwidthSerialisesAndQueues(t *testing.T) {
	// 1000 B/s: one byte takes 1 ms on the wire; the latency after it is 5 ms.
	cfg := Config{Default: LinkConfig{LatencyMs: constMs(5), BandwidthBytesPerSec: 1000}}
	n := newNet(t, cfg, 1, "", "", "")
	ms := int64(1e6)
	// Three back-to-back 100-byte messages queue behind each other.
	for i := range int64(3) {
		a := transmit(t, n, 0, 0, 1, 1, 100)
		require.Equal(t, (i+1)*100*ms+5*ms, a.AtNs[0])
	}
	// Another link has its own queue.
	require.Equal(t, 100*ms+5*ms, transmit(t, n, 0, 0, 2, 1, 100).AtNs[0])
	require.Equal(t, 100*ms+5*ms, transmit(t, n, 0, 1, 0, 1, 100).AtNs[0])
	// Sent while the link is still busy (until 300 ms): waits.
	require.Equal(t, 300*ms+10*ms+5*ms, transmit(t, n, 250*ms, 0, 1, 1, 10).AtNs[0])
	// Sent after the link went idle: no wait.
	require.Equal(t, 1000*ms+50*ms+5*ms, transmit(t, n, 1000*ms, 0, 1, 1, 50).AtNs[0])
	// Serialisation rounds up to whole nanoseconds: 1 byte at 3 B/s.
	cfg.Default.BandwidthBytesPerSec = 3
	n3 := newNet(t, cfg, 1, "", "")
	require.Equal(t, int64(333_333_334)+5*ms, transmit(t, n3, 0, 0, 1, 1, 1).AtNs[0])
	// An empty message takes no wire time.
	require.Equal(t, 5*ms, transmit(t, newNet(t, cfg, 1, "", ""), 0, 0, 1, 1, 0).AtNs[0])
}

func TestLostMessagesUseBandwidthCutOnesDoNot(t *testing.T) {
	cfg := Config{Default: LinkConfig{LatencyMs: constMs(5), BandwidthBytesPerSec: 1000, LossProb: 0.5}}
	n := newNet(t, cfg, 2, "", "")
	ms := int64(1e6)
	var delivered int
	for i := range int64(40) {
		a := transmit(t, n, 0, 0, 1, 1, 10)
		if a.N == 1 {
			delivered++
			require.Equal(t, (i+1)*10*ms+5*ms, a.AtNs[0], "message %d queues behind lost ones too", i)
		}
	}
	require.Greater(t, delivered, 5)
	require.Less(t, delivered, 35)

	cfg.Default.LossProb = 0
	n = newNet(t, cfg, 2, "", "")
	require.NoError(t, n.Partition("p", []wire.Addr{0}, []wire.Addr{1}, false))
	for range 3 {
		require.Equal(t, 0, transmit(t, n, 0, 0, 1, 1, 100).N)
	}
	require.NoError(t, n.Heal("p"))
	require.Equal(t, 100*ms+5*ms, transmit(t, n, 0, 0, 1, 1, 100).AtNs[0])
}

// A mixed workload over several links with loss, duplication, random
// latency and FIFO.
func workload(t *testing.T, seed uint64) []Arrivals {
	cfg := Config{
		Default: LinkConfig{
			LatencyMs: dist.Spec{Mixture: []Spec{
				{Weight: 0.9, Dist: dist.LogNormal, Median: 1, Sigma: 0.5},
				{Weight: 0.1, Dist: dist.Pareto, Scale: 5, Shape: 1.2},
			}},
			LossProb: 0.05, DupProb: 0.05, BandwidthBytesPerSec: 1e6,
		},
		FIFO: true,
	}
	n := newNet(t, cfg, seed, "a", "a", "b", "b")
	var out []Arrivals
	for i := range 2000 {
		out = append(out, transmit(t, n, int64(i)*50_000, wire.Addr(i%4), wire.Addr((i*7/3)%4), wire.Kind(i%5), 100+i%900))
	}
	return out
}

// Spec is dist.Spec, shortened for the table above.
type Spec = dist.Spec

func TestSameSeedSameArrivals(t *testing.T) {
	a, b := workload(t, 77), workload(t, 77)
	require.Equal(t, a, b)
	require.NotEqual(t, a, workload(t, 78))
}

func TestAddingEndpointsDoesNotShiftOtherLinks(t *testing.T) {
	cfg := Config{Default: LinkConfig{LatencyMs: expMs(5), LossProb: 0.1, DupProb: 0.1}}
	alone := newNet(t, cfg, 21, "", "")
	busy := newNet(t, cfg, 21, "", "")
	for i := range 300 {
		now := int64(i) * 1e6
		if i == 100 {
			// New endpoints (forcing the tables to grow), new links, traffic on them.
			for a := wire.Addr(2); a < 40; a++ {
				require.NoError(t, busy.AddEndpoint(a, "x"))
			}
		}
		if i > 100 {
			transmit(t, busy, now, 0, wire.Addr(2+i%38), 1, 10)
			transmit(t, busy, now, wire.Addr(2+i%38), 1, 1, 10)
		}
		require.Equal(t, transmit(t, alone, now, 0, 1, 1, 10), transmit(t, busy, now, 0, 1, 1, 10), "send %d", i)
	}
}

// A message cut by a partition draws nothing from the link's stream, so a
// partition does not shift the link's later draws.
func TestCutMessagesDrawNothing(t *testing.T) {
	cfg := Config{Default: LinkConfig{LatencyMs: expMs(5), LossProb: 0.1, DupProb: 0.1}}
	plain := newNet(t, cfg, 4, "", "")
	cut := newNet(t, cfg, 4, "", "")
	require.NoError(t, cut.Isolate("i", 1))
	for range 50 {
		require.Equal(t, Arrivals{}, transmit(t, cut, 0, 0, 1, 1, 10))
	}
	require.NoError(t, cut.Heal("i"))
	for i := range 100 {
		require.Equal(t, transmit(t, plain, int64(i), 0, 1, 1, 10), transmit(t, cut, int64(i), 0, 1, 1, 10))
	}
}

func TestStatsCountExactly(t *testing.T) {
	ks := testKinds(t, 1)
	cfg := Config{Default: LinkConfig{LatencyMs: expMs(1), LossProb: 0.2, DupProb: 0.3}}
	n := newNet(t, cfg, 8, "", "", "")
	require.NoError(t, n.Partition("p", []wire.Addr{0}, []wire.Addr{2}, true))
	kinds := []wire.Kind{7, ks[0], 3}
	want := map[wire.Kind]*Counts{}
	for _, k := range kinds {
		want[k] = &Counts{}
	}
	for i := range 5000 {
		from, to, k, size := wire.Addr(i%3), wire.Addr((i+i/3)%3), kinds[(i/7)%len(kinds)], i%100
		connected := n.Connected(from, to)
		a := transmit(t, n, int64(i), from, to, k, size)
		w := want[k]
		w.Sent++
		w.SentBytes += uint64(size)
		switch {
		case !connected:
			require.Zero(t, a.N)
			w.Cut++
		case a.N == 0:
			w.Lost++
		case a.N == 2:
			w.Duplicated++
		}
	}
	s := n.Stats()
	require.Len(t, s.Kinds, 3)
	var total Counts
	for i, ks := range s.Kinds {
		if i > 0 {
			require.Less(t, s.Kinds[i-1].Kind, ks.Kind, "sorted by kind")
		}
		require.Equal(t, *want[ks.Kind], ks.Counts, ks.Name)
		require.Equal(t, ks.Kind.String(), ks.Name)
		total.add(ks.Counts)
		require.Positive(t, ks.Cut)
		require.Positive(t, ks.Lost)
		require.Positive(t, ks.Duplicated)
	}
	require.Equal(t, total, s.Total)
	require.Equal(t, uint64(5000), s.Total.Sent)
	require.Equal(t, ks[0].String(), s.Kinds[2].Name)
}

func TestTransmitRejectsBadArguments(t *testing.T) {
	n := newNet(t, Config{}, 1, "", "")
	_, err := n.Transmit(0, 0, 5, 1, 10)
	require.EqualError(t, err, "network: transmit 0->5: endpoint 5 has not been added")
	_, err = n.Transmit(0, -1, 1, 1, 10)
	require.EqualError(t, err, "network: transmit -1->1: endpoint -1 has not been added")
	_, err = n.Transmit(0, 0, 1, 1, -1)
	require.EqualError(t, err, "network: transmit 0->1: size -1 bytes outside [0, 4294967296]")
	_, err = n.Transmit(0, 0, 1, 1, MaxTransmitSizeBytes+1)
	require.ErrorContains(t, err, "size 4294967297 bytes outside [0, 4294967296]")
	require.Equal(t, Stats{}, n.Stats(), "rejected sends are not counted")

	bad, err := New(Config{}, func(string) *rand.Rand { return nil })
	require.NoError(t, err)
	require.NoError(t, bad.AddEndpoint(0, ""))
	_, err = bad.Transmit(0, 0, 0, 1, 1)
	require.EqualError(t, err, `network: streams("link/0->0") returned nil`)
}

func TestAddEndpointRejectsBadAddresses(t *testing.T) {
	n := newNet(t, Config{MaxEndpoints: 10}, 1, "us")
	require.EqualError(t, n.AddEndpoint(-1, ""), "network: endpoint address -1 is outside [0, max_endpoints=10)")
	require.EqualError(t, n.AddEndpoint(10, ""), "network: endpoint address 10 is outside [0, max_endpoints=10)")
	require.EqualError(t, n.AddEndpoint(0, "eu"), `network: endpoint 0 already added (datacenter "us")`)
	require.NoError(t, n.AddEndpoint(9, "eu"))
	dc, ok := n.DC(9)
	require.True(t, ok)
	require.Equal(t, "eu", dc)
	_, ok = n.DC(5)
	require.False(t, ok)
	require.False(t, n.Connected(0, 5), "an endpoint not added is not connected")
	require.True(t, n.Connected(0, 9))
}

func TestHotPathDoesNotAllocate(t *testing.T) {
	cfg := Config{Default: LinkConfig{LatencyMs: dist.Spec{Dist: dist.LogNormal, Median: 1, Sigma: 0.5}, LossProb: 0.1, DupProb: 0.1, BandwidthBytesPerSec: 1e9}, FIFO: true}
	n := newNet(t, cfg, 1, "a", "b")
	require.NoError(t, n.Partition("p", []wire.Addr{1}, []wire.Addr{0}, true))
	transmit(t, n, 0, 0, 1, 1, 10) // creates the link
	transmit(t, n, 0, 1, 0, 1, 10)
	var now int64
	require.Zero(t, testing.AllocsPerRun(1000, func() {
		now += 1000
		_, _ = n.Transmit(now, 0, 1, 1, 100)
		_, _ = n.Transmit(now, 1, 0, 1, 100)
	}))
	require.Zero(t, testing.AllocsPerRun(1000, func() { _ = n.Connected(0, 1) }))
}
