package sim

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/internal/dist"
	"dynasim/node"
	"dynasim/sim/network"
	"dynasim/wire"
)

// Test processes for the world. They exercise every part of the node
// contract: messages, timers, the clock, the seeded stream and the disk.

const (
	kindPing wire.Kind = 200 + iota
	kindPong
)

// testMsg is a minimal message: a kind byte, a sequence number and a body.
type testMsg struct {
	kind wire.Kind
	seq  uint64
	body []byte
}

func (m *testMsg) Kind() wire.Kind { return m.kind }
func (m *testMsg) Size() int       { return 1 + 8 + len(m.body) }
func (m *testMsg) AppendFrame(b []byte) []byte {
	b = append(b, byte(m.kind))
	b = binary.LittleEndian.AppendUint64(b, m.seq)
	return append(b, m.body...)
}

// chatty sends pings to random peers on a timer, answers pings with pongs,
// logs every message it receives to its disk and syncs every few records.
type chatty struct {
	self  wire.Addr
	env   node.Env
	peers []wire.Addr
	log   disk.File
	seq   uint64
	got   []string // what this incarnation handled, for assertions
	boot  int64    // bytes of log found at start (recovered)
}

const timerTick uint8 = 1

func chattyFactory(peers []wire.Addr, interval time.Duration) node.Factory {
	return func(self wire.Addr, env node.Env) (node.Process, error) {
		c := &chatty{self: self, env: env, peers: peers}
		if fs := env.FS(); fs != nil {
			if f, err := fs.Open("log"); err == nil {
				c.boot, _ = f.Size()
				_ = f.Close()
			}
			f, err := fs.Create(fmt.Sprintf("log.%d", env.Rand().Uint64()%1000))
			if err != nil {
				return nil, err
			}
			c.log = f
		}
		env.SetTimer(interval, node.Timer{Kind: timerTick, ID: uint64(interval)})
		return c, nil
	}
}

func (c *chatty) Handle(ev node.Event) {
	switch ev.Kind {
	case node.TimerEvent:
		c.got = append(c.got, "tick")
		to := c.peers[c.env.Rand().IntN(len(c.peers))]
		if to != c.self {
			c.seq++
			body := make([]byte, c.env.Rand().IntN(64))
			c.env.Send(to, &testMsg{kind: kindPing, seq: c.seq, body: body})
		}
		c.env.SetTimer(time.Duration(ev.Timer.ID), ev.Timer)
	case node.MessageEvent:
		m := ev.Msg.(*testMsg)
		c.got = append(c.got, fmt.Sprintf("%v from %d", m.kind, ev.From))
		if c.log != nil {
			rec := binary.LittleEndian.AppendUint64(nil, uint64(c.env.Now().UnixNano()))
			_, _ = c.log.Write(rec)
			if m.seq%4 == 0 {
				_ = c.log.Sync()
			}
		}
		if m.kind == kindPing {
			c.env.Send(ev.From, &testMsg{kind: kindPong, seq: m.seq})
		}
	}
}

func constMs(ms float64) dist.Spec { return dist.Spec{Dist: "constant", Value: ms} }

func busyWorld(t testing.TB, seed uint64, nodes int) *World {
	t.Helper()
	w, err := NewWorld(Config{
		Seed: seed,
		Network: network.Config{Default: network.LinkConfig{
			LatencyMs: dist.Spec{Dist: "lognormal", Median: 1, Sigma: 0.8},
			LossProb:  0.02, DupProb: 0.01,
		}},
		EventCost: 20 * time.Microsecond,
	})
	require.NoError(t, err)
	peers := make([]wire.Addr, nodes)
	for i := range peers {
		peers[i] = wire.Addr(i)
	}
	for i := 0; i < nodes; i++ {
		_, err := w.AddEndpoint(EndpointSpec{
			Name:    fmt.Sprintf("n%d", i),
			DC:      []string{"east", "west"}[i%2],
			Clock:   ClockConfig{Offset: time.Duration(i) * time.Millisecond, DriftPPM: float64(i * 10)},
			Disk:    &DiskConfig{Faults: disk.ErrorFSConfig{}, CrashMode: disk.CrashKeepPrefix},
			Factory: chattyFactory(peers, time.Duration(1+i)*time.Millisecond),
		})
		require.NoError(t, err)
	}
	// A fault schedule: crash and restart, pause and resume, a partition.
	w.At(At(50*time.Millisecond), "crash n1", func() { require.NoError(t, w.CrashDefault(1)) })
	w.At(At(80*time.Millisecond), "restart n1", func() { require.NoError(t, w.Restart(1)) })
	w.At(At(60*time.Millisecond), "pause n2", func() { require.NoError(t, w.Pause(2)) })
	w.At(At(90*time.Millisecond), "resume n2", func() { require.NoError(t, w.Resume(2)) })
	w.At(At(100*time.Millisecond), "partition", func() {
		require.NoError(t, w.Network().Partition("p", []wire.Addr{0, 1}, []wire.Addr{2, 3, 4}, false))
	})
	w.At(At(150*time.Millisecond), "heal", func() { require.NoError(t, w.Network().Heal("p")) })
	return w
}

func TestReplayIsExact(t *testing.T) {
	run := func(seed uint64) (uint64, uint64, []Trace) {
		w := busyWorld(t, seed, 5)
		var traces []Trace
		w.SetTrace(func(tr Trace) { traces = append(traces, tr) })
		w.Run(Limit{Until: At(300 * time.Millisecond)})
		return w.Fingerprint(), w.Events(), traces
	}
	fp1, n1, tr1 := run(7)
	fp2, n2, tr2 := run(7)
	require.Greater(t, n1, uint64(1000), "the world must be busy for this test to mean anything")
	require.Equal(t, n1, n2)
	require.Equal(t, len(tr1), len(tr2))
	for i := range tr1 {
		require.Equal(t, tr1[i].At, tr2[i].At, "event %d", i)
		require.Equal(t, tr1[i].To, tr2[i].To, "event %d", i)
		require.Equal(t, tr1[i].From, tr2[i].From, "event %d", i)
	}
	require.Equal(t, fp1, fp2)

	fp3, _, _ := run(8)
	require.NotEqual(t, fp1, fp3, "a different seed must change the fingerprint")
}

func TestFingerprintSeesPayloadBytes(t *testing.T) {
	run := func(body byte) uint64 {
		w, err := NewWorld(Config{Seed: 1, Network: network.Config{Default: network.LinkConfig{LatencyMs: constMs(1)}}})
		require.NoError(t, err)
		sink := &recorder{}
		a := mustAdd(t, w, EndpointSpec{Name: "a", Factory: func(wire.Addr, node.Env) (node.Process, error) { return sink, nil }})
		b := mustAdd(t, w, EndpointSpec{Name: "b", Factory: func(wire.Addr, node.Env) (node.Process, error) { return sink, nil }})
		w.At(0, "send", func() { a.Send(b.Addr(), &testMsg{kind: kindPing, body: []byte{1, 2, body}}) })
		w.Run(Limit{})
		require.Len(t, sink.events, 1)
		return w.Fingerprint()
	}
	require.Equal(t, run(3), run(3))
	require.NotEqual(t, run(3), run(4))
}

// recorder remembers what it handled and when.
type recorder struct {
	env    node.Env
	events []node.Event
	times  []time.Time
}

func (r *recorder) Handle(ev node.Event) {
	r.events = append(r.events, ev)
	if r.env != nil {
		r.times = append(r.times, r.env.Now())
	}
}

func mustAdd(t testing.TB, w *World, spec EndpointSpec) *Endpoint {
	t.Helper()
	ep, err := w.AddEndpoint(spec)
	require.NoError(t, err)
	return ep
}

func recorderFactory(r *recorder) node.Factory {
	return func(_ wire.Addr, env node.Env) (node.Process, error) { r.env = env; return r, nil }
}

func TestClockOffsetDriftAndJump(t *testing.T) {
	w, err := NewWorld(Config{Seed: 1})
	require.NoError(t, err)
	r := &recorder{}
	ep := mustAdd(t, w, EndpointSpec{Name: "a", Clock: ClockConfig{Offset: 5 * time.Second, DriftPPM: 1000}, Factory: recorderFactory(r)})
	for _, at := range []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second} {
		ep.SetTimer(at, node.Timer{Kind: 1, ID: uint64(at)})
	}
	w.At(At(1500*time.Millisecond), "jump back", func() { require.NoError(t, w.JumpClock(ep.Addr(), -10*time.Second)) })
	w.At(At(2500*time.Millisecond), "jump fwd", func() { require.NoError(t, w.JumpClock(ep.Addr(), 3*time.Second)) })
	w.Run(Limit{})
	require.Len(t, r.times, 4)
	want := []time.Duration{
		5 * time.Second, // offset only
		time.Second + 5*time.Second + time.Millisecond, // 1000 ppm of 1 s = 1 ms
		2*time.Second + 5*time.Second + 2*time.Millisecond - 10*time.Second,
		3*time.Second + 5*time.Second + 3*time.Millisecond - 7*time.Second,
	}
	for i, d := range want {
		require.Equal(t, Epoch.Add(d), r.times[i], "reading %d", i)
	}
}

func TestPauseQueuesAndResumeDelivers(t *testing.T) {
	w, err := NewWorld(Config{Seed: 1, Network: network.Config{Default: network.LinkConfig{LatencyMs: constMs(1)}}})
	require.NoError(t, err)
	src, dst := &recorder{}, &recorder{}
	a := mustAdd(t, w, EndpointSpec{Name: "a", Factory: recorderFactory(src)})
	b := mustAdd(t, w, EndpointSpec{Name: "b", Factory: recorderFactory(dst)})
	w.At(At(10*time.Millisecond), "pause", func() { require.NoError(t, w.Pause(b.Addr())) })
	for i := 0; i < 5; i++ {
		seq := uint64(i)
		w.At(At(time.Duration(20+i)*time.Millisecond), "send", func() { a.Send(b.Addr(), &testMsg{kind: kindPing, seq: seq}) })
	}
	b.SetTimer(30*time.Millisecond, node.Timer{Kind: 9})
	w.Run(Limit{Until: At(49 * time.Millisecond)})
	require.Empty(t, dst.events, "a paused node handles nothing")
	require.Equal(t, 6, b.QueuedEvents())
	require.Equal(t, 6, b.MaxQueuedEvents())
	w.At(At(50*time.Millisecond), "resume", func() { require.NoError(t, w.Resume(b.Addr())) })
	w.Run(Limit{})
	require.Len(t, dst.events, 6)
	for i := 0; i < 5; i++ {
		require.Equal(t, uint64(i), dst.events[i].Msg.(*testMsg).seq, "queued messages keep arrival order")
		require.Equal(t, Epoch.Add(50*time.Millisecond), dst.times[i], "all delivered at resume")
	}
	require.Equal(t, node.TimerEvent, dst.events[5].Kind, "the timer that fired while paused is delivered too")
}

func TestCrashDropsMemoryTimersAndMessages(t *testing.T) {
	w, err := NewWorld(Config{Seed: 1, Network: network.Config{Default: network.LinkConfig{LatencyMs: constMs(1)}}})
	require.NoError(t, err)
	var incarnations []*recorder
	factory := func(_ wire.Addr, env node.Env) (node.Process, error) {
		r := &recorder{env: env}
		incarnations = append(incarnations, r)
		return r, nil
	}
	src := &recorder{}
	a := mustAdd(t, w, EndpointSpec{Name: "a", Factory: recorderFactory(src)})
	b := mustAdd(t, w, EndpointSpec{Name: "b", Disk: &DiskConfig{}, Factory: factory})
	b.SetTimer(20*time.Millisecond, node.Timer{Kind: 1})
	w.At(At(10*time.Millisecond), "crash", func() { require.NoError(t, w.Crash(b.Addr(), disk.CrashLoseUnsynced)) })
	w.At(At(15*time.Millisecond), "send to dead", func() { a.Send(b.Addr(), &testMsg{kind: kindPing}) })
	w.At(At(30*time.Millisecond), "restart", func() { require.NoError(t, w.Restart(b.Addr())) })
	w.At(At(40*time.Millisecond), "send to live", func() { a.Send(b.Addr(), &testMsg{kind: kindPing, seq: 7}) })
	w.Run(Limit{})
	require.Len(t, incarnations, 2)
	require.Empty(t, incarnations[0].events)
	require.Len(t, incarnations[1].events, 1, "the old timer and the message sent while down are gone")
	require.Equal(t, uint64(7), incarnations[1].events[0].Msg.(*testMsg).seq)
	st := w.Stats()
	require.Equal(t, uint64(1), st.StaleTimers)
	require.Equal(t, uint64(1), st.DroppedDown)
	require.Error(t, w.Restart(b.Addr()), "restarting a live node is an error")
	require.Error(t, w.Crash(99, disk.CrashLoseUnsynced), "unknown address")
}

// syncer writes one record per message, syncing the first n.
type syncer struct {
	env      node.Env
	f        disk.File
	n, count int
	found    []byte
}

func TestCrashKeepsSyncedBytesThroughTheWorld(t *testing.T) {
	for _, mode := range []disk.CrashMode{disk.CrashLoseUnsynced, disk.CrashKeepPrefix, disk.CrashTornWrite} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			w, err := NewWorld(Config{Seed: 3, Network: network.Config{Default: network.LinkConfig{LatencyMs: constMs(1)}}})
			require.NoError(t, err)
			var procs []*syncer
			factory := func(_ wire.Addr, env node.Env) (node.Process, error) {
				s := &syncer{env: env, n: 3}
				if f, err := env.FS().Open("data"); err == nil {
					size, _ := f.Size()
					s.found = make([]byte, size)
					_, _ = f.ReadAt(s.found, 0)
					_ = f.Close()
				} else {
					f, err := env.FS().Create("data")
					require.NoError(t, err)
					d, err := env.FS().OpenDir(".")
					require.NoError(t, err)
					require.NoError(t, d.Sync())
					s.f = f
				}
				procs = append(procs, s)
				return s, nil
			}
			src := &recorder{}
			a := mustAdd(t, w, EndpointSpec{Name: "a", Factory: recorderFactory(src)})
			b := mustAdd(t, w, EndpointSpec{Name: "b", Disk: &DiskConfig{}, Factory: factory})
			for i := 0; i < 6; i++ {
				w.At(At(time.Duration(i)*time.Millisecond), "send", func() { a.Send(b.Addr(), &testMsg{kind: kindPing}) })
			}
			w.At(At(20*time.Millisecond), "crash", func() { require.NoError(t, w.Crash(b.Addr(), mode)) })
			w.At(At(30*time.Millisecond), "restart", func() { require.NoError(t, w.Restart(b.Addr())) })
			w.Run(Limit{})
			require.Len(t, procs, 2)
			synced := bytesOf(0, 3)
			all := bytesOf(0, 6)
			got := procs[1].found
			require.GreaterOrEqual(t, len(got), len(synced), "synced bytes survive")
			require.Equal(t, synced, got[:len(synced)])
			require.Equal(t, all[:len(got)], got, "nothing that was never written appears")
			if mode == disk.CrashLoseUnsynced {
				require.Equal(t, synced, got)
			}
		})
	}
}

func bytesOf(from, to int) []byte {
	var b []byte
	for i := from; i < to; i++ {
		b = append(b, []byte(fmt.Sprintf("record %03d|", i))...)
	}
	return b
}

func (s *syncer) Handle(ev node.Event) {
	if s.f == nil {
		return
	}
	_, _ = s.f.Write(bytesOf(s.count, s.count+1))
	s.count++
	if s.count <= s.n {
		_ = s.f.Sync()
	}
}

var _ = io.EOF

// writer writes and syncs a record, then sends, for every message.
type writer struct {
	env node.Env
	f   disk.File
	to  wire.Addr
}

func (wr *writer) Handle(ev node.Event) {
	if ev.Kind != node.MessageEvent {
		return
	}
	_, _ = wr.f.Write(make([]byte, 100))
	_ = wr.f.Sync()
	wr.env.Send(wr.to, &testMsg{kind: kindPong, seq: ev.Msg.(*testMsg).seq})
}

func writerFactory(to wire.Addr) node.Factory {
	return func(_ wire.Addr, env node.Env) (node.Process, error) {
		f, err := env.FS().Create("w")
		if err != nil {
			return nil, err
		}
		return &writer{env: env, f: f, to: to}, nil
	}
}

func TestDiskLatencyDelaysOutputsAndNextEvent(t *testing.T) {
	const syncMs = 5
	w, err := NewWorld(Config{Seed: 1, Network: network.Config{Default: network.LinkConfig{LatencyMs: constMs(1)}}})
	require.NoError(t, err)
	sink := &recorder{}
	a := mustAdd(t, w, EndpointSpec{Name: "a", Factory: recorderFactory(sink)})
	dc := &DiskConfig{Faults: disk.ErrorFSConfig{Latency: []disk.LatencyFault{{
		Target: disk.Target{Ops: disk.OpSync},
		Sample: func(*rand.Rand) time.Duration { return syncMs * time.Millisecond },
	}}}}
	b := mustAdd(t, w, EndpointSpec{Name: "b", Disk: dc, Factory: writerFactory(a.Addr())})
	// Two messages arrive at b at the same time (t=1ms): the second waits
	// for the first one's sync.
	w.At(0, "send", func() {
		a.Send(b.Addr(), &testMsg{kind: kindPing, seq: 1})
		a.Send(b.Addr(), &testMsg{kind: kindPing, seq: 2})
	})
	w.Run(Limit{})
	require.Len(t, sink.times, 2)
	// Arrive at 1 ms; first reply departs after its 5 ms sync (6 ms) and
	// arrives at 7 ms; the second is handled at 6 ms, departs at 11 ms,
	// arrives at 12 ms.
	require.Equal(t, Epoch.Add(7*time.Millisecond), sink.times[0])
	require.Equal(t, Epoch.Add(12*time.Millisecond), sink.times[1])
	require.Equal(t, 10*time.Millisecond, b.Faults().IOTime())

	// A slow node takes proportionally longer.
	w2, err := NewWorld(Config{Seed: 1, Network: network.Config{Default: network.LinkConfig{LatencyMs: constMs(1)}}})
	require.NoError(t, err)
	sink2 := &recorder{}
	a2 := mustAdd(t, w2, EndpointSpec{Name: "a", Factory: recorderFactory(sink2)})
	b2 := mustAdd(t, w2, EndpointSpec{Name: "b", Disk: dc, Factory: writerFactory(a2.Addr())})
	require.NoError(t, w2.SetSlow(b2.Addr(), 3))
	require.Error(t, w2.SetSlow(b2.Addr(), 0.5))
	w2.At(0, "send", func() { a2.Send(b2.Addr(), &testMsg{kind: kindPing, seq: 1}) })
	w2.Run(Limit{})
	require.Equal(t, []time.Time{Epoch.Add((1 + 3*syncMs + 1) * time.Millisecond)}, sink2.times)
}

func TestEventCostQueuesWork(t *testing.T) {
	w, err := NewWorld(Config{Seed: 1, EventCost: time.Millisecond, Network: network.Config{Default: network.LinkConfig{LatencyMs: constMs(1)}}})
	require.NoError(t, err)
	sink := &recorder{}
	a := mustAdd(t, w, EndpointSpec{Name: "a", Factory: recorderFactory(sink)})
	echo := mustAdd(t, w, EndpointSpec{Name: "echo", Factory: func(_ wire.Addr, env node.Env) (node.Process, error) {
		return processFunc(func(ev node.Event) { env.Send(ev.From, ev.Msg) }), nil
	}})
	w.At(0, "burst", func() {
		for i := 0; i < 3; i++ {
			a.Send(echo.Addr(), &testMsg{kind: kindPing, seq: uint64(i)})
		}
	})
	w.Run(Limit{})
	// Each event costs 1 ms at echo and 1 ms at a: replies leave echo at 2, 3
	// and 4 ms, reach a at 3, 4, 5 ms, and a's own cost puts its clock reading
	// 1 ms later.
	want := []time.Time{Epoch.Add(4 * time.Millisecond), Epoch.Add(5 * time.Millisecond), Epoch.Add(6 * time.Millisecond)}
	require.Equal(t, want, sink.times)
}

type processFunc func(node.Event)

func (f processFunc) Handle(ev node.Event) { f(ev) }

func TestPartitionDropsMessagesInFlight(t *testing.T) {
	w, err := NewWorld(Config{Seed: 1, Network: network.Config{Default: network.LinkConfig{LatencyMs: constMs(10)}}})
	require.NoError(t, err)
	ra, rb, rc := &recorder{}, &recorder{}, &recorder{}
	a := mustAdd(t, w, EndpointSpec{Name: "a", Factory: recorderFactory(ra)})
	b := mustAdd(t, w, EndpointSpec{Name: "b", Factory: recorderFactory(rb)})
	c := mustAdd(t, w, EndpointSpec{Name: "c", Factory: recorderFactory(rc)})
	w.At(0, "send", func() {
		a.Send(b.Addr(), &testMsg{kind: kindPing, seq: 1}) // cut in flight
		a.Send(c.Addr(), &testMsg{kind: kindPing, seq: 2}) // not cut
		b.Send(a.Addr(), &testMsg{kind: kindPing, seq: 3}) // one-way cut lets b->a through
	})
	w.At(At(5*time.Millisecond), "cut", func() {
		require.NoError(t, w.Network().Partition("ab", []wire.Addr{a.Addr()}, []wire.Addr{b.Addr()}, true))
	})
	w.At(At(20*time.Millisecond), "send while cut", func() { a.Send(b.Addr(), &testMsg{kind: kindPing, seq: 4}) })
	w.Run(Limit{})
	require.Empty(t, rb.events)
	require.Len(t, rc.events, 1)
	require.Len(t, ra.events, 1)
	require.Equal(t, uint64(1), w.Stats().DroppedInFlight)
	require.Equal(t, uint64(1), w.Network().Stats().Total.Cut)
}

func TestDiskFaultsCanStartSwitchedOff(t *testing.T) {
	w, err := NewWorld(Config{Seed: 1})
	require.NoError(t, err)
	dc := &DiskConfig{FaultsOff: true, Faults: disk.ErrorFSConfig{Errors: []disk.ErrorFault{{Target: disk.Target{Ops: disk.OpWrite}, Probability: 1}}}}
	ep := mustAdd(t, w, EndpointSpec{Name: "a", Disk: dc, Factory: recorderFactory(&recorder{})})
	f, err := ep.FS().Create("x")
	require.NoError(t, err)
	_, err = f.Write([]byte("ok"))
	require.NoError(t, err, "errors start switched off")
	require.NoError(t, w.ScheduleFaults([]Fault{{At: time.Millisecond, Kind: FaultDiskOn, Nodes: []string{"a"}, DiskFaults: []disk.FaultKind{disk.FaultError}}}))
	w.Run(Limit{})
	_, err = f.Write([]byte("no"))
	require.ErrorIs(t, err, disk.ErrInjected)
}
