package sim

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"dynasim/history"
	"dynasim/internal/dist"
	"dynasim/internal/fifo"
	"dynasim/internal/slab"
	"dynasim/node"
	"dynasim/wire"
)

// Router picks the node a client sends a request for key to. The cluster
// harness implements it from the ring.
type Router interface {
	Route(key []byte, policy Routing, r *rand.Rand) wire.Addr
}

// Workload is the state simulated clients share: the config, the history
// recorder and the global operation budget.
type Workload struct {
	cfg         WorkloadConfig
	keys        *keyChooser
	valueSize   *dist.Sampler
	think       *dist.Sampler
	rec         *history.Recorder
	router      Router
	consistency history.Consistency
	started     int // operations started, for MaxOps
	// written marks, by key index, the keys a put or delete was issued for.
	written []bool
	// probeNext and probeDone count a probe's trials started and ended.
	probeNext, probeDone int
	stats                WorkloadStats
	err                  error
	// nodes and nodeIdx are the coordinators the client policy tracks
	// (the Router's NodeLister), set only when the policy is enabled.
	nodes   []wire.Addr
	nodeIdx map[wire.Addr]int
}

// WorkloadStats counts what the clients did beyond the history.
type WorkloadStats struct {
	Started  uint64 // operations started (RMW parts and final reads included)
	Shed     uint64 // open-loop arrivals not started: too many in flight
	Retries  uint64 // attempts after the first
	Timeouts uint64 // attempts that timed out
	Late     uint64 // replies that arrived after the client gave up
	// With the client policy: attempts without a first byte within the
	// connect timeout, and of those the gets abandoned for a retry.
	ConnectTimeouts uint64
	Abandoned       uint64
	// MarkedDown counts coordinators a client marked unhealthy.
	MarkedDown uint64
}

// NewWorkload prepares a workload that records into rec and routes with
// router. consistency is recorded with every operation.
func NewWorkload(cfg WorkloadConfig, rec *history.Recorder, router Router, consistency history.Consistency) (*Workload, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	vs, err := cfg.ValueSizeBytes.Compile()
	if err != nil {
		return nil, fmt.Errorf("workload: value size: %w", err)
	}
	wl := &Workload{cfg: cfg, keys: newKeyChooser(cfg.Keys, cfg.Clients), valueSize: vs, rec: rec, router: router, consistency: consistency,
		written: make([]bool, cfg.Keys.Count)}
	if !cfg.ThinkTimeMs.IsZero() {
		if wl.think, err = cfg.ThinkTimeMs.Compile(); err != nil {
			return nil, fmt.Errorf("workload: think time: %w", err)
		}
	}
	if cfg.Policy.Enabled {
		nl, ok := router.(NodeLister)
		if !ok {
			return nil, fmt.Errorf("workload: the client policy needs a router that lists its nodes (sim.NodeLister)")
		}
		wl.nodes = append([]wire.Addr(nil), nl.Addrs()...)
		if len(wl.nodes) == 0 {
			return nil, fmt.Errorf("workload: the client policy needs at least one node")
		}
		wl.nodeIdx = make(map[wire.Addr]int, len(wl.nodes))
		for i, a := range wl.nodes {
			wl.nodeIdx[a] = i
		}
	}
	return wl, nil
}

// Config is the workload's config with defaults applied.
func (wl *Workload) Config() WorkloadConfig { return wl.cfg }

// Stats returns the clients' counters.
func (wl *Workload) Stats() WorkloadStats { return wl.stats }

// Err is the first recording error (a bug, not a workload outcome).
func (wl *Workload) Err() error { return wl.err }

// KeyNames lists every key the workload may touch, in order.
func (wl *Workload) KeyNames() []string { return wl.keys.names }

// WrittenKeyNames lists, in KeyNames order, the keys a put or delete was
// issued for, whatever its outcome (a failed or unknown write may still
// have reached a replica). The other keys hold nothing on any replica.
func (wl *Workload) WrittenKeyNames() []string {
	var out []string
	for i, w := range wl.written {
		if w {
			out = append(out, wl.keys.names[i])
		}
	}
	return out
}

func (wl *Workload) fail(err error) {
	if wl.err == nil {
		wl.err = err
	}
}

// Timer kinds a client uses.
const (
	timerNextOp  uint8 = iota + 1 // closed loop: think time over; open loop: next arrival
	timerTimeout                  // an attempt's reply is overdue
	timerConnect                  // an attempt's first byte is overdue (client policy)
)

// opKind is what a client operation does.
type opKind uint8

const (
	opGet opKind = iota + 1
	opPut
	opDelete
)

// clientOp is one operation in flight.
type clientOp struct {
	histID  uint64
	kind    opKind
	key     []byte
	keyName string // key as a string, for the history
	// keyIdx is the key's index in the workload's key list, or -1 (final
	// reads): it keys the client's context cache.
	keyIdx  int32
	value   []byte
	valueID string
	ctx     []byte // opaque context sent with a put or delete
	// ctxIDs are the value IDs ctx covers: what the client had read (the
	// history's Context).
	ctxIDs []string
	// then is what to do after a get succeeds: 0, opPut (read-modify-write)
	// or opDelete (read-then-delete).
	then opKind
	// attempts so far; mayHaveApplied is set once any attempt of a write
	// might have reached a replica (timeout or unknown-outcome reply).
	attempts       int
	mayHaveApplied bool
	final          bool
	// readNeed overrides the workload's R (final reads).
	readNeed *wire.Need
	// deadline is when the current attempt times out.
	deadline Time
	onDone   func(ok bool)
	// With the client policy: the current attempt's coordinator, its
	// first-byte deadline, and every coordinator tried so far.
	to          wire.Addr
	connectDead Time
	tried       []wire.Addr
}

// Client is a simulated client: a process that issues operations, waits
// for replies or timeouts, and records every operation in the history.
type Client struct {
	id      int
	ep      *Endpoint
	wl      *Workload
	rng     *rand.Rand
	pending map[uint64]*clientOp // by request ID of the current attempt
	nextReq uint64
	seq     uint64       // operations started, for sequential keys and value IDs
	ctx     contextCache // by key index
	// issued lists request IDs in issue order: the oldest pending one has
	// the earliest deadline (see expire).
	issued     fifo.Queue[uint64]
	timerArmed bool
	// With the client policy: this client's view of the coordinators, and
	// the attempts awaiting their first byte in issue order (every attempt
	// has the same connect timeout, so their deadlines follow issue order).
	health       healthView
	connecting   fifo.Queue[uint64]
	connectArmed bool
	// nextAfterDone schedules the next operation when one ends (closed
	// loop); made once rather than per operation.
	nextAfterDone func(bool)
	// idPrefix is "c<id>.", the start of every value ID this client writes.
	idPrefix []byte
	// Requests are allocated in blocks.
	gets slab.Allocator[wire.ClientGet]
	puts slab.Allocator[wire.ClientPut]
}

// ClientFactory returns a factory for client number id of the workload. If
// start is false the client issues nothing by itself (a final reader).
func (wl *Workload) ClientFactory(id int, start bool) node.Factory {
	return func(self wire.Addr, env node.Env) (node.Process, error) {
		ep, ok := env.(*Endpoint)
		if !ok {
			return nil, fmt.Errorf("sim: a client must be hosted by the simulator")
		}
		c := &Client{id: id, ep: ep, wl: wl, rng: ep.rng, pending: map[uint64]*clientOp{}, ctx: newContextCache(len(wl.keys.names), wl.cfg.Clients)}
		if wl.cfg.Policy.Enabled {
			c.health.nodes = make([]coordHealth, len(wl.nodes))
		}
		c.nextAfterDone = func(bool) { c.scheduleNext(false) }
		c.idPrefix = strconv.AppendInt([]byte{'c'}, int64(id), 10)
		c.idPrefix = append(c.idPrefix, '.')
		if start {
			c.scheduleNext(true)
		}
		return c, nil
	}
}

// now is the virtual time the history records: where this client's work
// has got to.
func (c *Client) now() int64 { return int64(c.ep.localNow()) }

func (c *Client) budgetSpent() bool {
	cfg := &c.wl.cfg
	if cfg.MaxOps > 0 && c.wl.started >= cfg.MaxOps {
		return true
	}
	return cfg.Duration > 0 && c.ep.localNow() >= Time(cfg.Duration)
}

// scheduleNext sets the timer for the next operation (closed loop: after
// think time; open loop: the next Poisson arrival).
func (c *Client) scheduleNext(first bool) {
	var after time.Duration
	if rate := c.wl.cfg.rateAt(time.Duration(c.ep.localNow())); rate > 0 {
		after = time.Duration(c.rng.ExpFloat64() / rate * float64(time.Second))
	} else if c.wl.think != nil && !first {
		after = time.Duration(c.wl.think.Sample(c.rng) * float64(time.Millisecond))
	}
	c.ep.SetTimer(after, node.Timer{Kind: timerNextOp})
}

// Handle implements node.Process.
func (c *Client) Handle(ev node.Event) {
	switch ev.Kind {
	case node.TimerEvent:
		switch ev.Timer.Kind {
		case timerNextOp:
			c.arrival()
		case timerTimeout:
			c.expire()
		case timerProbeRead:
			c.probeRead(int32(ev.Timer.ID))
		case timerConnect:
			c.connectExpire()
		}
	case node.MessageEvent:
		reply, ok := ev.Msg.(*wire.ClientReply)
		if !ok {
			return
		}
		op, ok := c.pending[reply.ReqID]
		if !ok {
			c.wl.stats.Late++
			return
		}
		delete(c.pending, reply.ReqID)
		c.onReply(op, reply)
	}
}

// arrival starts the next operation if the workload allows it.
func (c *Client) arrival() {
	if c.budgetSpent() {
		return
	}
	if c.wl.cfg.Probe != nil {
		c.nextTrial()
		return
	}
	open := c.wl.cfg.RatePerClient > 0
	if open {
		c.scheduleNext(false)
		if len(c.pending) >= c.wl.cfg.MaxOutstanding {
			c.wl.stats.Shed++
			return
		}
	}
	c.wl.started++
	if open {
		c.startRandomOp(nil)
	} else {
		c.startRandomOp(c.nextAfterDone)
	}
}

func (c *Client) startRandomOp(onDone func(bool)) {
	m := c.wl.cfg.Mix
	x := c.rng.Float64() * (m.Get + m.Put + m.Delete + m.ReadModifyWrite)
	idx := int32(c.wl.keys.choose(c.rng, c.id, c.seq))
	key, name := c.wl.keys.bytes[idx], c.wl.keys.names[idx]
	switch {
	case x < m.Get:
		c.start(&clientOp{kind: opGet, key: key, keyName: name, keyIdx: idx, onDone: onDone})
	case x < m.Get+m.Put:
		cached := c.ctx.get(idx)
		c.start(&clientOp{kind: opPut, key: key, keyName: name, keyIdx: idx, ctx: cached.ctx, ctxIDs: cached.ids, onDone: onDone})
	case x < m.Get+m.Put+m.Delete:
		c.start(&clientOp{kind: opGet, key: key, keyName: name, keyIdx: idx, then: opDelete, onDone: onDone})
	default:
		c.start(&clientOp{kind: opGet, key: key, keyName: name, keyIdx: idx, then: opPut, onDone: onDone})
	}
}

// ReadFinal issues a final read of key (after the quiet period) with read
// quorum r (nil: the workload's R; DEFAULT is sent as DEFAULT, so the
// node applies its own R) and calls onDone when it completes.
func (c *Client) ReadFinal(key string, r *wire.Need, onDone func(ok bool)) {
	op := &clientOp{kind: opGet, key: []byte(key), keyName: key, keyIdx: -1, final: true, onDone: onDone}
	if r != nil {
		need := *r
		op.readNeed = &need
	}
	c.start(op)
}

// start records an operation's invocation and sends its first attempt.
func (c *Client) start(op *clientOp) {
	c.seq++
	c.wl.stats.Started++
	inv := history.Invocation{Client: c.id, Key: op.keyName, Coordinator: history.NoCoordinator, Consistency: c.wl.consistency, Final: op.final}
	switch op.kind {
	case opGet:
		inv.Kind = history.Get
	case opPut:
		inv.Kind = history.Put
		c.markWritten(op)
		op.valueID = string(strconv.AppendUint(c.idPrefix, c.seq, 10))
		op.value = c.makeValue(op.valueID)
		inv.Value = op.valueID
		inv.Context = op.ctxIDs
	case opDelete:
		inv.Kind = history.Delete
		inv.Context = op.ctxIDs
		c.markWritten(op)
	}
	id, err := c.wl.rec.Invoke(c.now(), inv)
	if err != nil {
		c.wl.fail(err)
		return
	}
	op.histID = id
	c.attempt(op)
}

// markWritten notes that a write of op's key was issued.
func (c *Client) markWritten(op *clientOp) {
	if op.keyIdx >= 0 {
		c.wl.written[op.keyIdx] = true
	}
}

// makeValue builds a unique value: its ID, a separator, and filler up to
// the drawn size. The ID lets the history name any value a get returns.
func (c *Client) makeValue(id string) []byte {
	size := int(c.wl.valueSize.Sample(c.rng))
	size = max(size, len(id)+1)
	v := make([]byte, size)
	n := copy(v, id)
	v[n] = valueSeparator
	for i := n + 1; i < size; {
		i += copy(v[i:], valueFiller)
	}
	return v
}

// valueFiller pads values after their ID: readable in dumps, and copied in
// large pieces rather than written a byte at a time.
var valueFiller = []byte(strings.Repeat("abcdefghijklmnopqrstuvwxyz", 40))

const valueSeparator = '|'

// ValueID recovers a value's unique ID. A value not written by a
// simulated client (corruption) gets an ID that no put wrote, so the
// checkers flag it.
func ValueID(v []byte) string {
	if id, ok := ValueIDBytes(v); ok {
		return string(id)
	}
	return fmt.Sprintf("unrecognised:%d-bytes", len(v))
}

// ValueIDBytes is the part of v that ValueID returns, without copying it,
// and whether v has one (false: ValueID names it "unrecognised").
func ValueIDBytes(v []byte) ([]byte, bool) {
	if i := bytes.IndexByte(v, valueSeparator); i > 0 && i <= history.MaxIDBytes-1 {
		return v[:i], true
	}
	return nil, false
}

// attempt sends one attempt of op to a routed node and arms its timeout.
func (c *Client) attempt(op *clientOp) {
	op.attempts++
	if op.attempts > 1 {
		c.wl.stats.Retries++
	}
	to := c.wl.router.Route(op.key, c.wl.cfg.Routing, c.rng)
	policy := c.wl.cfg.Policy.Enabled
	if policy {
		to = c.choose(op, to)
		op.to = to
		op.tried = append(op.tried, to)
	}
	if err := c.wl.rec.Reroute(op.histID, int32(to)); err != nil {
		c.wl.fail(err)
	}
	c.nextReq++
	req := c.nextReq
	cfg := &c.wl.cfg
	var m wire.Message
	switch op.kind {
	case opGet:
		r := cfg.R
		if op.readNeed != nil {
			r = *op.readNeed
		}
		g := c.gets.New()
		*g = wire.ClientGet{ReqID: req, ReplyTo: wire.None, Key: op.key, N: cfg.N, R: r}
		m = g
	case opPut:
		p := c.puts.New()
		*p = wire.ClientPut{ReqID: req, ReplyTo: wire.None, Key: op.key, Context: op.ctx, Value: op.value, N: cfg.N, W: cfg.W}
		m = p
	case opDelete:
		m = &wire.ClientDelete{ReqID: req, ReplyTo: wire.None, Key: op.key, Context: op.ctx, N: cfg.N, W: cfg.W}
	}
	c.pending[req] = op
	c.ep.Send(to, m)
	op.deadline = c.ep.localNow() + Time(cfg.Timeout)
	c.issued.Push(req)
	if !c.timerArmed {
		c.timerArmed = true
		c.ep.SetTimer(cfg.Timeout, node.Timer{Kind: timerTimeout})
	}
	if policy {
		op.connectDead = c.ep.localNow() + Time(cfg.Policy.ConnectTimeout)
		c.connecting.Push(req)
		if !c.connectArmed {
			c.connectArmed = true
			c.ep.SetTimer(cfg.Policy.ConnectTimeout, node.Timer{Kind: timerConnect})
		}
	}
}

// expire times out every attempt whose deadline has passed and arms the
// timer for the next deadline. One timer per client, not one per attempt:
// every attempt waits the same Timeout, so deadlines follow issue order
// and the earliest pending deadline is the oldest pending attempt's. A
// per-attempt timer would leave a stale event in the scheduler for every
// answered request.
func (c *Client) expire() {
	// Retries below issue new attempts; the timer is re-armed once, at the
	// end, for whichever pending attempt is then the oldest.
	c.timerArmed = true
	now := c.ep.w.Now()
	for {
		req, ok := c.issued.Front()
		if !ok {
			break
		}
		op, inFlight := c.pending[req]
		if inFlight && op.deadline > now {
			break
		}
		c.issued.Pop()
		if !inFlight {
			continue // answered
		}
		delete(c.pending, req)
		c.wl.stats.Timeouts++
		if op.kind != opGet {
			op.mayHaveApplied = true
		}
		if c.wl.cfg.Policy.Enabled {
			c.markDown(op.to)
		}
		c.retryOrFinish(op, "timeout after "+c.wl.cfg.Timeout.String())
	}
	c.timerArmed = false
	if req, ok := c.issued.Front(); ok {
		c.timerArmed = true
		next := c.pending[req].deadline
		c.ep.SetTimer(time.Duration(next-now), node.Timer{Kind: timerTimeout})
	}
}

func (c *Client) onReply(op *clientOp, r *wire.ClientReply) {
	if c.wl.cfg.Policy.Enabled {
		switch r.Status {
		case wire.StatusFailed, wire.StatusUnknown:
			// Up, but unable to reach its replicas.
			c.markDown(op.to)
		default:
			if i, ok := c.wl.nodeIdx[op.to]; ok {
				c.health.markUp(i)
			}
		}
	}
	switch r.Status {
	case wire.StatusOK, wire.StatusNotFound:
		res := history.Result{Outcome: history.OK}
		if op.kind == opGet {
			res.Values = make([]string, len(r.Values))
			for i, v := range r.Values {
				res.Values[i] = ValueID(v)
			}
			if op.keyIdx >= 0 {
				c.ctx.put(op.keyIdx, cachedContext{ctx: r.Context, ids: res.Values})
			}
		} else if len(r.Context) > 0 && op.keyIdx >= 0 {
			// A write's reply context covers what the write's context
			// covered plus the value it wrote.
			ids := op.ctxIDs
			if op.kind == opPut {
				ids = append(append([]string(nil), ids...), op.valueID)
			}
			c.ctx.put(op.keyIdx, cachedContext{ctx: r.Context, ids: ids})
		}
		c.finish(op, res)
		if op.kind == opGet && op.then != 0 {
			c.start(&clientOp{kind: op.then, key: op.key, keyName: op.keyName, keyIdx: op.keyIdx, ctx: r.Context, ctxIDs: res.Values, onDone: op.onDone})
			return
		}
		c.done(op, true)
	case wire.StatusUnknown:
		op.mayHaveApplied = true
		c.retryOrFinish(op, r.Error)
	case wire.StatusBadRequest:
		c.finish(op, history.Result{Outcome: history.Failed, Error: "bad request: " + r.Error})
		c.done(op, false)
	default:
		c.retryOrFinish(op, r.Error)
	}
}

// retryOrFinish retries a failed attempt or ends the operation: failed if
// no attempt can have taken effect, unknown otherwise.
func (c *Client) retryOrFinish(op *clientOp, why string) {
	if c.mayRetry(op) {
		c.attempt(op)
		return
	}
	out := history.Failed
	if op.mayHaveApplied {
		out = history.Unknown
	}
	c.finish(op, history.Result{Outcome: out, Error: why})
	c.done(op, false)
}

func (c *Client) finish(op *clientOp, res history.Result) {
	if err := c.wl.rec.Return(c.now(), op.histID, res); err != nil {
		c.wl.fail(err)
	}
}

func (c *Client) done(op *clientOp, ok bool) {
	if op.onDone != nil {
		op.onDone(ok)
	}
}

// mayRetry reports whether op may make another attempt: up to Retries
// without the client policy; with it, up to its retry attempts, and only
// for a get or for a write every attempt of which definitely failed.
func (c *Client) mayRetry(op *clientOp) bool {
	p := &c.wl.cfg.Policy
	if !p.Enabled {
		return op.attempts <= c.wl.cfg.Retries
	}
	return op.attempts <= p.Retries() && (op.kind == opGet || !op.mayHaveApplied)
}

// markDown marks the coordinator at a unhealthy in this client's view.
func (c *Client) markDown(a wire.Addr) {
	i, ok := c.wl.nodeIdx[a]
	if !ok {
		return
	}
	if c.health.nodes[i].healthy() {
		c.wl.stats.MarkedDown++
	}
	c.health.markDown(i, c.ep.localNow(), &c.wl.cfg.Policy)
}

// choose picks the coordinator of op's next attempt under the client
// policy. routed is where the workload's routing sends it; it is kept when
// it is among the best coordinators this client knows of: for a get, a
// healthy one or one due for a probe; for a write, a healthy one, then one
// due for a probe; then one still inside its backoff; never one this
// operation tried if another exists. Otherwise first_replica takes the
// first best one in the key's preference list, and every routing falls
// back to a uniform draw among the best (from the client's stream).
func (c *Client) choose(op *clientOp, routed wire.Addr) wire.Addr {
	wl := c.wl
	now := c.ep.localNow()
	rank := func(a wire.Addr) int {
		i, ok := wl.nodeIdx[a]
		if !ok {
			return classTried + 1
		}
		k := c.health.class(i, now, op.tried, a)
		if op.kind == opGet && k == classProbe {
			k = classHealthy // a probe by a request that is safe to retry
		}
		return k
	}
	if rank(routed) == classHealthy {
		return routed // no coordinator can rank better: skip the scan
	}
	best, count := classTried+1, 0
	for _, a := range wl.nodes {
		switch k := rank(a); {
		case k < best:
			best, count = k, 1
		case k == best:
			count++
		}
	}
	if rank(routed) == best {
		return routed
	}
	if wl.cfg.Routing == RouteFirstReplica {
		if rl, ok := wl.router.(ReplicaLister); ok {
			for _, a := range rl.Replicas(op.key, 0) {
				if rank(a) == best {
					return a
				}
			}
		}
	}
	k := c.rng.IntN(count)
	for _, a := range wl.nodes {
		if rank(a) == best {
			if k == 0 {
				return a
			}
			k--
		}
	}
	return routed
}

// connectExpire handles the attempts that got no first byte within the
// connect timeout: their coordinators are marked unhealthy, and a get that
// may be retried is abandoned and sent elsewhere. A write keeps waiting
// for its reply until its request timeout: the coordinator may have
// received it, so it is not safe to send again.
func (c *Client) connectExpire() {
	c.connectArmed = true // retries below must not arm a second timer
	now := c.ep.w.Now()
	for {
		req, ok := c.connecting.Front()
		if !ok {
			break
		}
		op, inFlight := c.pending[req]
		if inFlight && op.connectDead > now {
			break
		}
		c.connecting.Pop()
		if !inFlight {
			continue // answered, timed out or abandoned
		}
		c.wl.stats.ConnectTimeouts++
		c.markDown(op.to)
		if op.kind == opGet && c.mayRetry(op) {
			delete(c.pending, req)
			c.wl.stats.Abandoned++
			c.attempt(op)
		}
	}
	c.connectArmed = false
	if req, ok := c.connecting.Front(); ok {
		c.connectArmed = true
		c.ep.SetTimer(time.Duration(c.pending[req].connectDead-now), node.Timer{Kind: timerConnect})
	}
}
