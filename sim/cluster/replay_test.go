package cluster

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/history"
	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/wire"
)

func chaos() []sim.Fault {
	keep := disk.CrashKeepPrefix
	return []sim.Fault{
		{At: 200 * time.Millisecond, Kind: sim.FaultCrash, Nodes: []string{"n1"}, CrashMode: &keep},
		{At: 500 * time.Millisecond, Kind: sim.FaultPartition, Name: "p", SideA: []string{"n0", "n2"}, SideB: []string{"n3", "n4"}},
		{At: 700 * time.Millisecond, Kind: sim.FaultRestart, Nodes: []string{"n1"}},
		{At: 900 * time.Millisecond, Kind: sim.FaultClockJump, Nodes: []string{"n3"}, ClockJump: -300 * time.Millisecond},
		{At: time.Second, Kind: sim.FaultHeal, Name: "p"},
		{At: 1200 * time.Millisecond, Kind: sim.FaultPause, Nodes: []string{"n4"}},
		{At: 1400 * time.Millisecond, Kind: sim.FaultResume, Nodes: []string{"n4"}},
	}
}

func historyBytes(t *testing.T, h *history.History) []byte {
	var b bytes.Buffer
	require.NoError(t, history.Write(&b, h))
	return b.Bytes()
}

func TestABusyRunWithFaultsReplaysExactly(t *testing.T) {
	_, a := busyRun(t, busyConfig(21), chaos())
	_, b := busyRun(t, busyConfig(21), chaos())
	require.Empty(t, a.FaultErrors)
	require.True(t, a.Finished)
	require.Greater(t, len(a.History.Ops), 400, "the run is busy")
	require.NotEmpty(t, a.History.Replicas)
	require.Equal(t, a.Fingerprint, b.Fingerprint)
	require.Equal(t, a.Events, b.Events)
	require.Equal(t, historyBytes(t, a.History), historyBytes(t, b.History))
	require.Equal(t, a.Nodes, b.Nodes)

	_, other := busyRun(t, busyConfig(22), chaos())
	require.NotEqual(t, a.Fingerprint, other.Fingerprint, "another seed is another run")

	// The faults did something: requests failed or ended unknown, a node
	// restarted, messages were lost and duplicated.
	var failed int
	for _, op := range a.History.Ops {
		if op.Outcome != history.OK {
			failed++
		}
	}
	require.Positive(t, failed)
	require.Equal(t, 2, a.Nodes[1].Incarnations)
	require.Positive(t, a.Network.Total.Lost)
	require.Positive(t, a.Network.Total.Duplicated)
}

func TestRunRecordsFinalReadsAndEveryReplicaState(t *testing.T) {
	c, res := busyRun(t, busyConfig(23), nil)
	h := res.History
	finals := map[string]bool{}
	for _, op := range h.Ops {
		if op.Final {
			require.Equal(t, history.Get, op.Kind)
			finals[op.Key] = true
		}
	}
	require.Len(t, finals, 20, "one final read per key")
	perKey := map[string]int{}
	probes := map[int64]bool{}
	for _, s := range h.Replicas {
		probes[s.AtNs] = true
		if s.AtNs == int64(res.End) {
			perKey[s.Key]++
		}
	}
	// One probe when the workload ends, DefaultConvergenceProbes during
	// the quiet period, and the final one after the final reads.
	require.Len(t, probes, DefaultConvergenceProbes+2)
	require.Len(t, perKey, 20)
	for k, n := range perKey {
		require.GreaterOrEqual(t, n, 3, "key %s: every replica is listed, holding something or not", k)
	}
	// The nodes' statistics add up: every client request was coordinated
	// somewhere.
	var coordinated, events uint64
	for _, ns := range res.Nodes {
		coordinated += ns.Total.Coordinated()
		events += ns.Total.Events
		require.True(t, ns.Up)
		require.Positive(t, ns.DiskUsageBytes)
	}
	require.Positive(t, events)
	require.GreaterOrEqual(t, coordinated, uint64(len(h.Ops)))
	require.Equal(t, 5, c.Size())
}

func TestReplicaStatesOfACrashedNodeComeFromItsDisk(t *testing.T) {
	c := newCluster(t, testConfig(24, 5, versions.ModeDVV))
	p := addProbe(t, c, "probe")
	reps := c.Replicas([]byte("k"), 0)
	require.Equal(t, wire.StatusOK, p.put(t, reps[0], "k", "v|x", req{w: all}).Status)
	require.NoError(t, c.World().Crash(reps[1], disk.CrashLoseUnsynced))
	states, err := c.ReplicaStates([]string{"k", "empty"}, 0)
	require.NoError(t, err)
	var k, empty int
	for _, s := range states {
		switch s.Key {
		case "k":
			k++
			require.Equal(t, []string{"v"}, s.ValueIDs, "node %d", s.Node)
			require.Len(t, s.Versions, 1)
		case "empty":
			empty++
			require.Empty(t, s.ValueIDs)
		}
	}
	require.Equal(t, 3, k)
	require.Equal(t, 3, empty, "replicas holding nothing are listed too")
}

func TestReadingACrashedNodesStateLeavesItsDiskUntouched(t *testing.T) {
	c := newCluster(t, testConfig(25, 5, versions.ModeDVV))
	p := addProbe(t, c, "probe")
	reps := c.Replicas([]byte("k"), 0)
	require.Equal(t, wire.StatusOK, p.put(t, reps[0], "k", "v|x", req{w: all}).Status)
	require.NoError(t, c.World().Crash(reps[1], disk.CrashLoseUnsynced))
	before := c.Endpoint(reps[1]).Mem().Dump()
	_, err := c.ReplicaStates([]string{"k"}, 0)
	require.NoError(t, err)
	require.Equal(t, before, c.Endpoint(reps[1]).Mem().Dump())
}

// The final reads and the convergence probes cover the keys a put or
// delete was issued for (whatever its outcome), not the whole key space;
// FinalReadAllKeys reads every key, written or not.
func TestFinalReadsReadBackTheWrittenKeys(t *testing.T) {
	run := func(all bool) *history.History {
		c := newCluster(t, testConfig(31, 5, versions.ModeDVV))
		res, err := c.Run(RunConfig{
			Workload: sim.WorkloadConfig{
				Clients: 3, MaxOps: 150, Mix: sim.OpMix{Get: 1, Put: 1, Delete: 0.2, ReadModifyWrite: 0.3},
				Keys: sim.KeyConfig{Count: 5000}, Timeout: 300 * time.Millisecond,
			},
			Quiet:            100 * time.Millisecond,
			FinalReadAllKeys: all,
		})
		require.NoError(t, err)
		return res.History
	}
	h := run(false)
	written, finals, probed := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, op := range h.Ops {
		switch {
		case op.Final:
			finals[op.Key] = true
		case op.Kind == history.Put || op.Kind == history.Delete:
			written[op.Key] = true
		}
	}
	for _, s := range h.Replicas {
		probed[s.Key] = true
	}
	require.NotEmpty(t, written)
	require.Less(t, len(written), 5000, "most of the key space is never written")
	require.Equal(t, written, finals)
	require.Equal(t, written, probed)

	h = run(true)
	finals = map[string]bool{}
	for _, op := range h.Ops {
		if op.Final {
			finals[op.Key] = true
		}
	}
	require.Len(t, finals, 5000)
}
