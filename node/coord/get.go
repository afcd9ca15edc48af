package coord

import (
	"errors"

	"dynasim/node/planted"
	"dynasim/node/versions"
	"dynasim/wire"
)

var errPlanted = errors.New("planted: refused by a process-wide counter")

// HandleGet coordinates a client get: read the key from all N replicas,
// answer after R of them with every causally maximal version, then repair
// stale replicas as the read repair mode says.
func (c *Coordinator) HandleGet(from wire.Addr, m *wire.ClientGet) {
	if !c.firstTime(from, m.ReqID) {
		return
	}
	to := replyTo(from, m.ReplyTo)
	if err := c.cfg.Limits.CheckKey(m.Key); err != nil {
		c.refuse(to, m.ReqID, wire.StatusBadRequest, err)
		return
	}
	o := c.admit(opGet, to, m.ReqID)
	if o == nil {
		return
	}
	c.stats.Gets++
	if planted.On(planted.PanicOnGet) {
		panic("planted: a coordinator panics on a get")
	}
	// A blocking read repair's write-back is a write: during a ring
	// transition it goes to the pending replicas too (placeReplicas), or
	// a value it made visible could be missing from the replicas reads
	// use after the next step. Reads ask the read replicas only.
	blocking := c.cfg.ReadRepair == ReadRepairBlocking
	err := c.placeReplicas(o, m.Key, m.N, blocking)
	if err == nil {
		o.rq, err = c.resolve(o, "R", m.R, c.cfg.R)
	}
	if err == nil && blocking {
		o.wq, err = c.resolve(o, "write-back W", wire.Need{}, c.cfg.W)
		c.withPending(o, &o.wq)
	}
	if err == nil && planted.On(planted.Nondeterminism) && planted.Tick()%7 == 0 {
		err = errPlanted
	}
	if err != nil {
		c.fail(o, wire.StatusBadRequest, "%v", err)
		c.finish(o)
		return
	}
	o.phase = phaseRead
	c.expireAfter(o)
	c.sendReads(o, wire.PurposeClient)
}

// sendReads asks every replica of the op for its set.
func (c *Coordinator) sendReads(o *op, purpose wire.Purpose) {
	// One message serves every replica: messages are never modified
	// after sending.
	m := c.msgs.readRequests.New()
	*m = wire.ReadRequest{OpID: o.id, Key: o.key, Purpose: purpose}
	for i := 0; i < o.normal; i++ { // pending replicas may not hold the key yet
		o.rd[i] = stPending
		if i == o.self {
			continue
		}
		c.host.Send(o.replicas[i], m)
	}
	if o.self >= 0 && o.self < o.normal {
		c.host.ReadLocal(o.id, o.key, o.hash)
	}
}

// okSets merges the sets of the replicas that answered a read. Replicas
// usually agree, and sets are canonical, so equal sets are not merged
// again (a merge of equal sets is the set itself).
func (c *Coordinator) okSets(o *op) (wire.SiblingSet, error) {
	var merged wire.SiblingSet
	first := true
	for i := 0; i < o.n; i++ {
		if o.rd[i] != stOK {
			continue
		}
		if first {
			merged, first = o.sets[i], false
			continue
		}
		if versions.EqualSets(merged, o.sets[i]) {
			continue
		}
		var err error
		if merged, err = c.v.Merge(merged, o.sets[i]); err != nil {
			return wire.SiblingSet{}, err
		}
	}
	return merged, nil
}

func (c *Coordinator) getProgress(o *op) {
	if !o.replied {
		if !o.rq.met(o.rd[:o.n]) {
			if !o.rq.reachable(o.rd[:o.n]) {
				c.fail(o, wire.StatusFailed, "%d of %d replicas failed, R needs %s%s",
					tally(o.rd[:o.n], func(s uint8) bool { return s == stFailed }), o.n, o.rq.describe(o.n), c.lastErr(o))
				c.finish(o)
			}
			return
		}
		merged, err := c.okSets(o)
		if err != nil {
			c.fail(o, wire.StatusFailed, "merging the replies: %v", err)
			c.finish(o)
			return
		}
		o.merged = merged
		if c.cfg.ReadRepair == ReadRepairBlocking {
			if planted.On(planted.RepairAnswersFirst) {
				c.answerGet(o)
			}
			c.startWriteBack(o)
			return
		}
		c.answerGet(o)
		if c.cfg.ReadRepair == ReadRepairOff {
			c.finish(o)
			return
		}
		o.phase = phaseLinger
	}
	// Async read repair: once every replica has answered (or the request
	// times out), bring the stale ones up to date.
	if o.phase == phaseLinger && tally(o.rd[:o.n], func(s uint8) bool { return s == stPending }) == 0 {
		c.repair(o)
		c.finish(o)
	}
}

// answerGet sends the merged result to the client.
func (c *Coordinator) answerGet(o *op) {
	r := c.msgs.clientReplies.New()
	r.Status = wire.StatusOK
	c.valBuf = versions.Values(o.merged, c.valBuf[:0])
	if len(c.valBuf) == 0 {
		r.Status = wire.StatusNotFound
	} else {
		r.Values = append([][]byte(nil), c.valBuf...)
	}
	r.Context = versions.AppendContext(nil, c.v.Context(o.merged))
	c.reply(o, r)
}

// repair writes the merge of every answer to each replica whose set
// differs from it: exactly those need repair, since sets are canonical.
func (c *Coordinator) repair(o *op) {
	all, err := c.okSets(o)
	if err != nil {
		c.stats.RepairErrors++
		return
	}
	var m *wire.WriteRequest
	for i := 0; i < o.n; i++ {
		if o.rd[i] != stOK || versions.EqualSets(o.sets[i], all) {
			continue
		}
		c.stats.ReadRepairs++
		if i == o.self {
			c.host.WriteLocal(0, o.key, o.hash, all, false)
			continue
		}
		if m == nil {
			m = &wire.WriteRequest{Key: o.key, Purpose: wire.PurposeReadRepair, HintFor: wire.None, Set: all}
		}
		c.host.Send(o.replicas[i], c.hinted(o, i, m))
	}
}

// startWriteBack begins a blocking read repair: replicas that answered
// with exactly the merged set already hold it; the merged set is written
// to all others, and the get answers once W replicas hold it. When W
// already hold it the get answers at once, and the other replicas are
// repaired as async read repair does: once every replica has answered (or
// the request times out), each stale one is sent the merge of every
// answer, so a replica that missed a write still converges.
func (c *Coordinator) startWriteBack(o *op) {
	o.phase = phaseWriteBack
	for i := 0; i < o.n; i++ {
		if o.rd[i] == stOK && versions.EqualSets(o.sets[i], o.merged) {
			o.wr[i] = stOK
		}
	}
	if o.wq.met(o.wr[:o.n]) {
		c.answerGet(o)
		o.phase = phaseLinger
		c.getProgress(o)
		return
	}
	m := &wire.WriteRequest{OpID: o.id, Key: o.key, Purpose: wire.PurposeWriteBack, HintFor: wire.None, Set: o.merged}
	for i := 0; i < o.n; i++ {
		if o.wr[i] == stOK {
			continue
		}
		o.wr[i] = stPending
		c.stats.WriteBacks++
		if i == o.self {
			c.host.WriteLocal(o.id, o.key, o.hash, o.merged, false)
			continue
		}
		c.host.Send(o.replicas[i], c.hinted(o, i, m))
	}
}

func (c *Coordinator) writeBackProgress(o *op) {
	if o.wq.met(o.wr[:o.n]) {
		c.answerGet(o)
		c.finish(o)
		return
	}
	if !o.wq.reachable(o.wr[:o.n]) {
		c.fail(o, wire.StatusFailed, "writing the read back failed: %d of %d replicas hold it, W needs %s%s",
			tally(o.wr[:o.n], isOK), o.n, o.wq.describe(o.n), c.lastErr(o))
		c.finish(o)
	}
}
