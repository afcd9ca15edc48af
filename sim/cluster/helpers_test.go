package cluster

import (
	"dynasim/disk"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/internal/dist"
	"dynasim/node"
	"dynasim/node/coord"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/sim/network"
	"dynasim/wire"
)

func constMs(ms float64) dist.Spec { return dist.Spec{Dist: dist.Constant, Value: ms} }

func uniformMs(lo, hi float64) dist.Spec { return dist.Spec{Dist: dist.Uniform, Min: lo, Max: hi} }

// testConfig is n nodes in one datacenter, 1 ms links, N=3, QUORUM
// defaults, on the test engine.
func testConfig(seed uint64, n int, mode versions.Mode) Config {
	cfg := Config{
		World: sim.Config{Seed: seed, Network: network.Config{Default: network.LinkConfig{LatencyMs: constMs(1)}}},
		Node: node.Config{
			Ring:     ring.Config{VNodes: 32},
			Versions: versions.Config{Mode: mode},
		},
	}
	for i := 0; i < n; i++ {
		cfg.Members = append(cfg.Members, Member{Name: fmt.Sprint("n", i), DC: "dc1"})
	}
	return cfg
}

func newCluster(t testing.TB, cfg Config) *Cluster {
	t.Helper()
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

// probe is a scripted client: tests send single requests through it and
// run the world until the answer arrives.
type probe struct {
	c       *Cluster
	ep      *sim.Endpoint
	next    uint64
	replies map[uint64]*wire.ClientReply
	at      map[uint64]sim.Time
}

func (p *probe) Handle(ev node.Event) {
	if r, ok := ev.Msg.(*wire.ClientReply); ok && ev.Kind == node.MessageEvent {
		p.replies[r.ReqID] = r
		p.at[r.ReqID] = p.c.world.Now()
	}
}

func addProbe(t testing.TB, c *Cluster, name string) *probe {
	t.Helper()
	p := &probe{c: c, replies: map[uint64]*wire.ClientReply{}, at: map[uint64]sim.Time{}}
	ep, err := c.world.AddEndpoint(sim.EndpointSpec{Name: name, DC: c.cfg.Members[0].DC,
		Factory: func(wire.Addr, node.Env) (node.Process, error) { return p, nil }})
	require.NoError(t, err)
	p.ep = ep
	return p
}

// Request options.
type req struct {
	n    uint8
	w, r wire.Need
	ctx  []byte
}

func (p *probe) sendGet(to wire.Addr, key string, o req) uint64 {
	p.next++
	p.ep.Send(to, &wire.ClientGet{ReqID: p.next, ReplyTo: wire.None, Key: []byte(key), N: o.n, R: o.r})
	return p.next
}

func (p *probe) sendPut(to wire.Addr, key, value string, o req) uint64 {
	p.next++
	p.ep.Send(to, &wire.ClientPut{ReqID: p.next, ReplyTo: wire.None, Key: []byte(key), Value: []byte(value), Context: o.ctx, N: o.n, W: o.w})
	return p.next
}

func (p *probe) sendDelete(to wire.Addr, key string, o req) uint64 {
	p.next++
	p.ep.Send(to, &wire.ClientDelete{ReqID: p.next, ReplyTo: wire.None, Key: []byte(key), Context: o.ctx, N: o.n, W: o.w})
	return p.next
}

// wait runs the world one event at a time until request id is answered
// (or a virtual minute passes), so the world stops exactly at the answer.
func (p *probe) wait(t testing.TB, id uint64) *wire.ClientReply {
	t.Helper()
	end := p.c.world.Now() + sim.Time(time.Minute)
	for p.replies[id] == nil && p.c.world.Now() < end {
		p.c.world.Run(sim.Limit{MaxEvents: 1, Until: end})
	}
	r := p.replies[id]
	require.NotNil(t, r, "request %d was never answered", id)
	return r
}

func (p *probe) get(t testing.TB, to wire.Addr, key string, o req) *wire.ClientReply {
	return p.wait(t, p.sendGet(to, key, o))
}

func (p *probe) put(t testing.TB, to wire.Addr, key, value string, o req) *wire.ClientReply {
	return p.wait(t, p.sendPut(to, key, value, o))
}

func (p *probe) del(t testing.TB, to wire.Addr, key string, o req) *wire.ClientReply {
	return p.wait(t, p.sendDelete(to, key, o))
}

// values returns a reply's values as strings.
func values(r *wire.ClientReply) []string {
	var out []string
	for _, v := range r.Values {
		out = append(out, string(v))
	}
	return out
}

// settle lets in-flight work (repairs, acks) finish.
func settle(c *Cluster) { c.world.RunFor(time.Second) }

// held returns the live values node a stores for key.
func held(t testing.TB, c *Cluster, a wire.Addr, key string) []string {
	t.Helper()
	n := c.Node(a)
	require.NotNil(t, n, "node %d is down", a)
	set, err := n.ReadLocal([]byte(key))
	require.NoError(t, err)
	var out []string
	for _, v := range versions.Values(set, nil) {
		out = append(out, string(v))
	}
	return out
}

// nonReplica returns a node that is not among key's first n replicas.
func nonReplica(t testing.TB, c *Cluster, key string, n int) wire.Addr {
	t.Helper()
	reps := c.Replicas([]byte(key), n)
	for _, a := range c.Addrs() {
		if !contains(reps, a) {
			return a
		}
	}
	t.Fatalf("every node replicates %q", key)
	return wire.None
}

var all = wire.Need{Level: wire.LevelAll}

func count(k uint8) wire.Need { return wire.Need{Level: wire.LevelCount, Count: k} }

var _ = coord.ReadRepairAsync

// failingDisk gives member m a disk on which every operation in ops under
// prefix fails while *on is true (tests switch it once the node has
// started).
func failingDisk(cfg *Config, m wire.Addr, ops disk.Op, prefix string, on *bool) {
	d := DefaultDisk()
	d.Faults.Errors = []disk.ErrorFault{{Target: disk.Target{Ops: ops, PathPrefix: prefix,
		PathFunc: func(string) bool { return *on }}, Probability: 1}}
	cfg.Members[m].Disk = &d
}
