package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node/coord"
	"dynasim/node/versions"
	"dynasim/sim/network"
	"dynasim/wire"
)

// staleReplica builds a cluster where the key's third replica has slow
// links (5 ms instead of 1 ms) and missed the write of "v" (it was down),
// and returns it with the key's replicas.
func staleReplica(t *testing.T, mode coord.ReadRepair, writeBackW wire.Need) (*Cluster, *probe, []wire.Addr) {
	cfg := testConfig(13, 5, versions.ModeDVV)
	cfg.Node.Coordinator.ReadRepair = mode
	cfg.Node.Coordinator.W = writeBackW
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	reps := c.Replicas([]byte("k"), 0)
	slow := reps[2]
	// Slow every link of the slow replica, to the nodes and the probe, by
	// the addresses the address book gave them (no message has crossed
	// any link yet, so their models can still be set).
	for _, a := range append(c.Addrs(), p.ep.Addr()) {
		if a == slow {
			continue
		}
		require.NoError(t, c.World().Network().SetLink(a, slow, true, network.LinkConfig{LatencyMs: constMs(5)}))
	}
	require.NoError(t, c.World().Crash(slow, disk.CrashLoseUnsynced))
	r := p.put(t, reps[0], "k", "v", req{w: count(2)})
	require.Equal(t, wire.StatusOK, r.Status)
	settle(c)
	require.NoError(t, c.World().Restart(slow))
	require.Empty(t, held(t, c, slow, "k"), "the restarted replica missed the write")
	return c, p, reps
}

func TestReadRepairOffLeavesStaleReplicasStale(t *testing.T) {
	c, p, reps := staleReplica(t, coord.ReadRepairOff, wire.Need{})
	g := p.get(t, reps[0], "k", req{r: all})
	require.Equal(t, []string{"v"}, values(g))
	settle(c)
	require.Empty(t, held(t, c, reps[2], "k"))
	require.Zero(t, c.Node(reps[0]).Stats().Coordinator.ReadRepairs)
}

func TestAsyncReadRepairAnswersFirstAndRepairsAfter(t *testing.T) {
	c, p, reps := staleReplica(t, coord.ReadRepairAsync, wire.Need{})
	g := p.get(t, reps[0], "k", req{r: count(2)})
	require.Equal(t, []string{"v"}, values(g))
	require.Empty(t, held(t, c, reps[2], "k"), "the answer does not wait for the repair")
	settle(c)
	require.Equal(t, []string{"v"}, held(t, c, reps[2], "k"), "the stale replica was repaired")
	require.Equal(t, uint64(1), c.Node(reps[0]).Stats().Coordinator.ReadRepairs)
}

func TestBlockingReadRepairAnswersOnlyAfterTheWriteBack(t *testing.T) {
	// Write-back quorum ALL: the get may answer only once every replica
	// holds what it returns.
	c, p, reps := staleReplica(t, coord.ReadRepairBlocking, all)
	id := p.sendGet(reps[0], "k", req{r: count(2)})
	g := p.wait(t, id)
	require.Equal(t, []string{"v"}, values(g))
	require.Equal(t, []string{"v"}, held(t, c, reps[2], "k"), "at the moment of the answer the stale replica holds it")
	st := c.Node(reps[0]).Stats().Coordinator
	require.Equal(t, uint64(1), st.WriteBacks, "only the stale replica needed the write-back")
	require.Zero(t, st.ReadRepairs)

	// A get that hears every replica agree writes nothing back.
	p.get(t, reps[1], "k", req{r: all})
	require.Zero(t, c.Node(reps[1]).Stats().Coordinator.WriteBacks)
}

func TestBlockingReadRepairFailsWhenItCannotWriteBack(t *testing.T) {
	c, p, reps := staleReplica(t, coord.ReadRepairBlocking, all)
	require.NoError(t, c.World().Crash(reps[2], disk.CrashLoseUnsynced))
	g := p.get(t, reps[0], "k", req{r: count(2)})
	require.Equal(t, wire.StatusFailed, g.Status)
	require.Contains(t, g.Error, "writing the read back")
	c.World().RunFor(time.Second)
}
