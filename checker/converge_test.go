package checker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/history"
)

func rs(at int64, key string, node int32, vals ...string) history.ReplicaState {
	return history.ReplicaState{AtNs: at, Key: key, Node: node, ValueIDs: vals}
}

func converge(t *testing.T, states []history.ReplicaState, opt ConvergenceOptions) *ConvergenceResult {
	t.Helper()
	res, err := Convergence(&history.History{Replicas: states}, opt)
	require.NoError(t, err)
	return res
}

func TestConvergenceDatesAgreement(t *testing.T) {
	states := []history.ReplicaState{
		// probe at 100: k1 diverges, k2 agrees
		rs(100, "k1", 0, "a"), rs(100, "k1", 1, "b"), rs(100, "k2", 0, "x"), rs(100, "k2", 1, "x"),
		// probe at 200: both agree (order of siblings does not matter)
		rs(200, "k1", 0, "a", "b"), rs(200, "k1", 1, "b", "a"), rs(200, "k2", 0, "x"), rs(200, "k2", 1, "x"),
		// final probe at 300
		rs(300, "k1", 1, "a", "b"), rs(300, "k1", 0, "a", "b"), rs(300, "k2", 0, "x"), rs(300, "k2", 1, "x"),
	}
	res := converge(t, states, ConvergenceOptions{ReplicasPerKey: 2})
	require.True(t, res.Converged)
	require.Equal(t, 3, res.Probes)
	require.Equal(t, int64(300), res.FinalAtNs)
	require.Equal(t, 2, res.Keys)
	require.Equal(t, 2, res.ConvergedKeys)
	require.Equal(t, int64(200), res.ConvergedAtNs, "k1 agreed from 200 on, k2 from 100")
}

func TestConvergenceReportsDivergentKeys(t *testing.T) {
	tomb := rs(300, "k3", 1)
	tomb.Tombstone = true
	v1, v2 := rs(300, "k2", 0, "x"), rs(300, "k2", 1, "x")
	v1.Versions, v2.Versions = []string{"n0:2"}, []string{"n0:1"}
	states := []history.ReplicaState{
		rs(300, "k1", 0, "a"), rs(300, "k1", 1, "a", "b"),
		v1, v2,
		rs(300, "k3", 0), tomb,
		rs(300, "k4", 0, "z"), // only one replica reported
		rs(300, "k5", 0, "q"), rs(300, "k5", 1, "q"),
		rs(100, "gone", 0, "g"), // not in the final probe
	}
	res := converge(t, states, ConvergenceOptions{ReplicasPerKey: 2})
	require.False(t, res.Converged)
	require.Equal(t, int64(-1), res.ConvergedAtNs)
	require.Equal(t, 5, res.Keys)
	require.Equal(t, 1, res.ConvergedKeys)
	reasons := map[string]string{}
	for _, d := range res.NonConverged {
		reasons[d.Key] = d.Reason
	}
	require.Equal(t, map[string]string{
		"k1": "nodes 0 and 1 hold different values",
		"k2": "nodes 0 and 1 hold different versions",
		"k3": "nodes 0 and 1 disagree on the tombstone",
		"k4": "1 replica states, want 2",
	}, reasons)
	require.Equal(t, "k1", res.NonConverged[0].Key)

	// Without ReplicasPerKey a lone replica agrees with itself.
	require.Equal(t, 2, converge(t, states, ConvergenceOptions{}).ConvergedKeys)
	// MaxExamples caps the list, not the count.
	capped := converge(t, states, ConvergenceOptions{ReplicasPerKey: 2, MaxExamples: 1})
	require.Len(t, capped.NonConverged, 1)
	require.Equal(t, 1, capped.ConvergedKeys)
}

func TestConvergenceWithoutProbesIsNotConverged(t *testing.T) {
	res := converge(t, nil, ConvergenceOptions{})
	require.False(t, res.Converged)
	require.Equal(t, 0, res.Probes)
}

func TestConvergenceRefusesDuplicateStates(t *testing.T) {
	_, err := Convergence(&history.History{Replicas: []history.ReplicaState{rs(5, "k", 1, "a"), rs(5, "k", 1, "b")}}, ConvergenceOptions{})
	require.ErrorContains(t, err, `two replica states for key "k" on node 1 at 5 ns`)
}

// Replicas that differ while messages are still in flight have not
// diverged: the verdict is "not yet", and only then.
func TestConvergenceWithMessagesInFlightIsNotYet(t *testing.T) {
	states := []history.ReplicaState{rs(100, "k", 0, "a"), rs(100, "k", 1, "b")}
	for _, c := range []struct {
		inFlight int
		states   []history.ReplicaState
		notYet   bool
	}{
		{3, states, true},
		{0, states, false},
		{3, []history.ReplicaState{rs(100, "k", 0, "a"), rs(100, "k", 1, "a")}, false}, // converged anyway
	} {
		run := &history.RunInfo{Fingerprint: "0123456789abcdef", VersionMode: "dvv", N: 3, W: 2, R: 2, WorkloadN: 3,
			Nodes: []history.NodeInfo{{Name: "n1"}, {Name: "n2"}}, InFlightAtEnd: c.inFlight}
		h := &history.History{Replicas: c.states, Run: run}
		res, err := Convergence(h, ConvergenceOptions{ReplicasPerKey: 2})
		require.NoError(t, err)
		require.Equal(t, c.notYet, res.NotYet, "in flight %d", c.inFlight)
		require.Equal(t, c.inFlight, res.InFlightAtEnd)
		require.Equal(t, !c.notYet && c.states[1].ValueIDs[0] == "a", res.Converged)
	}
}
