package cluster

import (
	"fmt"
	"slices"
	"time"

	"dynasim/node/ring"
	"dynasim/sim"
)

// Adding and removing servers. A member marked Spare is an endpoint of the
// world from the start (so the address book and the history's node list
// are fixed) but no member of the first ring version and not started. Join
// starts it with a ring transition (ring.Membership.Transition: the
// version in force plus it, run by it); Decommission gives the transition
// without the leaving member to the leaving node. Either way the
// transition spreads by gossip, every gaining node streams what it gains,
// and the changer issues the settled version (node/streaming.go). The
// harness only watches: every WatchInterval it records the newest ring
// version a running node holds (RingChanges, the checkers' oracle), and it
// stops a leaving node once the settled version that drops it is in force
// on every running member. A change starts only on a settled ring: one at
// a time.

// WatchInterval is how often the harness looks at the nodes' ring
// versions while a change is in progress.
const WatchInterval = 100 * time.Millisecond

// ChangeKind is a membership change's kind.
type ChangeKind string

// Membership change kinds.
const (
	ChangeJoin         ChangeKind = "join"
	ChangeDecommission ChangeKind = "decommission"
)

// MembershipChange is one join or decommission scheduled by a run.
type MembershipChange struct {
	At   time.Duration
	Kind ChangeKind
	Node string
}

// ChangeRecord is what one join or decommission did.
type ChangeRecord struct {
	Kind ChangeKind
	Node string
	// Members is the cluster size before the change.
	Members int
	// Version is the transition's ring version, Settled the settled one
	// (0 while it is not).
	Version, Settled uint64
	// StartAt is when it began, SettledAt when the harness saw the
	// settled version (0: not yet), StoppedAt when a leaving node was
	// stopped.
	StartAt, SettledAt, StoppedAt sim.Time
	// MovedFraction is the share of replica placements of the workload's
	// keys that change (ring.Membership.MovedFraction); Ideal the
	// consistent-hashing ideal, 1/(n+1) for a join into n members and 1/n
	// for a decommission from n.
	MovedFraction, Ideal float64
	// StreamedBytes and StreamedKeys are what the gainers received
	// (chunk frames and entries) between the start and the settling.
	StreamedBytes, StreamedKeys uint64
}

// Changes lists the joins and decommissions so far, oldest first.
func (c *Cluster) Changes() []ChangeRecord { return slices.Clone(c.changes) }

// Members is the number of members of the ring version in force (a
// transition counts its new members).
func (c *Cluster) Members() int { return c.currentRing().Len() }

// Join starts a spare member's join.
func (c *Cluster) Join(name string) error {
	s, err := c.changeSlot(name)
	if err != nil {
		return err
	}
	if !s.spare {
		return fmt.Errorf("cluster: join %s: not a spare (it is or was a member)", name)
	}
	cur := c.currentRing()
	mb := s.ring
	mb.Addr = s.addr
	t, err := cur.Transition(append(cur.Members(), mb), s.addr)
	if err != nil {
		return fmt.Errorf("cluster: join %s: %w", name, err)
	}
	s.spare = false
	c.beginChange(ChangeJoin, s, t)
	if err := c.world.Start(s.addr); err != nil {
		return fmt.Errorf("cluster: join %s: %w", name, err)
	}
	return nil
}

// Decommission starts a member's decommission: it must be running.
func (c *Cluster) Decommission(name string) error {
	s, err := c.changeSlot(name)
	if err != nil {
		return err
	}
	cur := c.currentRing()
	if s.spare || s.removed || !cur.Has(s.addr) {
		return fmt.Errorf("cluster: decommission %s: not a member", name)
	}
	if !s.ep.Up() || s.cur == nil {
		return fmt.Errorf("cluster: decommission %s: it is down", name)
	}
	var rest []ring.Member
	for _, m := range cur.Members() {
		if m.Addr != s.addr {
			rest = append(rest, m)
		}
	}
	t, err := cur.Transition(rest, s.addr)
	if err != nil {
		return fmt.Errorf("cluster: decommission %s: %w", name, err)
	}
	c.beginChange(ChangeDecommission, s, t)
	s.leaving = true
	c.refreshRoutable()
	return s.cur.SetMembership(t)
}

func (c *Cluster) changeSlot(name string) (*slot, error) {
	a, ok := c.Addr(name)
	if !ok {
		return nil, fmt.Errorf("cluster: no node %q", name)
	}
	if cur := c.currentRing(); cur.Prev() != nil {
		return nil, fmt.Errorf("cluster: %s: ring version %d is still a transition (one change at a time)", name, cur.Version())
	}
	return c.slotAt(a), nil
}

func (c *Cluster) beginChange(kind ChangeKind, s *slot, t *ring.Membership) {
	rec := ChangeRecord{Kind: kind, Node: s.member.Name, Members: t.Prev().Len(), Version: t.Version(), StartAt: c.world.Now()}
	if c.workload != nil {
		var hs []uint64
		for _, k := range c.workload.wl.KeyNames() {
			hs = append(hs, ring.HashString(k))
		}
		rec.MovedFraction = t.MovedFraction(hs)
	}
	if kind == ChangeJoin {
		rec.Ideal = 1 / float64(rec.Members+1)
	} else {
		rec.Ideal = 1 / float64(rec.Members)
	}
	b, k := c.streamTotals()
	c.changeBase = [2]uint64{b, k}
	c.changes = append(c.changes, rec)
	c.rings = append(c.rings, RingChange{At: c.world.Now(), Membership: t})
	c.refreshRoutable()
	if !c.watching {
		c.watching = true
		c.world.At(c.world.Now()+sim.Time(WatchInterval), "ring watch", c.watch)
	}
}

// streamTotals sums what every node received by streaming, over all
// incarnations.
func (c *Cluster) streamTotals() (bytes, keys uint64) {
	for _, s := range c.nodes {
		b, k := s.streamBytes, s.streamKeys
		if s.ep.Up() && s.cur != nil {
			st := s.cur.StreamStats()
			b, k = b+st.BytesReceived, k+st.KeysReceived
		}
		bytes, keys = bytes+b, keys+k
	}
	return bytes, keys
}

// watch records newer ring versions the nodes hold and stops a leaving
// node once it is no longer needed.
func (c *Cluster) watch() {
	cur := c.currentRing()
	var newest *ring.Membership
	for _, s := range c.nodes {
		if !s.ep.Up() || s.cur == nil {
			continue
		}
		if m := s.cur.Membership(); m.Version() > cur.Version() && (newest == nil || m.Version() > newest.Version()) {
			newest = m
		}
	}
	if newest != nil {
		c.rings = append(c.rings, RingChange{At: c.world.Now(), Membership: newest})
		for _, s := range c.nodes {
			if mb, ok := newest.ByAddr(s.addr); ok {
				s.id = mb.ID
			}
		}
		cur = newest
		if rec := &c.changes[len(c.changes)-1]; cur.Prev() == nil && rec.Settled == 0 {
			rec.Settled, rec.SettledAt = cur.Version(), c.world.Now()
			b, k := c.streamTotals()
			rec.StreamedBytes, rec.StreamedKeys = b-c.changeBase[0], k-c.changeBase[1]
		}
		c.refreshRoutable()
	}
	busy := cur.Prev() != nil
	for _, s := range c.nodes {
		if !s.leaving || s.removed {
			continue
		}
		busy = true
		if cur.Prev() != nil || cur.Has(s.addr) {
			continue
		}
		ready := true
		for _, o := range c.nodes {
			if o != s && o.ep.Up() && o.cur != nil && cur.Has(o.addr) && o.cur.Membership().Version() < cur.Version() {
				ready = false
			}
		}
		if ready {
			s.removed = true
			if s.ep.Up() {
				if err := c.world.CrashDefault(s.addr); err != nil {
					c.world.NoteFaultError(sim.Fault{At: time.Duration(c.world.Now()), Kind: "decommission_stop", Nodes: []string{s.member.Name}}, err)
				}
			}
			for i := range c.changes {
				if c.changes[i].Node == s.member.Name && c.changes[i].Kind == ChangeDecommission && c.changes[i].StoppedAt == 0 {
					c.changes[i].StoppedAt = c.world.Now()
				}
			}
		}
	}
	if !busy {
		c.watching = false
		return
	}
	c.world.At(c.world.Now()+sim.Time(WatchInterval), "ring watch", c.watch)
}

// Settled reports whether no membership change is in progress.
func (c *Cluster) Settled() bool {
	if c.currentRing().Prev() != nil {
		return false
	}
	for _, s := range c.nodes {
		if s.leaving && !s.removed {
			return false
		}
	}
	return true
}

// refreshRoutable recomputes the nodes clients may send to: members of
// the ring version in force that are not leaving.
func (c *Cluster) refreshRoutable() {
	cur := c.currentRing()
	c.routable = c.routable[:0]
	for i, s := range c.nodes {
		if !s.spare && !s.leaving && !s.removed && cur.Has(s.addr) {
			c.routable = append(c.routable, i)
		}
	}
}

// applyChange runs a scheduled change, recording a failure with the
// fault errors.
func (c *Cluster) applyChange(ch MembershipChange) {
	var err error
	switch ch.Kind {
	case ChangeJoin:
		err = c.Join(ch.Node)
	case ChangeDecommission:
		err = c.Decommission(ch.Node)
	default:
		err = fmt.Errorf("unknown membership change %q", ch.Kind)
	}
	if err != nil {
		c.world.NoteFaultError(sim.Fault{At: ch.At, Kind: sim.FaultKind(ch.Kind), Nodes: []string{ch.Node}}, err)
	}
}

// ScheduleChanges schedules joins and decommissions (times from now).
func (c *Cluster) ScheduleChanges(chs []MembershipChange) error {
	for _, ch := range chs {
		if ch.Kind != ChangeJoin && ch.Kind != ChangeDecommission {
			return fmt.Errorf("cluster: unknown membership change %q", ch.Kind)
		}
		if _, ok := c.Addr(ch.Node); !ok {
			return fmt.Errorf("cluster: %s of unknown node %q", ch.Kind, ch.Node)
		}
		ch := ch
		c.world.At(c.world.Now()+sim.Time(ch.At), string(ch.Kind)+" "+ch.Node, func() { c.applyChange(ch) })
	}
	return nil
}

// ScaleDecision is one decision of the autoscaler that acted (autoscale.go).
type ScaleDecision struct {
	At      sim.Time
	Kind    ChangeKind
	Node    string
	Load    float64 // requests per node per second over the window
	Members int     // ring members when it decided
}
