package runner

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/history"
	"dynasim/scenarios"
	"dynasim/wire"
)

func resolveText(t *testing.T, src string) *scenarios.Resolved {
	t.Helper()
	sc, err := scenarios.Parse("t.yaml", []byte(src))
	require.NoError(t, err)
	r, err := sc.Resolve(1)
	require.NoError(t, err)
	return r
}

// A workload level left DEFAULT travels as DEFAULT: the clients send
// wire.LevelDefault and the nodes apply their configured R and W. The
// linearizability decision counts DEFAULT as the node's quorums.
func TestDefaultLevelsReachTheNodeAsDefault(t *testing.T) {
	r := resolveText(t, "cluster: {nodes: 3}\nnode: {n: 3, r: 1, w: 3}\nworkload: {clients: 2, max_ops: 200}\n")
	require.Equal(t, scenarios.LevelDefault, r.Workload.ReadLevel)
	require.Equal(t, scenarios.LevelDefault, r.Workload.WriteLevel)
	require.True(t, r.LinearizabilityEnabled(), "R=1 + W=3 > N=3")
	wc, err := workloadConfig(r)
	require.NoError(t, err)
	require.Equal(t, wire.Need{}, wc.R)
	require.Equal(t, wire.Need{}, wc.W)
	nc, err := nodeConfig(r)
	require.NoError(t, err)
	require.Equal(t, wire.Need{Level: wire.LevelCount, Count: 1}, nc.Coordinator.R)
	require.Equal(t, wire.Need{Level: wire.LevelCount, Count: 3}, nc.Coordinator.W)

	sim, err := Simulate(r, nil)
	require.NoError(t, err)
	require.Equal(t, "DEFAULT", sim.History.Run.ReadLevel)
	// (node/coord/testdata/default-level.txt shows the node applying its
	// own W and R to DEFAULT requests message by message.)
	v, err := Check(sim, "")
	require.NoError(t, err)
	require.Zero(t, v.Results.LostWrites.Lost)
	for _, op := range sim.History.Ops {
		if !op.Final {
			require.Equal(t, &history.Consistency{Level: "r=1,w=3", N: 3, W: 3, R: 1}, op.Consistency, "the history records what DEFAULT meant")
			break
		}
	}

	// The final reads' DEFAULT is the node's R as well, not a count the
	// scenario layer wrote in for it.
	fr := resolveText(t, "cluster: {nodes: 3}\nnode: {n: 3, r: 1, w: 3}\nworkload: {clients: 2, max_ops: 200, read_level: 2}\nfinal_read_level: default\n")
	require.Equal(t, scenarios.LevelDefault, fr.FinalReadLevel)
	frSim, err := Simulate(fr, nil)
	require.NoError(t, err)
	require.Equal(t, "DEFAULT", frSim.History.Run.FinalReadLevel)
	finals := 0
	for _, op := range frSim.History.Ops {
		if op.Final {
			finals++
			require.Equal(t, history.OK, op.Outcome, "final read of %s", op.Key)
		}
	}
	require.Positive(t, finals)

	off := resolveText(t, "cluster: {nodes: 3}\nnode: {n: 3, r: 1, w: 1}\nworkload: {clients: 1, max_ops: 10}\n")
	require.False(t, off.LinearizabilityEnabled(), "R=1 + W=1 <= N=3")
}

// Clients placed per datacenter reach the cluster in datacenter name
// order and are recorded in the history.
func TestClientsPerDatacenterAreRecorded(t *testing.T) {
	r := resolveText(t, "cluster: {nodes: 4, datacenters: [west, east]}\nworkload: {clients_per_dc: {west: 1, east: 2}, max_ops: 50}\n")
	require.Equal(t, 3, r.Workload.Clients)
	cfg, err := clusterConfig(r)
	require.NoError(t, err)
	require.Len(t, cfg.ClientGroups, 2)
	require.Equal(t, "east", cfg.ClientGroups[0].DC)
	require.Equal(t, 2, cfg.ClientGroups[0].Count)
	sim, err := Simulate(r, nil)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"east": 2, "west": 1}, sim.History.Run.ClientsPerDC)
	require.Len(t, sim.History.Run.RingVersions, 1)
	require.Len(t, sim.History.Run.RingVersions[0].Members, 4)
}
