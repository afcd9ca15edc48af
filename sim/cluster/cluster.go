package cluster

import (
	"fmt"
	"math/rand/v2"
	"time"

	"dynasim/node"
	"dynasim/node/ring"
	"dynasim/sim"
	"dynasim/wire"
)

// Cluster is a simulated Dynamo cluster: a sim.World hosting one
// node.Node per member (addresses 0..n-1), and the simulated clients a
// workload adds. It routes client requests (sim.Router) from the ring and
// reads every replica's state for the checkers.
type Cluster struct {
	cfg     Config
	world   *sim.World
	ring    *ring.Ring
	nodes   []*slot
	scratch []wire.Addr

	workload  *workloadState
	wireErr   error
	wireCount uint64

	// progress reports virtual time during Run (RunConfig.Progress);
	// expectedEnd is the run's estimated end.
	progress    func(now, end time.Duration)
	expectedEnd time.Duration
	// names interns the strings of replica states (ReplicaStates).
	names *stateNames
}

// slot is one member: its endpoint, its current node instance, and the
// counters of its earlier incarnations.
type slot struct {
	member Member
	ep     *sim.Endpoint
	cur    *node.Node
	incs   int
	past   Totals
}

func addrOf(i int) wire.Addr { return wire.Addr(i) }

// New builds the world and starts every node.
func New(cfg Config) (*Cluster, error) {
	members, err := cfg.ringMembers()
	if err != nil {
		return nil, err
	}
	ncfg := cfg.Node
	ncfg.Members = members
	factory, err := node.NewFactory(ncfg)
	if err != nil {
		return nil, fmt.Errorf("cluster: node config: %w", err)
	}
	r, err := ring.New(ncfg.Ring, members)
	if err != nil {
		return nil, err
	}
	w, err := sim.NewWorld(cfg.World)
	if err != nil {
		return nil, err
	}
	c := &Cluster{cfg: cfg, world: w, ring: r}
	c.cfg.Node = ncfg
	for i, m := range cfg.Members {
		s := &slot{member: m}
		c.nodes = append(c.nodes, s)
		d := m.Disk
		if d == nil {
			dd := DefaultDisk()
			d = &dd
		}
		ep, err := w.AddEndpoint(sim.EndpointSpec{
			Name: m.Name, DC: m.DC, Rack: m.Rack, Clock: m.Clock, Disk: d,
			Factory: c.nodeFactory(s, factory),
		})
		if ep == nil {
			return nil, fmt.Errorf("cluster: add %s: %w", m.Name, err)
		}
		if err != nil {
			// The node could not start (say its disk is full): it stays
			// down, like a crashed node, and the run reports why.
			w.NoteFaultError(sim.Fault{Kind: "start", Nodes: []string{m.Name}}, err)
		}
		if ep.Addr() != addrOf(i) {
			return nil, fmt.Errorf("cluster: %s got address %d, want %d (the world must be empty)", m.Name, ep.Addr(), i)
		}
		s.ep = ep
	}
	return c, nil
}

// nodeFactory wraps the node factory to keep track of incarnations.
func (c *Cluster) nodeFactory(s *slot, f node.Factory) node.Factory {
	return func(self wire.Addr, env node.Env) (node.Process, error) {
		if s.cur != nil {
			s.past.add(s.cur.Stats())
			s.cur = nil
		}
		if c.cfg.WireCheck {
			env = &wireEnv{Env: env, c: c}
		}
		p, err := f(self, env)
		if err != nil {
			return nil, err
		}
		s.cur = p.(*node.Node)
		s.incs++
		return p, nil
	}
}

// World is the simulated world, for running it, scheduling faults and
// reading its fingerprint.
func (c *Cluster) World() *sim.World { return c.world }

// Ring is the ring every node uses.
func (c *Cluster) Ring() *ring.Ring { return c.ring }

// NodeConfig is the configuration the nodes run with (Members filled in).
func (c *Cluster) NodeConfig() node.Config { return c.cfg.Node }

// Size is the number of nodes.
func (c *Cluster) Size() int { return len(c.nodes) }

// Addr is the address of the named node.
func (c *Cluster) Addr(name string) (wire.Addr, bool) {
	for i, s := range c.nodes {
		if s.member.Name == name {
			return addrOf(i), true
		}
	}
	return wire.None, false
}

// Name is the name of the node at address a.
func (c *Cluster) Name(a wire.Addr) string {
	if a < 0 || int(a) >= len(c.nodes) {
		return ""
	}
	return c.nodes[a].member.Name
}

// Node is the running instance of the node at address a, or nil while it
// is down. A restart creates a new instance.
func (c *Cluster) Node(a wire.Addr) *node.Node {
	if a < 0 || int(a) >= len(c.nodes) || !c.nodes[a].ep.Up() {
		return nil
	}
	return c.nodes[a].cur
}

// Endpoint is the world endpoint of the node at address a.
func (c *Cluster) Endpoint(a wire.Addr) *sim.Endpoint {
	if a < 0 || int(a) >= len(c.nodes) {
		return nil
	}
	return c.nodes[a].ep
}

// Replicas returns the first n nodes of key's preference list (n = 0:
// the placement's count).
func (c *Cluster) Replicas(key []byte, n int) []wire.Addr {
	prefs := c.ring.PreferenceList(ring.HashKey(key), nil)
	if n > 0 && n < len(prefs) {
		prefs = prefs[:n]
	}
	return prefs
}

// Err reports a harness failure: a message that did not survive its wire
// round trip (WireCheck).
func (c *Cluster) Err() error { return c.wireErr }

// Route implements sim.Router with the client routing policies:
// random (any node), first_replica (the head of the preference list) and
// non_replica (a node outside the request's N replicas, or any node when
// all are replicas). N is the workload's N, or the placement's.
func (c *Cluster) Route(key []byte, policy sim.Routing, r *rand.Rand) wire.Addr {
	switch policy {
	case sim.RouteFirstReplica:
		c.scratch = c.ring.PreferenceList(ring.HashKey(key), c.scratch[:0])
		if len(c.scratch) > 0 {
			return c.scratch[0]
		}
	case sim.RouteNonReplica:
		c.scratch = c.ring.PreferenceList(ring.HashKey(key), c.scratch[:0])
		n := len(c.scratch)
		if c.workload != nil && c.workload.n > 0 && c.workload.n < n {
			n = c.workload.n
		}
		others := len(c.nodes) - n
		if others > 0 {
			k := r.IntN(others)
			for i := range c.nodes {
				a := addrOf(i)
				if contains(c.scratch[:n], a) {
					continue
				}
				if k == 0 {
					return a
				}
				k--
			}
		}
	}
	return addrOf(r.IntN(len(c.nodes)))
}

func contains(list []wire.Addr, a wire.Addr) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

var _ sim.Router = (*Cluster)(nil)
