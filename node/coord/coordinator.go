package coord

import (
	"fmt"
	"time"

	"dynasim/internal/slab"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/wire"
)

// Host is what the coordinator needs from the node that runs it. All calls
// happen inside the node's event handler.
type Host interface {
	// Now is the node's clock.
	Now() time.Time
	// Send sends a message; the coordinator never touches it afterwards.
	Send(to wire.Addr, m wire.Message)
	// SetTick arranges for one call of Coordinator.Tick after d.
	SetTick(d time.Duration)
	// Stored is the local replica's current set for key, including writes
	// not yet durable: the input of Versioner.Update when this node mints
	// a version. It never waits.
	Stored(key []byte, hash uint64) (wire.SiblingSet, error)
	// ReadLocal reads the local replica for request id. The host calls
	// Coordinator.LocalRead with the result later in the same event, after
	// any write the result may reveal is durable.
	ReadLocal(id uint64, key []byte, hash uint64)
	// WriteLocal writes set to the local replica: stored as is when
	// replace is true (a set minted over Stored), merged otherwise. The
	// host calls Coordinator.LocalAck for request id once the write is
	// durable (or failed). id 0 asks for no acknowledgement. The error is
	// the write's immediate failure: the replica refused it, so not even
	// this node's memory holds it (LocalAck reports the same error).
	WriteLocal(id uint64, key []byte, hash uint64, set wire.SiblingSet, replace bool) error
}

// Coordinator runs the client requests of one node: it resolves a key's
// replicas, sends them reads and writes, counts the answers against the
// request's quorum, and answers the client. It is a pure state machine
// driven by the node (Handle* methods, LocalRead, LocalAck, Timeout).
type Coordinator struct {
	cfg   Config
	self  wire.Addr
	epoch uint32
	actor wire.ActorID
	v     *versions.Versioner
	host  Host
	view  View

	// mem is the ring version the last request was placed with (read from
	// the view at the start of every request) and dc this node's
	// datacenter in it.
	mem *ring.Membership
	dc  string

	ops     map[uint64]*op
	free    []*op
	counter uint32
	prefBuf []wire.Addr
	extBuf  []wire.Addr // sloppy: the extended preference list
	candBuf []wire.Addr // sloppy: its healthy fallbacks
	valBuf  [][]byte
	stats   Stats
	msgs    messages
	seen    dedupe // client requests executed (dedupe.go)
	standIn standIns

	// Timeouts (expiry.go).
	ticks              uint64
	tickArmed          bool
	requestQ, forwardQ expiryQueue
}

// New returns a coordinator for node self (its wire address) in its
// incarnation epoch (which makes its actor ID and keeps its request IDs
// distinct from those of earlier incarnations). The ring comes from the
// view, read again at every request; self must be a member of the view's
// current version.
func New(cfg Config, self wire.Addr, epoch uint32, v *versions.Versioner, host Host, view View) (*Coordinator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := view.Membership()
	if m == nil {
		return nil, fmt.Errorf("coord: the view has no ring version")
	}
	if !m.Has(self) {
		return nil, fmt.Errorf("coord: node %d is not a member of ring version %d", self, m.Version())
	}
	c := &Coordinator{
		cfg:     cfg.WithDefaults(),
		self:    self,
		epoch:   epoch,
		actor:   wire.ActorOf(self, epoch),
		v:       v,
		host:    host,
		view:    view,
		ops:     map[uint64]*op{},
		prefBuf: make([]wire.Addr, 0, ring.MaxReplicas),
	}
	c.seen = newDedupe(c.cfg.MaxTrackedSenders)
	c.standIn = newStandIns(c.cfg.StandInMaxBytes)
	c.membership()
	c.requestQ = newExpiryQueue(c.cfg.RequestTimeout, c.cfg.TimeoutTick)
	c.forwardQ = newExpiryQueue(c.cfg.ForwardTimeout, c.cfg.TimeoutTick)
	return c, nil
}

// Reincarnate makes the coordinator mint under a new epoch from now on: the
// node's replica was reopened from its disk and may have lost versions this
// incarnation minted, so the old actor's counters can no longer be trusted
// to be unique. Requests in flight keep going; new request IDs carry the new
// epoch, so they stay distinct from every earlier one.
func (c *Coordinator) Reincarnate(epoch uint32) {
	c.epoch, c.actor, c.counter = epoch, wire.ActorOf(c.self, epoch), 0
	c.standIn.reset()
}

// Actor is the actor ID this node mints versions under.
func (c *Coordinator) Actor() wire.ActorID { return c.actor }

// Pending is the number of requests in flight.
func (c *Coordinator) Pending() int { return len(c.ops) }

// membership reads the view's current ring version.
func (c *Coordinator) membership() *ring.Membership {
	if m := c.view.Membership(); m != c.mem {
		c.mem, c.dc = m, m.DCOf(c.self)
	}
	return c.mem
}

func (c *Coordinator) dcOf(a wire.Addr) string { return c.mem.DCOf(a) }

// nextID returns a request ID unique across this node's incarnations: the
// epoch in the high 32 bits, a counter in the low 32 (which would wrap only
// after 4 billion requests in one incarnation, long after the requests that
// used the low values have finished).
func (c *Coordinator) nextID() uint64 {
	c.counter++
	if c.counter == 0 {
		c.counter = 1
	}
	return uint64(c.epoch)<<32 | uint64(c.counter)
}

// admit creates an op for a client request, or refuses it when too many
// are in flight.
func (c *Coordinator) admit(kind opKind, client wire.Addr, reqID uint64) *op {
	if len(c.ops) >= c.cfg.MaxPending {
		c.stats.Overloaded++
		c.sendReply(client, &wire.ClientReply{ReqID: reqID, Status: wire.StatusFailed,
			Error: fmt.Sprintf("overloaded: %d requests in flight, the limit is %d", len(c.ops), c.cfg.MaxPending)})
		return nil
	}
	var o *op
	if n := len(c.free); n > 0 {
		o, c.free = c.free[n-1], c.free[:n-1]
	} else {
		o = new(op)
	}
	o.id, o.kind, o.client, o.reqID, o.self = c.nextID(), kind, client, reqID, -1
	c.ops[o.id] = o
	return o
}

// finish forgets an op; later answers for it are counted as stray.
func (c *Coordinator) finish(o *op) {
	delete(c.ops, o.id)
	o.reset()
	if len(c.free) < 1024 {
		c.free = append(c.free, o)
	}
}

// placeReplicas fills the op's replicas with the first n entries of the
// key's preference list (n = 0: all of them). Under a sloppy quorum every
// one the view believes down is then replaced by a fallback (sloppy).
//
// During a ring transition (ring.Membership.Prev) the preference list is
// the one reads use (ReadList: the old version's in the first step, the
// new one's in the second); a write — a blocking read repair's write-back
// too — then also goes to the other list's first n replicas that are not
// among them, the pending replicas, placed after the others (o.normal
// counts the others). See withPending for how W counts them.
func (c *Coordinator) placeReplicas(o *op, key []byte, n uint8, write bool) error {
	o.key, o.hash = key, ring.HashKey(key)
	m := c.membership()
	c.prefBuf = m.ReadList(o.hash, c.prefBuf[:0])
	want := int(n)
	if want == 0 {
		want = len(c.prefBuf)
	}
	if want > len(c.prefBuf) {
		return fmt.Errorf("the request asks for N=%d, above the %d replicas the placement provides", want, len(c.prefBuf))
	}
	if want == 0 {
		return fmt.Errorf("the ring has no replicas for this key")
	}
	o.n = want
	for i := 0; i < want; i++ {
		o.replicas[i] = c.prefBuf[i]
		o.hintFor[i] = wire.None
	}
	if c.cfg.Quorum == QuorumSloppy {
		c.sloppy(o, m)
	}
	o.normal = o.n
	if write && m.Prev() != nil {
		var nb [maxReplicas]wire.Addr
		next := m.OtherList(o.hash, nb[:0])
		if want < len(next) {
			next = next[:want]
		}
		for _, a := range next {
			if o.index(a) < 0 && o.n < maxReplicas {
				o.replicas[o.n], o.hintFor[o.n] = a, wire.None
				o.n++
			}
		}
	}
	for i := 0; i < o.n; i++ {
		if o.replicas[i] == c.self {
			o.self = i
		}
	}
	return nil
}

// withPending makes a write quorum count the pending replicas of a ring
// transition: one more acknowledgement per pending replica (Cassandra's
// rule), counted over all of them — for a per-datacenter level, one more
// in the pending replica's datacenter. With one member joining or leaving
// the old and new replica sets differ in as many members as there are
// pending ones, so W plus the pending count leaves at least W
// acknowledgements among the old replicas (which reads use until the
// transition settles) and at least W among the new ones (which they use
// after): no acknowledged write is missing from either read set.
func (c *Coordinator) withPending(o *op, q *quorum) {
	if o.n == o.normal {
		return
	}
	if q.ndc == 0 {
		q.total = min(q.total+o.n-o.normal, o.n)
		return
	}
	for i := o.normal; i < o.n; i++ {
		q.dcOf[i] = -1
		dc := c.dcOf(o.replicas[i])
		for d := 0; d < q.ndc; d++ {
			if q.names[d] == dc {
				q.dcOf[i] = int8(d)
				q.need[d]++
				break
			}
		}
	}
}

// sloppy replaces every replica of o the view believes down (this node is
// never down to itself) by the first member after the key's preference
// list that is believed up and not chosen yet, in clockwise order,
// preferring one of the replaced replica's datacenter and, among those, one
// on a rack the request does not use yet: the extended preference list's
// distinct nodes, with the placement's datacenter and rack rules kept
// where the healthy members allow. A replica with no healthy fallback left
// stays (the request may still reach it). The fallback carries a hint
// naming the replica (o.hintFor).
func (c *Coordinator) sloppy(o *op, m *ring.Membership) {
	now := c.host.Now()
	down := 0
	for i := 0; i < o.n; i++ {
		if o.replicas[i] != c.self && !c.view.Up(o.replicas[i], now) {
			down++
		}
	}
	if down == 0 {
		return
	}
	c.extBuf, _ = m.ExtendedList(o.hash, m.Len(), c.extBuf[:0])
	// Candidates: the members after the first o.n of the extended list
	// (a request with N below the placement's may use the rest of the
	// preference list too), believed up. This node is never its own
	// fallback: its local replica is its data, not a hint store.
	cand := c.candBuf[:0]
	for _, a := range c.extBuf[o.n:] {
		if a != c.self && c.view.Up(a, now) {
			cand = append(cand, a)
		}
	}
	c.candBuf = cand
	rackOf := func(a wire.Addr) (string, string) {
		mb, _ := m.ByAddr(a)
		return mb.DC, mb.Rack
	}
	for i := 0; i < o.n && len(cand) > 0; i++ {
		r := o.replicas[i]
		if r == c.self || c.view.Up(r, now) {
			continue
		}
		dc, _ := rackOf(r)
		best, bestScore := -1, -1
		for j, a := range cand {
			if a == wire.None {
				continue
			}
			adc, arack := rackOf(a)
			score := 0
			if adc == dc {
				score += 2
			}
			if !c.rackUsed(o, m, adc, arack) {
				score++
			}
			if score > bestScore {
				best, bestScore = j, score
			}
		}
		if best < 0 {
			break
		}
		o.replicas[i], o.hintFor[i] = cand[best], r
		cand[best] = wire.None
		o.fallbacks++
	}
	c.stats.SloppyRequests++
	c.stats.Fallbacks += uint64(o.fallbacks)
}

// rackUsed reports whether a replica of o (other than the down ones about
// to be replaced, which the rule is about) is on rack (dc, rack).
func (c *Coordinator) rackUsed(o *op, m *ring.Membership, dc, rack string) bool {
	if rack == "" {
		return false
	}
	now := c.host.Now()
	for i := 0; i < o.n; i++ {
		r := o.replicas[i]
		if o.hintFor[i] == wire.None && r != c.self && !c.view.Up(r, now) {
			continue
		}
		if mb, ok := m.ByAddr(r); ok && mb.DC == dc && mb.Rack == rack {
			return true
		}
	}
	return false
}

// resolve resolves a quorum over o's replicas. A sloppy quorum's fallback
// counts for the replica it stands in for, in that replica's datacenter:
// LOCAL_QUORUM stays a majority of the local datacenter's replicas whatever
// fails elsewhere (an east fallback for a west replica does not enlarge
// east's quorum), and EACH_QUORUM counts a datacenter's fallbacks where the
// sloppy quorum put them, as Dynamo counts fallbacks towards W and R.
func (c *Coordinator) resolve(o *op, name string, req, def wire.Need) (quorum, error) {
	var countedAs [maxReplicas]wire.Addr
	for i := 0; i < o.normal; i++ {
		countedAs[i] = o.replicas[i]
		if h := o.hintFor[i]; h != wire.None {
			countedAs[i] = h
		}
	}
	return resolveQuorum(name, req, def, countedAs[:o.normal], c.dcOf, c.dc)
}

// replyTo is where a request's answer goes.
func replyTo(from, replyTo wire.Addr) wire.Addr {
	if replyTo != wire.None {
		return replyTo
	}
	return from
}

func (c *Coordinator) sendReply(to wire.Addr, r *wire.ClientReply) {
	if len(r.Error) > wire.MaxErrorBytes {
		r.Error = r.Error[:wire.MaxErrorBytes]
	}
	if int(r.Status) < len(c.stats.Replies) {
		c.stats.Replies[r.Status]++
	}
	c.host.Send(to, r)
}

// reply answers the op's client once.
func (c *Coordinator) reply(o *op, r *wire.ClientReply) {
	if o.replied {
		return
	}
	o.replied = true
	r.ReqID = o.reqID
	c.sendReply(o.client, r)
}

// refuse answers a request that was refused before anything happened.
func (c *Coordinator) refuse(to wire.Addr, reqID uint64, status wire.Status, err error) {
	c.sendReply(to, &wire.ClientReply{ReqID: reqID, Status: status, Error: err.Error()})
}

func (c *Coordinator) fail(o *op, status wire.Status, format string, args ...any) {
	c.reply(o, &wire.ClientReply{Status: status, Error: fmt.Sprintf(format, args...)})
}

// ---- events ----

// HandleReadResponse takes a replica's answer to a read.
func (c *Coordinator) HandleReadResponse(from wire.Addr, m *wire.ReadResponse) {
	c.view.Answered(from, c.host.Now())
	if o, i, ok := c.answering(m.OpID, from); ok {
		c.readResult(o, i, m.Set, m.Status, m.Error)
	}
}

// answering finds the operation an answer from a replica belongs to and
// the replica's index in it; answers to finished operations, from nodes the
// operation did not ask, or from the coordinator itself are stray.
func (c *Coordinator) answering(id uint64, from wire.Addr) (*op, int, bool) {
	o := c.ops[id]
	if o == nil {
		c.stats.Stray++
		return nil, 0, false
	}
	i := o.index(from)
	if i < 0 || i == o.self {
		c.stats.Stray++
		return nil, 0, false
	}
	return o, i, true
}

// HandleWriteAck takes a replica's acknowledgement of a write.
func (c *Coordinator) HandleWriteAck(from wire.Addr, m *wire.WriteAck) {
	c.view.Answered(from, c.host.Now())
	if m.OpID == 0 {
		return // the ack of a fire-and-forget read repair
	}
	if o, i, ok := c.answering(m.OpID, from); ok {
		c.writeResult(o, i, m.Status, m.Error)
	}
}

// LocalRead takes the local replica's answer to ReadLocal.
func (c *Coordinator) LocalRead(id uint64, set wire.SiblingSet, err error) {
	o := c.ops[id]
	if o == nil || o.self < 0 {
		return
	}
	if err != nil {
		c.readResult(o, o.self, wire.SiblingSet{}, wire.StatusFailed, err.Error())
		return
	}
	c.readResult(o, o.self, set, wire.StatusOK, "")
}

// LocalAck takes the local replica's acknowledgement of WriteLocal.
func (c *Coordinator) LocalAck(id uint64, err error) {
	o := c.ops[id]
	if o == nil || o.self < 0 {
		return
	}
	if err != nil {
		c.writeResult(o, o.self, wire.StatusFailed, err.Error())
		return
	}
	c.writeResult(o, o.self, wire.StatusOK, "")
}

// expire ends a request that reached its timeout.
func (c *Coordinator) expire(o *op) {
	c.stats.Timeouts++
	now := c.host.Now()
	if o.kind == opProxy {
		c.view.Missed(o.target, now)
		c.fail(o, wire.StatusUnknown, "forwarded to node %d, no answer within %v", o.target, c.cfg.ForwardTimeout)
		c.finish(o)
		return
	}
	for i := 0; i < o.n; i++ {
		if i != o.self && (o.rd[i] == stPending || o.wr[i] == stPending) {
			c.view.Missed(o.replicas[i], now)
		}
	}
	switch o.phase {
	case phaseRead:
		c.fail(o, wire.StatusFailed, "timeout after %v: %d of %d replicas answered, R needs %s%s",
			c.cfg.RequestTimeout, tally(o.rd[:o.n], isOK), o.n, o.rq.describe(o.n), c.lastErr(o))
	case phaseWriteBack:
		c.fail(o, wire.StatusFailed, "timeout after %v writing the read back: %d of %d replicas hold it, W needs %s%s",
			c.cfg.RequestTimeout, tally(o.wr[:o.n], isOK), o.n, o.wq.describe(o.n), c.lastErr(o))
	case phaseLinger:
		c.repair(o)
	case phaseTwoPhase:
		// Only reads were sent: the write has had no effect.
		c.fail(o, wire.StatusFailed, "timeout after %v in the read phase: %d of %d replicas answered, R needs %s%s",
			c.cfg.RequestTimeout, tally(o.rd[:o.n], isOK), o.n, o.rq.describe(o.n), c.lastErr(o))
	case phaseWrite:
		c.fail(o, wire.StatusUnknown, "timeout after %v: %d of %d replicas acknowledged, W needs %s%s",
			c.cfg.RequestTimeout, tally(o.wr[:o.n], isOK), o.n, o.wq.describe(o.n), c.lastErr(o))
	}
	c.finish(o)
}

func (c *Coordinator) lastErr(o *op) string {
	if o.lastErr == "" {
		return ""
	}
	return "; last replica error: " + o.lastErr
}

// readResult records one replica's read answer and moves the op on.
func (c *Coordinator) readResult(o *op, i int, set wire.SiblingSet, status wire.Status, errText string) {
	if o.rd[i] != stPending {
		c.stats.Duplicates++
		return
	}
	if status == wire.StatusOK {
		o.rd[i], o.sets[i] = stOK, set
	} else {
		o.rd[i], o.lastErr = stFailed, errText
	}
	switch o.phase {
	case phaseRead, phaseLinger:
		c.getProgress(o)
	case phaseWriteBack:
		// A late reader that already holds what is being written back
		// counts as holding it: replicas only ever merge forward.
		if o.rd[i] == stOK && o.wr[i] == stPending && versions.EqualSets(set, o.merged) {
			o.wr[i] = stOK
			c.writeBackProgress(o)
		}
	case phaseTwoPhase:
		c.twoPhaseProgress(o)
	}
}

// writeResult records one replica's write answer and moves the op on.
func (c *Coordinator) writeResult(o *op, i int, status wire.Status, errText string) {
	if o.wr[i] != stPending {
		c.stats.Duplicates++
		return
	}
	if status == wire.StatusOK {
		o.wr[i] = stOK
	} else {
		o.wr[i], o.lastErr = stFailed, errText
	}
	switch o.phase {
	case phaseWriteBack:
		c.writeBackProgress(o)
	case phaseWrite:
		c.writeProgress(o)
	}
}

// messages allocates the coordinator's commonest messages in blocks (see
// package slab): a busy coordinator sends several per request.
type messages struct {
	readRequests  slab.Allocator[wire.ReadRequest]
	writeRequests slab.Allocator[wire.WriteRequest]
	clientReplies slab.Allocator[wire.ClientReply]
}
