package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/history"
	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/wire"
)

// Faults left active when the workload ends are undone by HealAtEnd, the
// final reads use the configured level, and progress is reported.
func TestHealAtEndFinalReadLevelAndProgress(t *testing.T) {
	c := newCluster(t, testConfig(3, 5, versions.ModeDVV))
	var last, end time.Duration
	calls := 0
	res, err := c.Run(RunConfig{
		Workload: sim.WorkloadConfig{Clients: 4, Duration: 2 * time.Second, Keys: sim.KeyConfig{Count: 10}},
		Faults: []sim.Fault{
			{At: 500 * time.Millisecond, Kind: sim.FaultCrash, Nodes: []string{"n1"}},
			{At: 600 * time.Millisecond, Kind: sim.FaultPartition, Name: "p", SideA: []string{"n2"}, SideB: []string{"n3", "n4"}},
			{At: 700 * time.Millisecond, Kind: sim.FaultPause, Nodes: []string{"n0"}},
		},
		Quiet:     time.Second,
		HealAtEnd: true,
		FinalRead: &wire.Need{Level: wire.LevelAll},
		Progress:  func(now, e time.Duration) { calls++; last, end = now, e },
	})
	require.NoError(t, err)
	require.Empty(t, res.FaultErrors)
	for _, n := range res.Nodes {
		require.True(t, n.Up, "%s restarted at the end", n.Name)
	}
	require.Empty(t, c.World().Network().Partitions())
	require.False(t, c.World().Lookup("n0").Paused())

	// Final reads at ALL succeed only because every replica is back.
	finals := 0
	for _, op := range res.History.Ops {
		if op.Final {
			finals++
			require.Equal(t, history.OK, op.Outcome, "final read of %s: %s", op.Key, op.Error)
		}
	}
	require.Equal(t, 10, finals)
	require.GreaterOrEqual(t, res.WorkloadEnd, sim.At(2*time.Second))

	require.Greater(t, calls, 100, "progress every 10 ms of virtual time")
	require.GreaterOrEqual(t, last, 3*time.Second)
	require.GreaterOrEqual(t, end, last)
}
