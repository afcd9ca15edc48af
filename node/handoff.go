package node

import (
	"fmt"
	"path"
	"slices"
	"time"

	"dynasim/node/hints"
	"dynasim/node/planted"
	"dynasim/wire"
)

// Hinted handoff (Config.HintedHandoff). A node that receives a write
// naming another replica (WriteRequest.HintFor: it is a sloppy quorum's
// fallback) keeps it as a hint in its hint store (node/hints, in its own
// directory Storage.Dir/hints, apart from the data) — added and synced
// before the acknowledgement leaves — instead of merging it into its own
// data. Every CheckInterval, and at once when gossip marks a member up, it
// hands the hints of every target believed up over: oldest first, at most
// MaxInFlight per target unacknowledged and RateBytesPerS over the store
// (hints.Throttle), each as a WriteRequest of purpose handoff naming the
// target in HintFor. The target checks that it is the one named (a
// handoff to anyone else is refused and counted), merges the set by the
// normal version rules and acknowledges once it is durable; only then is
// the hint deleted (durably). A handoff not acknowledged within
// DeliveryTimeout is handed back (and the target counted as missing a
// reply); a target marked down gets its hints in flight handed back.
// Hints created Window or more ago are dropped (counted) at every check
// and never delivered: what they carried is anti-entropy's to repair.
// The store survives a crash and restart in every crash mode (a torn tail
// belongs to an Add that never returned, so to a write never
// acknowledged); after a restart every held hint is delivered again.

// HintedHandoffConfig configures the hint store and the handoff.
type HintedHandoffConfig struct {
	// Enabled opens the hint store and hands hints over. Default false:
	// a write naming another replica is merged into the node's own data,
	// as before; a sloppy quorum requires it.
	Enabled bool
	// Window is how long a hint is kept before it is dropped (Cassandra's
	// max_hint_window). Default 3 h.
	Window time.Duration
	// RateBytesPerS bounds the handoff rate of the whole store (key plus
	// version bytes, burst one second). Default 1 MiB/s (Cassandra's
	// hinted_handoff_throttle); -1 for no limit.
	RateBytesPerS int64
	// MaxInFlight bounds the hints handed over to one target and not yet
	// acknowledged. Default 16.
	MaxInFlight int
	// DeliveryTimeout is how long a handed-over hint waits for its
	// acknowledgement before it is handed back. Default 1 s.
	DeliveryTimeout time.Duration
	// CheckInterval is how often the node expires hints, hands back timed
	// out deliveries and hands hints over to targets believed up. Default
	// 1 s.
	CheckInterval time.Duration
	// Store holds the hint store's other limits (hints.Config); its Dir
	// defaults to Storage.Dir/hints and its Window is Window.
	Store hints.Config
}

// Hinted handoff defaults.
const (
	DefaultHintWindow          = hints.DefaultWindow
	DefaultHintRateBytesPerS   = 1 << 20
	DefaultHintMaxInFlight     = 16
	DefaultHintDeliveryTimeout = time.Second
	DefaultHintCheckInterval   = time.Second
	MaxHintMaxInFlight         = 1 << 16
)

// WithDefaults returns c with zero fields replaced by defaults; dataDir is
// the node's Storage.Dir.
func (c HintedHandoffConfig) withDefaults(dataDir string) HintedHandoffConfig {
	if c.Window == 0 {
		c.Window = DefaultHintWindow
	}
	if c.RateBytesPerS == 0 {
		c.RateBytesPerS = DefaultHintRateBytesPerS
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultHintMaxInFlight
	}
	if c.DeliveryTimeout == 0 {
		c.DeliveryTimeout = DefaultHintDeliveryTimeout
	}
	if c.CheckInterval == 0 {
		c.CheckInterval = DefaultHintCheckInterval
	}
	if c.Store.Dir == "" {
		c.Store.Dir = path.Join(dataDir, hints.DefaultDir)
	}
	c.Store.Window = c.Window
	c.Store = c.Store.WithDefaults()
	return c
}

// Validate checks the configuration after defaults.
func (c HintedHandoffConfig) validate() error {
	switch {
	case c.Window < 0:
		return fmt.Errorf("node: HintedHandoff.Window %v is negative", c.Window)
	case c.RateBytesPerS < -1:
		return fmt.Errorf("node: HintedHandoff.RateBytesPerS %d must be positive, or -1 for no limit", c.RateBytesPerS)
	case c.MaxInFlight < 1 || c.MaxInFlight > MaxHintMaxInFlight:
		return fmt.Errorf("node: HintedHandoff.MaxInFlight %d outside [1, %d]", c.MaxInFlight, MaxHintMaxInFlight)
	case c.DeliveryTimeout <= 0:
		return fmt.Errorf("node: HintedHandoff.DeliveryTimeout %v must be positive", c.DeliveryTimeout)
	case c.CheckInterval <= 0:
		return fmt.Errorf("node: HintedHandoff.CheckInterval %v must be positive", c.CheckInterval)
	}
	if err := c.Store.Validate(); err != nil {
		return fmt.Errorf("node: HintedHandoff.Store: %w", err)
	}
	return nil
}

func (c HintedHandoffConfig) throttle() hints.Throttle {
	th := hints.Throttle{BytesPerSecond: c.RateBytesPerS, MaxInFlight: c.MaxInFlight}
	if th.BytesPerSecond < 0 {
		th.BytesPerSecond = 0
	}
	return th
}

// HandoffStats counts a node's hinted handoff in one incarnation (the
// store's own counters are in Stats.Hints).
type HandoffStats struct {
	// Stored are hinted writes this node took as a fallback; StoreFailures
	// those it could not store (and so did not acknowledge).
	Stored, StoreFailures uint64
	// Sent are hints handed over; Acked those the target acknowledged;
	// Refused those it answered with a failure; TimedOut those handed
	// back without an answer.
	Sent, Acked, Refused, TimedOut uint64
	// Undecodable are hints whose version did not decode (dropped).
	Undecodable uint64
	// Received are handoffs this node took as their target;
	// WrongTarget handoffs it refused because they named another node.
	Received, WrongTarget uint64
	// ReadsMerged are hints merged into the answer to a read of their key;
	// ReadMergeFailures those that could not be (left out).
	ReadsMerged, ReadMergeFailures uint64
	// StoreReopens count reopenings of the hint store after a disk error.
	StoreReopens uint64
	// LastError is the last hint store error.
	LastError string
}

// handoffBit marks the op IDs of handoffs (coordinator op IDs keep it
// clear: their high 32 bits are an epoch below 2^31).
const handoffBit = 1 << 63

type handoffSend struct {
	hint   uint64
	target wire.Addr
	sentAt time.Time
}

// handoffState is a node's hint store and the deliveries in flight.
type handoffState struct {
	n        *Node
	cfg      HintedHandoffConfig
	store    *hints.Store
	seq      uint64
	inFlight map[uint64]handoffSend // by op ID
	retry    bool                   // a retry timer is armed
}

// startHandoff opens the hint store and arms the check timer.
func (n *Node) startHandoff() error {
	cfg := n.cfg.HintedHandoff
	st, err := hints.Open(n.env.FS(), cfg.Store, n.env.Now())
	if err != nil {
		return fmt.Errorf("node %d: open hints: %w", n.self, err)
	}
	n.hh = &handoffState{n: n, cfg: cfg, store: st, inFlight: map[uint64]handoffSend{}}
	n.env.SetTimer(cfg.CheckInterval, Timer{Kind: timerHandoff})
	return nil
}

// storeHint keeps a write meant for m.HintFor as a hint, durably, and
// acknowledges it.
func (n *Node) storeHint(from wire.Addr, m *wire.WriteRequest) {
	h := n.hh
	ack := n.writeAcks.New()
	*ack = wire.WriteAck{OpID: m.OpID, Status: wire.StatusOK}
	err := n.sh.v.Check(m.Set)
	if err != nil {
		ack.Status, ack.Error = wire.StatusBadRequest, clip(err.Error())
	} else {
		_, err = h.store.Add(hints.Hint{Target: m.HintFor, Key: m.Key, Version: wire.AppendSiblingSet(nil, &m.Set), Created: n.env.Now()})
		if err != nil {
			n.stats.Handoff.StoreFailures++
			n.stats.Handoff.LastError = clip(err.Error())
			ack.Status, ack.Error = wire.StatusFailed, clip("hint store: "+err.Error())
		} else {
			n.stats.Handoff.Stored++
		}
	}
	n.push(deferred{kind: outSend, to: from, msg: ack})
}

// handoffTimer runs a check: the periodic one re-arms itself (ID 0), a
// throttle retry (ID 1) does not.
func (n *Node) handoffTimer(t Timer) {
	if t.ID == 0 {
		n.env.SetTimer(n.hh.cfg.CheckInterval, Timer{Kind: timerHandoff})
	} else {
		n.hh.retry = false
	}
	n.handoff()
}

// handoff expires old hints, hands back deliveries that timed out and
// hands hints over to every target believed up.
func (n *Node) handoff() {
	h := n.hh
	now := n.env.Now()
	if h.store.Err() != nil && !n.reopenHints() {
		return
	}
	if _, err := h.store.Expire(now); err != nil {
		n.stats.Handoff.LastError = clip(err.Error())
		return
	}
	var late []uint64
	for id, s := range h.inFlight {
		if now.Sub(s.sentAt) >= h.cfg.DeliveryTimeout {
			late = append(late, id)
		}
	}
	slices.Sort(late)
	for _, id := range late {
		s := h.inFlight[id]
		delete(h.inFlight, id)
		h.store.Release(s.hint)
		n.stats.Handoff.TimedOut++
		n.view.Missed(s.target, now)
	}
	for _, target := range h.store.Targets() {
		n.deliverTo(target, now)
	}
}

// deliverTo hands target's next hints over, if it is believed up, within
// the throttle; when the byte bucket stops it, a retry timer is armed.
func (n *Node) deliverTo(target wire.Addr, now time.Time) {
	h := n.hh
	if target == n.self || !n.coordView.Up(target, now) {
		return
	}
	out, at := h.store.Deliver(now, target, h.cfg.throttle())
	for i := range out {
		n.sendHint(&out[i], now)
	}
	if !at.IsZero() && !h.retry {
		h.retry = true
		n.env.SetTimer(max(at.Sub(now), time.Millisecond), Timer{Kind: timerHandoff, ID: 1})
	}
}

// sendHint hands one hint to its target (and to no other node).
func (n *Node) sendHint(hint *hints.Hint, now time.Time) {
	h := n.hh
	set, err := wire.DecodeSiblingSetOwned(hint.Version)
	if err != nil {
		n.stats.Handoff.Undecodable++
		if err := h.store.Ack(hint.ID); err != nil {
			n.stats.Handoff.LastError = clip(err.Error())
		}
		return
	}
	h.seq++
	id := handoffBit | h.seq
	if planted.On(planted.HintDeletedEarly) {
		// Planted: the hint is deleted before its target acknowledged it.
		if err := h.store.Ack(hint.ID); err != nil {
			n.stats.Handoff.LastError = clip(err.Error())
		}
		n.stats.Handoff.Sent++
		n.env.Send(hint.Target, &wire.WriteRequest{OpID: id, Key: hint.Key, Purpose: wire.PurposeHandoff, HintFor: hint.Target, Set: set})
		return
	}
	h.inFlight[id] = handoffSend{hint: hint.ID, target: hint.Target, sentAt: now}
	n.stats.Handoff.Sent++
	n.env.Send(hint.Target, &wire.WriteRequest{OpID: id, Key: hint.Key, Purpose: wire.PurposeHandoff, HintFor: hint.Target, Set: set})
}

// handoffAck takes a target's answer to a handoff.
func (n *Node) handoffAck(from wire.Addr, m *wire.WriteAck) {
	h := n.hh
	if h == nil {
		return
	}
	s, ok := h.inFlight[m.OpID]
	if !ok || s.target != from {
		return // a duplicate, or an answer after the delivery was handed back
	}
	delete(h.inFlight, m.OpID)
	n.view.Answered(from, n.env.Now())
	if m.Status != wire.StatusOK {
		n.stats.Handoff.Refused++
		h.store.Release(s.hint)
		return
	}
	if err := h.store.Ack(s.hint); err != nil {
		n.stats.Handoff.LastError = clip(err.Error())
		return
	}
	n.stats.Handoff.Acked++
	// Room in flight: hand the target its next ones.
	n.deliverTo(from, n.env.Now())
}

// targetDown hands back the hints in flight to a target marked down.
func (h *handoffState) targetDown(target wire.Addr) {
	var ids []uint64
	for id, s := range h.inFlight {
		if s.target == target {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		h.store.Release(h.inFlight[id].hint)
		delete(h.inFlight, id)
	}
}

// reopenHints reopens a hint store a disk error stopped; it reports
// whether the store works again.
func (n *Node) reopenHints() bool {
	h := n.hh
	_ = h.store.Close()
	st, err := hints.Open(n.env.FS(), h.cfg.Store, n.env.Now())
	if err != nil {
		n.stats.Handoff.LastError = clip(err.Error())
		return false
	}
	h.store = st
	clear(h.inFlight)
	n.stats.Handoff.StoreReopens++
	return true
}

// serveHandoff merges a handoff addressed to this node; one naming another
// node is refused.
func (n *Node) serveHandoff(from wire.Addr, m *wire.WriteRequest) bool {
	if m.Purpose != wire.PurposeHandoff || m.HintFor == wire.None {
		return false
	}
	if m.HintFor != n.self {
		n.stats.Handoff.WrongTarget++
		ack := n.writeAcks.New()
		*ack = wire.WriteAck{OpID: m.OpID, Status: wire.StatusFailed, Error: fmt.Sprintf("handoff for node %d reached node %d", m.HintFor, n.self)}
		n.push(deferred{kind: outSend, to: from, msg: ack})
		return true
	}
	n.stats.Handoff.Received++
	return false
}

// withHints merges into set the hints this node holds for key: a sloppy
// quorum's fallback answers a read with the writes it took for the
// replicas it stands in for (they are durable: Add synced them). A hint
// that does not decode or merge (over the sibling limit) is left out and
// counted.
func (n *Node) withHints(key []byte, set wire.SiblingSet) wire.SiblingSet {
	for _, h := range n.hh.store.ForKey(key) {
		hs, err := wire.DecodeSiblingSetOwned(h.Version)
		if err == nil {
			var merged wire.SiblingSet
			if merged, err = n.sh.v.Merge(set, hs); err == nil {
				set = merged
				n.stats.Handoff.ReadsMerged++
				continue
			}
		}
		n.stats.Handoff.ReadMergeFailures++
	}
	return set
}

// HintStats returns the hint store's counters (zero with hinted handoff
// disabled).
func (n *Node) HintStats() hints.Stats {
	if n.hh == nil {
		return hints.Stats{}
	}
	return n.hh.store.Stats()
}

// PendingHints lists the hints this node holds, by target (nil with hinted
// handoff disabled), for inspection by harnesses.
func (n *Node) PendingHints() []hints.Hint {
	if n.hh == nil {
		return nil
	}
	var out []hints.Hint
	for _, t := range n.hh.store.Targets() {
		out = append(out, n.hh.store.Pending(t)...)
	}
	return out
}
