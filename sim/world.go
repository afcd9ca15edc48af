package sim

import (
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"time"

	"dynasim/internal/streams"
	"dynasim/node"
	"dynasim/sim/network"
	"dynasim/wire"
)

// Config configures a World. The zero value of every field but Seed has a
// documented default; call Validate (NewWorld does).
type Config struct {
	// Seed is the master seed every random stream of the run derives from.
	Seed uint64
	// Network is the simulated network model.
	Network network.Config
	// EventCost is the processing time charged for every event a node or
	// client handles, before the slow-node factor. It is what makes a node
	// that receives more events than it can handle queue up. Default 0: nodes
	// only spend the time their disks take.
	EventCost time.Duration
	// MaxQueuedEvents bounds the events waiting for one endpoint (while it is
	// busy or paused); beyond it new events are dropped and counted.
	// Default 1,000,000.
	MaxQueuedEvents int
}

// DefaultMaxQueuedEvents is Config.MaxQueuedEvents' default.
const DefaultMaxQueuedEvents = 1_000_000

func (c *Config) setDefaults() {
	if c.MaxQueuedEvents == 0 {
		c.MaxQueuedEvents = DefaultMaxQueuedEvents
	}
}

// Validate checks the config after defaults are applied.
func (c Config) Validate() error {
	c.setDefaults()
	if c.EventCost < 0 {
		return fmt.Errorf("sim: EventCost %v is negative", c.EventCost)
	}
	if c.MaxQueuedEvents < 1 {
		return fmt.Errorf("sim: MaxQueuedEvents %d must be at least 1", c.MaxQueuedEvents)
	}
	return c.Network.Validate()
}

// World is the simulated world: one scheduler, one network, and the
// endpoints (nodes and clients) it hosts. It is not safe for concurrent use:
// one goroutine drives it, which is what makes it deterministic.
type World struct {
	cfg     Config
	streams streams.Source
	sched   Scheduler[event]
	network *network.Network
	eps     []*Endpoint
	byName  map[string]*Endpoint
	fp      Fingerprint
	frame   []byte // scratch buffer for payload digests
	// The last codec message digested, for fan-outs (see digest).
	lastFramed       wire.ChecksummedFrame
	lastFramedSize   int
	lastFramedDigest uint64
	// values remembers the checksums of large values, which many messages
	// carry again (wire.ValueDigests over valueSums; the node contract keeps
	// sent values immutable, which is the rule they need).
	values *wire.ValueDigests
	stats  Stats
	// firstErr is the first internal error (see Err).
	firstErr error
	// faultErrs are scheduled faults that failed when they fired.
	faultErrs []FaultError
	// trace, when set, sees every event the world delivers (tests, debugging).
	trace    func(Trace)
	inFlight int // messages scheduled for delivery (InFlight)
	// background are those of inFlight that are background traffic
	// (gossip), which never drains (InFlightForeground).
	background int
}

// eventKind says what an event does when it fires.
type eventKind uint8

const (
	evMessage eventKind = iota + 1 // deliver a message
	evTimer                        // fire a node timer
	evWake                         // an endpoint finished its previous work
	evAction                       // run a scheduled fault or callback
)

// Fingerprint kinds for world-level actions, beside node.EventKind values.
const (
	fpAction uint8 = 0x80 + iota
	fpCrash
	fpRestart
	fpWipe
	fpCorrupt
)

// event is one pending occurrence. It is kept small: the scheduler copies it
// once in and once out.
type event struct {
	kind   eventKind
	to     wire.Addr
	from   wire.Addr
	inc    uint32 // the incarnation of `to` a timer belongs to
	digest uint64 // payload digest for the fingerprint
	msg    wire.Message
	timer  node.Timer
	action func()
}

// NewWorld builds an empty world.
func NewWorld(cfg Config) (*World, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &World{cfg: cfg, streams: streams.New(cfg.Seed), byName: map[string]*Endpoint{}}
	nw, err := network.New(cfg.Network, w.streams.Stream)
	if err != nil {
		return nil, err
	}
	w.network = nw
	return w, nil
}

// Seed is the master seed.
func (w *World) Seed() uint64 { return w.streams.Master() }

// Stream returns the named stream derived from the master seed. Harness code
// (workload generators, fault schedules) takes its randomness from here.
func (w *World) Stream(name string) *rand.Rand { return w.streams.Stream(name) }

// Now is the current virtual time.
func (w *World) Now() Time { return w.sched.Now() }

// Network is the simulated network, for partitions and statistics.
func (w *World) Network() *network.Network { return w.network }

// Fingerprint is the running fingerprint of every event delivered so far.
func (w *World) Fingerprint() uint64 { return w.fp.Sum() }

// Events is the number of events delivered so far (the fingerprint's count).
func (w *World) Events() uint64 { return w.fp.Events() }

// Pending is the number of scheduled events.
func (w *World) Pending() int { return w.sched.Len() }

// Endpoints lists every endpoint in address order.
func (w *World) Endpoints() []*Endpoint { return w.eps }

// Endpoint returns the endpoint with the given address, or nil.
func (w *World) Endpoint(a wire.Addr) *Endpoint {
	if a < 0 || int(a) >= len(w.eps) {
		return nil
	}
	return w.eps[a]
}

// Lookup returns the endpoint with the given name, or nil.
func (w *World) Lookup(name string) *Endpoint { return w.byName[name] }

// SetTrace installs a function that sees every delivered event.
func (w *World) SetTrace(f func(Trace)) { w.trace = f }

// Trace describes one delivered event.
type Trace struct {
	At    Time
	Kind  node.EventKind
	To    wire.Addr
	From  wire.Addr
	Msg   wire.Message
	Timer node.Timer
}

// Run processes events until the limit is reached.
func (w *World) Run(lim Limit) StopReason {
	return w.sched.Run(lim, w.dispatch)
}

// RunFor advances the world by d of virtual time.
func (w *World) RunFor(d time.Duration) StopReason {
	return w.Run(Limit{Until: w.Now() + Time(d)})
}

// At schedules fn to run at virtual time t (now if t is past). The label is
// folded into the fingerprint, so name actions by what they do.
func (w *World) At(t Time, label string, fn func()) {
	w.sched.Schedule(t, event{kind: evAction, digest: uint64(crc32.Checksum([]byte(label), castagnoli)), action: fn})
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (w *World) dispatch(at Time, e *event) bool {
	switch e.kind {
	case evMessage:
		w.inFlight--
		if isBackground(e.msg) {
			w.background--
		}
		w.deliverMessage(at, e)
	case evTimer:
		w.deliverTimer(at, e)
	case evWake:
		w.wake(at, w.eps[e.to])
	case evAction:
		w.fp.Add(at, fpAction, -1, -1, e.digest)
		e.action()
	}
	return true
}

func (w *World) deliverMessage(at Time, e *event) {
	ep := w.eps[e.to]
	switch {
	case !ep.up:
		w.stats.DroppedDown++
		return
	case !w.network.Connected(e.from, e.to):
		w.stats.DroppedInFlight++
		return
	}
	w.enqueueOrHandle(at, ep, e)
}

func (w *World) deliverTimer(at Time, e *event) {
	ep := w.eps[e.to]
	if !ep.up || ep.inc != e.inc {
		w.stats.StaleTimers++
		return
	}
	w.enqueueOrHandle(at, ep, e)
}

// enqueueOrHandle hands the event to the endpoint now if it is idle, or
// queues it behind the work the endpoint is still doing.
func (w *World) enqueueOrHandle(at Time, ep *Endpoint, e *event) {
	if ep.paused || ep.busyUntil > at || ep.inbox.len() > 0 {
		if ep.inbox.len() >= w.cfg.MaxQueuedEvents {
			w.stats.DroppedQueueFull++
			return
		}
		ep.inbox.push(*e)
		ep.maxQueued = max(ep.maxQueued, ep.inbox.len())
		w.scheduleWake(ep)
		return
	}
	w.handle(at, ep, e)
}

func (w *World) scheduleWake(ep *Endpoint) {
	if ep.wakePending || ep.paused || !ep.up || ep.inbox.len() == 0 {
		return
	}
	ep.wakePending = true
	w.sched.Schedule(ep.busyUntil, event{kind: evWake, to: ep.addr, inc: ep.inc})
}

// wake drains an endpoint's queue for as long as it is free.
func (w *World) wake(at Time, ep *Endpoint) {
	ep.wakePending = false
	for ep.up && !ep.paused && ep.inbox.len() > 0 && ep.busyUntil <= at {
		e := ep.inbox.pop()
		if e.kind == evTimer && e.inc != ep.inc {
			w.stats.StaleTimers++
			continue
		}
		w.handle(at, ep, &e)
	}
	w.scheduleWake(ep)
}

// handle runs one event through the endpoint's process, charging its CPU and
// disk time.
func (w *World) handle(at Time, ep *Endpoint, e *event) {
	ev := node.Event{From: e.from}
	switch e.kind {
	case evMessage:
		ev.Kind = node.MessageEvent
		ev.Msg = e.msg
	case evTimer:
		ev.Kind = node.TimerEvent
		ev.Timer = e.timer
	}
	digest := e.digest
	if e.kind == evTimer {
		digest = uint64(e.timer.Kind)<<56 ^ e.timer.ID
	}
	w.fp.Add(at, uint8(ev.Kind), int32(ep.addr), int32(e.from), digest)
	w.stats.Handled++
	if w.trace != nil {
		w.trace(Trace{At: at, Kind: ev.Kind, To: ep.addr, From: e.from, Msg: e.msg, Timer: e.timer})
	}
	ep.beginWork(at, w.cfg.EventCost)
	ep.proc.Handle(ev)
	ep.endWork()
}

// send is Env.Send: it asks the network model when (and whether) each copy
// arrives and schedules the deliveries.
func (w *World) send(from wire.Addr, to wire.Addr, m wire.Message, departAt Time) {
	if to < 0 || int(to) >= len(w.eps) {
		w.stats.Misaddressed++
		return
	}
	size, digest := w.digest(m)
	arr, err := w.network.Transmit(int64(departAt), from, to, m.Kind(), size)
	if err != nil {
		w.stats.SendErrors++
		if w.firstErr == nil {
			w.firstErr = fmt.Errorf("sim: send %v from %d to %d at %v: %w", m.Kind(), from, to, departAt, err)
		}
		return
	}
	for i := 0; i < arr.N; i++ {
		w.sched.Schedule(Time(arr.AtNs[i]), event{kind: evMessage, to: to, from: from, digest: digest, msg: m})
	}
	w.inFlight += arr.N
	if isBackground(m) {
		w.background += arr.N
	}
}

// InFlight is the number of messages sent and not yet delivered (or dropped
// on arrival): what the network still holds.
func (w *World) InFlight() int { return w.inFlight }

// InFlightForeground is InFlight without background traffic — gossip,
// which nodes send every round and so never drains: what a harness waits
// for when it lets the network settle.
func (w *World) InFlightForeground() int { return w.inFlight - w.background }

func isBackground(m wire.Message) bool {
	k := m.Kind()
	return k == wire.KindGossipPush || k == wire.KindGossipReply
}

// digest returns a message's encoded size and a digest of its bytes for the
// fingerprint. Messages of the wire codec end with a CRC-32C of their
// frame, which serves as the digest as it is; and a node that fans one
// message out to several replicas sends the same object each time (the
// node contract forbids changing a message after sending it), so the last
// codec message's digest is reused rather than encoded again; a large value
// that earlier messages carried is not read again either (its checksum is
// remembered, wire.ValueDigests), and the digest stays exactly the frame's
// CRC-32C.
func (w *World) digest(m wire.Message) (int, uint64) {
	if cf, ok := m.(wire.ChecksummedFrame); ok {
		if cf != w.lastFramed {
			// The trailer, without copying the message's values into a
			// frame (wire.FrameDigest).
			if w.values == nil {
				w.values = wire.NewValueDigests(new(valueSums))
			}
			size, sum, buf := wire.FrameDigestMemo(cf, w.frame, w.values)
			w.frame = buf
			w.lastFramed = cf
			w.lastFramedSize = size
			w.lastFramedDigest = uint64(sum)<<32 | uint64(uint32(size))
		}
		return w.lastFramedSize, w.lastFramedDigest
	}
	w.frame = m.AppendFrame(w.frame[:0])
	return len(w.frame), uint64(crc32.Checksum(w.frame, castagnoli))<<32 | uint64(uint32(len(w.frame)))
}

// Stats counts what the world did with events. Network-level counts (sent,
// lost, duplicated, bytes per kind) are in Network().Stats().
type Stats struct {
	Handled          uint64 // events handed to a process
	DroppedDown      uint64 // messages that arrived at a crashed endpoint
	DroppedInFlight  uint64 // messages in flight when a partition cut their link
	DroppedQueueFull uint64 // events dropped because an endpoint's queue was full
	StaleTimers      uint64 // timers of a crashed incarnation, discarded
	Misaddressed     uint64 // messages sent to an address that does not exist
	SendErrors       uint64 // messages the network model refused (see Err)
}

// Err is the first internal error the world met (a message the network
// model refused); nil in a healthy run.
func (w *World) Err() error { return w.firstErr }

// Stats returns the world's event counters.
func (w *World) Stats() Stats { return w.stats }

// errUnknownEndpoint is returned by fault methods given a bad address.
var errUnknownEndpoint = errors.New("sim: unknown endpoint")

// An Endpoint is the node.Env its process sees.
var _ node.Env = (*Endpoint)(nil)
