package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/node"
	"dynasim/node/coord"
	"dynasim/node/merkle"
	"dynasim/node/versions"
	"dynasim/sim"
)

// probeRun runs 4 clients' puts and gets over keys for duration with the
// one fault and the repair probe on (every 100 ms), and returns the result
// with its one repair.
func probeRun(t *testing.T, c *Cluster, keys int, duration time.Duration, fault sim.Fault) *Result {
	t.Helper()
	res, err := c.Run(RunConfig{
		Workload: sim.WorkloadConfig{
			Clients: 4, Duration: duration, Mix: sim.OpMix{Get: 1, Put: 1},
			Keys: sim.KeyConfig{Count: keys}, Timeout: 300 * time.Millisecond, Retries: 1,
		},
		Faults:      []sim.Fault{fault},
		Quiet:       5 * time.Second,
		RepairProbe: 100 * time.Millisecond,
	})
	require.NoError(t, err)
	require.Len(t, res.Repairs, 1)
	return res
}

// repairRun runs puts and gets with n4 wiped at 2 s; read repair is off,
// so only anti-entropy (when on) refills n4.
func repairRun(t *testing.T, ae bool) *Result {
	t.Helper()
	cfg := testConfig(41, 5, versions.ModeDVV)
	cfg.Node.Coordinator.ReadRepair = coord.ReadRepairOff
	if ae {
		cfg.Node.AntiEntropy = node.AntiEntropyConfig{Enabled: true, Interval: time.Second, Tree: merkle.Config{Buckets: 16}}
	}
	return probeRun(t, newCluster(t, cfg), 3000, 6*time.Second, sim.Fault{At: 2 * time.Second, Kind: sim.FaultWipe, Nodes: []string{"n4"}})
}

// The repair probe records the keys a wiped node held and tells when it
// holds them all again: with anti-entropy within a few rounds, without it
// never (nothing else copies data to it here).
func TestRepairProbeFollowsAWipedNode(t *testing.T) {
	with := repairRun(t, true).Repairs[0]
	require.Equal(t, "n4", with.Node)
	require.Equal(t, sim.At(2*time.Second), with.WipedAt)
	require.Positive(t, with.Keys, "n4 held keys when it was wiped")
	require.True(t, with.Repaired, "%d of %d keys still missing", with.Missing, with.Keys)
	require.Zero(t, with.Missing)
	require.Positive(t, with.After)
	require.LessOrEqual(t, with.After, 5*time.Second)

	without := repairRun(t, false).Repairs[0]
	require.Positive(t, without.Keys)
	require.False(t, without.Repaired)
	require.Positive(t, without.Missing, "without anti-entropy the wiped node stays empty of what it lost")
}

// A table corrupted for good on n4's disk: n4 finds the damage by
// checksum, quarantines the table, takes a new epoch (so that it never
// mints over what it lost under its old actor) and pulls its ranges back
// with anti-entropy; the probe sees it hold every key it held before, and
// no replica is left behind.
func TestCorruptTableIsQuarantinedAndRepaired(t *testing.T) {
	cfg := testConfig(43, 5, versions.ModeDVV)
	cfg.Node.Coordinator.ReadRepair = coord.ReadRepairOff
	cfg.Node.Storage.Engine.MemtableSizeBytes = 16 << 10
	cfg.Node.AntiEntropy = node.AntiEntropyConfig{Enabled: true, Interval: time.Second, Tree: merkle.Config{Buckets: 16}}
	c := newCluster(t, cfg)
	epochBefore := uint32(0)
	c.World().At(sim.At(5*time.Second-time.Millisecond), "epoch", func() { epochBefore = c.Stats()[4].Current.Epoch })
	res := probeRun(t, c, 300, 10*time.Second, sim.Fault{At: 5 * time.Second, Kind: sim.FaultCorruptTable, Nodes: []string{"n4"}})
	require.Empty(t, res.FaultErrors)
	r := res.Repairs[0]
	require.Equal(t, sim.FaultCorruptTable, r.Kind)
	require.True(t, r.Repaired, "%d of %d keys still missing", r.Missing, r.Keys)
	n4 := res.Nodes[4]
	require.Equal(t, uint64(1), n4.Total.TablesQuarantined)
	require.GreaterOrEqual(t, n4.Total.CorruptReads, uint64(3))
	require.Greater(t, c.Stats()[4].Current.Epoch, epochBefore, "a new epoch after the quarantine")
	require.Zero(t, res.InFlightAtEnd)
}
