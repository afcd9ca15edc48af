package network

import (
	"testing"

	"dynasim/internal/dist"
	"dynasim/internal/streams"
	"dynasim/wire"
)

// benchNet has 64 endpoints in 4 datacenters, a cross-datacenter override,
// loss and duplication, and every link already used once, as in a warm
// simulation. pairs is a fixed pseudo-random sequence of links to use.
func benchNet(b *testing.B, fifo bool, bandwidth int64) (*Network, [][2]wire.Addr) {
	cfg := Config{
		Default: LinkConfig{LatencyMs: dist.Spec{Dist: dist.LogNormal, Median: 0.5, Sigma: 0.5}, LossProb: 0.01, DupProb: 0.01, BandwidthBytesPerSec: bandwidth},
		DCPairs: []DCPairConfig{{From: "dc0", To: "dc1", BothWays: true, Link: LinkConfig{
			LatencyMs: dist.Spec{Mixture: []dist.Spec{
				{Weight: 0.99, Dist: dist.Normal, Mean: 40, Stddev: 5},
				{Weight: 0.01, Dist: dist.Pareto, Scale: 50, Shape: 1.5},
			}},
			LossProb: 0.01, BandwidthBytesPerSec: bandwidth,
		}}},
		FIFO: fifo,
	}
	const count = 64
	n, err := New(cfg, streams.New(1).Stream)
	if err != nil {
		b.Fatal(err)
	}
	dcs := []string{"dc0", "dc1", "dc2", "dc3"}
	for a := range wire.Addr(count) {
		if err := n.AddEndpoint(a, dcs[a%4]); err != nil {
			b.Fatal(err)
		}
	}
	if err := n.PartitionDC("p", "dc2", "dc3", false); err != nil {
		b.Fatal(err)
	}
	pairs := make([][2]wire.Addr, 4096)
	r := streams.New(2).Stream("pairs")
	for i := range pairs {
		pairs[i] = [2]wire.Addr{wire.Addr(r.IntN(count)), wire.Addr(r.IntN(count))}
	}
	for from := range wire.Addr(count) {
		for to := range wire.Addr(count) {
			if _, err := n.Transmit(0, from, to, 1, 100); err != nil {
				b.Fatal(err)
			}
		}
	}
	return n, pairs
}

func BenchmarkTransmit(b *testing.B) {
	for _, c := range []struct {
		name      string
		fifo      bool
		bandwidth int64
	}{{"plain", false, 0}, {"fifo+bandwidth", true, 125_000_000}} {
		b.Run(c.name, func(b *testing.B) {
			n, pairs := benchNet(b, c.fifo, c.bandwidth)
			b.ReportAllocs()
			var now int64
			i := 0
			for b.Loop() {
				p := pairs[i&4095]
				i++
				now += 1000
				if _, err := n.Transmit(now, p[0], p[1], wire.Kind(i&7), 512); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkConnected(b *testing.B) {
	n, pairs := benchNet(b, false, 0)
	b.ReportAllocs()
	i, connected := 0, 0
	for b.Loop() {
		p := pairs[i&4095]
		i++
		if n.Connected(p[0], p[1]) {
			connected++
		}
	}
	if connected == 0 {
		b.Fatal("no link connected")
	}
}
