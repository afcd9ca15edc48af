package node

import (
	"fmt"
	"slices"
	"time"

	"dynasim/node/merkle"
	"dynasim/node/ring"
	"dynasim/wire"
)

// Merkle-tree anti-entropy (Config.AntiEntropy). Hinted handoff repairs
// short outages; anti-entropy repairs everything else — lost hints, hints
// past their window, a replica partitioned with handoff off, a wiped disk
// — by comparing hash trees of the ranges two replicas share and copying
// only the keys of the buckets that differ.
//
// Ranges and rounds. The ranges are ring.Ranges of the node's ring version:
// runs of token ranges with one preference list (see node/merkle for why
// that unit). Every Interval (the first at a random offset within one, from
// the node's stream) a node with an empty queue queues one round: for every
// range it replicates, an exchange with the next replica after it in the
// range's preference list (cyclically), so that around the list every pair
// of neighbours is compared once per round and a difference spreads around
// it within a round or two. The ranges of one peer go into exchanges of at
// most MaxArcsPerExchange arcs each, so one round trip per tree level
// serves many small ranges. When gossip marks a member up (it came back),
// exchanges with it over every range they share are queued first — the
// "on demand after a node returns".
//
// An exchange. The initiator builds its trees (one ordered engine scan per
// arc, merkle.Builder) and sends every root (wire.AETree, level 0, with
// the arcs and bucket count). The peer checks it replicates each arc,
// builds its own trees and compares; from then on the two alternate, each
// message carrying the sender's hashes one level down for the children of
// the nodes that differed, so the descent touches only differing subtrees.
// A side that finds nothing different ends the exchange (Done). The side
// that compares the leaves sends its keys of the differing buckets
// (wire.AEEntries, chunks of at most MaxMessageBytes) and asks for the
// other side's; each side merges what it receives through the replica's
// normal merge (Store.Merge: version rules, sibling limits), and the next
// sync makes it durable before anything it reveals leaves. Entries are
// only sent for keys the receiver replicates, and only merged for keys the
// receiver replicates. An exchange silent for ExchangeTimeout is dropped
// (counted): a lost message only delays the repair to a later round.
//
// Throttle. Everything anti-entropy sends leaves through one queue drained
// at RateBytesPerS (a token bucket, burst one second, the debt at most one
// message), and a node starts a new exchange only while fewer than
// MaxInFlight of its own are running and the queue is empty; it serves at
// most MaxServed of its peers' at once (more are refused).
//
// Costs. Trees are rebuilt for every exchange, never kept (node/merkle
// says what a build costs). Stats count the bytes sent, the bytes of each
// exchange the node initiated (both directions) and what a full copy of the
// compared ranges would have sent (the larger side's key and set bytes),
// so reports can set one beside the other.

// AntiEntropyConfig configures anti-entropy.
type AntiEntropyConfig struct {
	// Enabled runs anti-entropy. Default false: no tree is built and no
	// anti-entropy message is sent.
	Enabled bool
	// Interval is how often a node queues a round of exchanges (when the
	// previous one is done). Default 10 s.
	Interval time.Duration
	// Tree shapes the trees (Buckets: leaves per range, a power of two;
	// default 64).
	Tree merkle.Config
	// RateBytesPerS bounds what the node sends for anti-entropy (burst one
	// second). Default 1 MiB/s; -1 for no limit.
	RateBytesPerS int64
	// MaxInFlight bounds the exchanges this node started and that have not
	// ended. Default 2.
	MaxInFlight int
	// MaxServed bounds the exchanges other nodes started that this node
	// takes part in at once; more are refused. Default 8.
	MaxServed int
	// MaxArcsPerExchange bounds the ranges one exchange compares. Default
	// 256; times Tree.Buckets at most wire.MaxAENodes.
	MaxArcsPerExchange int
	// ExchangeTimeout drops an exchange that heard nothing for this long.
	// Default 5 s.
	ExchangeTimeout time.Duration
	// MaxMessageBytes bounds the entries of one wire.AEEntries message (a
	// single larger entry still goes alone). Default 256 KiB.
	MaxMessageBytes int
}

// Anti-entropy defaults and bounds.
const (
	DefaultAEInterval           = 10 * time.Second
	DefaultAERateBytesPerS      = 1 << 20
	DefaultAEMaxInFlight        = 2
	DefaultAEMaxServed          = 8
	DefaultAEMaxArcsPerExchange = 256
	DefaultAEExchangeTimeout    = 5 * time.Second
	DefaultAEMaxMessageBytes    = 256 << 10
	MaxAEMaxInFlight            = 1 << 10
	MaxAERateBytesPerS          = 1 << 33
	MinAEMaxMessageBytes        = 4 << 10
)

func (c AntiEntropyConfig) withDefaults() AntiEntropyConfig {
	if c.Interval == 0 {
		c.Interval = DefaultAEInterval
	}
	c.Tree = c.Tree.WithDefaults()
	if c.RateBytesPerS == 0 {
		c.RateBytesPerS = DefaultAERateBytesPerS
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultAEMaxInFlight
	}
	if c.MaxServed == 0 {
		c.MaxServed = DefaultAEMaxServed
	}
	if c.MaxArcsPerExchange == 0 {
		c.MaxArcsPerExchange = DefaultAEMaxArcsPerExchange
	}
	if c.ExchangeTimeout == 0 {
		c.ExchangeTimeout = DefaultAEExchangeTimeout
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultAEMaxMessageBytes
	}
	return c
}

// validate checks the configuration after defaults.
func (c AntiEntropyConfig) validate() error {
	if err := c.Tree.Validate(); err != nil {
		return fmt.Errorf("node: AntiEntropy.Tree: %w", err)
	}
	switch {
	case c.Interval <= 0:
		return fmt.Errorf("node: AntiEntropy.Interval %v must be positive", c.Interval)
	case c.RateBytesPerS < -1 || c.RateBytesPerS > MaxAERateBytesPerS:
		return fmt.Errorf("node: AntiEntropy.RateBytesPerS %d outside [1, %d], or -1 for no limit", c.RateBytesPerS, int64(MaxAERateBytesPerS))
	case c.MaxInFlight < 1 || c.MaxInFlight > MaxAEMaxInFlight:
		return fmt.Errorf("node: AntiEntropy.MaxInFlight %d outside [1, %d]", c.MaxInFlight, MaxAEMaxInFlight)
	case c.MaxServed < 1 || c.MaxServed > MaxAEMaxInFlight:
		return fmt.Errorf("node: AntiEntropy.MaxServed %d outside [1, %d]", c.MaxServed, MaxAEMaxInFlight)
	case c.MaxArcsPerExchange < 1 || c.MaxArcsPerExchange > wire.MaxAEArcs:
		return fmt.Errorf("node: AntiEntropy.MaxArcsPerExchange %d outside [1, %d]", c.MaxArcsPerExchange, wire.MaxAEArcs)
	case c.MaxArcsPerExchange*c.Tree.Buckets > wire.MaxAENodes:
		return fmt.Errorf("node: AntiEntropy.MaxArcsPerExchange %d times Tree.Buckets %d exceeds %d node hashes per message",
			c.MaxArcsPerExchange, c.Tree.Buckets, wire.MaxAENodes)
	case c.ExchangeTimeout <= 0:
		return fmt.Errorf("node: AntiEntropy.ExchangeTimeout %v must be positive", c.ExchangeTimeout)
	case c.MaxMessageBytes < MinAEMaxMessageBytes || c.MaxMessageBytes > wire.MaxFrameBytes/2:
		return fmt.Errorf("node: AntiEntropy.MaxMessageBytes %d outside [%d, %d]", c.MaxMessageBytes, MinAEMaxMessageBytes, wire.MaxFrameBytes/2)
	}
	return nil
}

// AntiEntropyStats counts a node's anti-entropy in one incarnation.
type AntiEntropyStats struct {
	// Rounds are rounds queued; Exchanges exchanges this node started;
	// Completed those that ended, InSync those of them that found nothing
	// to copy; TimedOut dropped for silence; Refused refused by the peer;
	// Skipped not started because the peer was believed down.
	Rounds, Exchanges, Completed, InSync, TimedOut, Refused, Skipped uint64
	// RepairRounds are rounds with every replica queued after a
	// quarantined table (aeRepairAll).
	RepairRounds uint64
	// Served are exchanges of other nodes this node took part in;
	// ServeRefused those it refused (too many, or not a replica).
	Served, ServeRefused uint64
	// ArcsCompared are ranges compared in exchanges this node started;
	// BucketsDiffering leaves this node found differing (at the leaf
	// level, whichever side compared them).
	ArcsCompared, BucketsDiffering uint64
	// KeysSent and KeysReceived are entries sent and received;
	// KeysRepaired received entries that changed what this node stored;
	// MergeErrors entries that did not merge; NotReplica entries skipped
	// because this node (receiving) or the peer (sending) does not
	// replicate the key.
	KeysSent, KeysReceived, KeysRepaired, MergeErrors, NotReplica uint64
	// MessagesSent and BytesSent are every anti-entropy message and frame
	// byte this node sent.
	MessagesSent, BytesSent uint64
	// ExchangeBytes are the frame bytes of the exchanges this node started
	// and completed, both directions; FullCopyBytes what copying their
	// ranges whole would have sent (per range the larger side's key and
	// set bytes).
	ExchangeBytes, FullCopyBytes uint64
	// TreeBuilds, TreeKeys and TreeBytes are the trees built and the keys
	// and key-and-set bytes their scans read; ScanErrors scans that failed.
	TreeBuilds, TreeKeys, TreeBytes, ScanErrors uint64
	// ThrottleWaits are the times the queue waited for the byte bucket.
	ThrottleWaits uint64
	// LastError is the last scan or merge error.
	LastError string
}

// Add sums o into s (LastError: o's when it has one).
func (s *AntiEntropyStats) Add(o AntiEntropyStats) {
	s.Rounds += o.Rounds
	s.RepairRounds += o.RepairRounds
	s.Exchanges += o.Exchanges
	s.Completed += o.Completed
	s.InSync += o.InSync
	s.TimedOut += o.TimedOut
	s.Refused += o.Refused
	s.Skipped += o.Skipped
	s.Served += o.Served
	s.ServeRefused += o.ServeRefused
	s.ArcsCompared += o.ArcsCompared
	s.BucketsDiffering += o.BucketsDiffering
	s.KeysSent += o.KeysSent
	s.KeysReceived += o.KeysReceived
	s.KeysRepaired += o.KeysRepaired
	s.MergeErrors += o.MergeErrors
	s.NotReplica += o.NotReplica
	s.MessagesSent += o.MessagesSent
	s.BytesSent += o.BytesSent
	s.ExchangeBytes += o.ExchangeBytes
	s.FullCopyBytes += o.FullCopyBytes
	s.TreeBuilds += o.TreeBuilds
	s.TreeKeys += o.TreeKeys
	s.TreeBytes += o.TreeBytes
	s.ScanErrors += o.ScanErrors
	s.ThrottleWaits += o.ThrottleWaits
	if o.LastError != "" {
		s.LastError = o.LastError
	}
}

// Anti-entropy timer IDs (Timer.ID of timerAntiEntropy).
const (
	aeTimerRound  = 0
	aeTimerRetry  = 1
	aeTimerExpire = 2
)

type aeJob struct {
	peer wire.Addr
	arcs []merkle.Arc
}

type aeKey struct {
	peer wire.Addr
	id   uint64
}

// aeExchange is one exchange's state on either side.
type aeExchange struct {
	id        uint64
	peer      wire.Addr
	initiator bool // this node started it
	arcs      []merkle.Arc
	trees     []*merkle.Tree
	last      time.Time
	bytes     uint64   // frame bytes both ways (initiator)
	peerBytes []uint64 // the peer's key and set bytes per arc
	expect    int      // the level of the next tree step from the peer
	entries   bool     // entries were exchanged
	awaiting  bool     // sent our entries with Reply; waiting for theirs
}

type aeOut struct {
	to  wire.Addr
	msg wire.Message
	gen *aeGen // instead of msg: entries read chunk by chunk
}

// aeState is a node's anti-entropy.
type aeState struct {
	cfg         AntiEntropyConfig
	seq         uint64
	jobs        []aeJob
	mine        map[uint64]*aeExchange
	served      map[aeKey]*aeExchange
	out         []aeOut
	tokens      int64
	refilled    time.Time
	retry       bool
	expiryArmed bool
	stats       AntiEntropyStats
}

// startAntiEntropy arms the first round at a random offset within one
// interval.
func (n *Node) startAntiEntropy() {
	cfg := n.cfg.AntiEntropy
	n.ae = &aeState{cfg: cfg, mine: map[uint64]*aeExchange{}, served: map[aeKey]*aeExchange{},
		tokens: cfg.RateBytesPerS, refilled: n.env.Now()}
	n.env.SetTimer(time.Duration(n.env.Rand().Uint64()%uint64(cfg.Interval))+1, Timer{Kind: timerAntiEntropy, ID: aeTimerRound})
}

func (n *Node) aeTimer(t Timer) {
	a := n.ae
	switch t.ID {
	case aeTimerRound:
		n.env.SetTimer(a.cfg.Interval, Timer{Kind: timerAntiEntropy, ID: aeTimerRound})
		if len(a.jobs) == 0 {
			n.aeQueueRound()
		}
		n.aeStart()
	case aeTimerRetry:
		a.retry = false
		n.aeFlush()
		n.aeStart()
	case aeTimerExpire:
		a.expiryArmed = false
		n.aeExpire()
		n.aeStart()
	}
}

// aeRanges calls fn for every range of the node's ring version this node
// replicates, with the range's replicas by address in preference order.
func (n *Node) aeRanges(fn func(arc merkle.Arc, replicas []wire.Addr)) {
	m := n.view.Membership()
	var addrs []wire.Addr
	m.Ring().Ranges(func(rg ring.Range) bool {
		addrs = addrs[:0]
		for _, id := range rg.Replicas {
			if a, ok := m.AddrOf(id); ok {
				addrs = append(addrs, a)
			}
		}
		if slices.Contains(addrs, n.self) {
			fn(merkle.Arc{Start: rg.Start, End: rg.End}, addrs)
		}
		return true
	})
}

// aeQueueRound queues one round: every range with the next replica after
// this node in its list.
func (n *Node) aeQueueRound() {
	a := n.ae
	a.stats.Rounds++
	byPeer := map[wire.Addr][]merkle.Arc{}
	n.aeRanges(func(arc merkle.Arc, reps []wire.Addr) {
		if len(reps) < 2 {
			return
		}
		i := slices.Index(reps, n.self)
		peer := reps[(i+1)%len(reps)]
		byPeer[peer] = append(byPeer[peer], arc)
	})
	peers := make([]wire.Addr, 0, len(byPeer))
	for p := range byPeer {
		peers = append(peers, p)
	}
	slices.Sort(peers)
	for _, p := range peers {
		a.jobs = append(a.jobs, n.aeChunk(p, byPeer[p])...)
	}
}

func (n *Node) aeChunk(peer wire.Addr, arcs []merkle.Arc) []aeJob {
	var out []aeJob
	for k := n.ae.cfg.MaxArcsPerExchange; len(arcs) > 0; {
		c := min(k, len(arcs))
		out = append(out, aeJob{peer: peer, arcs: arcs[:c:c]})
		arcs = arcs[c:]
	}
	return out
}

// aePeerUp queues, ahead of the rest, exchanges with a member gossip just
// marked up over every range they share.
func (n *Node) aePeerUp(peer wire.Addr) {
	a := n.ae
	if peer == n.self {
		return
	}
	var arcs []merkle.Arc
	n.aeRanges(func(arc merkle.Arc, reps []wire.Addr) {
		if slices.Contains(reps, peer) {
			arcs = append(arcs, arc)
		}
	})
	rest := slices.DeleteFunc(a.jobs, func(j aeJob) bool { return j.peer == peer })
	a.jobs = append(n.aeChunk(peer, arcs), rest...)
	n.aeStart()
}

// aeRepairAll queues, ahead of the rest, exchanges over every range this
// node replicates with every other replica of it: after a quarantine, to
// pull back whatever the node lost from whoever holds it.
func (n *Node) aeRepairAll() {
	a := n.ae
	byPeer := map[wire.Addr][]merkle.Arc{}
	n.aeRanges(func(arc merkle.Arc, reps []wire.Addr) {
		for _, p := range reps {
			if p != n.self {
				byPeer[p] = append(byPeer[p], arc)
			}
		}
	})
	peers := make([]wire.Addr, 0, len(byPeer))
	for p := range byPeer {
		peers = append(peers, p)
	}
	slices.Sort(peers)
	var first []aeJob
	for _, p := range peers {
		first = append(first, n.aeChunk(p, byPeer[p])...)
	}
	a.jobs = append(first, a.jobs...)
	a.stats.RepairRounds++
	n.aeStart()
}

// aeStart starts queued exchanges while there is room.
func (n *Node) aeStart() {
	a := n.ae
	now := n.env.Now()
	for len(a.jobs) > 0 && len(a.mine) < a.cfg.MaxInFlight && len(a.out) == 0 {
		j := a.jobs[0]
		a.jobs = a.jobs[1:]
		if !n.coordView.Up(j.peer, now) {
			a.stats.Skipped++
			continue
		}
		trees, ok := n.aeBuild(j.arcs)
		if !ok {
			continue
		}
		a.seq++
		// The epoch in the high bits: a restarted node's IDs never meet
		// the sessions its peers may still hold for its last incarnation.
		id := uint64(n.epoch)<<32 | a.seq&(1<<32-1)
		ex := &aeExchange{id: id, peer: j.peer, initiator: true, arcs: j.arcs, trees: trees, last: now}
		a.mine[ex.id] = ex
		a.stats.Exchanges++
		a.stats.ArcsCompared += uint64(len(j.arcs))
		msg := &wire.AETree{ExchangeID: ex.id, Initiator: true, Buckets: uint32(a.cfg.Tree.Buckets),
			Arcs: make([]wire.AEArc, len(j.arcs)), ArcBytes: arcBytes(trees)}
		for i, arc := range j.arcs {
			msg.Arcs[i] = wire.AEArc{Start: arc.Start, End: arc.End}
			if r := trees[i].Root(); r != 0 { // an empty arc's root (0) goes unsaid
				msg.Nodes = append(msg.Nodes, wire.AENode{Arc: uint32(i), Hash: r})
			}
		}
		n.aeSend(ex, msg)
		n.aeArmExpiry()
	}
}

func arcBytes(trees []*merkle.Tree) []uint64 {
	out := make([]uint64, len(trees))
	for i, t := range trees {
		out[i] = uint64(t.Bytes())
	}
	return out
}

// aeBuild builds this node's tree of every arc from ordered engine scans.
func (n *Node) aeBuild(arcs []merkle.Arc) ([]*merkle.Tree, bool) {
	a := n.ae
	buckets := a.cfg.Tree.Buckets
	fail := func(err error) ([]*merkle.Tree, bool) {
		a.stats.ScanErrors++
		a.stats.LastError = clip(err.Error())
		return nil, false
	}
	builders := make([]*merkle.Builder, len(arcs))
	spans := make([][2]uint64, len(arcs))
	for i, arc := range arcs {
		b, err := merkle.NewBuilder(buckets)
		if err != nil {
			return fail(err)
		}
		builders[i], spans[i] = b, [2]uint64{arc.Start, arc.End}
	}
	// One engine iterator for every arc of the exchange.
	err := n.store.ScanArcs(spans, func(i int, key []byte, h uint64, set []byte) bool {
		builders[i].Add(merkle.BucketOf(arcs[i], h, buckets), key, set)
		return true
	})
	if err != nil {
		// A corrupt table met by the scan counts towards its quarantine
		// (afterQuarantine then pulls the ranges back).
		n.engine.db.QuarantineCorrupt(err)
		return fail(err)
	}
	trees := make([]*merkle.Tree, len(arcs))
	for i, b := range builders {
		t, err := b.Finish()
		if err != nil {
			return fail(err)
		}
		a.stats.TreeBuilds++
		a.stats.TreeKeys += uint64(t.Keys())
		a.stats.TreeBytes += uint64(t.Bytes())
		trees[i] = t
	}
	return trees, true
}

// aeSend queues msg for the throttle.
func (n *Node) aeSend(ex *aeExchange, msg wire.Message) {
	a := n.ae
	ex.last = n.env.Now()
	if ex.initiator {
		ex.bytes += uint64(msg.Size())
	}
	if t, ok := msg.(*wire.AETree); ok {
		ex.expect = int(t.Level) + 1
	}
	a.out = append(a.out, aeOut{to: ex.peer, msg: msg})
	n.aeFlush()
}

// aeSendTo queues a message for a peer without exchange state.
func (n *Node) aeSendTo(to wire.Addr, msg wire.Message) {
	n.ae.out = append(n.ae.out, aeOut{to: to, msg: msg})
	n.aeFlush()
}

// aeFlush sends what the byte bucket allows; a message that carries data
// waits for the sync covering what it read, like every answer.
func (n *Node) aeFlush() {
	a := n.ae
	now := n.env.Now()
	rate := a.cfg.RateBytesPerS
	if rate > 0 {
		if el := now.Sub(a.refilled); el >= time.Second {
			a.tokens, a.refilled = rate, now
		} else if el > 0 {
			add := int64(el) * rate / int64(time.Second)
			if add > 0 {
				a.tokens = min(rate, a.tokens+add)
				a.refilled = a.refilled.Add(time.Duration(add * int64(time.Second) / rate))
			}
		}
	}
	sent := 0
	for sent < len(a.out) {
		if rate > 0 && a.tokens <= 0 {
			a.stats.ThrottleWaits++
			if !a.retry {
				a.retry = true
				wait := time.Duration((1 - a.tokens) * int64(time.Second) / rate)
				n.env.SetTimer(max(wait, time.Millisecond), Timer{Kind: timerAntiEntropy, ID: aeTimerRetry})
			}
			break
		}
		o := a.out[sent]
		if o.gen != nil {
			m, done := n.aeNextChunk(o.gen, o.to)
			if ex := o.gen.ex; ex != nil {
				ex.last = now
				if ex.initiator {
					ex.bytes += uint64(m.Size())
				}
			}
			o.msg = m
			if done {
				a.out[sent].gen = nil
			}
		}
		if a.out[sent].gen == nil {
			sent++
		}
		size := int64(o.msg.Size())
		a.tokens -= size
		a.stats.MessagesSent++
		a.stats.BytesSent += uint64(size)
		n.push(deferred{kind: outSend, to: o.to, msg: o.msg})
	}
	clear(a.out[:sent])
	a.out = a.out[sent:]
}

func (n *Node) aeArmExpiry() {
	a := n.ae
	if !a.expiryArmed && (len(a.mine) > 0 || len(a.served) > 0) {
		a.expiryArmed = true
		n.env.SetTimer(a.cfg.ExchangeTimeout, Timer{Kind: timerAntiEntropy, ID: aeTimerExpire})
	}
}

// aeExpire drops the exchanges silent for ExchangeTimeout.
func (n *Node) aeExpire() {
	a := n.ae
	now := n.env.Now()
	for _, id := range sortedKeys(a.mine) {
		if ex := a.mine[id]; now.Sub(ex.last) >= a.cfg.ExchangeTimeout {
			delete(a.mine, id)
			a.stats.TimedOut++
			n.view.Missed(ex.peer, now)
		}
	}
	keys := make([]aeKey, 0, len(a.served))
	for k := range a.served {
		keys = append(keys, k)
	}
	for _, k := range keys {
		if now.Sub(a.served[k].last) >= a.cfg.ExchangeTimeout {
			delete(a.served, k)
		}
	}
	n.aeArmExpiry()
}

func sortedKeys[V any](m map[uint64]V) []uint64 {
	ks := make([]uint64, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// aeFind is the state of the exchange a message belongs to (nil if none).
func (n *Node) aeFind(from wire.Addr, id uint64, senderStarted bool) *aeExchange {
	a := n.ae
	if senderStarted {
		return a.served[aeKey{from, id}]
	}
	if ex := a.mine[id]; ex != nil && ex.peer == from {
		return ex
	}
	return nil
}

// aeFinish ends an exchange.
func (n *Node) aeFinish(ex *aeExchange) {
	a := n.ae
	if !ex.initiator {
		delete(a.served, aeKey{ex.peer, ex.id})
		return
	}
	if _, ok := a.mine[ex.id]; !ok {
		return
	}
	delete(a.mine, ex.id)
	a.stats.Completed++
	if !ex.entries {
		a.stats.InSync++
	}
	a.stats.ExchangeBytes += ex.bytes
	for i, t := range ex.trees {
		full := uint64(t.Bytes())
		if i < len(ex.peerBytes) {
			full = max(full, ex.peerBytes[i])
		}
		a.stats.FullCopyBytes += full
	}
	n.aeStart()
}

// replicates reports whether member a is a replica of key hash h in this
// node's ring version.
func (n *Node) replicates(a wire.Addr, h uint64) bool {
	var buf [2 * 8]wire.Addr
	list, _ := n.view.Membership().WriteList(h, 0, buf[:0])
	return slices.Contains(list, a)
}

// aeTree takes one step of a tree comparison.
func (n *Node) aeTree(from wire.Addr, m *wire.AETree) {
	a := n.ae
	ex := n.aeFind(from, m.ExchangeID, m.Initiator)
	if ex == nil && m.Initiator && !m.Refused && !m.Done {
		ex = n.aeServe(from, m)
		if ex == nil {
			return
		}
	}
	if ex == nil {
		return // late, or for an exchange dropped already
	}
	if ex.initiator {
		ex.bytes += uint64(m.Size())
	}
	ex.last = n.env.Now()
	switch {
	case m.Refused:
		if ex.initiator {
			a.stats.Refused++
			delete(a.mine, ex.id)
			n.aeStart()
		} else {
			n.aeFinish(ex)
		}
		return
	case m.Done:
		n.aeFinish(ex)
		return
	}
	if int(m.Level) != ex.expect || ex.entries {
		return // a duplicate or a late step
	}
	if ex.peerBytes == nil && len(m.ArcBytes) == len(ex.arcs) {
		ex.peerBytes = m.ArcBytes
	}
	level := int(m.Level)
	depth := merkle.Depth(a.cfg.Tree.Buckets)
	if level > depth {
		n.aeRefuse(ex)
		return
	}
	nodes := m.Nodes
	if level == 0 {
		// The roots: only non-zero ones are listed; every arc is compared.
		nodes = make([]wire.AENode, len(ex.trees))
		for i := range nodes {
			nodes[i].Arc = uint32(i)
		}
		for _, nd := range m.Nodes {
			if int(nd.Arc) >= len(nodes) || nd.Index != 0 {
				n.aeRefuse(ex)
				return
			}
			nodes[nd.Arc].Hash = nd.Hash
		}
	}
	var next []wire.AENode
	var diff []wire.AENode
	for _, nd := range nodes {
		if int(nd.Arc) >= len(ex.trees) {
			n.aeRefuse(ex)
			return
		}
		own, ok := ex.trees[nd.Arc].Hash(level, int(nd.Index))
		if !ok {
			n.aeRefuse(ex)
			return
		}
		if own == nd.Hash {
			continue
		}
		if level == depth {
			diff = append(diff, nd)
			continue
		}
		t := ex.trees[nd.Arc]
		for c := 2 * nd.Index; c <= 2*nd.Index+1; c++ {
			h, _ := t.Hash(level+1, int(c))
			next = append(next, wire.AENode{Arc: nd.Arc, Index: c, Hash: h})
		}
	}
	reply := &wire.AETree{ExchangeID: ex.id, Initiator: ex.initiator}
	if !ex.initiator && level == 0 {
		reply.ArcBytes = arcBytes(ex.trees)
	}
	switch {
	case len(next) > 0:
		reply.Level, reply.Nodes = uint8(level+1), next
		n.aeSend(ex, reply)
	case len(diff) > 0:
		a.stats.BucketsDiffering += uint64(len(diff))
		spans := make([]wire.AEArc, 0, len(diff))
		for _, nd := range diff {
			arc, ok := merkle.BucketArc(ex.arcs[nd.Arc], int(nd.Index), a.cfg.Tree.Buckets)
			if !ok {
				continue
			}
			if k := len(spans) - 1; k >= 0 && spans[k].End == arc.Start && arc.Start != arc.End {
				spans[k].End = arc.End // adjacent buckets: one span
				continue
			}
			spans = append(spans, wire.AEArc{Start: arc.Start, End: arc.End})
		}
		ex.entries, ex.awaiting = true, true
		n.aeSendEntries(ex, ex.peer, ex.id, ex.initiator, spans, true)
	default:
		reply.Done = true
		n.aeSend(ex, reply)
		n.aeFinish(ex)
	}
}

// aeServe takes part in a peer's exchange: its first message names the
// arcs; this node must replicate every one and have room.
func (n *Node) aeServe(from wire.Addr, m *wire.AETree) *aeExchange {
	a := n.ae
	refuse := func() *aeExchange {
		a.stats.ServeRefused++
		n.aeSendTo(from, &wire.AETree{ExchangeID: m.ExchangeID, Refused: true})
		return nil
	}
	if m.Level != 0 || int(m.Buckets) != a.cfg.Tree.Buckets || len(m.Arcs) == 0 || len(m.Arcs) > a.cfg.MaxArcsPerExchange ||
		len(a.served) >= a.cfg.MaxServed {
		return refuse()
	}
	arcs := make([]merkle.Arc, len(m.Arcs))
	for i, arc := range m.Arcs {
		if !n.replicates(n.self, arc.End) || !n.replicates(from, arc.End) {
			a.stats.NotReplica++
			return refuse()
		}
		arcs[i] = merkle.Arc{Start: arc.Start, End: arc.End}
	}
	trees, ok := n.aeBuild(arcs)
	if !ok {
		return refuse()
	}
	ex := &aeExchange{id: m.ExchangeID, peer: from, arcs: arcs, trees: trees, last: n.env.Now()}
	a.served[aeKey{from, m.ExchangeID}] = ex
	a.stats.Served++
	n.aeArmExpiry()
	return ex
}

func (n *Node) aeRefuse(ex *aeExchange) {
	n.aeSend(ex, &wire.AETree{ExchangeID: ex.id, Initiator: ex.initiator, Refused: true})
	if ex.initiator {
		delete(n.ae.mine, ex.id)
	} else {
		n.aeFinish(ex)
	}
}

// aeSendEntries queues this node's entries in spans (those of keys peer
// replicates) for the throttle, in chunks of at most MaxMessageBytes read
// from the engine only when the throttle lets the next chunk go, so what
// waits in memory is one chunk, whatever the spans hold. The last chunk
// asks for the peer's own entries when reply is set.
func (n *Node) aeSendEntries(ex *aeExchange, peer wire.Addr, id uint64, initiator bool, spans []wire.AEArc, reply bool) {
	a := n.ae
	if ex != nil {
		ex.last = n.env.Now()
	}
	a.out = append(a.out, aeOut{to: peer, gen: &aeGen{ex: ex, id: id, initiator: initiator, spans: spans, reply: reply}})
	n.aeFlush()
}

// aeGen produces an exchange's entries chunk by chunk: span is the span
// being read and, once a chunk ended inside it, (lastHash, lastKey) the
// last entry sent from it.
type aeGen struct {
	ex        *aeExchange
	id        uint64
	initiator bool
	spans     []wire.AEArc
	reply     bool
	span      int
	resumed   bool
	lastHash  uint64
	lastKey   []byte
}

// aeNextChunk reads the next chunk of g's entries for peer; done is true
// for the last one (which carries Last, and the spans with Reply).
func (n *Node) aeNextChunk(g *aeGen, peer wire.Addr) (m *wire.AEEntries, done bool) {
	a := n.ae
	m = &wire.AEEntries{ExchangeID: g.id, Initiator: g.initiator}
	size := m.Size()
	full := false
	for g.span < len(g.spans) && !full {
		sp := g.spans[g.span]
		start := sp.Start
		if g.resumed {
			start = g.lastHash - 1 // the sub-arc from the last entry's hash on
		}
		err := n.store.ScanArc(start, sp.End, func(key []byte, h uint64, raw []byte) bool {
			if g.resumed && h == g.lastHash && string(key) <= string(g.lastKey) {
				return true // sent in an earlier chunk
			}
			if !n.replicates(peer, h) {
				a.stats.NotReplica++
				return true
			}
			e := wire.AEEntry{Key: key}
			eb := len(key) + len(raw) + 3
			if len(m.Entries) > 0 && (size+eb > a.cfg.MaxMessageBytes || len(m.Entries) == wire.MaxAEEntries) {
				full = true
				return false
			}
			set, err := wire.DecodeSiblingSet(raw)
			if err != nil {
				a.stats.LastError = clip(err.Error())
				return true
			}
			e.Key, e.Set = append([]byte(nil), key...), set
			m.Entries = append(m.Entries, e)
			size += wire.AEEntryBytes(&e)
			a.stats.KeysSent++
			g.resumed, g.lastHash, g.lastKey = true, h, e.Key
			return true
		})
		if err != nil {
			a.stats.ScanErrors++
			a.stats.LastError = clip(err.Error())
		}
		if !full {
			g.span++
			g.resumed = false
		}
	}
	if g.span < len(g.spans) {
		return m, false
	}
	m.Last = true
	if g.reply {
		m.Reply, m.Spans = true, g.spans
	}
	return m, true
}

// aeEntries merges a peer's entries and, when asked, answers with this
// node's own in the same spans.
func (n *Node) aeEntries(from wire.Addr, m *wire.AEEntries) {
	a := n.ae
	ex := n.aeFind(from, m.ExchangeID, m.Initiator)
	if ex != nil {
		ex.last = n.env.Now()
		ex.entries = true
		if ex.initiator {
			ex.bytes += uint64(m.Size())
		}
	} else if !m.Initiator {
		return // an answer to an exchange of ours that is gone
	}
	for i := range m.Entries {
		e := &m.Entries[i]
		a.stats.KeysReceived++
		h := ring.HashKey(e.Key)
		if !n.replicates(n.self, h) {
			a.stats.NotReplica++
			continue
		}
		_, changed, err := n.store.Merge(e.Key, h, e.Set)
		switch {
		case err != nil:
			a.stats.MergeErrors++
			a.stats.LastError = clip(err.Error())
		case changed:
			a.stats.KeysRepaired++
		}
	}
	if !m.Last {
		return
	}
	if m.Reply {
		// The answer's Initiator says whether this node started the
		// exchange; without state it did not (its own would be known).
		n.aeSendEntries(ex, from, m.ExchangeID, ex != nil && ex.initiator, m.Spans, false)
	}
	if ex != nil && (m.Reply || ex.awaiting) {
		n.aeFinish(ex)
	}
}

// AntiEntropyStats returns the node's anti-entropy counters (zero with
// anti-entropy disabled).
func (n *Node) AntiEntropyStats() AntiEntropyStats {
	if n.ae == nil {
		return AntiEntropyStats{}
	}
	return n.ae.stats
}
