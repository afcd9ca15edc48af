package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/history"
	"dynasim/node/versions"
	"dynasim/sim"
)

// putLoad runs a put-heavy workload and returns the syncs per stored write
// and the mean put latency.
func putLoad(t *testing.T, delay time.Duration) (syncsPerWrite float64, meanPut time.Duration) {
	cfg := testConfig(60, 5, versions.ModeDVV)
	cfg.Node.Storage.SyncDelay = delay
	c := newCluster(t, cfg)
	res, err := c.Run(RunConfig{Workload: sim.WorkloadConfig{
		Clients: 16, Duration: time.Second, Mix: sim.OpMix{Put: 1}, Keys: sim.KeyConfig{Count: 1000},
	}, NoFinalReads: true})
	require.NoError(t, err)
	var syncs, writes uint64
	for _, n := range res.Nodes {
		syncs += n.Total.Syncs
		writes += n.Total.StoreWrites
	}
	var sum time.Duration
	var puts int
	for _, op := range res.History.Ops {
		if op.Kind == history.Put && op.Outcome == history.OK {
			sum += time.Duration(op.ReturnNs - op.InvokeNs)
			puts++
		}
	}
	require.Positive(t, puts)
	return float64(syncs) / float64(writes), sum / time.Duration(puts)
}

func TestGroupCommitTradesLatencyForFewerSyncs(t *testing.T) {
	perWrite0, lat0 := putLoad(t, 0)
	perWrite5, lat5 := putLoad(t, 5*time.Millisecond)
	require.InDelta(t, 1.0, perWrite0, 0.01, "without a window every write event syncs")
	require.Less(t, perWrite5, 0.5*perWrite0, "a 5 ms window shares syncs between writes")
	require.Greater(t, lat5, lat0+3*time.Millisecond, "acknowledgements wait for the window")
}
