package gossip

import (
	"container/heap"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/wire"
)

// cluster is a tiny deterministic world for Gossip instances: virtual
// time, ticks every GossipInterval at a random phase per node, messages
// delivered after a random delay in [minDelay, maxDelay) and dropped with
// probability loss, all from one seeded stream. A crashed node neither
// ticks nor receives.
type cluster struct {
	t        testing.TB
	cfg      Config
	rng      *rand.Rand
	now      time.Time
	nodes    map[MemberID]*Gossip
	gen      map[MemberID]uint64
	crashed  map[MemberID]bool
	ids      []MemberID
	q        eventQueue
	seq      uint64
	loss     float64
	minDelay time.Duration
	maxDelay time.Duration

	pushBytes, replyBytes, rounds int
}

type event struct {
	at   time.Time
	seq  uint64
	to   MemberID
	from MemberID
	msg  wire.Message // nil: a tick
	inc  uint64       // tick: the incarnation it belongs to
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newCluster(t testing.TB, cfg Config, n int, seed uint64, loss float64) *cluster {
	c := &cluster{
		t: t, cfg: cfg.WithDefaults(), rng: rand.New(rand.NewPCG(seed, 99)), now: epoch,
		nodes: map[MemberID]*Gossip{}, gen: map[MemberID]uint64{}, crashed: map[MemberID]bool{},
		loss: loss, minDelay: time.Millisecond, maxDelay: 20 * time.Millisecond,
	}
	for i := range n {
		c.ids = append(c.ids, MemberID(i))
	}
	for _, id := range c.ids {
		c.start(id)
	}
	return c
}

func (c *cluster) start(id MemberID) {
	c.gen[id]++
	g, err := New(c.cfg, id, c.gen[id], c.ids, rand.New(rand.NewPCG(uint64(id), c.gen[id])), c.now)
	require.NoError(c.t, err)
	c.nodes[id] = g
	c.crashed[id] = false
	phase := time.Duration(c.rng.Int64N(int64(c.cfg.GossipInterval)))
	c.push(event{at: c.now.Add(phase), to: id, inc: c.gen[id]})
}

func (c *cluster) crash(id MemberID) { c.crashed[id] = true }

func (c *cluster) push(e event) {
	c.seq++
	e.seq = c.seq
	heap.Push(&c.q, e)
}

func (c *cluster) send(from MemberID, out []Outgoing) {
	for _, o := range out {
		switch o.Msg.(type) {
		case *wire.GossipPush:
			c.pushBytes += o.Msg.Size()
		case *wire.GossipReply:
			c.replyBytes += o.Msg.Size()
		}
		// Every message crosses the wire: encode and decode it, so the
		// codec is part of what the harness tests.
		m, err := wire.Decode(o.Msg.AppendFrame(nil))
		require.NoError(c.t, err)
		if c.rng.Float64() < c.loss {
			continue
		}
		d := c.minDelay + time.Duration(c.rng.Int64N(int64(c.maxDelay-c.minDelay)))
		c.push(event{at: c.now.Add(d), to: o.To, from: from, msg: m})
	}
}

// run advances virtual time to until, handling every event before it.
func (c *cluster) run(until time.Time) {
	for len(c.q) > 0 && !c.q[0].at.After(until) {
		e := heap.Pop(&c.q).(event)
		c.now = e.at
		if c.crashed[e.to] {
			continue
		}
		g := c.nodes[e.to]
		if e.msg == nil {
			if e.inc != c.gen[e.to] {
				continue // a tick of an earlier incarnation
			}
			c.rounds++
			c.send(e.to, g.Tick(c.now))
			c.push(event{at: c.now.Add(c.cfg.GossipInterval), to: e.to, inc: e.inc})
			continue
		}
		c.send(e.to, g.Step(c.now, e.from, e.msg))
	}
	c.now = until
}

// marks returns, per live observer, the time it first marked target as
// kind at or after since (zero if it did not).
func (c *cluster) marks(target MemberID, kind TransitionKind, since time.Time) map[MemberID]time.Time {
	out := map[MemberID]time.Time{}
	for _, id := range c.ids {
		if id == target || c.crashed[id] {
			continue
		}
		out[id] = time.Time{}
		for _, tr := range c.nodes[id].Transitions() {
			if tr.Member == target && tr.Kind == kind && !tr.At.Before(since) {
				out[id] = tr.At
				break
			}
		}
	}
	return out
}

func (c *cluster) downMarks() int {
	n := 0
	for _, id := range c.ids {
		for _, tr := range c.nodes[id].Transitions() {
			if tr.Kind == MarkedDown {
				n++
			}
		}
	}
	return n
}
