package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/history"
	"dynasim/node/versions"
	"dynasim/sim"
)

// crashOneOfFive runs 12 closed-loop clients for 10 s against five nodes
// (N=3, W=R=2) with n2 crashed from the start and never restarted.
func crashOneOfFive(t *testing.T, seed uint64, policy sim.ClientPolicy) *Result {
	t.Helper()
	c := newCluster(t, testConfig(seed, 5, versions.ModeLWW))
	res, err := c.Run(RunConfig{
		Workload: sim.WorkloadConfig{Clients: 12, Duration: 10 * time.Second, Keys: sim.KeyConfig{Count: 50},
			Mix: sim.OpMix{Get: 0.5, Put: 0.3, ReadModifyWrite: 0.2}, Timeout: time.Second, Policy: policy},
		Faults: []sim.Fault{{At: 0, Kind: sim.FaultCrash, Nodes: []string{"n2"}}},
		Quiet:  time.Second,
	})
	require.NoError(t, err)
	require.True(t, res.Finished)
	return res
}

// availability is the fraction of the workload's operations (not the
// final reads) that ended ok.
func availability(h *history.History) (ok, all int) {
	for _, o := range h.Ops {
		if o.Final {
			continue
		}
		all++
		if o.Outcome == history.OK {
			ok++
		}
	}
	return ok, all
}

// With one of five nodes down, clients that keep sending to it lose about
// a fifth of their operations; with the client policy they route around
// it after one connect timeout and retry their gets elsewhere, and
// availability stays at least 99 %.
func TestClientPolicyRoutesAroundACrashedNode(t *testing.T) {
	off := crashOneOfFive(t, 7, sim.ClientPolicy{})
	on := crashOneOfFive(t, 7, sim.ClientPolicy{Enabled: true})
	okOff, allOff := availability(off.History)
	okOn, allOn := availability(on.History)
	aOff, aOn := float64(okOff)/float64(allOff), float64(okOn)/float64(allOn)
	t.Logf("availability with one of five nodes down: policy off %.4f (%d of %d), on %.4f (%d of %d)", aOff, okOff, allOff, aOn, okOn, allOn)
	require.GreaterOrEqual(t, aOn, 0.99)
	require.Less(t, aOff, 0.9, "without the policy about a fifth of the attempts go to the dead node")
	require.Greater(t, allOn, allOff, "clients no longer sit out one-second timeouts")

	crashed, ok := int32(-1), false
	for i, n := range on.Nodes {
		if n.Name == "n2" {
			crashed, ok = int32(i), true
		}
	}
	require.True(t, ok)
	retried := 0
	for _, o := range on.History.Ops {
		if len(o.Tried) == 0 {
			continue
		}
		retried++
		require.Equal(t, o.Coordinator, o.Tried[len(o.Tried)-1])
		require.LessOrEqual(t, len(o.Tried), 1+sim.DefaultRetryAttempts)
		seen := map[int32]bool{}
		for _, n := range o.Tried {
			require.False(t, seen[n], "op %d tried node %d twice: %v", o.ID, n, o.Tried)
			seen[n] = true
		}
		if o.Outcome == history.OK {
			require.NotEqual(t, crashed, o.Coordinator, "an ok op was coordinated by the crashed node")
		}
	}
	require.Greater(t, retried, 0, "some operations were retried, and the history says where")
	st := on.Workload
	require.Greater(t, st.ConnectTimeouts, uint64(0))
	require.Greater(t, st.Abandoned, uint64(0))
	// Each client marks the dead node down once, then again after each
	// failed probe: a handful of times in 10 s, not once per operation.
	require.LessOrEqual(t, st.MarkedDown, uint64(12*8))
	require.Zero(t, off.Workload.ConnectTimeouts)
	for _, o := range off.History.Ops {
		require.Empty(t, o.Tried, "without the policy or retries nothing is retried")
	}
}

// Writes are retried only when they definitely failed. With one replica
// down, W=2 still holds, so no write fails definitively and none is
// retried: those sent to the crashed node before it was known down stay
// unknown. Under a partition that leaves a coordinator (n0) unable to
// reach any replica, its two-phase writes fail in the read phase, are
// definitely not applied, and are retried on another node.
func TestClientPolicyNeverRetriesUnknownWrites(t *testing.T) {
	res := crashOneOfFive(t, 11, sim.ClientPolicy{Enabled: true})
	unknown := 0
	for _, o := range res.History.Ops {
		if o.Kind == history.Get {
			continue
		}
		require.Empty(t, o.Tried, "op %d (%s, %s): a write that did not fail definitively was retried", o.ID, o.Outcome, o.Error)
		if o.Outcome == history.Unknown {
			unknown++
		}
	}
	require.Greater(t, unknown, 0, "puts sent to the crashed node before it was known down stay unknown")

	// A partition that leaves one coordinator unable to reach a quorum of
	// any key (n0 alone) makes its two-phase writes fail in the read
	// phase: definitely not applied, so they are retried elsewhere.
	cfg := testConfig(11, 5, versions.ModeLWW)
	cfg.Node.Coordinator.TwoPhaseWrites = true
	c := newCluster(t, cfg)
	res, err := c.Run(RunConfig{
		Workload: sim.WorkloadConfig{Clients: 8, Duration: 5 * time.Second, Keys: sim.KeyConfig{Count: 20},
			Mix: sim.OpMix{Put: 1}, Timeout: time.Second, Policy: sim.ClientPolicy{Enabled: true}},
		Faults: []sim.Fault{{At: 0, Kind: sim.FaultPartition, Name: "p", SideA: []string{"n0"}, SideB: []string{"n1", "n2", "n3", "n4"}}},
		Quiet:  time.Second,
	})
	require.NoError(t, err)
	retriedOK := 0
	for _, o := range res.History.Ops {
		if o.Final || len(o.Tried) == 0 {
			continue
		}
		require.NotEqual(t, history.Unknown, o.Outcome, "op %d: a retried write ended unknown only if its last attempt did: %s", o.ID, o.Error)
		if o.Outcome == history.OK {
			retriedOK++
		}
	}
	require.Greater(t, retriedOK, 0, "failed writes were retried on another node and succeeded")
}

// The same seed gives the same run with the policy on.
func TestClientPolicyIsDeterministic(t *testing.T) {
	a := crashOneOfFive(t, 5, sim.ClientPolicy{Enabled: true})
	b := crashOneOfFive(t, 5, sim.ClientPolicy{Enabled: true})
	require.Equal(t, a.Fingerprint, b.Fingerprint)
	require.Equal(t, a.Events, b.Events)
	require.Equal(t, a.Workload, b.Workload)
	require.Equal(t, a.History.Ops, b.History.Ops)
	c := crashOneOfFive(t, 5, sim.ClientPolicy{})
	require.NotEqual(t, a.Fingerprint, c.Fingerprint)
}
