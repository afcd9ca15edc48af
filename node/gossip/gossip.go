package gossip

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"dynasim/wire"
)

// MemberID names a member: its endpoint address.
type MemberID = wire.Addr

// Rand is the one method of *math/rand/v2.Rand gossip uses, so that this
// package imports no random package (node/'s purity rule).
type Rand interface {
	IntN(n int) int
}

// Status is what this node believes about a member.
type Status uint8

const (
	// StatusAlive: its heartbeat advanced within SuspectAfter.
	StatusAlive Status = iota + 1
	// StatusSuspect: its heartbeat stood still for SuspectAfter, but it is
	// not (yet) marked down. A suspected member is still up.
	StatusSuspect
	// StatusDown: marked down by the detector; it stays down until a newer
	// heartbeat (or generation) of it arrives.
	StatusDown
	// StatusLeft: it announced that it left.
	StatusLeft
)

var statusNames = [...]string{"", "alive", "suspect", "down", "left"}

func (s Status) String() string {
	if s >= StatusAlive && s <= StatusLeft {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Outgoing is a message to send.
type Outgoing struct {
	To  MemberID
	Msg wire.Message
}

// TransitionKind says what a Transition marked.
type TransitionKind uint8

const (
	// MarkedDown: the detector marked the member down.
	MarkedDown TransitionKind = iota + 1
	// MarkedUp: a member marked down heartbeated again.
	MarkedUp
	// MarkedLeft: the member announced it left.
	MarkedLeft
)

var transitionNames = [...]string{"", "down", "up", "left"}

func (k TransitionKind) String() string {
	if k >= MarkedDown && k <= MarkedLeft {
		return transitionNames[k]
	}
	return fmt.Sprintf("TransitionKind(%d)", uint8(k))
}

// Transition is one down, up or left mark this node made, in the order it
// made them.
type Transition struct {
	At     time.Time
	Member MemberID
	Kind   TransitionKind
	// Reporters is, for MarkedDown, how many distinct members (this node
	// included) reported the member suspected when it was marked down;
	// with DetectorPhi it is still counted, for the reports.
	Reporters int
	// Phi is the member's phi value at the mark (MarkedDown).
	Phi float64
	// Generation and Heartbeat are the member's latest known version at
	// the mark (for MarkedUp: the version that brought it back).
	Generation, Heartbeat uint64
}

// MemberInfo is this node's view of one member.
type MemberInfo struct {
	Member     MemberID
	Generation uint64
	Heartbeat  uint64
	Status     Status
	// LastChange is the local time the status last changed (or the member
	// was first known).
	LastChange time.Time
	// LastAdvance is the local time a newer heartbeat last arrived.
	LastAdvance time.Time
	// Reporters are the members (ascending; this node included) whose
	// current suspicion reports count against the member.
	Reporters   []MemberID
	RingVersion uint64
	RingPayload []byte
}

// Stats are counters since New.
type Stats struct {
	Rounds             uint64 // Tick calls
	PushesSent         uint64
	RepliesSent        uint64
	EntriesSent        uint64
	BytesSent          uint64 // frame bytes of every message returned
	EntriesMerged      uint64 // received entries newer than what was known
	EntriesRejected    uint64 // over MaxMembers or MaxRingPayloadBytes
	SelfSuperseded     uint64 // received own entry newer than our own
	TransitionsDropped uint64 // marks beyond MaxTransitions
}

type member struct {
	entry       wire.GossipEntry // latest known version; owned (never aliases a message)
	lastAdvance time.Time
	lastChange  time.Time
	status      Status
	down        bool
	reporters   []MemberID
	phi         phiWindow
}

// Gossip is one node's membership list and failure detector. It is a pure
// state machine: feed it Tick and Step, send what they return.
type Gossip struct {
	cfg         Config
	self        MemberID
	rng         Rand
	members     map[MemberID]*member
	ids         []MemberID // sorted, self included
	transitions []Transition
	stats       Stats
}

// New starts a member's gossip. generation must exceed every generation
// this member used before (the caller keeps it on its disk and bumps it at
// every start, before calling New); members are the configured members
// (self may be among them). Every configured member starts alive, as if it
// had just heartbeated at now.
func New(cfg Config, self MemberID, generation uint64, members []MemberID, rng Rand, now time.Time) (*Gossip, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if self < 0 {
		return nil, fmt.Errorf("gossip: self %d is not a member address", self)
	}
	if rng == nil {
		return nil, fmt.Errorf("gossip: nil random stream")
	}
	g := &Gossip{cfg: cfg, self: self, rng: rng, members: map[MemberID]*member{}}
	g.add(wire.GossipEntry{Member: self, Generation: generation, Heartbeat: 1, Status: wire.MemberAlive}, now)
	for _, m := range members {
		if m < 0 {
			return nil, fmt.Errorf("gossip: member %d is not a member address", m)
		}
		if _, ok := g.members[m]; ok {
			continue
		}
		if len(g.ids) >= cfg.MaxMembers {
			return nil, fmt.Errorf("gossip: %d members exceed MaxMembers %d", len(members), cfg.MaxMembers)
		}
		// Version (0, 0) is below every real entry (heartbeats start at 1).
		g.add(wire.GossipEntry{Member: m, Status: wire.MemberAlive}, now)
	}
	return g, nil
}

func (g *Gossip) add(e wire.GossipEntry, now time.Time) *member {
	m := &member{entry: e, lastAdvance: now, lastChange: now, status: StatusAlive}
	g.members[e.Member] = m
	i, _ := slices.BinarySearch(g.ids, e.Member)
	g.ids = slices.Insert(g.ids, i, e.Member)
	return m
}

// Self is this node's member id.
func (g *Gossip) Self() MemberID { return g.self }

// Config is the configuration in use (defaults applied).
func (g *Gossip) Config() Config { return g.cfg }

// Tick runs one gossip round; call it every GossipInterval. It re-evaluates
// every member, bumps the own heartbeat (publishing the members this node
// now suspects) and pushes the list to Fanout peers drawn from rng among
// the members not marked down, and sometimes to one marked down (see
// choosePeers).
func (g *Gossip) Tick(now time.Time) []Outgoing {
	g.stats.Rounds++
	g.evaluate(now)
	own := g.members[g.self]
	own.entry.Heartbeat++
	own.entry.Suspects = own.entry.Suspects[:0:0]
	for _, id := range g.ids {
		m := g.members[id]
		if id != g.self && (m.status == StatusSuspect || m.status == StatusDown) {
			own.entry.Suspects = append(own.entry.Suspects, wire.GossipSuspect{Member: id, Generation: m.entry.Generation, Heartbeat: m.entry.Heartbeat})
		}
	}
	peers := g.choosePeers()
	if len(peers) == 0 {
		return nil
	}
	entries := g.listFor(nil)
	out := make([]Outgoing, len(peers))
	for i, p := range peers {
		// The messages share entries: neither they nor this state change
		// them after this point.
		msg := &wire.GossipPush{Entries: entries}
		out[i] = Outgoing{To: p, Msg: msg}
		g.count(msg, &g.stats.PushesSent, len(entries))
	}
	return out
}

func (g *Gossip) count(msg wire.Message, counter *uint64, entries int) {
	*counter++
	g.stats.EntriesSent += uint64(entries)
	g.stats.BytesSent += uint64(msg.Size())
}

// choosePeers draws up to Fanout distinct peers among the members not
// marked down (partial Fisher–Yates over the sorted candidates, so only rng
// decides), and — with probability down/(live+1), as Cassandra's gossiper
// does — one more among the members marked down, so that a recovered member
// hears the news soon while a round's pushes are not spent on members that
// cannot answer: pushes into a partition or to a crashed node are lost, and
// the live members that miss them are then slower to see each other's
// heartbeats, which made false "down" marks on the live side of a
// partition under short suspicion timeouts.
func (g *Gossip) choosePeers() []MemberID {
	var live, down []MemberID
	for _, id := range g.ids {
		switch m := g.members[id]; {
		case id == g.self || m.status == StatusLeft:
		case m.status == StatusDown:
			down = append(down, id)
		default:
			live = append(live, id)
		}
	}
	n := min(g.cfg.Fanout, len(live))
	for i := range n {
		j := i + g.rng.IntN(len(live)-i)
		live[i], live[j] = live[j], live[i]
	}
	peers := live[:n]
	if len(down) > 0 && g.rng.IntN(len(live)+1) < len(down) {
		peers = append(peers, down[g.rng.IntN(len(down))])
	}
	return peers
}

// listFor returns copies of the entries to send, ascending by member: all
// of them, or — when pick is non-nil — those pick accepts. A list over
// MaxMessageBytes keeps the own entry and, from a member drawn from rng
// on (wrapping around), the others that fit.
func (g *Gossip) listFor(pick func(m *member) bool) []wire.GossipEntry {
	var sel []*member
	total := 0
	for _, id := range g.ids {
		m := g.members[id]
		if m.entry.Heartbeat == 0 && m.entry.Generation == 0 {
			continue // configured but never heard of: nothing to tell
		}
		if pick != nil && !pick(m) {
			continue
		}
		sel = append(sel, m)
		total += m.entry.EncodedSize()
	}
	if len(sel) > 0 && wire.GossipFrameBytes(len(sel), total) > g.cfg.MaxMessageBytes {
		sel = g.trim(sel)
	}
	out := make([]wire.GossipEntry, len(sel))
	for i, m := range sel {
		out[i] = cloneEntry(m.entry)
	}
	return out
}

func (g *Gossip) trim(sel []*member) []*member {
	var keep []*member
	total := 0
	fits := func(m *member) bool {
		s := m.entry.EncodedSize()
		if wire.GossipFrameBytes(len(keep)+1, total+s) > g.cfg.MaxMessageBytes {
			return false
		}
		keep = append(keep, m)
		total += s
		return true
	}
	var others []*member
	for _, m := range sel {
		if m.entry.Member == g.self {
			keep = append(keep, m) // always sent, even alone over the limit
			total += m.entry.EncodedSize()
		} else {
			others = append(others, m)
		}
	}
	if len(others) > 0 {
		start := g.rng.IntN(len(others))
		for i := range others {
			if !fits(others[(start+i)%len(others)]) {
				break
			}
		}
	}
	slices.SortFunc(keep, func(a, b *member) int { return int(a.entry.Member) - int(b.entry.Member) })
	return keep
}

// Step handles a gossip message from a peer and returns what to send back:
// a GossipReply to a GossipPush when this node knows some entry better.
// Other messages are ignored.
func (g *Gossip) Step(now time.Time, from MemberID, msg wire.Message) []Outgoing {
	switch m := msg.(type) {
	case *wire.GossipPush:
		for i := range m.Entries {
			g.merge(&m.Entries[i], now)
		}
		g.evaluate(now)
		pushed := make(map[MemberID]*wire.GossipEntry, len(m.Entries))
		for i := range m.Entries {
			pushed[m.Entries[i].Member] = &m.Entries[i]
		}
		entries := g.listFor(func(mm *member) bool {
			p, ok := pushed[mm.entry.Member]
			return !ok || compareEntries(&mm.entry, p) > 0
		})
		if len(entries) == 0 {
			return nil
		}
		reply := &wire.GossipReply{Entries: entries}
		g.count(reply, &g.stats.RepliesSent, len(entries))
		return []Outgoing{{To: from, Msg: reply}}
	case *wire.GossipReply:
		for i := range m.Entries {
			g.merge(&m.Entries[i], now)
		}
		g.evaluate(now)
	}
	return nil
}

// merge folds one received entry into the list.
func (g *Gossip) merge(e *wire.GossipEntry, now time.Time) {
	if e.Member < 0 || len(e.RingPayload) > g.cfg.MaxRingPayloadBytes {
		g.stats.EntriesRejected++
		return
	}
	if e.Member == g.self {
		// Someone knows a newer version of us than we do: the caller
		// reused a generation. Move past it so that ours wins again.
		own := &g.members[g.self].entry
		if compareVersion(e, own) >= 0 {
			g.stats.SelfSuperseded++
			own.Generation, own.Heartbeat = e.Generation, e.Heartbeat+1
		}
		return
	}
	m, ok := g.members[e.Member]
	if !ok {
		if len(g.ids) >= g.cfg.MaxMembers {
			g.stats.EntriesRejected++
			return
		}
		m = g.add(wire.GossipEntry{Member: e.Member, Status: wire.MemberAlive}, now)
	}
	if compareEntries(e, &m.entry) <= 0 {
		return
	}
	g.stats.EntriesMerged++
	if compareVersion(e, &m.entry) > 0 {
		heard := m.entry.Heartbeat != 0 || m.entry.Generation != 0
		if heard && e.Generation == m.entry.Generation {
			m.phi.add(now.Sub(m.lastAdvance), g.cfg.PhiWindow)
		} else {
			// A new incarnation (or the first news of one): a new window,
			// seeded with the bootstrap interval.
			m.phi.reset()
			m.phi.add(g.cfg.PhiBootstrap, g.cfg.PhiWindow)
		}
		m.lastAdvance = now
		if m.down {
			m.down = false
			g.record(Transition{At: now, Member: e.Member, Kind: MarkedUp, Generation: e.Generation, Heartbeat: e.Heartbeat})
		}
	}
	m.entry = cloneEntry(*e)
}

func (g *Gossip) record(t Transition) {
	if len(g.transitions) >= g.cfg.MaxTransitions {
		g.stats.TransitionsDropped++
		return
	}
	g.transitions = append(g.transitions, t)
}

// evaluate recomputes every member's status at now, marking down, up and
// left as the detector says. Reporters count only if this node believed
// them alive before this evaluation, and only reports at least as new as
// this node's version of the suspect: a report about an older heartbeat
// was overtaken by news the reporter had not heard.
func (g *Gossip) evaluate(now time.Time) {
	reports := map[MemberID][]MemberID{}
	for _, id := range g.ids {
		x := g.members[id]
		if id == g.self || x.status != StatusAlive || x.entry.Status != wire.MemberAlive {
			continue
		}
		for i := range x.entry.Suspects {
			s := &x.entry.Suspects[i]
			m, ok := g.members[s.Member]
			if !ok || s.Member == g.self {
				continue
			}
			v := wire.GossipEntry{Generation: s.Generation, Heartbeat: s.Heartbeat}
			if compareVersion(&v, &m.entry) >= 0 {
				reports[s.Member] = append(reports[s.Member], id)
			}
		}
	}
	for _, id := range g.ids {
		if id == g.self {
			continue
		}
		m := g.members[id]
		prev := m.status
		silence := now.Sub(m.lastAdvance)
		suspected := silence >= g.cfg.SuspectAfter
		m.reporters = m.reporters[:0]
		if suspected {
			m.reporters = append(m.reporters, reports[id]...)
			i, _ := slices.BinarySearch(m.reporters, g.self)
			m.reporters = slices.Insert(m.reporters, i, g.self)
		}
		switch {
		case m.entry.Status == wire.MemberLeft:
			m.status = StatusLeft
			m.down = false
			if prev != StatusLeft {
				g.record(Transition{At: now, Member: id, Kind: MarkedLeft, Generation: m.entry.Generation, Heartbeat: m.entry.Heartbeat})
			}
		case m.down:
			m.status = StatusDown
		default:
			var down bool
			phi := phiOf(silence, m.phi.mean(g.cfg.PhiBootstrap))
			if g.cfg.Detector == DetectorPhi {
				down = phi > g.cfg.PhiThreshold
			} else {
				down = suspected && len(m.reporters) >= g.cfg.ConfirmReporters
			}
			switch {
			case down:
				m.down, m.status = true, StatusDown
				g.record(Transition{At: now, Member: id, Kind: MarkedDown, Reporters: len(m.reporters), Phi: phi,
					Generation: m.entry.Generation, Heartbeat: m.entry.Heartbeat})
			case suspected:
				m.status = StatusSuspect
			default:
				m.status = StatusAlive
			}
		}
		if m.status != prev {
			m.lastChange = now
		}
	}
}

// Status is this node's belief about member (StatusAlive for itself).
func (g *Gossip) Status(member MemberID) (Status, bool) {
	m, ok := g.members[member]
	if !ok {
		return 0, false
	}
	if member == g.self {
		if m.entry.Status == wire.MemberLeft {
			return StatusLeft, true
		}
		return StatusAlive, true
	}
	return m.status, true
}

// Up reports whether member is known and neither down nor left: the
// members a coordinator may use. A suspected member is still up.
func (g *Gossip) Up(member MemberID) bool {
	s, ok := g.Status(member)
	return ok && (s == StatusAlive || s == StatusSuspect)
}

// Phi is member's phi-accrual value at now (0 for self or unknown).
func (g *Gossip) Phi(member MemberID, now time.Time) float64 {
	m, ok := g.members[member]
	if !ok || member == g.self {
		return 0
	}
	return phiOf(now.Sub(m.lastAdvance), m.phi.mean(g.cfg.PhiBootstrap))
}

// Members returns this node's view of every member, ascending by id. The
// ring payloads are the store's: do not modify them.
func (g *Gossip) Members() []MemberInfo {
	out := make([]MemberInfo, 0, len(g.ids))
	for _, id := range g.ids {
		m := g.members[id]
		s, _ := g.Status(id)
		out = append(out, MemberInfo{
			Member: id, Generation: m.entry.Generation, Heartbeat: m.entry.Heartbeat, Status: s,
			LastChange: m.lastChange, LastAdvance: m.lastAdvance, Reporters: slices.Clone(m.reporters),
			RingVersion: m.entry.RingVersion, RingPayload: m.entry.RingPayload,
		})
	}
	return out
}

// Transitions returns the down, up and left marks made so far, oldest
// first (a copy).
func (g *Gossip) Transitions() []Transition { return slices.Clone(g.transitions) }

// Stats returns the counters.
func (g *Gossip) Stats() Stats { return g.stats }

// Entries returns a copy of the membership list as it would be gossiped in
// full (ascending by member, members never heard of left out).
func (g *Gossip) Entries() []wire.GossipEntry {
	var out []wire.GossipEntry
	for _, id := range g.ids {
		if m := g.members[id]; m.entry.Heartbeat != 0 || m.entry.Generation != 0 {
			out = append(out, cloneEntry(m.entry))
		}
	}
	return out
}

// SetRing publishes a ring version and payload in this node's entry (the
// heartbeat is bumped so that it travels at once). The payload is copied.
func (g *Gossip) SetRing(version uint64, payload []byte) error {
	if len(payload) > g.cfg.MaxRingPayloadBytes {
		return fmt.Errorf("gossip: ring payload of %d bytes exceeds MaxRingPayloadBytes %d", len(payload), g.cfg.MaxRingPayloadBytes)
	}
	own := &g.members[g.self].entry
	own.RingVersion, own.RingPayload = version, bytes.Clone(payload)
	if len(payload) == 0 {
		own.RingPayload = nil
	}
	own.Heartbeat++
	return nil
}

// Announce pushes the list to the given members now, outside the rounds
// (this node and unknown members are skipped): for news that should not
// wait for the epidemic, such as a new ring version SetRing published.
func (g *Gossip) Announce(to []MemberID) []Outgoing {
	var out []Outgoing
	var entries []wire.GossipEntry
	for _, p := range to {
		if p == g.self || g.members[p] == nil {
			continue
		}
		if entries == nil {
			entries = g.listFor(nil)
		}
		msg := &wire.GossipPush{Entries: entries}
		out = append(out, Outgoing{To: p, Msg: msg})
		g.count(msg, &g.stats.PushesSent, len(entries))
	}
	return out
}

// HighestRing returns the highest ring version any known member announces,
// with its payload and the (lowest-numbered) member announcing it.
func (g *Gossip) HighestRing() (MemberID, uint64, []byte) {
	best := g.members[g.self]
	for _, id := range g.ids {
		if m := g.members[id]; m.entry.RingVersion > best.entry.RingVersion {
			best = m
		}
	}
	return best.entry.Member, best.entry.RingVersion, best.entry.RingPayload
}

// Leave announces that this node leaves: its entry says so from now on
// (the heartbeat is bumped so that it travels at once). Others mark it
// left, and stop suspecting and gossiping to it.
func (g *Gossip) Leave() {
	own := &g.members[g.self].entry
	own.Status = wire.MemberLeft
	own.Heartbeat++
}

// TransitionCount is how many marks Transitions holds.
func (g *Gossip) TransitionCount() int { return len(g.transitions) }

// TransitionsFrom returns the marks from index i on (i from an earlier
// TransitionCount), oldest first. The slice is the store's: do not modify
// it.
func (g *Gossip) TransitionsFrom(i int) []Transition {
	if i < 0 || i > len(g.transitions) {
		return nil
	}
	return g.transitions[i:]
}
