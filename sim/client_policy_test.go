package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/history"
	"dynasim/node"
	"dynasim/sim/network"
	"dynasim/wire"
)

// listRouter routes every request to one node and lists them all, as the
// client policy needs.
type listRouter struct {
	to  wire.Addr
	all []wire.Addr
}

func (r *listRouter) Route([]byte, Routing, *rand.Rand) wire.Addr { return r.to }
func (r *listRouter) Addrs() []wire.Addr                          { return r.all }

// runPolicy runs cfg's clients against two servers, "bad" (which the
// router always picks first) and "good", with the policy enabled.
func runPolicy(t *testing.T, cfg WorkloadConfig, bad *registerServer) (*Workload, *history.History, [2]wire.Addr) {
	t.Helper()
	w, err := NewWorld(Config{Seed: 9, Network: network.Config{Default: network.LinkConfig{LatencyMs: constMs(1)}}})
	require.NoError(t, err)
	good := &registerServer{data: map[string][]byte{}}
	bad.data = map[string][]byte{}
	var addrs [2]wire.Addr
	for i, s := range []*registerServer{bad, good} {
		ep := mustAdd(t, w, EndpointSpec{Name: fmt.Sprint("server", i), Factory: func(_ wire.Addr, env node.Env) (node.Process, error) { s.env = env; return s, nil }})
		addrs[i] = ep.Addr()
	}
	rec, err := history.NewRecorder(history.DefaultRecorderConfig())
	require.NoError(t, err)
	cfg.Policy.Enabled = true
	wl, err := NewWorkload(cfg, rec, &listRouter{to: addrs[0], all: addrs[:]}, history.Consistency{N: 1, R: 1, W: 1})
	require.NoError(t, err)
	for i := 0; i < wl.Config().Clients; i++ {
		mustAdd(t, w, EndpointSpec{Name: fmt.Sprint("client", i), Factory: wl.ClientFactory(i, true)})
	}
	w.Run(Limit{Until: At(time.Minute)})
	require.NoError(t, wl.Err())
	h, err := rec.Close(int64(w.Now()))
	require.NoError(t, err)
	return wl, h, addrs
}

// A coordinator that never answers: the first get waits one connect
// timeout, is abandoned and retried at the other node; the first put waits
// its whole timeout (the silent node may have applied it) and ends
// unknown, never retried. Everything after goes to the healthy node until
// the backoff ends, when gets probe the silent one again.
func TestPolicySilentCoordinator(t *testing.T) {
	silent := &registerServer{drop: func(wire.Message) bool { return true }}
	cfg := WorkloadConfig{Clients: 1, Duration: 5 * time.Second, Mix: OpMix{Get: 1, Put: 1}, Timeout: 500 * time.Millisecond}
	wl, h, addrs := runPolicy(t, cfg, silent)
	bad, good := int32(addrs[0]), int32(addrs[1])
	sawGetRetry, unknownPuts := false, 0
	for _, o := range h.Ops {
		switch {
		case o.Kind == history.Put && o.Outcome == history.Unknown:
			unknownPuts++
			require.Empty(t, o.Tried, "an unknown put is never retried")
			require.Equal(t, bad, o.Coordinator)
			require.InDelta(t, 500e6, float64(o.ReturnNs-o.InvokeNs), 100, "it waits out its full timeout")
		case o.Kind == history.Get && len(o.Tried) > 0:
			sawGetRetry = true
			require.Equal(t, []int32{bad, good}, o.Tried)
			require.Equal(t, history.OK, o.Outcome)
			// 100 ms without a first byte, then 1 ms there and back.
			require.InDelta(t, 102e6, float64(o.ReturnNs-o.InvokeNs), 100)
		default:
			require.Equal(t, history.OK, o.Outcome, "op %d %s at %d: %s", o.ID, o.Kind, o.Coordinator, o.Error)
			require.Equal(t, good, o.Coordinator)
			require.Empty(t, o.Tried)
		}
	}
	require.True(t, sawGetRetry)
	st := wl.Stats()
	// Marked down at the first failure and after each failed probe
	// (backoff 1 s, 2 s, 4 s within 5 s): a few times, not per operation.
	require.GreaterOrEqual(t, st.MarkedDown, uint64(1))
	require.LessOrEqual(t, st.ConnectTimeouts, uint64(5))
	require.Equal(t, uint64(0), st.Late)
	// Only a put sent before the node was known silent; puts never probe
	// while another node is healthy.
	require.LessOrEqual(t, unknownPuts, 1)
}

// A coordinator that answers "unknown": the write may have been applied,
// so it is not retried; one that answers "failed": nothing was applied,
// and the write is retried at the other node.
func TestPolicyRetriesOnlyDefiniteFailures(t *testing.T) {
	cfg := WorkloadConfig{Clients: 1, MaxOps: 50, Mix: OpMix{Put: 1}, Timeout: 500 * time.Millisecond}
	_, h, addrs := runPolicy(t, cfg, &registerServer{status: wire.StatusUnknown})
	bad := int32(addrs[0])
	unknown := 0
	for _, o := range h.Ops {
		require.Empty(t, o.Tried, "op %d: a write answered unknown was retried", o.ID)
		if o.Outcome == history.Unknown {
			unknown++
			require.Equal(t, bad, o.Coordinator)
		}
	}
	// The first put, and the probes after each backoff: puts probe only
	// when no node is healthy, and the good one stays healthy.
	require.Equal(t, 1, unknown)

	_, h, addrs = runPolicy(t, cfg, &registerServer{status: wire.StatusFailed})
	retried := 0
	for _, o := range h.Ops {
		require.Equal(t, history.OK, o.Outcome)
		if len(o.Tried) > 0 {
			retried++
			require.Equal(t, []int32{int32(addrs[0]), int32(addrs[1])}, o.Tried)
		}
	}
	require.Equal(t, 1, retried, "the failed put is retried once; later puts avoid the unhealthy node")

	// With NoRetries the policy only routes around.
	cfg.Policy.RetryAttempts = NoRetries
	_, h, _ = runPolicy(t, cfg, &registerServer{status: wire.StatusFailed})
	require.Equal(t, history.Failed, h.Ops[0].Outcome)
	for _, o := range h.Ops[1:] {
		require.Equal(t, history.OK, o.Outcome)
	}
}

func TestClientPolicyValidate(t *testing.T) {
	ok := ClientPolicy{Enabled: true}.WithDefaults()
	require.Equal(t, ClientPolicy{Enabled: true, ConnectTimeout: 100 * time.Millisecond, RetryAttempts: 3,
		UnhealthyBackoff: time.Second, MaxUnhealthyBackoff: 10 * time.Second}, ok)
	require.Equal(t, ok, ok.WithDefaults(), "defaults are idempotent")
	require.NoError(t, ok.Validate(time.Second))
	for _, bad := range []ClientPolicy{
		{ConnectTimeout: -1},
		{ConnectTimeout: 2 * time.Second},
		{RetryAttempts: -2},
		{RetryAttempts: 101},
		{UnhealthyBackoff: -time.Second},
		{UnhealthyBackoff: 5 * time.Second, MaxUnhealthyBackoff: time.Second},
		{MaxUnhealthyBackoff: 48 * time.Hour},
	} {
		require.Error(t, bad.WithDefaults().Validate(time.Second), "%+v", bad)
		cfg := WorkloadConfig{MaxOps: 1, Policy: bad}
		cfg.Policy.Enabled = true
		require.Error(t, cfg.WithDefaults().Validate(), "%+v", bad)
		cfg.Policy.Enabled = false
		require.NoError(t, cfg.WithDefaults().Validate(), "a disabled policy is not checked: %+v", bad)
	}
	cfg := WorkloadConfig{MaxOps: 1, Retries: 2, Policy: ClientPolicy{Enabled: true}}
	require.ErrorContains(t, cfg.WithDefaults().Validate(), "retries")
	require.Equal(t, 4, WorkloadConfig{Policy: ClientPolicy{Enabled: true}}.AttemptsPerOp())
	require.Equal(t, 3, WorkloadConfig{Retries: 2}.AttemptsPerOp())

	// The policy needs the node list.
	rec, err := history.NewRecorder(history.DefaultRecorderConfig())
	require.NoError(t, err)
	_, err = NewWorkload(WorkloadConfig{MaxOps: 1, Policy: ClientPolicy{Enabled: true}}, rec, fixedRouter(0), history.Consistency{})
	require.ErrorContains(t, err, "NodeLister")
}
