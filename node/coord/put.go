package coord

import (
	"dynasim/node/planted"
	"errors"

	"dynasim/node/versions"
	"dynasim/wire"
)

// HandlePut coordinates a client put.
func (c *Coordinator) HandlePut(from wire.Addr, m *wire.ClientPut) {
	if !c.firstTime(from, m.ReqID) {
		return
	}
	to := replyTo(from, m.ReplyTo)
	if err := c.cfg.Limits.CheckPut(m.Key, m.Value); err != nil {
		c.refuse(to, m.ReqID, wire.StatusBadRequest, err)
		return
	}
	c.stats.Puts++
	c.write(to, m.ReqID, m.Key, m.Context, m.Value, false, m.N, m.W, m)
}

// HandleDelete coordinates a client delete: a write of a tombstone over
// the versions the client's context covers.
func (c *Coordinator) HandleDelete(from wire.Addr, m *wire.ClientDelete) {
	if !c.firstTime(from, m.ReqID) {
		return
	}
	to := replyTo(from, m.ReplyTo)
	if err := c.cfg.Limits.CheckKey(m.Key); err != nil {
		c.refuse(to, m.ReqID, wire.StatusBadRequest, err)
		return
	}
	c.stats.Deletes++
	c.write(to, m.ReqID, m.Key, m.Context, nil, true, m.N, m.W, m)
}

// write starts a put or delete. Only a node that keeps the key may mint
// its version (versions: dots must be unique), so a node outside the key's
// replicas forwards the request to one — unless a sloppy quorum believes
// every replica down, when it coordinates itself as a stand-in (below).
func (c *Coordinator) write(to wire.Addr, reqID uint64, key, rawCtx, value []byte, tombstone bool, n uint8, w wire.Need, orig wire.Message) {
	ctx, err := versions.DecodeContext(rawCtx)
	if err != nil {
		c.refuse(to, reqID, wire.StatusBadRequest, err)
		return
	}
	o := c.admit(opWrite, to, reqID)
	if o == nil {
		return
	}
	err = c.placeReplicas(o, key, n, true)
	if err == nil {
		o.wq, err = c.resolve(o, "W", w, c.cfg.W)
		c.withPending(o, &o.wq)
	}
	if err == nil && c.cfg.TwoPhaseWrites {
		o.rq, err = c.resolve(o, "read-phase R", wire.Need{}, c.cfg.R)
	}
	if err != nil {
		c.fail(o, wire.StatusBadRequest, "%v", err)
		c.finish(o)
		return
	}
	if o.self < 0 && c.cfg.Quorum == QuorumSloppy && !c.primaryUp(o) {
		// A sloppy quorum with every replica of the key believed down:
		// there is no replica to forward to (a forward would only wait out
		// its timeout on the far side of the failure), so this node
		// coordinates as a stand-in. It mints over what it remembers of
		// its own earlier stand-in versions of the key (standin.go), which
		// keeps its dots unique, and sends the write to the fallbacks the
		// sloppy quorum chose, each naming the replica it stands in for —
		// and to any replica that had no healthy fallback left, which the
		// request may still reach. W counts those answers as it would a
		// replica's coordinator's.
		c.stats.StandIn++
	} else if o.self < 0 {
		// Not a replica: forward to the first replica believed up.
		c.forward(o, orig)
		return
	}
	o.ctx, o.value, o.tombstone = ctx, value, tombstone
	c.expireAfter(o)
	if !c.cfg.TwoPhaseWrites {
		c.mint(o, wire.SiblingSet{}, false)
		return
	}
	// Read phase. The local replica counts as read at once: mint merges
	// its state as it is then, which is at least as new.
	c.stats.TwoPhaseReads++
	o.phase = phaseTwoPhase
	read := &wire.ReadRequest{OpID: o.id, Key: o.key, Purpose: wire.PurposeTwoPhase}
	for i := 0; i < o.normal; i++ { // pending replicas may not hold the key yet
		if i == o.self {
			o.rd[i] = stOK
			continue
		}
		o.rd[i] = stPending
		c.host.Send(o.replicas[i], read)
	}
	c.twoPhaseProgress(o)
}

func (c *Coordinator) twoPhaseProgress(o *op) {
	if o.rq.met(o.rd[:o.n]) {
		merged, err := c.okSets(o)
		if err != nil {
			c.fail(o, wire.StatusFailed, "merging the read phase: %v", err)
			c.finish(o)
			return
		}
		c.mint(o, merged, true)
		return
	}
	if !o.rq.reachable(o.rd[:o.n]) {
		c.fail(o, wire.StatusFailed, "read phase failed: %d of %d replicas failed, R needs %s%s",
			tally(o.rd[:o.n], func(s uint8) bool { return s == stFailed }), o.n, o.rq.describe(o.n), c.lastErr(o))
		c.finish(o)
	}
}

// mint creates the new version over the local set (merged with what the
// read phase found), stores it locally and sends the whole resulting set to
// the other replicas.
func (c *Coordinator) mint(o *op, read wire.SiblingSet, twoPhase bool) {
	var stored wire.SiblingSet
	var err error
	if o.self >= 0 {
		stored, err = c.host.Stored(o.key, o.hash)
	} else {
		stored, err = c.standIn.get(o.key)
	}
	if err != nil {
		c.fail(o, wire.StatusFailed, "reading the local replica: %v", err)
		c.finish(o)
		return
	}
	if len(read.Siblings) > 0 || len(read.Context) > 0 {
		if stored, err = c.v.Merge(stored, read); err != nil {
			c.fail(o, wire.StatusFailed, "merging the read phase: %v", err)
			c.finish(o)
			return
		}
	}
	now := c.host.Now().UnixNano()
	if twoPhase {
		// Order the new version after everything the read phase saw, even
		// if this node's clock is behind (last-write-wins compares these).
		for i := range stored.Siblings {
			now = max(now, stored.Siblings[i].TimestampNs+1)
		}
	}
	set, err := c.v.Update(stored, versions.Write{Actor: c.actor, Context: o.ctx, Value: o.value, Tombstone: o.tombstone, NowNs: now})
	if err != nil {
		status := wire.StatusFailed
		if errors.Is(err, versions.ErrTooMany) || errors.Is(err, versions.ErrInvalid) {
			status = wire.StatusBadRequest
		}
		c.fail(o, status, "%v", err)
		c.finish(o)
		return
	}
	o.written = set
	o.phase = phaseWrite
	for i := 0; i < o.n; i++ {
		o.wr[i] = stPending
	}
	// The local replica first, and nothing sent if it refuses: a version
	// whose dot this node's own replica does not hold is one it cannot
	// remember minting, so its next write of the key would mint the same
	// dot again for another value, and replicas that merge the two keep
	// only one of them (an acknowledged write lost). Refused before
	// anything was sent, the put has definitely not happened.
	// A stand-in remembers the version instead (standin.go), for the same
	// reason.
	if o.self < 0 {
		if err := c.standIn.put(o.key, set); err != nil {
			c.stats.StandInRefused++
			c.fail(o, wire.StatusFailed, "nothing was sent: %v", err)
			c.finish(o)
			return
		}
	} else if err := c.host.WriteLocal(o.id, o.key, o.hash, set, true); err != nil {
		c.fail(o, wire.StatusFailed, "the local replica refused the new version, nothing was sent: %v", err)
		c.finish(o)
		return
	}
	o.sent = true
	m := c.msgs.writeRequests.New()
	*m = wire.WriteRequest{OpID: o.id, Key: o.key, Purpose: wire.PurposeClient, HintFor: wire.None, Set: set}
	for i := 0; i < o.n; i++ {
		if i != o.self {
			c.host.Send(o.replicas[i], c.hinted(o, i, m))
		}
	}
}

// hinted is m for replica i of o: m itself for a replica of the preference
// list, a copy naming the replica it stands in for for a fallback.
func (c *Coordinator) hinted(o *op, i int, m *wire.WriteRequest) *wire.WriteRequest {
	if o.hintFor[i] == wire.None {
		return m
	}
	c.stats.HintedWrites++
	h := *m
	h.HintFor = o.hintFor[i]
	return &h
}

func (c *Coordinator) writeProgress(o *op) {
	if o.wq.met(o.wr[:o.n]) || (planted.On(planted.AckEarly) && o.wq.ndc == 0 && o.wq.total > 1 && tally(o.wr[:o.n], isOK) >= o.wq.total-1) {
		r := c.msgs.clientReplies.New()
		*r = wire.ClientReply{Status: wire.StatusOK, Context: c.putContext(o)}
		c.reply(o, r)
		c.finish(o)
		return
	}
	if !o.wq.reachable(o.wr[:o.n]) {
		c.fail(o, wire.StatusUnknown, "%d of %d replicas failed the write, W needs %s; it may still be applied by the others%s",
			tally(o.wr[:o.n], func(s uint8) bool { return s == stFailed }), o.n, o.wq.describe(o.n), c.lastErr(o))
		c.finish(o)
	}
}

// putContext is the context a put's reply carries: what a later write
// passing it back would supersede. Only in vector-clock mode can it be
// exact — the new version's own clock, which supersedes what the new
// version already superseded. A dotted context covering the new dot would
// also cover earlier dots of this node that the client never saw (another
// client's concurrent write through the same node), so dotted and
// last-write-wins replies carry none: the client reads again to get one.
func (c *Coordinator) putContext(o *op) []byte {
	if c.v.Mode() != versions.ModeVClock {
		return nil
	}
	// The minted version is this actor's with the highest counter.
	var fresh *wire.Sibling
	for i := range o.written.Siblings {
		s := &o.written.Siblings[i]
		if s.Dot.Actor == c.actor && (fresh == nil || s.Dot.Counter > fresh.Dot.Counter) {
			fresh = s
		}
	}
	if fresh == nil {
		return nil
	}
	return versions.AppendContext(nil, fresh.Clock)
}
