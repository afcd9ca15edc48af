package node

import (
	"fmt"
	"time"

	"dynasim/node/coord"
	"dynasim/node/gossip"
	"dynasim/node/ring"
	"dynasim/wire"
)

// Gossip membership inside the node (Config.Membership). When enabled, the
// node runs a gossip.Gossip over the members of its ring version: its
// generation is the node's epoch (kept on its disk and bumped at every
// start, so a restarted node's fresh heartbeat is never taken for an old
// one), it ticks every GossipInterval from a timer (the first tick at a
// random offset within one interval, from the node's own stream, so the
// rounds of the nodes are not in step), and its messages (gossip_push,
// gossip_reply) leave through Env.Send like every other message, so the
// network's per-kind latency, loss, partitions and byte counts apply. The
// node announces its ring version in its entry (SetRing; no payload yet).
//
// The coordinator's "who is up" then comes from gossip (gossipView): a
// member is up unless gossip marks it down (or left). Gossip is the source
// of truth; the coordinator's missed-reply suspicion (coord.Suspicion) is
// still kept, and decides only for members gossip does not know (a new
// member of a later ring version not heard from yet). Letting one missed
// reply veto gossip made a sloppy quorum hand writes to fallbacks for every
// lost message (a run with 1 % loss kept hints for healthy replicas). The
// node records gossip's down and up marks (Transitions) for the harness's
// membership reports.

// MembershipConfig configures gossip membership and failure detection.
type MembershipConfig struct {
	// Enabled runs gossip in the node. Default false: the coordinator
	// believes what its local suspicion says, and no gossip message is
	// sent.
	Enabled bool
	// Gossip is the protocol's and detector's configuration (interval,
	// fanout, suspicion timeout, confirming reporters, detector, phi
	// threshold; see gossip.Config for the defaults).
	Gossip gossip.Config
}

// WithDefaults returns c with the gossip defaults applied.
func (c MembershipConfig) WithDefaults() MembershipConfig {
	c.Gossip = c.Gossip.WithDefaults()
	return c
}

// Validate checks the configuration after defaults.
func (c MembershipConfig) Validate() error {
	if err := c.Gossip.Validate(); err != nil {
		return fmt.Errorf("node: Membership: %w", err)
	}
	return nil
}

// Transition is one down, up or left mark a node's gossip made, with the
// member's address.
type Transition = gossip.Transition

// gossipView is the coordinator's View with gossip enabled: ring version
// (and local suspicion, for members gossip does not know) from
// coord.Suspicion, down and up from gossip.
type gossipView struct {
	*coord.Suspicion
	g *gossip.Gossip
}

// Up implements coord.View: gossip's belief. A member gossip does not know
// (a new one of a later ring version, not heard from yet) is judged by
// local suspicion.
func (v gossipView) Up(a wire.Addr, now time.Time) bool {
	if _, known := v.g.Status(a); known {
		return v.g.Up(a)
	}
	return v.Suspicion.Up(a, now)
}

// startGossip creates the node's gossip over ring version m.
func (n *Node) startGossip(m *ring.Membership) error {
	mc := &n.cfg.Membership
	addrs := make([]wire.Addr, m.Len())
	for i := range addrs {
		addrs[i] = m.At(i).Addr
	}
	g, err := gossip.New(mc.Gossip, n.self, uint64(n.epoch), addrs, n.env.Rand(), n.env.Now())
	if err != nil {
		return fmt.Errorf("node %d: gossip: %w", n.self, err)
	}
	if err := g.SetRing(m.Version(), nil); err != nil {
		return err
	}
	n.gossip = g
	iv := g.Config().GossipInterval
	n.env.SetTimer(time.Duration(n.env.Rand().IntN(int(iv))+1), Timer{Kind: timerGossip})
	return nil
}

// gossipTick runs one gossip round.
func (n *Node) gossipTick() {
	g := n.gossip
	n.sendGossip(g.Tick(n.env.Now()))
	n.env.SetTimer(g.Config().GossipInterval, Timer{Kind: timerGossip})
	n.afterGossip()
}

// gossipStep handles a gossip message.
func (n *Node) gossipStep(from wire.Addr, msg wire.Message) {
	if n.gossip == nil {
		n.stats.UnknownMessages++
		return
	}
	n.sendGossip(n.gossip.Step(n.env.Now(), from, msg))
	n.afterGossip()
}

func (n *Node) sendGossip(out []gossip.Outgoing) {
	for _, o := range out {
		n.env.Send(o.To, o.Msg)
	}
}

// afterGossip reacts to new marks: hints for a member marked up are
// handed over at once; those in flight to one marked down are released.
func (n *Node) afterGossip() {
	n.adoptRing()
	k := n.gossip.TransitionCount()
	if k == n.seenMarks {
		return
	}
	marks := n.gossip.TransitionsFrom(n.seenMarks)
	n.seenMarks = k
	if n.ae != nil {
		for _, t := range marks {
			if t.Kind == gossip.MarkedUp {
				n.aePeerUp(t.Member)
			}
		}
	}
	if n.hh == nil {
		return
	}
	now := n.env.Now()
	for _, t := range marks {
		switch t.Kind {
		case gossip.MarkedUp:
			n.deliverTo(t.Member, now)
		default:
			n.hh.targetDown(t.Member)
		}
	}
}

// Transitions returns this incarnation's down, up and left marks, oldest
// first (nil with gossip disabled).
func (n *Node) Transitions() []Transition {
	if n.gossip == nil {
		return nil
	}
	return n.gossip.Transitions()
}

// GossipStatus is this node's gossip belief about member a: ok false with
// gossip disabled or a not known.
func (n *Node) GossipStatus(a wire.Addr) (gossip.Status, bool) {
	if n.gossip == nil {
		return 0, false
	}
	return n.gossip.Status(a)
}

// BelievesUp reports whether this node's coordinator now believes member a
// up (gossip's belief with membership on, its local suspicion otherwise),
// for harnesses that must not mistake a stale view for lost data.
func (n *Node) BelievesUp(a wire.Addr) bool { return n.coordView.Up(a, n.env.Now()) }
