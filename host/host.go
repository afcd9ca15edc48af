package host

import (
	crand "crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"dynasim/disk"
	"dynasim/node"
	"dynasim/wire"
)

// ClientAddr is the wire address under which a host hands its client
// connections' requests to its node. Members must not use it.
const ClientAddr wire.Addr = 1 << 30

// Peer is one member of the cluster as the transport sees it.
type Peer struct {
	Addr wire.Addr // the member's wire address (node.Config.Members[i].Addr)
	TCP  string    // host:port of its peer listener
}

// Config configures one real node.
type Config struct {
	// Self is this node's wire address; it must be among Node.Members.
	Self wire.Addr
	// Node is the node's configuration, Members filled in.
	Node node.Config
	// Peers gives the peer TCP address of every member (Self included or
	// not).
	Peers []Peer
	// PeerListen and ClientListen are the addresses to listen on, for
	// example "127.0.0.1:7001" (":0" picks a port; see Host.PeerAddr).
	PeerListen, ClientListen string
	// PeerListener and ClientListener, when set, are used instead of
	// listening on PeerListen and ClientListen (tests open them first to
	// learn every port); Start owns them.
	PeerListener, ClientListener net.Listener
	// MetricsListen is the address of the Prometheus /metrics HTTP
	// endpoint; empty (and no MetricsListener): metrics are off.
	MetricsListen string
	// MetricsListener, when set, is used instead of listening on
	// MetricsListen; Start owns it.
	MetricsListener net.Listener
	// Dir is the node's data directory on the OS filesystem.
	Dir string
	// Seed seeds the node's random stream; 0 draws one from crypto/rand.
	Seed uint64
	// Transport bounds the node-to-node transport.
	Transport TransportConfig
	// TLS turns on mutual TLS between nodes and TLS on the client port
	// (see TLSConfig). Default: plaintext.
	TLS TLSConfig
	// DebugCommands turns on the client port's fault-injection commands —
	// DEBUG PARTITION, DEBUG DELAY, DEBUG HEAL, DEBUG FAULTS — which cut
	// this node's transport off from peers or delay what it sends them
	// (for `dynasim run --target`). Default off: anyone who reaches the
	// client port could partition the cluster.
	DebugCommands bool
	// DrainTimeout bounds how long Close waits for client requests in
	// flight. Default 2s.
	DrainTimeout time.Duration
	// SyncOnLoop makes the node fsync on the event loop, inside the event
	// that needs it, as in the simulation. Default false: the host runs
	// the fsyncs on a goroutine of their own (node.SplitSyncEnv) and the
	// loop goes on handling events meanwhile; acknowledgements still wait
	// for the sync that covers them.
	SyncOnLoop bool
	// MaxBatchEvents bounds the events the loop hands the node at once
	// (node.HandleBatch): the events that queued while the node was busy
	// share one fsync. 1 hands over one event at a time (an fsync per
	// write-bearing event, as in the simulation). Default 256; at most
	// 65,536.
	MaxBatchEvents int
	// Logger receives the host's structured logs. Default slog.Default().
	Logger *slog.Logger
}

// Batch limits (Config.MaxBatchEvents).
const (
	DefaultMaxBatchEvents = 256
	MaxMaxBatchEvents     = 1 << 16
)

// Host runs one node for real: one event-loop goroutine hands the node
// its events in batches (node.HandleBatch), fed by the peer transport,
// timers and the client port.
type Host struct {
	cfg    Config
	log    *slog.Logger
	fs     *disk.OS
	node   *node.Node
	rng    *rand.Rand
	tr     *transport
	client *clientPort
	met    *metrics // always recording; served only with a metrics address

	events chan item
	done   chan struct{} // closed when the loop must stop
	loopWG sync.WaitGroup
	syncWG sync.WaitGroup // split syncs running (StartSync)

	// Owned by the loop goroutine.
	local   []node.Event // messages the node sent to itself
	pending map[uint64]chan *wire.ClientReply
	nextReq uint64

	// inflight counts client requests waiting for their reply; once
	// closing is set no request starts, and drained is closed when the
	// count reaches zero.
	reqMu     sync.Mutex
	inflight  int
	closing   bool
	drained   chan struct{}
	closeOnce sync.Once
	closeErr  error

	// clientOverruns counts client connections closed for sending more
	// than MaxUnansweredBytes without a complete command.
	clientOverruns atomic.Uint64

	// final is the node's statistics when the loop stopped (Stats after
	// Close); written by the loop before loopWG is done.
	final node.Stats
}

// item is one input to the loop: a node event, or a client request.
type item struct {
	ev    node.Event
	req   wire.Message // a *wire.ClientGet, *wire.ClientPut or *wire.ClientDelete
	reply chan *wire.ClientReply
	stats chan node.Stats   // a request for the node's statistics
	view  chan []MemberView // a request for the node's view of the members
}

// MemberView is what this node believes of one member: its gossip status
// (alive, suspect, down, left; "" with membership off) and whether its
// coordinator routes to it as up.
type MemberView struct {
	ID     wire.Addr // the member's id (its tokens)
	Addr   wire.Addr // its wire address
	Gossip string
	Up     bool
}

// Start opens the node's disk, starts the node and its listeners, and
// returns once both listeners accept.
func Start(cfg Config) (*Host, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("node", int(cfg.Self))
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 2 * time.Second
	}
	if cfg.MaxBatchEvents == 0 {
		cfg.MaxBatchEvents = DefaultMaxBatchEvents
	}
	if err := cfg.Validate(); err != nil {
		closeAll(cfg.PeerListener, cfg.ClientListener, cfg.MetricsListener)
		return nil, err
	}
	peers := map[wire.Addr]string{}
	for _, p := range cfg.Peers {
		peers[p.Addr] = p.TCP
	}
	tlsc, err := cfg.TLS.load()
	if err != nil {
		closeAll(cfg.PeerListener, cfg.ClientListener, cfg.MetricsListener)
		return nil, err
	}
	fs, err := disk.NewOS(cfg.Dir)
	if err != nil {
		return nil, err
	}
	seed := cfg.Seed
	if seed == 0 {
		var b [8]byte
		if _, err := crand.Read(b[:]); err != nil {
			return nil, err
		}
		seed = binary.LittleEndian.Uint64(b[:])
	}
	h := &Host{
		cfg: cfg, log: log, fs: fs,
		rng:     rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		events:  make(chan item, 1024),
		done:    make(chan struct{}),
		pending: map[uint64]chan *wire.ClientReply{},
		drained: make(chan struct{}),
	}
	pl, cl, ml := cfg.PeerListener, cfg.ClientListener, cfg.MetricsListener
	if ml == nil && cfg.MetricsListen != "" {
		if ml, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
			closeAll(pl, cl)
			return nil, fmt.Errorf("host: metrics listener: %w", err)
		}
	}
	if pl == nil {
		if pl, err = net.Listen("tcp", cfg.PeerListen); err != nil {
			closeAll(cl, ml)
			return nil, fmt.Errorf("host: peer listener: %w", err)
		}
	}
	if cl == nil {
		if cl, err = net.Listen("tcp", cfg.ClientListen); err != nil {
			closeAll(pl, ml)
			return nil, fmt.Errorf("host: client listener: %w", err)
		}
	}
	h.tr = newTransport(cfg.Self, pl, peers, cfg.Transport, log, h.deliver)
	h.tr.tlsServer, h.tr.tlsClient = tlsc.peerServer, tlsc.peerClient
	for _, m := range cfg.Node.Members {
		if p := h.tr.peers[m.Addr]; p != nil {
			p.id = m.ID
		}
	}
	if tlsc.client != nil {
		cl = tls.NewListener(cl, tlsc.client)
	}
	// The node starts on this goroutine, before the loop exists: its
	// timers and sends only queue.
	n, err := node.New(cfg.Node, cfg.Self, h)
	if err != nil {
		closeAll(pl, cl, ml)
		return nil, err
	}
	h.node = n
	h.met = newMetrics(h)
	h.tr.start()
	h.loopWG.Add(1)
	go h.loop()
	h.client = newClientPort(h, cl)
	metricsAddr := ""
	if ml != nil {
		h.met.serve(ml, log)
		metricsAddr = ml.Addr().String()
	}
	log.Info("node started", "peer", pl.Addr().String(), "client", cl.Addr().String(), "metrics", metricsAddr, "dir", cfg.Dir, "epoch", n.Epoch())
	return h, nil
}

// Validate checks a Config: the node's own address among the members, a
// peer address for every other member, no member on ClientAddr, no
// negative bound, and the TLS files the enabled modes need (their contents
// are read by Start).
func (cfg Config) Validate() error {
	self := false
	for _, m := range cfg.Node.Members {
		if m.Addr == ClientAddr {
			return fmt.Errorf("host: member address %d is reserved for clients", ClientAddr)
		}
		self = self || m.Addr == cfg.Self
	}
	if !self {
		return fmt.Errorf("host: Self %d is not the address of any member", cfg.Self)
	}
	peers := map[wire.Addr]bool{}
	for _, p := range cfg.Peers {
		peers[p.Addr] = true
	}
	for _, m := range cfg.Node.Members {
		if !peers[m.Addr] && m.Addr != cfg.Self {
			return fmt.Errorf("host: member %d (address %d) has no peer TCP address", m.ID, m.Addr)
		}
	}
	if cfg.DrainTimeout < 0 {
		return fmt.Errorf("host: drain timeout %v is negative", cfg.DrainTimeout)
	}
	if cfg.MaxBatchEvents < 0 || cfg.MaxBatchEvents > MaxMaxBatchEvents {
		return fmt.Errorf("host: MaxBatchEvents %d outside [1, %d] (0 takes the default %d)", cfg.MaxBatchEvents, MaxMaxBatchEvents, DefaultMaxBatchEvents)
	}
	if err := cfg.Transport.Validate(); err != nil {
		return err
	}
	return cfg.TLS.Validate()
}

func closeAll(ls ...net.Listener) {
	for _, l := range ls {
		if l != nil {
			l.Close()
		}
	}
}

// MetricsAddr is the /metrics listener's address; nil when metrics are
// off.
func (h *Host) MetricsAddr() net.Addr {
	if h.met.ln == nil {
		return nil
	}
	return h.met.ln.Addr()
}

// PeerAddr and ClientAddr are the listeners' addresses.
func (h *Host) PeerAddr() net.Addr   { return h.tr.ln.Addr() }
func (h *Host) ClientAddr() net.Addr { return h.client.ln.Addr() }

// Stats is the node's statistics, read on the loop between two events
// (after Close: as the loop left them).
func (h *Host) Stats() node.Stats {
	ch := make(chan node.Stats, 1)
	if h.post(item{stats: ch}) {
		select {
		case s := <-ch:
			return s
		case <-h.done:
		}
	}
	h.loopWG.Wait()
	return h.final
}

// Members is the node's view of every member of its ring version, in
// member order (nil once the host is closed).
func (h *Host) Members() []MemberView {
	ch := make(chan []MemberView, 1)
	if h.post(item{view: ch}) {
		select {
		case v := <-ch:
			return v
		case <-h.done:
		}
	}
	return nil
}

// memberViews reads the view on the loop.
func (h *Host) memberViews() []MemberView {
	ms := h.node.Membership().Members()
	out := make([]MemberView, 0, len(ms))
	for _, m := range ms {
		v := MemberView{ID: m.ID, Addr: m.Addr, Up: m.Addr == h.cfg.Self || h.node.BelievesUp(m.Addr)}
		if st, ok := h.node.GossipStatus(m.Addr); ok {
			v.Gossip = st.String()
		}
		out = append(out, v)
	}
	return out
}

// TransportStats are the peer transport's counters.
func (h *Host) TransportStats() TransportStats { return h.tr.stats.snapshot() }

// post hands an item to the loop; false when the host is closing.
func (h *Host) post(it item) bool {
	select {
	case h.events <- it:
		return true
	case <-h.done:
		return false
	}
}

func (h *Host) deliver(from wire.Addr, m wire.Message) bool {
	return h.post(item{ev: node.Event{Kind: node.MessageEvent, From: from, Msg: m}})
}

// request runs one client request through the node and returns its reply,
// or nil when the host closed first.
func (h *Host) request(m wire.Message) *wire.ClientReply {
	ch := make(chan *wire.ClientReply, 1)
	h.reqMu.Lock()
	if h.closing {
		h.reqMu.Unlock()
		return nil
	}
	h.inflight++
	h.reqMu.Unlock()
	defer func() {
		h.reqMu.Lock()
		h.inflight--
		if h.closing && h.inflight == 0 {
			close(h.drained)
		}
		h.reqMu.Unlock()
	}()
	start := time.Now()
	var r *wire.ClientReply
	if h.post(item{req: m, reply: ch}) {
		select {
		case r = <-ch:
		case <-h.done:
		}
	}
	h.met.observe(m, r, time.Since(start))
	return r
}

// loop is the node's single thread. It takes what waits on the events
// channel — up to MaxBatchEvents items, without blocking once it has one —
// and hands the node the whole batch (node.HandleBatch), so that one fsync
// covers every write that queued while the previous batch was being
// synced: group commit that costs no waiting when the node is idle.
func (h *Host) loop() {
	defer h.loopWG.Done()
	batch := make([]node.Event, 0, h.cfg.MaxBatchEvents)
	for {
		select {
		case <-h.done:
			h.final = h.node.Stats()
			return
		case it := <-h.events:
			batch = h.take(batch[:0], it)
		more:
			for len(batch) < h.cfg.MaxBatchEvents {
				select {
				case it := <-h.events:
					if it.stats != nil || it.view != nil {
						// Answer in order: after what arrived before.
						h.handle(batch)
						batch = h.take(batch[:0], it)
						continue
					}
					batch = h.take(batch, it)
				default:
					break more
				}
			}
			h.handle(batch)
		}
	}
}

// take appends it to batch as a node event (a client request gets its
// request ID and its reply channel is remembered), or answers a statistics
// request at once.
func (h *Host) take(batch []node.Event, it item) []node.Event {
	if it.stats != nil {
		it.stats <- h.node.Stats()
		return batch
	}
	if it.view != nil {
		it.view <- h.memberViews()
		return batch
	}
	if it.reply == nil {
		return append(batch, it.ev)
	}
	h.nextReq++
	id := h.nextReq
	h.pending[id] = it.reply
	switch m := it.req.(type) {
	case *wire.ClientGet:
		m.ReqID = id
	case *wire.ClientPut:
		m.ReqID = id
	case *wire.ClientDelete:
		m.ReqID = id
	}
	return append(batch, node.Event{Kind: node.MessageEvent, From: ClientAddr, Msg: it.req})
}

// handle gives the node a batch, then the messages it sent itself while
// handling it, as batches, until none are left.
func (h *Host) handle(batch []node.Event) {
	if len(batch) > 0 {
		h.node.HandleBatch(batch)
	}
	for len(h.local) > 0 {
		local := h.local
		h.local = nil
		h.node.HandleBatch(local)
	}
}

// Env, as the node sees it. Called only on the loop goroutine (and by
// node.New before the loop starts).

// SplitSync implements node.SplitSyncEnv: on unless Config.SyncOnLoop.
func (h *Host) SplitSync() bool { return !h.cfg.SyncOnLoop }

// StartSync implements node.SplitSyncEnv: sync runs on its own goroutine
// and its result comes back to the loop as a SyncDoneEvent (dropped if the
// host is closing: the node is closed without it, and Close syncs).
func (h *Host) StartSync(id uint64, sync func() error) {
	h.syncWG.Add(1)
	go func() {
		defer h.syncWG.Done()
		err := sync()
		h.post(item{ev: node.Event{Kind: node.SyncDoneEvent, SyncID: id, SyncErr: err}})
	}()
}

// Now implements node.Env with the OS clock.
func (h *Host) Now() time.Time { return time.Now() }

// Send implements node.Env: to a peer through the transport, to this node
// through the loop, to the client port by the request ID.
func (h *Host) Send(to wire.Addr, m wire.Message) {
	switch to {
	case ClientAddr:
		r, ok := m.(*wire.ClientReply)
		if !ok {
			return
		}
		ch := h.pending[r.ReqID]
		if ch == nil {
			return
		}
		delete(h.pending, r.ReqID)
		ch <- copyReply(r)
	case h.cfg.Self:
		h.local = append(h.local, node.Event{Kind: node.MessageEvent, From: h.cfg.Self, Msg: m})
	default:
		h.tr.send(to, m.AppendFrame(nil))
	}
}

// copyReply copies what the client port reads from a reply, so that the
// node's memory never crosses to another goroutine.
func copyReply(r *wire.ClientReply) *wire.ClientReply {
	c := &wire.ClientReply{ReqID: r.ReqID, Status: r.Status, Error: r.Error}
	if len(r.Context) > 0 {
		c.Context = append([]byte(nil), r.Context...)
	}
	if len(r.Values) > 0 {
		c.Values = make([][]byte, len(r.Values))
		for i, v := range r.Values {
			c.Values[i] = append([]byte{}, v...)
		}
	}
	return c
}

// SetTimer implements node.Env with a real timer feeding the loop.
func (h *Host) SetTimer(after time.Duration, t node.Timer) {
	time.AfterFunc(after, func() {
		h.post(item{ev: node.Event{Kind: node.TimerEvent, Timer: t}})
	})
}

// Rand implements node.Env.
func (h *Host) Rand() node.Rand { return h.rng }

// FS implements node.Env with the OS filesystem rooted at Config.Dir.
func (h *Host) FS() disk.FS { return h.fs }

// Close shuts the node down gracefully: the client port stops accepting,
// requests in flight get their replies (up to DrainTimeout), the loop
// stops, the node syncs and closes its engine, and the transport flushes
// its queues and closes. Close is idempotent.
func (h *Host) Close() error {
	h.closeOnce.Do(func() {
		h.reqMu.Lock()
		h.closing = true
		if h.inflight == 0 {
			close(h.drained)
		}
		h.reqMu.Unlock()
		h.client.stopAccepting()
		// Scrapes in progress finish while the loop still runs.
		h.met.stop(time.Second)
		select {
		case <-h.drained:
		case <-time.After(h.cfg.DrainTimeout):
			h.log.Warn("close: client requests still in flight after the drain timeout", "timeout", h.cfg.DrainTimeout)
		}
		close(h.done)
		h.loopWG.Wait()
		h.syncWG.Wait()
		h.client.close()
		h.closeErr = h.node.Close()
		h.tr.close()
		if h.closeErr != nil {
			h.closeErr = errors.Join(fmt.Errorf("host: close node %d", h.cfg.Self), h.closeErr)
		}
		h.log.Info("node closed")
	})
	return h.closeErr
}
