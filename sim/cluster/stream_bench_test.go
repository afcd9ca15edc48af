package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/node"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/wire"
)

// BenchmarkJoinStream1M is the performance figure for streaming: a
// five-node cluster (N=3, 256 virtual nodes each) holding 1,000,000 keys of
// 100-byte values (preloaded into each key's replicas), a sixth node joins
// and streams what it gains at the default rate (8 MiB/s), with no client
// load. It reports the virtual time from the join to the settled ring, the
// bytes and keys streamed, and the share of replica placements moved. Run
// with:
//
//	go test ./sim/cluster -run '^$' -bench JoinStream1M -benchtime 1x
func BenchmarkJoinStream1M(b *testing.B) {
	for range b.N {
		keys := 1_000_000
		cfg := joinConfig(1, 5, 1)
		cfg.Node.Ring.VNodes = 256
		cfg.Node.Streaming = node.StreamingConfig{} // the defaults
		c := newCluster(b, cfg)
		v := c.Node(c.Addrs()[0]).Versioner()
		value := make([]byte, 100)
		hashes := make([]uint64, keys)
		for i := range keys {
			k := []byte(fmt.Sprintf("key-%07d", i))
			hashes[i] = ring.HashKey(k)
			set, err := v.Update(wire.SiblingSet{}, versions.Write{Actor: wire.ActorOf(c.Addrs()[i%5], 1), Value: value, NowNs: 1})
			require.NoError(b, err)
			for _, a := range c.Membership().PreferenceList(ring.HashKey(k), nil) {
				require.NoError(b, c.Node(a).LoadLocal(k, set))
			}
		}
		b.ResetTimer()
		start := c.World().Now()
		require.NoError(b, c.Join("n5"))
		for !c.Settled() {
			c.World().RunFor(100 * time.Millisecond)
		}
		ch := c.Changes()[0]
		b.ReportMetric(float64(ch.SettledAt-start)/1e9, "virtual_s")
		b.ReportMetric(float64(ch.StreamedBytes)/(1<<20), "MiB_streamed")
		b.ReportMetric(float64(ch.StreamedKeys), "keys_streamed")
		b.ReportMetric(c.RingChanges()[1].Membership.MovedFraction(hashes), "moved_fraction")
	}
}
