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

// registerServer is a test double for a store: one node holding the latest
// value per key, answering immediately. Its context is the value's ID.
type registerServer struct {
	env    node.Env
	data   map[string][]byte
	drop   func(m wire.Message) bool // messages it ignores (to force timeouts)
	status wire.Status               // reply status to force, or 0
}

func (s *registerServer) Handle(ev node.Event) {
	if ev.Kind != node.MessageEvent || (s.drop != nil && s.drop(ev.Msg)) {
		return
	}
	reply := &wire.ClientReply{Status: wire.StatusOK}
	switch m := ev.Msg.(type) {
	case *wire.ClientGet:
		reply.ReqID = m.ReqID
		if v, ok := s.data[string(m.Key)]; ok {
			reply.Values = [][]byte{v}
			reply.Context = []byte(ValueID(v))
		} else {
			reply.Status = wire.StatusNotFound
		}
	case *wire.ClientPut:
		reply.ReqID = m.ReqID
		s.data[string(m.Key)] = m.Value
	case *wire.ClientDelete:
		reply.ReqID = m.ReqID
		delete(s.data, string(m.Key))
	}
	if s.status != 0 {
		reply.Status = s.status
	}
	s.env.Send(ev.From, reply)
}

type fixedRouter wire.Addr

func (r fixedRouter) Route([]byte, Routing, *rand.Rand) wire.Addr { return wire.Addr(r) }

func runClients(t *testing.T, cfg WorkloadConfig, srv *registerServer) (*World, *Workload, *history.History) {
	t.Helper()
	w, err := NewWorld(Config{Seed: 5, Network: network.Config{Default: network.LinkConfig{LatencyMs: constMs(1)}}})
	require.NoError(t, err)
	srv.data = map[string][]byte{}
	server := mustAdd(t, w, EndpointSpec{Name: "server", Factory: func(_ wire.Addr, env node.Env) (node.Process, error) { srv.env = env; return srv, nil }})
	rec, err := history.NewRecorder(history.DefaultRecorderConfig())
	require.NoError(t, err)
	wl, err := NewWorkload(cfg, rec, fixedRouter(server.Addr()), history.Consistency{N: 1, R: 1, W: 1})
	require.NoError(t, err)
	for i := 0; i < wl.Config().Clients; i++ {
		mustAdd(t, w, EndpointSpec{Name: fmt.Sprint("client", i), Factory: wl.ClientFactory(i, true)})
	}
	w.Run(Limit{Until: At(time.Minute)})
	require.NoError(t, wl.Err())
	h, err := rec.Close(int64(w.Now()))
	require.NoError(t, err)
	return w, wl, h
}

func TestClosedLoopClientsRecordEveryOperation(t *testing.T) {
	cfg := WorkloadConfig{Clients: 3, MaxOps: 300, Mix: OpMix{Get: 1, Put: 1, Delete: 0.2, ReadModifyWrite: 0.5}, Keys: KeyConfig{Count: 5}}
	_, wl, h := runClients(t, cfg, &registerServer{})
	require.Equal(t, uint64(0), wl.Stats().Timeouts)
	counts := map[history.OpKind]int{}
	written := map[string]bool{}
	for _, op := range h.Ops {
		require.Equal(t, history.OK, op.Outcome, "op %+v", op)
		require.Less(t, op.InvokeNs, op.ReturnNs)
		// 1 ms there, 1 ms back: every op takes 2 ms of virtual time (plus
		// the recorder's nanosecond tie-breaks).
		require.InDelta(t, 2e6, float64(op.ReturnNs-op.InvokeNs), 10)
		counts[op.Kind]++
		if op.Kind == history.Put {
			require.False(t, written[op.Value], "values are unique")
			written[op.Value] = true
		}
		for _, v := range op.Values {
			require.True(t, written[v], "a get returns only values written before it")
		}
	}
	// MaxOps counts top-level operations; RMW and delete add a get each.
	require.GreaterOrEqual(t, len(h.Ops), 300)
	require.Greater(t, counts[history.Delete], 0)
	require.Greater(t, counts[history.Put], counts[history.Delete])
}

func TestReadModifyWriteCarriesTheReadContext(t *testing.T) {
	cfg := WorkloadConfig{Clients: 1, MaxOps: 50, Mix: OpMix{ReadModifyWrite: 1}, Keys: KeyConfig{Count: 1}}
	_, _, h := runClients(t, cfg, &registerServer{})
	require.Len(t, h.Ops, 100)
	for i := 0; i < len(h.Ops); i += 2 {
		get, put := h.Ops[i], h.Ops[i+1]
		require.Equal(t, history.Get, get.Kind)
		require.Equal(t, history.Put, put.Kind)
		require.Equal(t, get.Values, put.Context, "the put passes back what the get read")
		if i > 0 {
			require.Equal(t, []string{h.Ops[i-1].Value}, get.Values, "a single client reads its own last write")
		}
	}
}

func TestTimeoutsRetriesAndOutcomes(t *testing.T) {
	// The server ignores every write: puts time out, are retried, and end
	// unknown (they may have applied); gets are answered.
	srv := &registerServer{drop: func(m wire.Message) bool { return m.Kind() == wire.KindClientPut }}
	cfg := WorkloadConfig{Clients: 1, MaxOps: 20, Mix: OpMix{Put: 1}, Timeout: 50 * time.Millisecond, Retries: 2}
	_, wl, h := runClients(t, cfg, srv)
	require.Len(t, h.Ops, 20)
	for _, op := range h.Ops {
		require.Equal(t, history.Unknown, op.Outcome)
		require.InDelta(t, 150e6, float64(op.ReturnNs-op.InvokeNs), 10, "three attempts of 50 ms")
	}
	require.Equal(t, uint64(60), wl.Stats().Timeouts)
	require.Equal(t, uint64(40), wl.Stats().Retries)

	// A definite failure reply ends a put as failed, not unknown.
	_, _, h = runClients(t, WorkloadConfig{MaxOps: 5, Mix: OpMix{Put: 1}}, &registerServer{status: wire.StatusFailed})
	for _, op := range h.Ops {
		require.Equal(t, history.Failed, op.Outcome)
	}
	// A timed-out get is failed: a read has no effect.
	srv = &registerServer{drop: func(m wire.Message) bool { return m.Kind() == wire.KindClientGet }}
	_, _, h = runClients(t, WorkloadConfig{MaxOps: 5, Mix: OpMix{Get: 1}, Timeout: 10 * time.Millisecond}, srv)
	for _, op := range h.Ops {
		require.Equal(t, history.Failed, op.Outcome)
	}
}

func TestOpenLoopRateAndDuration(t *testing.T) {
	cfg := WorkloadConfig{Clients: 4, RatePerClient: 100, Duration: 10 * time.Second, Mix: OpMix{Get: 1}}
	_, _, h := runClients(t, cfg, &registerServer{})
	// 4 clients × 100/s × 10 s = 4000 expected; Poisson sd ≈ 63.
	require.InDelta(t, 4000, len(h.Ops), 5*63)
	for _, op := range h.Ops {
		require.Less(t, op.InvokeNs, int64(10*time.Second))
	}
}

func TestKeyDistributions(t *testing.T) {
	draw := func(cfg KeyConfig, n int) []int {
		cfg = WorkloadConfig{Keys: cfg, MaxOps: 1}.WithDefaults().Keys
		k := newKeyChooser(cfg, 2)
		r := rand.New(rand.NewPCG(1, 1))
		counts := make([]int, cfg.Count)
		for i := 0; i < n; i++ {
			counts[k.choose(r, i%2, uint64(i/2))]++
		}
		return counts
	}
	const n = 100_000
	u := draw(KeyConfig{Count: 10, Dist: KeysUniform}, n)
	for _, c := range u {
		require.InDelta(t, n/10, c, 5*95) // binomial sd ≈ 95
	}
	z := draw(KeyConfig{Count: 100, Dist: KeysZipfian, ZipfS: 1}, n)
	// P(rank 1) / P(rank 2) = 2 for s = 1.
	require.InDelta(t, 2.0, float64(z[0])/float64(z[1]), 0.1)
	require.Greater(t, z[0], z[99]*50)
	hs := draw(KeyConfig{Count: 100, Dist: KeysHotspot, HotspotKeys: 0.1, HotspotOps: 0.9}, n)
	hot := 0
	for _, c := range hs[:10] {
		hot += c
	}
	require.InDelta(t, 0.9*n, hot, 5*95)
	seq := draw(KeyConfig{Count: 10, Dist: KeysSequential}, 20)
	for _, c := range seq {
		require.Equal(t, 2, c, "sequential keys are visited in turn")
	}
}

func TestWorkloadValidate(t *testing.T) {
	bad := []WorkloadConfig{
		{Clients: -1, MaxOps: 1},
		{}, // never ends
		{MaxOps: 1, Keys: KeyConfig{Dist: "gaussian"}},
		{MaxOps: 1, Routing: "nearest"},
		{MaxOps: 1, Mix: OpMix{Get: -1}},
		{MaxOps: 1, RatePerClient: -5},
	}
	for _, c := range bad {
		require.Error(t, c.WithDefaults().Validate(), "%+v", c)
	}
	require.NoError(t, WorkloadConfig{MaxOps: 1}.WithDefaults().Validate())
}

// Open-loop clients have many attempts in flight; each times out exactly
// Timeout after it was sent, retries included, though a client keeps one
// timer.
func TestEveryAttemptTimesOutOnTime(t *testing.T) {
	srv := &registerServer{drop: func(m wire.Message) bool { return m.Kind() == wire.KindClientPut }}
	cfg := WorkloadConfig{Clients: 2, RatePerClient: 500, Duration: 2 * time.Second, Mix: OpMix{Get: 1, Put: 1}, Timeout: 30 * time.Millisecond, Retries: 1}
	_, wl, h := runClients(t, cfg, srv)
	puts := 0
	for _, op := range h.Ops {
		if op.Kind == history.Put {
			puts++
			require.Equal(t, history.Unknown, op.Outcome)
			// Two attempts of 30 ms (the recorder's tie-breaks add a few ns).
			require.InDelta(t, 60e6, float64(op.ReturnNs-op.InvokeNs), 100, "op %d", op.ID)
		} else {
			require.Equal(t, history.OK, op.Outcome)
		}
	}
	require.Greater(t, puts, 800)
	require.Equal(t, uint64(2*puts), wl.Stats().Timeouts)
}
