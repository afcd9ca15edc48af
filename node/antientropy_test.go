package node

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node/merkle"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/wire"
)

// aeNet is a tiny deterministic world for node tests: messages are
// delivered in send order (unless drop says otherwise), timers fire in
// time order.
type aeNet struct {
	now    time.Time
	nodes  map[wire.Addr]*Node
	queue  []aeEnvelope
	timers []aeTimer
	drop   func(from, to wire.Addr) bool
	seq    int
	bytes  map[wire.Kind]int
}

type aeEnvelope struct {
	from, to wire.Addr
	msg      wire.Message
}

type aeTimer struct {
	at  time.Time
	seq int
	to  wire.Addr
	t   Timer
}

type aeEnv struct {
	net  *aeNet
	self wire.Addr
	fs   disk.FS
	rng  *rand.Rand
}

func (e *aeEnv) Now() time.Time { return e.net.now }
func (e *aeEnv) Send(to wire.Addr, m wire.Message) {
	e.net.queue = append(e.net.queue, aeEnvelope{e.self, to, m})
}
func (e *aeEnv) SetTimer(d time.Duration, t Timer) {
	e.net.seq++
	e.net.timers = append(e.net.timers, aeTimer{e.net.now.Add(d), e.net.seq, e.self, t})
}
func (e *aeEnv) Rand() Rand  { return e.rng }
func (e *aeEnv) FS() disk.FS { return e.fs }

func newAENet(t *testing.T, cfg Config, addrs []wire.Addr) *aeNet {
	net := &aeNet{now: time.Unix(1000, 0), nodes: map[wire.Addr]*Node{}, bytes: map[wire.Kind]int{}}
	for i, a := range addrs {
		fs, err := disk.NewMemFS(disk.DefaultMemFSConfig())
		require.NoError(t, err)
		n, err := New(cfg, a, &aeEnv{net: net, self: a, fs: fs, rng: rand.New(rand.NewPCG(uint64(i), 9))})
		require.NoError(t, err)
		net.nodes[a] = n
	}
	return net
}

// run delivers messages and fires timers until virtual time passes until.
func (net *aeNet) run(until time.Time) {
	for {
		for len(net.queue) > 0 {
			e := net.queue[0]
			net.queue = net.queue[1:]
			n := net.nodes[e.to]
			if n == nil || net.drop != nil && net.drop(e.from, e.to) {
				continue
			}
			net.bytes[e.msg.Kind()] += e.msg.Size()
			n.Handle(Event{Kind: MessageEvent, From: e.from, Msg: e.msg})
		}
		if len(net.timers) == 0 {
			return
		}
		i := slices.IndexFunc(net.timers, func(x aeTimer) bool {
			return !slices.ContainsFunc(net.timers, func(y aeTimer) bool { return y.at.Before(x.at) || y.at.Equal(x.at) && y.seq < x.seq })
		})
		tm := net.timers[i]
		if tm.at.After(until) {
			return
		}
		net.timers = slices.Delete(net.timers, i, i+1)
		net.now = tm.at
		net.nodes[tm.to].Handle(Event{Kind: TimerEvent, Timer: tm.t})
	}
}

// Three replicas of everything; writes at W=1 while the third is cut off
// reach only the first two. Anti-entropy's exchanges then bring the third
// to exactly the others' versions, and once all agree an exchange finds
// every range in sync.
func TestAntiEntropyExchangeRepairsAReplicaThatMissedWrites(t *testing.T) {
	addrs := []wire.Addr{10, 20, 30}
	cfg := Config{Ring: ring.Config{VNodes: 4, Placement: ring.Placement{N: 3}}, Versions: versions.Config{Mode: versions.ModeDVV},
		AntiEntropy: AntiEntropyConfig{Enabled: true, Interval: time.Second, Tree: merkle.Config{Buckets: 8}}}
	for i, a := range addrs {
		cfg.Members = append(cfg.Members, ring.Member{ID: wire.Addr(i), Addr: a})
	}
	net := newAENet(t, cfg, addrs)
	net.drop = func(from, to wire.Addr) bool { return to == 30 || from == 30 }
	one := wire.Need{Level: wire.LevelCount, Count: 1}
	var keys []string
	for i := range 300 {
		k := fmt.Sprintf("key-%03d", i)
		keys = append(keys, k)
		net.queue = append(net.queue, aeEnvelope{99, addrs[i%2], &wire.ClientPut{ReqID: uint64(i + 1), ReplyTo: wire.None,
			Key: []byte(k), Value: []byte(fmt.Sprint("v", i)), W: one}})
		net.run(net.now)
	}
	net.run(net.now.Add(500 * time.Millisecond))
	missing := 0
	for _, k := range keys {
		set, err := net.nodes[30].ReadLocal([]byte(k))
		require.NoError(t, err)
		if len(set.Siblings) == 0 {
			missing++
		}
	}
	require.Equal(t, len(keys), missing, "node 30 was cut off from every write")

	net.drop = nil
	net.run(net.now.Add(10 * time.Second))
	for _, k := range keys {
		a, err := net.nodes[10].ReadLocal([]byte(k))
		require.NoError(t, err)
		require.NotEmpty(t, a.Siblings)
		for _, o := range addrs[1:] {
			b, err := net.nodes[o].ReadLocal([]byte(k))
			require.NoError(t, err)
			require.True(t, versions.EqualSets(a, b), "key %s: node %d differs from node 10", k, o)
		}
	}
	s30 := net.nodes[30].AntiEntropyStats()
	require.Equal(t, uint64(len(keys)), s30.KeysRepaired, "node 30 took every key from anti-entropy")
	require.Zero(t, s30.MergeErrors)

	var before uint64
	for _, a := range addrs {
		before += net.nodes[a].AntiEntropyStats().KeysSent
	}
	net.run(net.now.Add(5 * time.Second))
	var after, completed, inSync uint64
	for _, a := range addrs {
		s := net.nodes[a].AntiEntropyStats()
		after += s.KeysSent
		completed += s.Completed
		inSync += s.InSync
	}
	require.Equal(t, before, after, "in-sync replicas exchanged keys")
	require.Greater(t, inSync, uint64(0))
	require.Greater(t, net.bytes[wire.KindAETree], 0)
}

// Anti-entropy messages reaching a node that runs none are counted as
// unknown, and malformed steps from a peer end the exchange without a
// panic.
func TestAntiEntropyBadInput(t *testing.T) {
	addrs := []wire.Addr{10, 20, 30}
	cfg := Config{Ring: ring.Config{VNodes: 4}}
	for i, a := range addrs {
		cfg.Members = append(cfg.Members, ring.Member{ID: wire.Addr(i), Addr: a})
	}
	net := newAENet(t, cfg, addrs)
	n := net.nodes[10]
	n.Handle(Event{Kind: MessageEvent, From: 20, Msg: &wire.AETree{ExchangeID: 1, Initiator: true}})
	require.Equal(t, uint64(1), n.Stats().UnknownMessages)

	cfg.AntiEntropy = AntiEntropyConfig{Enabled: true, Tree: merkle.Config{Buckets: 4}}
	net = newAENet(t, cfg, addrs)
	n = net.nodes[10]
	for _, m := range []wire.Message{
		&wire.AETree{ExchangeID: 1, Initiator: true, Buckets: 4, Arcs: []wire.AEArc{{Start: 5, End: 5}}, Nodes: []wire.AENode{{Arc: 7}}},
		&wire.AETree{ExchangeID: 2, Initiator: true, Buckets: 8, Arcs: []wire.AEArc{{Start: 5, End: 5}}},
		&wire.AETree{ExchangeID: 3, Initiator: true, Level: 3},
		&wire.AETree{ExchangeID: 4, Initiator: false, Level: 1, Nodes: []wire.AENode{{Index: 1}}},
		&wire.AEEntries{ExchangeID: 5, Initiator: true, Last: true, Reply: true, Spans: []wire.AEArc{{Start: 1, End: 1}},
			Entries: []wire.AEEntry{{Key: []byte("k"), Set: wire.SiblingSet{Siblings: []wire.Sibling{{Dot: wire.Dot{Actor: 0, Counter: 0}}}}}}},
	} {
		require.NotPanics(t, func() { n.Handle(Event{Kind: MessageEvent, From: 20, Msg: m}) })
	}
	s := n.AntiEntropyStats()
	require.GreaterOrEqual(t, s.ServeRefused, uint64(2))
	require.Equal(t, uint64(1), s.MergeErrors, "an invalid set is refused by the merge")
}

// Random anti-entropy messages, well formed for the codec but meaningless
// to the exchange, never make a node panic.
func TestAntiEntropyRandomMessagesNeverPanic(t *testing.T) {
	addrs := []wire.Addr{10, 20, 30}
	cfg := Config{Ring: ring.Config{VNodes: 4}, AntiEntropy: AntiEntropyConfig{Enabled: true, Tree: merkle.Config{Buckets: 4}}}
	for i, a := range addrs {
		cfg.Members = append(cfg.Members, ring.Member{ID: wire.Addr(i), Addr: a})
	}
	net := newAENet(t, cfg, addrs)
	n := net.nodes[10]
	rng := rand.New(rand.NewPCG(7, 8))
	arcs := func() []wire.AEArc {
		out := make([]wire.AEArc, rng.IntN(4))
		for i := range out {
			out[i] = wire.AEArc{Start: rng.Uint64() >> rng.IntN(64), End: rng.Uint64()}
		}
		return out
	}
	for i := range 3000 {
		var m wire.Message
		id := uint64(rng.IntN(4))
		if rng.IntN(2) == 0 {
			tr := &wire.AETree{ExchangeID: id, Initiator: rng.IntN(2) == 0, Refused: rng.IntN(8) == 0, Done: rng.IntN(8) == 0,
				Buckets: uint32(1) << rng.IntN(4), Arcs: arcs(), Level: uint8(rng.IntN(4))}
			for j := range rng.IntN(5) {
				tr.Nodes = append(tr.Nodes, wire.AENode{Arc: uint32(j), Index: uint32(rng.IntN(1 << tr.Level)), Hash: rng.Uint64()})
			}
			for range rng.IntN(3) {
				tr.ArcBytes = append(tr.ArcBytes, rng.Uint64())
			}
			m = tr
		} else {
			e := &wire.AEEntries{ExchangeID: id, Initiator: rng.IntN(2) == 0, Last: rng.IntN(2) == 0, Reply: rng.IntN(2) == 0, Spans: arcs()}
			for j := range rng.IntN(3) {
				e.Entries = append(e.Entries, wire.AEEntry{Key: []byte(fmt.Sprint("k", j)),
					Set: wire.SiblingSet{Siblings: []wire.Sibling{{Dot: wire.Dot{Actor: wire.ActorID(rng.IntN(3)), Counter: uint64(rng.IntN(3))}, Value: []byte("v")}}}})
			}
			m = e
		}
		from := addrs[1+rng.IntN(2)]
		require.NotPanics(t, func() { n.Handle(Event{Kind: MessageEvent, From: from, Msg: m}) }, "message %d: %+v", i, m)
		if i%100 == 0 {
			net.queue = nil
			net.run(net.now.Add(time.Second))
		}
	}
}
