package node

import (
	"fmt"
	"slices"
	"time"

	"dynasim/node/gossip"
	"dynasim/node/ring"
	"dynasim/wire"
)

// Range streaming (join and decommission). A ring transition
// (ring.Membership.Transition: a settled version's members plus a joining
// member, or less a leaving one) reaches a node by gossip (adoptRing) or
// from its host (SetMembership). From then on:
//
//   - the coordinator writes to the old and the new replicas of a key (the
//     new ones that are not old are pending) and, in the first step, reads
//     the old ones only;
//     a write needs W acknowledgements plus one per pending replica,
//     counted over all of them, which with one member changing leaves at
//     least W among the old replicas and at least W among the new ones
//     (coord.placeReplicas, withPending);
//   - every node that gains an arc (ring.Membership.Gains) pulls it, once
//     every member (up or not) announces the transition and the change
//     delay more has passed (so that no coordinator still places writes
//     by the old version alone, and those it placed land first), from
//     the members that lose it — the leaving node's or the displaced
//     replica's copy holds every write it acknowledged, so the new replicas
//     together hold at least W copies of every acknowledged write when
//     reads move to them. A pull is a StreamRequest per chunk; the holder
//     answers from an ordered engine scan (at most ChunkBytes, never ending
//     inside a hash), the gainer merges the entries by the replica's
//     normal merge, and only after they are durable (the deferred-output
//     rule, durable.go) does it move its cursor on and ask for the next
//     chunk. Requests are paced by RateBytesPerSec (the bytes received),
//     at most Parallel at once, and asked again after RetryInterval
//     unanswered or refused (the holder restarted, or does not know the
//     transition yet), from where they stopped. A gainer that restarts
//     starts its pulls over (the merge is idempotent).
//   - a gainer never answers a replica read of a key in an arc it has not
//     received yet (ReadsRefused): reads are not placed there before the
//     transition settles, and this holds even for a stale coordinator.
//   - when a gainer holds every arc, it reports StreamDone to the
//     transition's changer (the joining or the leaving node), every
//     RetryInterval until the reads move; the changer, once every gainer
//     reported, issues the transition's second step (ring.MoveReads:
//     reads on the new replicas, writes still on both);
//   - once every member of the transition announces the second step (up
//     or not: a paused or partitioned member may still coordinate by the
//     first step when it comes back) and the change delay more has
//     passed, the changer issues the settled version (Settle) — the
//     joiner adopts it, the leaver only announces it in gossip (it is not
//     a member of it) and is then stopped by its host (Left).
//
// The waits are what keeps reads correct across the change: two versions
// in use at once are always adjacent ones (settled and step 1, step 1 and
// step 2, step 2 and settled), whose quorums intersect. Pulls begin only
// once every member runs step 1, so no coordinator places a write on the
// old replicas alone while a losing replica streams; the settled version
// (writes on the new replicas alone) comes only once every member runs
// step 2, so no coordinator still reads the old replicas. The change delay
// (changeDelay: StartDelay, at least twice the coordinator's
// RequestTimeout) lets the requests placed by the version before finish
// first. The price: a member that stays down holds a change in its step
// (the cluster serves, writing to both replica sets) until it returns.

// StreamingConfig configures range streaming.
type StreamingConfig struct {
	// RateBytesPerSec paces a gainer's pulls: after a chunk of b bytes the
	// next request waits b/RateBytesPerSec. Default
	// DefaultStreamRateBytesPerSec; range [MinStreamRate, MaxStreamRate].
	RateBytesPerSec int64
	// ChunkBytes bounds one chunk's entries. Default 64 KiB; range
	// [1 KiB, 4 MiB].
	ChunkBytes int
	// Parallel is how many pulls a gainer runs at once. Default 2; at
	// most 64.
	Parallel int
	// StartDelay is how long a gainer waits, once every member runs a
	// transition, before pulling, and the changer before settling once
	// every member runs its second step (at least twice the coordinator's
	// RequestTimeout is used, whatever this says: changeDelay). Default
	// 1 s.
	StartDelay time.Duration
	// RetryInterval: a request unanswered (or refused) for this long is
	// asked again; StreamDone is repeated this often. Default 500 ms.
	RetryInterval time.Duration
	// TickInterval is how often a node in a transition checks its pulls.
	// Default 50 ms.
	TickInterval time.Duration
}

// Streaming defaults and limits.
const (
	DefaultStreamRateBytesPerSec = 8 << 20
	MinStreamRate                = 1 << 10
	MaxStreamRate                = 1 << 34
	DefaultStreamChunkBytes      = 64 << 10
	DefaultStreamParallel        = 2
	DefaultStreamStartDelay      = time.Second
	DefaultStreamRetryInterval   = 500 * time.Millisecond
	DefaultStreamTickInterval    = 50 * time.Millisecond
)

func (c StreamingConfig) withDefaults() StreamingConfig {
	if c.RateBytesPerSec == 0 {
		c.RateBytesPerSec = DefaultStreamRateBytesPerSec
	}
	if c.ChunkBytes == 0 {
		c.ChunkBytes = DefaultStreamChunkBytes
	}
	if c.Parallel == 0 {
		c.Parallel = DefaultStreamParallel
	}
	if c.StartDelay == 0 {
		c.StartDelay = DefaultStreamStartDelay
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = DefaultStreamRetryInterval
	}
	if c.TickInterval == 0 {
		c.TickInterval = DefaultStreamTickInterval
	}
	return c
}

func (c StreamingConfig) validate() error {
	switch {
	case c.RateBytesPerSec < MinStreamRate || c.RateBytesPerSec > MaxStreamRate:
		return fmt.Errorf("node: Streaming.RateBytesPerSec %d outside [%d, %d]", c.RateBytesPerSec, MinStreamRate, int64(MaxStreamRate))
	case c.ChunkBytes < 1<<10 || c.ChunkBytes > 4<<20:
		return fmt.Errorf("node: Streaming.ChunkBytes %d outside [1024, %d]", c.ChunkBytes, 4<<20)
	case c.Parallel < 1 || c.Parallel > 64:
		return fmt.Errorf("node: Streaming.Parallel %d outside [1, 64]", c.Parallel)
	case c.StartDelay < 0:
		return fmt.Errorf("node: Streaming.StartDelay %v is negative", c.StartDelay)
	case c.RetryInterval <= 0 || c.TickInterval <= 0:
		return fmt.Errorf("node: Streaming.RetryInterval and TickInterval must be positive")
	}
	return nil
}

// StreamStats counts one incarnation's streaming.
type StreamStats struct {
	// Transitions is how many transitions the node took part in.
	Transitions uint64
	// As a gainer: requests sent (RequestsRetried of them asked again),
	// chunks refused by the holder, keys and bytes (chunk frames)
	// received, merge failures, arcs completed, sync failures that made a
	// chunk be asked again.
	Requests, RequestsRetried, Refused  uint64
	KeysReceived, BytesReceived, Chunks uint64
	MergeErrors, ArcsDone, SyncRestarts uint64
	// As a holder: chunks, keys and bytes sent; requests refused.
	ChunksSent, KeysSent, BytesSent, RefusedSent uint64
	// ReadsRefused are replica reads of keys of an arc not received yet.
	ReadsRefused uint64
	// DoneReports counts StreamDone messages sent; DoneHeard those the
	// changer received.
	DoneReports, DoneHeard uint64
	// StartedAt and DoneAt are the local times the gainer's pulls of the
	// last transition started and finished (zero: not yet).
	StartedAt, DoneAt time.Time
	// Settled is the settled version this node issued as a changer (0:
	// none).
	Settled uint64
}

// streamState is a node's part in the current transition.
type streamState struct {
	m         *ring.Membership // the transition
	startAt   time.Time
	nextAt    time.Time // pacing: no new request before
	tasks     []*streamTask
	next      int // first task not started
	gainer    bool
	allDone   bool
	doneAt    time.Time // last StreamDone sent
	heard     []wire.Addr
	settled   *ring.Membership // the next version this node issued as the changer (step 2, or the settled one)
	armed     bool
	paceArmed bool
	adopted   bool // every member (up or not) announced this version
	seq       uint64
}

// streamTask is one arc pulled from one holder.
type streamTask struct {
	from     wire.Addr
	start    uint64 // the arc (start, end]
	end      uint64
	cursor   uint64 // received up to (start, cursor]
	resumed  bool
	reqID    uint64
	sentAt   time.Time
	readyAt  time.Time // not asked again before
	started  bool
	inFlight bool
	waiting  bool // a received chunk waits for its sync
	done     bool
}

// Deferred streaming outputs (durable.go): a chunk's progress, applied
// once its entries are durable.
const outStreamChunk uint8 = 16

// startStreaming starts the node's part in transition m (called when the
// node adopts it, or starts with it): the pulls of the first step; in the
// second only the changer has something to do (settle).
func (n *Node) startStreaming(m *ring.Membership) {
	cfg := &n.cfg.Streaming
	now := n.env.Now()
	if m.ReadsMoved() {
		// The second step: the changer waits for every member to run it
		// (settleTick); the others have nothing to do.
		n.stream = nil
		if m.Changer() == n.self {
			n.stream = &streamState{m: m, startAt: now, allDone: true}
			n.armStream(cfg.TickInterval)
		}
		return
	}
	s := &streamState{m: m, startAt: now}
	for _, g := range m.Gains(n.self, 0) {
		for _, from := range g.From {
			if from == n.self {
				continue
			}
			s.tasks = append(s.tasks, &streamTask{from: from, start: g.Start, end: g.End, cursor: g.Start})
		}
	}
	s.gainer = slices.Contains(m.Gainers(0), n.self)
	n.stream = s
	n.stats.Stream.Transitions++
	n.stats.Stream.StartedAt, n.stats.Stream.DoneAt = time.Time{}, time.Time{}
	n.armStream(cfg.TickInterval)
}

func (n *Node) armStream(after time.Duration) {
	if n.stream == nil || n.stream.armed {
		return
	}
	n.stream.armed = true
	n.env.SetTimer(after, Timer{Kind: timerStream})
}

// streamArmPace arms the pacing timer when the pacing holds requests
// back: the next requests go as soon as it allows.
func (n *Node) streamArmPace(now time.Time) {
	s := n.stream
	if s == nil || s.paceArmed || s.allDone || !now.Before(s.nextAt) {
		return
	}
	s.paceArmed = true
	n.env.SetTimer(max(s.nextAt.Sub(now), time.Microsecond), Timer{Kind: timerStream, ID: 1})
}

// everyMemberRuns reports whether every member of the transition step the
// node is in (old or new, up or not) announces that version or a later one
// in gossip. Without gossip the host hands versions out itself: true.
func (n *Node) everyMemberRuns() bool {
	if n.gossip == nil {
		return true
	}
	v := n.stream.m.Version()
	infos := n.gossip.Members()
	for _, a := range n.stream.m.Participants() {
		if a == n.self {
			continue
		}
		i := slices.IndexFunc(infos, func(mi gossip.MemberInfo) bool { return mi.Member == a })
		if i < 0 || infos[i].RingVersion < v {
			return false // not heard of yet, or behind
		}
	}
	return true
}

// changeDelay is how long a step waits, once every member runs the
// version before it, for the requests placed by the version before that
// to finish: StartDelay, at least twice the coordinator's RequestTimeout.
func (n *Node) changeDelay() time.Duration {
	return max(n.cfg.Streaming.StartDelay, 2*n.cfg.Coordinator.RequestTimeout)
}

// streamPaced asks for the chunks the pacing held back.
func (n *Node) streamPaced() {
	s := n.stream
	if s == nil || !s.paceArmed {
		return
	}
	s.paceArmed = false
	if !s.allDone && !n.env.Now().Before(s.startAt) {
		n.streamPump(n.env.Now())
	}
}

// streamTick drives the node's part in the transition.
func (n *Node) streamTick() {
	s := n.stream
	if s == nil {
		return
	}
	s.armed = false
	cfg := &n.cfg.Streaming
	now := n.env.Now()
	if cur := n.view.Membership(); cur.Version() > s.m.Version() {
		n.stream = nil // a later step: nothing more to do here
		return
	}
	if s.m.ReadsMoved() {
		n.settleTick(now)
		return
	}
	if !s.adopted {
		// Pull only once every member announces the transition (or a
		// later version): from then on no coordinator places a write by
		// the old version alone, and the change delay more lets the
		// writes it placed before land.
		if !n.everyMemberRuns() {
			n.armStream(cfg.TickInterval)
			return
		}
		s.adopted = true
		s.startAt = maxTime(s.startAt, now.Add(n.changeDelay()))
	}
	if now.Before(s.startAt) {
		n.armStream(s.startAt.Sub(now))
		return
	}
	if n.stats.Stream.StartedAt.IsZero() {
		n.stats.Stream.StartedAt = now
	}
	if !s.allDone {
		n.streamPump(now)
	}
	if s.allDone && s.gainer {
		if s.m.Changer() == n.self {
			n.streamHeard(n.self)
		} else if s.doneAt.IsZero() || now.Sub(s.doneAt) >= cfg.RetryInterval {
			s.doneAt = now
			n.stats.Stream.DoneReports++
			n.env.Send(s.m.Changer(), &wire.StreamDone{Version: s.m.Version()})
		}
	}
	if s.m.Changer() == n.self && s.settled == nil {
		n.streamMaybeSettle()
	}
	n.armStream(cfg.TickInterval)
}

// streamPump asks again what went unanswered and asks for the next chunks
// as the pacing allows.
func (n *Node) streamPump(now time.Time) {
	s, cfg := n.stream, &n.cfg.Streaming
	active := 0
	paced := now.Before(s.nextAt)
	for _, t := range s.tasks {
		if t.done || !t.started {
			continue
		}
		active++
		switch {
		case t.waiting || paced:
		case t.inFlight && now.Sub(t.sentAt) >= cfg.RetryInterval:
			n.stats.Stream.RequestsRetried++
			n.streamAsk(t, now)
		case !t.inFlight && !now.Before(t.readyAt):
			n.streamAsk(t, now)
		}
	}
	for active < cfg.Parallel && s.next < len(s.tasks) && !paced {
		t := s.tasks[s.next]
		s.next++
		t.started = true
		n.streamAsk(t, now)
		active++
	}
	done := s.next == len(s.tasks)
	for _, t := range s.tasks {
		done = done && t.done
	}
	if done {
		s.allDone = true
		n.stats.Stream.DoneAt = now
	}
	if paced {
		n.streamArmPace(now) // the clock may read just before the pacing's end
	}
}

func (n *Node) streamAsk(t *streamTask, now time.Time) {
	s := n.stream
	s.seq++
	t.reqID, t.sentAt, t.inFlight = s.seq, now, true
	n.stats.Stream.Requests++
	n.env.Send(t.from, &wire.StreamRequest{StreamID: t.reqID, Version: s.m.Version(),
		Arc: wire.AEArc{Start: t.cursor, End: t.end}, MaxBytes: uint32(n.cfg.Streaming.ChunkBytes)})
}

// streamServe answers a gainer's request with the next chunk of the arc,
// once what it reveals is durable.
func (n *Node) streamServe(from wire.Addr, m *wire.StreamRequest) {
	resp := &wire.StreamChunk{StreamID: m.StreamID, Version: m.Version}
	if n.view.Membership().Version() < m.Version {
		resp.Refused = true // not in the transition yet: writes it places may still be missing
		n.stats.Stream.RefusedSent++
		n.env.Send(from, resp)
		return
	}
	limit := min(int(m.MaxBytes), n.cfg.Streaming.ChunkBytes)
	size := resp.Size()
	full := false
	var last uint64
	err := n.store.ScanArc(m.Arc.Start, m.Arc.End, func(key []byte, h uint64, raw []byte) bool {
		if len(resp.Entries) > 0 && h != last && (size+len(key)+len(raw)+3 > limit || len(resp.Entries) >= wire.MaxStreamEntries-1) {
			full = true
			return false
		}
		set, err := wire.DecodeSiblingSet(raw)
		if err != nil {
			return true
		}
		e := wire.AEEntry{Key: append([]byte(nil), key...), Set: set}
		resp.Entries = append(resp.Entries, e)
		size += wire.AEEntryBytes(&e)
		last = h
		return true
	})
	if err != nil {
		resp.Refused, resp.Entries = true, nil
		n.stats.Stream.RefusedSent++
		n.env.Send(from, resp)
		return
	}
	resp.Done = !full
	resp.Next = last
	if len(resp.Entries) == 0 {
		resp.Next = m.Arc.End
	}
	n.stats.Stream.ChunksSent++
	n.stats.Stream.KeysSent += uint64(len(resp.Entries))
	n.stats.Stream.BytesSent += uint64(resp.Size())
	n.push(deferred{kind: outSend, to: from, msg: resp})
}

// streamChunk merges a holder's chunk; the pull moves on once it is
// durable (streamProgress).
func (n *Node) streamChunk(from wire.Addr, m *wire.StreamChunk) {
	s := n.stream
	if s == nil || m.Version != s.m.Version() {
		return
	}
	idx := slices.IndexFunc(s.tasks, func(t *streamTask) bool { return t.inFlight && t.reqID == m.StreamID && t.from == from })
	if idx < 0 {
		return // an answer to a request asked again, or of an earlier incarnation
	}
	t := s.tasks[idx]
	t.inFlight = false
	now := n.env.Now()
	if m.Refused {
		n.stats.Stream.Refused++
		t.readyAt = now.Add(n.cfg.Streaming.RetryInterval)
		return
	}
	st := &n.stats.Stream
	st.Chunks++
	st.KeysReceived += uint64(len(m.Entries))
	b := int64(m.Size())
	st.BytesReceived += uint64(b)
	failed := false
	for i := range m.Entries {
		e := &m.Entries[i]
		if _, _, err := n.store.Merge(e.Key, ring.HashKey(e.Key), e.Set); err != nil {
			st.MergeErrors++
			failed = true
		}
	}
	pace := time.Duration(b * int64(time.Second) / n.cfg.Streaming.RateBytesPerSec)
	s.nextAt = maxTime(s.nextAt, now).Add(pace)
	if failed {
		t.readyAt = now.Add(n.cfg.Streaming.RetryInterval) // the same chunk again, later
		return
	}
	next, done := m.Next, m.Done || m.Next == t.end
	t.waiting = true
	n.push(deferred{kind: outStreamChunk, id: uint64(idx), to: from, u: next, flag: done, ver: s.m.Version()})
}

// streamProgress applies a chunk's progress once its entries are durable
// (err: the sync failed, the chunk is asked again).
func (n *Node) streamProgress(d *deferred) {
	s := n.stream
	if s == nil || d.ver != s.m.Version() || int(d.id) >= len(s.tasks) {
		return
	}
	t := s.tasks[d.id]
	t.waiting = false
	now := n.env.Now()
	t.readyAt = now
	switch {
	case d.err != nil:
		n.stats.Stream.SyncRestarts++ // the same chunk again
	case d.flag:
		t.done, t.cursor = true, t.end
		n.stats.Stream.ArcsDone++
		n.streamPump(now)
	default:
		t.cursor, t.resumed = d.u, true
		if !now.Before(s.nextAt) {
			n.streamAsk(t, now)
		}
	}
	n.streamArmPace(now)
	n.armStream(n.cfg.Streaming.TickInterval)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// streamDoneFrom records a gainer's report.
func (n *Node) streamDoneFrom(from wire.Addr, m *wire.StreamDone) {
	s := n.stream
	if s == nil || m.Version != s.m.Version() || s.m.Changer() != n.self {
		return
	}
	n.stats.Stream.DoneHeard++
	n.streamHeard(from)
	if s.settled == nil {
		n.streamMaybeSettle()
	}
}

func (n *Node) streamHeard(a wire.Addr) {
	s := n.stream
	if !slices.Contains(s.heard, a) {
		s.heard = append(s.heard, a)
	}
}

// streamMaybeSettle issues the transition's second step (reads on the new
// replicas) once every gainer holds what it gains.
func (n *Node) streamMaybeSettle() {
	s := n.stream
	for _, g := range s.m.Gainers(0) {
		if !slices.Contains(s.heard, g) {
			return
		}
	}
	next, err := s.m.MoveReads()
	if err != nil {
		return
	}
	s.settled = next
	_ = n.SetMembership(next) // a member of the second step (the leaver too)
}

// settleTick drives the changer through a transition's second step: once
// every member runs it and the change delay more has passed, it issues
// the settled version.
func (n *Node) settleTick(now time.Time) {
	s, cfg := n.stream, &n.cfg.Streaming
	if s.settled != nil {
		return // issued (a leaver waits for its host to stop it)
	}
	if !s.adopted {
		if !n.everyMemberRuns() {
			n.armStream(cfg.TickInterval)
			return
		}
		s.adopted = true
		s.startAt = now.Add(n.changeDelay())
	}
	if now.Before(s.startAt) {
		n.armStream(s.startAt.Sub(now))
		return
	}
	next, err := s.m.Settle()
	if err != nil {
		return
	}
	s.settled = next
	n.stats.Stream.Settled = next.Version()
	if next.Has(n.self) {
		_ = n.SetMembership(next)
		return
	}
	// The leaving node: not a member of the settled version, it only
	// announces it.
	if n.gossip != nil && n.gossip.SetRing(next.Version(), next.Encode()) == nil {
		n.announceRing(next)
	}
}

// announceRing pushes this node's gossip list, which carries the ring
// version it just took, to every member of m at once: a change waits for
// every member to run each of its steps (everyMemberRuns), and the news
// would take several gossip rounds to spread by the epidemic alone. The
// members that adopt it push again, so each learns within a round trip
// that the others did.
func (n *Node) announceRing(m *ring.Membership) {
	n.sendGossip(n.gossip.Announce(m.Participants()))
}

// unreceived reports whether key hash h lies in an arc this node gains in
// the current transition and has not received yet.
func (n *Node) unreceived(h uint64) bool {
	s := n.stream
	if s == nil || !s.gainer || n.view.Membership() != s.m {
		return false
	}
	for _, t := range s.tasks {
		if !t.done && arcContains(t.start, t.end, h) {
			return true
		}
	}
	return false
}

func arcContains(start, end, h uint64) bool {
	switch {
	case start == end:
		return true
	case start < end:
		return h > start && h <= end
	default:
		return h > start || h <= end
	}
}

// adoptRing adopts a newer ring version some member announces in gossip.
func (n *Node) adoptRing() {
	cur := n.view.Membership()
	_, v, payload := n.gossip.HighestRing()
	if v <= cur.Version() {
		return
	}
	if len(payload) == 0 {
		for _, mi := range n.gossip.Members() {
			if mi.RingVersion == v && len(mi.RingPayload) > 0 {
				payload = mi.RingPayload
				break
			}
		}
	}
	if len(payload) == 0 {
		return
	}
	m, err := ring.DecodeMembership(payload)
	if err != nil || m.Version() != v {
		n.stats.RingRejected++
		return
	}
	if !m.Has(n.self) {
		return // a version without this node (it left)
	}
	if err := n.SetMembership(m); err != nil {
		n.stats.RingRejected++
	}
}

// StreamStats returns the node's streaming counters.
func (n *Node) StreamStats() StreamStats { return n.stats.Stream }

// Left reports whether this node ran a decommission to its end: it issued
// a settled version it is not a member of, so its host may stop it.
func (n *Node) Left() bool {
	return n.stream != nil && n.stream.settled != nil && !n.stream.settled.Has(n.self)
}

// InTransition reports whether the node's ring version is a transition.
func (n *Node) InTransition() bool { return n.view.Membership().Prev() != nil }

// LoadLocal merges set into this node's replica of key and syncs, as a
// replica write would but sending nothing: for harnesses that preload a
// cluster (a benchmark's million keys) without going through the
// coordinators.
func (n *Node) LoadLocal(key []byte, set wire.SiblingSet) error {
	if _, _, err := n.store.Merge(key, ring.HashKey(key), set); err != nil {
		return err
	}
	return n.store.Sync()
}
