package cluster

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"dynasim/history"
	"dynasim/node"
	"dynasim/node/ring"
	"dynasim/sim"
	"dynasim/sim/autoscale"
	"dynasim/wire"
)

// Cluster is a simulated Dynamo cluster: a sim.World hosting one
// node.Node per member, and the simulated clients a workload adds. It keeps
// an address book (member name and ID ↔ wire address; neither is assumed
// to equal the member's position), records every ring version it gives the
// nodes with the virtual time it took effect (the oracle of which nodes
// should hold a key), routes client requests (sim.Router) and reads every
// replica's state for the checkers.
type Cluster struct {
	cfg     Config
	world   *sim.World
	nodes   []*slot // in member order
	byAddr  map[wire.Addr]int
	scratch []wire.Addr
	factory node.Factory

	// rings are the ring versions given to the nodes, in the order they
	// took effect (RingChanges).
	rings []RingChange

	workload  *workloadState
	wireErr   error
	wireCount uint64

	// progress reports virtual time during Run (RunConfig.Progress);
	// expectedEnd is the run's estimated end.
	progress    func(now, end time.Duration)
	expectedEnd time.Duration
	// names interns the strings of replica states (ReplicaStates).
	names *stateNames

	// routable are the indexes of the nodes clients may send to (members
	// of the version in force, not leaving); changes are the joins and
	// decommissions (join.go), changeBase the stream totals when the last
	// began; watching says the ring watch is scheduled.
	routable   []int
	changes    []ChangeRecord
	changeBase [2]uint64
	watching   bool
	scaling    []ScaleDecision
	// scaler is the operator's autoscaling policy (autoscale.go), with the
	// spares it adds and those it added.
	scaler      *autoscale.Autoscaler
	scaleSpares []string
	scaled      []string
}

// RingChange is a ring version and the virtual time it took effect: the
// harness gave it to every running node then (restarted nodes start with
// the version in force).
type RingChange struct {
	At         sim.Time
	Membership *ring.Membership
}

// slot is one member: its ring ID and address (the address book), its
// endpoint, its current node instance, and the counters of its earlier
// incarnations.
type slot struct {
	member Member
	id     wire.Addr
	addr   wire.Addr
	ep     *sim.Endpoint
	cur    *node.Node
	incs   int
	past   Totals
	// marks are the membership marks of earlier incarnations, with their
	// incarnation.
	marks []Mark
	// hints sums the hint counters of earlier incarnations.
	hints HintTotals
	// ae sums the anti-entropy counters of earlier incarnations.
	ae node.AntiEntropyStats
	// epoch is the last epoch the node used.
	epoch uint32
	// ring is the member's ring entry (without address); spare: it has
	// not joined yet (join.go); leaving: it is being decommissioned;
	// removed: it was stopped after leaving.
	ring                    ring.Member
	spare, leaving, removed bool
	streamBytes, streamKeys uint64 // streamed to earlier incarnations
}

// lastEpoch is the last epoch the node at a used: the floor for its next,
// which matters only when its disk was wiped (the harness plays the
// operator who knows it).
func (c *Cluster) lastEpoch(a wire.Addr) uint32 {
	if s := c.slotAt(a); s != nil {
		return s.epoch
	}
	return 0
}

// New builds the world and starts every node: the members' endpoints are
// added first (so the address book is complete), then the first ring
// version is built over their IDs and addresses, then the nodes start in
// member order.
func New(cfg Config) (*Cluster, error) {
	members, err := cfg.ringMembers()
	if err != nil {
		return nil, err
	}
	w, err := sim.NewWorld(cfg.World)
	if err != nil {
		return nil, err
	}
	c := &Cluster{cfg: cfg, world: w, byAddr: make(map[wire.Addr]int, len(cfg.Members))}
	slots := make([]*slot, len(cfg.Members))
	for i, m := range cfg.Members {
		s := &slot{member: m, id: members[i].ID, ring: members[i], spare: m.Spare}
		slots[i] = s
		d := m.Disk
		if d == nil {
			dd := DefaultDisk()
			d = &dd
		}
		ep, err := w.AddEndpoint(sim.EndpointSpec{
			Name: m.Name, DC: m.DC, Rack: m.Rack, Clock: m.Clock, Disk: d, Idle: true,
			Factory: func(self wire.Addr, env node.Env) (node.Process, error) { return c.startNode(s, self, env) },
		})
		if err != nil {
			return nil, fmt.Errorf("cluster: add %s: %w", m.Name, err)
		}
		s.ep, s.addr = ep, ep.Addr()
		members[i].Addr = s.addr
		c.byAddr[s.addr] = i
	}
	for _, l := range cfg.Links {
		from, to := w.Lookup(l.From), w.Lookup(l.To)
		if from == nil || to == nil {
			return nil, fmt.Errorf("cluster: link override %s -> %s names an unknown node", l.From, l.To)
		}
		if err := w.Network().SetLink(from.Addr(), to.Addr(), l.BothWays, l.Link); err != nil {
			return nil, fmt.Errorf("cluster: link override %s -> %s: %w", l.From, l.To, err)
		}
	}
	ncfg := cfg.Node
	ncfg.Members = nil
	for i, m := range members {
		if !slots[i].spare {
			ncfg.Members = append(ncfg.Members, m)
		}
	}
	members = ncfg.Members
	factory, err := node.NewFactoryWith(ncfg, node.FactoryOptions{CurrentRing: c.currentRing, LastEpoch: c.lastEpoch})
	if err != nil {
		return nil, fmt.Errorf("cluster: node config: %w", err)
	}
	first, err := ring.NewMembership(ncfg.WithDefaults().MembershipVersion, ncfg.Ring, members)
	if err != nil {
		return nil, err
	}
	c.cfg.Node = ncfg
	c.rings = []RingChange{{At: w.Now(), Membership: first}}
	c.factory = factory
	c.nodes = slots
	c.refreshRoutable()
	for _, s := range slots {
		if s.spare {
			continue
		}
		if err := w.Start(s.addr); err != nil {
			// The node could not start (say its disk is full): it stays
			// down, like a crashed node, and the run reports why.
			w.NoteFaultError(sim.Fault{Kind: "start", Nodes: []string{s.member.Name}}, err)
		}
	}
	return c, nil
}

// currentRing is the ring version in force: the one a node starts with.
func (c *Cluster) currentRing() *ring.Membership { return c.rings[len(c.rings)-1].Membership }

// Membership is the ring version in force.
func (c *Cluster) Membership() *ring.Membership { return c.currentRing() }

// RingChanges lists the ring versions the nodes were given, with the
// virtual time each took effect, oldest first.
func (c *Cluster) RingChanges() []RingChange { return slices.Clone(c.rings) }

// RingAt is the ring version in force at virtual time t: the last one that
// took effect at or before t (the first one for earlier times).
func (c *Cluster) RingAt(t sim.Time) *ring.Membership {
	i := len(c.rings) - 1
	for i > 0 && c.rings[i].At > t {
		i--
	}
	return c.rings[i].Membership
}

// RingVersions describes the ring versions of RingChanges for the history
// (history.RunInfo.RingVersions): members by node index, with their IDs and
// addresses.
func (c *Cluster) RingVersions() []history.RingVersion {
	out := make([]history.RingVersion, 0, len(c.rings))
	for _, rc := range c.rings {
		m := rc.Membership
		cfg := m.Config()
		v := history.RingVersion{Version: m.Version(), AtNs: int64(rc.At), Digest: fmt.Sprintf("%016x", m.Digest()),
			VNodes: cfg.VNodes, Seed: cfg.Seed, N: cfg.Placement.N}
		if len(cfg.Placement.PerDC) > 0 {
			v.N = 0
			v.PerDC = map[string]int{}
			for _, d := range cfg.Placement.PerDC {
				v.PerDC[d.DC] = d.N
			}
		}
		for _, mb := range m.Members() {
			node := int32(-1)
			if i, ok := c.byAddr[mb.Addr]; ok {
				node = int32(i)
			}
			v.Members = append(v.Members, history.RingMember{Node: node, ID: int32(mb.ID), Addr: int32(mb.Addr), DC: mb.DC, Rack: mb.Rack, Weight: mb.Weight})
		}
		out = append(out, v)
	}
	return out
}

// SetMembership makes m the ring version in force from now on: it is
// recorded (RingChanges, the history's ring versions), every running node
// is given it at once (Node.SetMembership), and nodes that start later
// start with it. m must be newer than the version in force and list every
// member of the cluster at its address in the address book; a member's ID
// is whatever m says (the address book follows it).
func (c *Cluster) SetMembership(m *ring.Membership) error {
	cur := c.currentRing()
	if !m.Newer(cur) {
		return fmt.Errorf("cluster: ring version %d is not newer than %d", m.Version(), cur.Version())
	}
	if m.Len() != len(c.nodes) || len(c.changes) > 0 {
		return fmt.Errorf("cluster: ring version %d lists %d members, the cluster has %d (join and leave are not supported yet)", m.Version(), m.Len(), len(c.nodes))
	}
	for _, s := range c.nodes {
		if _, ok := m.Index(s.addr); !ok {
			return fmt.Errorf("cluster: ring version %d does not list %s at address %d", m.Version(), s.member.Name, s.addr)
		}
	}
	for _, s := range c.nodes {
		mb, _ := m.ByAddr(s.addr)
		s.id = mb.ID
	}
	c.rings = append(c.rings, RingChange{At: c.world.Now(), Membership: m})
	for _, s := range c.nodes {
		if s.ep.Up() && s.cur != nil {
			if err := s.cur.SetMembership(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// startNode starts an incarnation of slot s's node, keeping track of
// incarnations.
func (c *Cluster) startNode(s *slot, self wire.Addr, env node.Env) (node.Process, error) {
	if s.cur != nil {
		st := s.cur.Stats()
		s.past.add(st)
		s.marks = c.appendMarks(s.marks, s.cur, s.incs)
		s.hints.add(st, false)
		s.ae.Add(st.AntiEntropy)
		s.epoch = max(s.epoch, s.cur.Epoch())
		ss := st.Stream
		s.streamBytes += ss.BytesReceived
		s.streamKeys += ss.KeysReceived
		s.cur = nil
	}
	if c.cfg.WireCheck {
		env = &wireEnv{Env: env, c: c}
	}
	p, err := c.factory(self, env)
	if err != nil {
		return nil, err
	}
	s.cur = p.(*node.Node)
	s.incs++
	return p, nil
}

// World is the simulated world, for running it, scheduling faults and
// reading its fingerprint.
func (c *Cluster) World() *sim.World { return c.world }

// Ring is the ring of the version in force.
func (c *Cluster) Ring() *ring.Ring { return c.currentRing().Ring() }

// NodeConfig is the configuration the nodes run with (Members filled in).
func (c *Cluster) NodeConfig() node.Config { return c.cfg.Node }

// Size is the number of nodes.
func (c *Cluster) Size() int { return len(c.nodes) }

// Addr is the address of the named node.
func (c *Cluster) Addr(name string) (wire.Addr, bool) {
	for _, s := range c.nodes {
		if s.member.Name == name {
			return s.addr, true
		}
	}
	return wire.None, false
}

// AddrOfID is the address of the member with ring ID id.
func (c *Cluster) AddrOfID(id wire.Addr) (wire.Addr, bool) {
	for _, s := range c.nodes {
		if s.id == id {
			return s.addr, true
		}
	}
	return wire.None, false
}

// IDOf is the ring ID of the member at address a.
func (c *Cluster) IDOf(a wire.Addr) (wire.Addr, bool) {
	if s := c.slotAt(a); s != nil {
		return s.id, true
	}
	return wire.None, false
}

// Index is the position among the members (Config.Members) of the node at
// address a: the node index of the history (ReplicaState.Node, the run's
// node list).
func (c *Cluster) Index(a wire.Addr) (int, bool) {
	i, ok := c.byAddr[a]
	return i, ok
}

func (c *Cluster) slotAt(a wire.Addr) *slot {
	if i, ok := c.byAddr[a]; ok {
		return c.nodes[i]
	}
	return nil
}

// Addrs lists the members' addresses in member order.
func (c *Cluster) Addrs() []wire.Addr {
	out := make([]wire.Addr, len(c.nodes))
	for i, s := range c.nodes {
		out[i] = s.addr
	}
	return out
}

// Name is the name of the node at address a.
func (c *Cluster) Name(a wire.Addr) string {
	if s := c.slotAt(a); s != nil {
		return s.member.Name
	}
	return ""
}

// Node is the running instance of the node at address a, or nil while it
// is down. A restart creates a new instance.
func (c *Cluster) Node(a wire.Addr) *node.Node {
	if s := c.slotAt(a); s != nil && s.ep.Up() {
		return s.cur
	}
	return nil
}

// Endpoint is the world endpoint of the node at address a.
func (c *Cluster) Endpoint(a wire.Addr) *sim.Endpoint {
	if s := c.slotAt(a); s != nil {
		return s.ep
	}
	return nil
}

// Replicas returns the addresses of the first n nodes of key's preference
// list in the ring version in force now (n = 0: the placement's count).
func (c *Cluster) Replicas(key []byte, n int) []wire.Addr {
	return c.replicasIn(c.RingAt(c.world.Now()), key, n)
}

func (c *Cluster) replicasIn(m *ring.Membership, key []byte, n int) []wire.Addr {
	prefs := m.PreferenceList(ring.HashKey(key), nil)
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
		c.scratch = c.currentRing().ReadList(ring.HashKey(key), c.scratch[:0])
		if len(c.scratch) > 0 && !c.slotAt(c.scratch[0]).leaving {
			return c.scratch[0]
		}
	case sim.RouteNonReplica:
		c.scratch = c.currentRing().ReadList(ring.HashKey(key), c.scratch[:0])
		n := len(c.scratch)
		if c.workload != nil && c.workload.n > 0 && c.workload.n < n {
			n = c.workload.n
		}
		others := len(c.routable)
		for _, a := range c.scratch[:n] {
			if i, ok := c.byAddr[a]; ok && slices.Contains(c.routable, i) {
				others--
			}
		}
		if others > 0 {
			k := r.IntN(others)
			for _, i := range c.routable {
				a := c.nodes[i].addr
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
	return c.nodes[c.routable[r.IntN(len(c.routable))]].addr
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
