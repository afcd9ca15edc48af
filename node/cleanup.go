package node

import (
	"time"

	"dynasim/node/ring"
)

// Cleanup after a ring change. A member that replicated a key by the
// version a transition left and does not by the settled version (a
// replica a join displaced) still holds the key's data; nothing reads it
// or writes to it any more, so it only costs disk. Once the node runs the
// settled version and the change delay has passed (coordinators still on
// the transition's second step write to the old replicas until then), it
// scans its store in ring order, ChunkBytes at a time paced at the
// streaming rate, and drops every key it replicated by the old version
// and does not by the new one (Cassandra leaves this to a manual
// `nodetool cleanup`). Keys it never replicated are left alone. A restart
// ends the pass (what is left stays, unread); so does a newer ring
// version, whose own settling starts a pass of its own — and so does a
// replica write of a key this node does not replicate by its version:
// only a coordinator on a newer version (a change this node has not heard
// of yet, which may give the range back) places one here once the change
// delay has passed, and dropping what it wrote would lose an acknowledged
// write (autoscale-follows-traffic, where a decommission gives back the
// ranges the join before it took). Before its first drop the node takes a
// new epoch: it may have minted versions of what it drops, and minting
// over the emptied key, should a later change give it back, must not
// reuse one of their dots.

// CleanupStats counts the cleanups after ring changes.
type CleanupStats struct {
	// Passes started, Done finished and Aborted given up (a write from a
	// newer ring version came); KeysScanned and KeysDropped over all of
	// them; DropErrors drops or scans that failed (a failed scan is tried
	// again); DoneAt is the local time of the last finished pass.
	Passes, Done, Aborted    uint64
	KeysScanned, KeysDropped uint64
	DropErrors               uint64
	DoneAt                   time.Time
}

type cleanupState struct {
	from, to *ring.Membership // the version the transition left, the settled one
	startAt  time.Time
	cursor   uint64 // (0, cursor] scanned
	wrapped  bool   // (0, 2^64-1] done: only hash 0 is left
	armed    bool
	// reincarnated: the node took a new epoch before its first drop.
	reincarnated bool
}

// startCleanup begins the pass after settling on to from a transition
// that left version from.
func (n *Node) startCleanup(from, to *ring.Membership) {
	n.cleanup = &cleanupState{from: from, to: to, startAt: n.env.Now().Add(n.changeDelay())}
	n.stats.Cleanup.Passes++
	n.armCleanup(n.changeDelay())
}

func (n *Node) armCleanup(after time.Duration) {
	if n.cleanup == nil || n.cleanup.armed {
		return
	}
	n.cleanup.armed = true
	n.env.SetTimer(after, Timer{Kind: timerCleanup})
}

// abortCleanup gives the pass up.
func (n *Node) abortCleanup() {
	n.cleanup = nil
	n.stats.Cleanup.Aborted++
}

// cleanupTick drops the next chunk's keys the node no longer replicates.
func (n *Node) cleanupTick() {
	c := n.cleanup
	if c == nil {
		return
	}
	c.armed = false
	if n.view.Membership() != c.to {
		n.cleanup = nil // a newer version
		return
	}
	now := n.env.Now()
	if now.Before(c.startAt) {
		n.armCleanup(c.startAt.Sub(now))
		return
	}
	st := &n.stats.Cleanup
	start, end := c.cursor, ^uint64(0)
	if c.wrapped {
		start, end = ^uint64(0), 0 // the arc (2^64-1, 0]: hash 0
	}
	limit := n.cfg.Streaming.ChunkBytes
	type victim struct {
		key []byte
		h   uint64
	}
	var drop []victim
	scanned, full := 0, false
	var last uint64
	err := n.store.ScanArc(start, end, func(key []byte, h uint64, raw []byte) bool {
		if scanned >= limit && h != last {
			full = true
			return false
		}
		scanned += len(key) + len(raw)
		last = h
		st.KeysScanned++
		if c.from.InPreferenceList(n.self, h) && !c.to.InPreferenceList(n.self, h) {
			drop = append(drop, victim{append([]byte(nil), key...), h})
		}
		return true
	})
	if err != nil {
		st.DropErrors++
		n.armCleanup(n.cfg.Streaming.RetryInterval)
		return
	}
	if len(drop) > 0 && !c.reincarnated {
		// This node may have minted versions of the keys it drops; should a
		// later change give a key back, minting over the empty store
		// would reuse a dot of this actor (autoscale-follows-traffic lost
		// writes so). A new epoch first, as after a quarantine.
		if err := n.reincarnate(); err != nil {
			st.DropErrors++
			n.armCleanup(n.cfg.Streaming.RetryInterval)
			return
		}
		c.reincarnated = true
	}
	for _, v := range drop {
		if err := n.store.Drop(v.key, v.h); err != nil {
			st.DropErrors++
			continue
		}
		st.KeysDropped++
	}
	switch {
	case full && last != ^uint64(0):
		c.cursor = last
	case !c.wrapped:
		c.wrapped = true
	default:
		n.cleanup = nil
		st.Done++
		st.DoneAt = now
		return
	}
	pace := time.Duration(int64(scanned) * int64(time.Second) / n.cfg.Streaming.RateBytesPerSec)
	n.armCleanup(max(pace, n.cfg.Streaming.TickInterval))
}
