package node

import (
	"fmt"
	"path"
	"strings"
	"time"

	"dynasim/disk"
	"dynasim/internal/slab"
	"dynasim/node/coord"
	"dynasim/node/gossip"
	"dynasim/node/replica"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/wire"
)

// shared is what every node of a cluster can share: the validated
// configuration, the versioner, and the ring version the configuration
// describes (immutable; each node holds its own current version from it).
type shared struct {
	cfg     Config
	initial *ring.Membership
	v       *versions.Versioner
	// current, when set, gives the ring version a node starts (or
	// restarts) with instead of initial (NewFactoryFrom).
	current func() *ring.Membership
	// lastEpoch, when set, gives the last epoch a node used, a floor for
	// its next one (NewFactoryWith).
	lastEpoch func(self wire.Addr) uint32
}

func prepare(cfg Config) (*shared, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Coordinator.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Storage.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Membership.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.HintedHandoff.validate(); err != nil {
		return nil, err
	}
	if err := cfg.AntiEntropy.validate(); err != nil {
		return nil, err
	}
	if err := cfg.Streaming.validate(); err != nil {
		return nil, err
	}
	if cfg.Coordinator.Quorum == coord.QuorumSloppy && !cfg.HintedHandoff.Enabled {
		return nil, fmt.Errorf("node: a sloppy quorum needs HintedHandoff enabled: its fallbacks keep the writes they take as hints")
	}
	if hd, dd := disk.CleanPath(cfg.HintedHandoff.Store.Dir), disk.CleanPath(path.Join(cfg.Storage.Dir, engineDirName)); hd == dd || strings.HasPrefix(hd, dd+"/") {
		return nil, fmt.Errorf("node: HintedHandoff.Store.Dir %q is inside the engine's directory", cfg.HintedHandoff.Store.Dir)
	}
	if _, err := cfg.Storage.engineOptions(cfg.Coordinator.Limits.KeySizeBytes, func() time.Time { return time.Time{} }); err != nil {
		return nil, err
	}
	v, err := versions.New(cfg.Versions)
	if err != nil {
		return nil, err
	}
	m, err := ring.NewMembership(cfg.MembershipVersion, cfg.Ring, cfg.Members)
	if err != nil {
		return nil, err
	}
	return &shared{cfg: cfg, initial: m, v: v}, nil
}

// NewFactory validates cfg once and returns a Factory that starts nodes
// with it; the versioner and the initial ring version are built once and
// shared.
func NewFactory(cfg Config) (Factory, error) { return NewFactoryFrom(cfg, nil) }

// NewFactoryFrom is NewFactory with the ring version a node starts with
// chosen at each start: current() when it returns a version (the one the
// host knows to be in force — a node restarted after a ring change must not
// come back with the configured one), the configured one otherwise.
func NewFactoryFrom(cfg Config, current func() *ring.Membership) (Factory, error) {
	return NewFactoryWith(cfg, FactoryOptions{CurrentRing: current})
}

// FactoryOptions are what a host knows about the nodes it starts.
type FactoryOptions struct {
	// CurrentRing gives the ring version a node starts with (see
	// NewFactoryFrom); nil or a nil result: the configured one.
	CurrentRing func() *ring.Membership
	// LastEpoch gives the last epoch the node at an address used (0: none
	// known). A node's epoch comes from its disk; one whose disk was
	// replaced by an empty one would start over at 1 and mint versions
	// under actors it had already used, so the host that knows (an
	// operator replacing a disk, the simulator's wipe fault) passes the
	// last one and the node starts above it.
	LastEpoch func(self wire.Addr) uint32
}

// NewFactoryWith is NewFactory with what the host knows (FactoryOptions).
func NewFactoryWith(cfg Config, o FactoryOptions) (Factory, error) {
	sh, err := prepare(cfg)
	if err != nil {
		return nil, err
	}
	sh.current, sh.lastEpoch = o.CurrentRing, o.LastEpoch
	return func(self wire.Addr, env Env) (Process, error) { return sh.start(self, env) }, nil
}

// New starts one node: it takes a new epoch, opens its storage (recovering
// what was durable) and is ready for events.
func New(cfg Config, self wire.Addr, env Env) (*Node, error) {
	sh, err := prepare(cfg)
	if err != nil {
		return nil, err
	}
	return sh.start(self, env)
}

// Node is a Dynamo node: coordinator and replica in one single-threaded
// state machine. It implements Process.
type Node struct {
	sh     *shared
	cfg    *Config
	self   wire.Addr
	env    Env
	epoch  uint32
	store  *replica.Store
	engine lsmEngine
	coord  *coord.Coordinator
	// view holds the node's own current ring version (Membership) and
	// its suspicion of the members; SetMembership replaces the version.
	view *coord.Suspicion
	// coordView is the coordinator's View: view itself, or with gossip
	// enabled a gossipView over it (failure.go).
	coordView coord.View

	// gossip is the node's membership list and failure detector (nil when
	// Config.Membership is disabled); seenMarks is how many of its
	// transitions the node has reacted to.
	gossip    *gossip.Gossip
	seenMarks int
	// hh is the hint store and handoff state (nil when
	// Config.HintedHandoff is disabled; handoff.go).
	hh *handoffState
	// ae is the anti-entropy state (nil when Config.AntiEntropy is
	// disabled; antientropy.go).
	ae *aeState
	// stream is the node's part in the ring transition in progress (nil:
	// none; streaming.go).
	stream *streamState
	// cleanup is the pass dropping the ranges a ring change took away
	// (cleanup.go).
	cleanup *cleanupState

	// deferred are outputs waiting for the next sync (see durable.go).
	deferred []deferred
	spare    []deferred
	// syncGen names the armed group-commit timer; syncArmed says one is.
	syncGen   uint64
	syncArmed bool
	// split is the host's off-loop sync (nil: sync inside the event; see
	// durable.go); while splitID's sync runs, splitPending is its slow
	// half's handle and the first splitCovered deferred outputs wait for
	// it.
	// lossUnhandled: the engine lost data and the node could not take a
	// new epoch yet (afterQuarantine).
	lossUnhandled bool

	split        SplitSyncEnv
	splitID      uint64
	splitPending replica.PendingSync
	splitCovered int

	stats Stats

	// Replies to replicas' requests are allocated in blocks.
	readResponses slab.Allocator[wire.ReadResponse]
	writeAcks     slab.Allocator[wire.WriteAck]
}

func (sh *shared) start(self wire.Addr, env Env) (*Node, error) {
	m := sh.initial
	if sh.current != nil {
		if cur := sh.current(); cur != nil {
			m = cur
		}
	}
	if !m.Has(self) {
		return nil, fmt.Errorf("node: address %d is not among the %d members of ring version %d", self, m.Len(), m.Version())
	}
	fs := env.FS()
	if fs == nil {
		return nil, fmt.Errorf("node %d: no disk", self)
	}
	st := &sh.cfg.Storage
	var floor uint32
	if sh.lastEpoch != nil {
		floor = sh.lastEpoch(self)
	}
	epoch, err := replica.NextEpochAfter(fs, st.Dir, floor)
	if err != nil {
		return nil, fmt.Errorf("node %d: %w", self, err)
	}
	eng, err := st.openEngine(fs, sh.cfg.Coordinator.Limits.KeySizeBytes, env.Now)
	if err != nil {
		return nil, fmt.Errorf("node %d: open storage: %w", self, err)
	}
	n := &Node{sh: sh, cfg: &sh.cfg, self: self, env: env, epoch: epoch, engine: eng}
	n.store = replica.NewStore(eng, sh.v, st.RowCacheBytes)
	if se, ok := env.(SplitSyncEnv); ok && se.SplitSync() && !st.AckBeforeSync && n.store.CanSplitSync() {
		n.split = se
	}
	n.view = coord.NewSuspicion(m, sh.cfg.Coordinator.SuspectFor)
	n.coordView = n.view
	if sh.cfg.Membership.Enabled {
		if err := n.startGossip(m); err != nil {
			eng.Close()
			return nil, err
		}
		n.coordView = gossipView{Suspicion: n.view, g: n.gossip}
	}
	n.coord, err = coord.New(sh.cfg.Coordinator, self, epoch, sh.v, host{n}, n.coordView)
	if err != nil {
		eng.Close()
		return nil, err
	}
	if sh.cfg.HintedHandoff.Enabled {
		if err := n.startHandoff(); err != nil {
			eng.Close()
			return nil, err
		}
	}
	if sh.cfg.AntiEntropy.Enabled {
		n.startAntiEntropy()
	}
	n.stats.Epoch = epoch
	n.stats.RingVersion = m.Version()
	env.SetTimer(st.MaintenanceInterval, Timer{Kind: timerMaintain})
	if m.Prev() != nil {
		if n.gossip != nil {
			_ = n.gossip.SetRing(m.Version(), m.Encode())
		}
		n.startStreaming(m)
	}
	return n, nil
}

// Timer kinds of a node.
const (
	timerTick        uint8 = iota + 1 // the coordinator's timeout tick
	timerSync                         // the group-commit window closed; ID is the generation
	timerMaintain                     // the engine's background work
	timerGossip                       // a gossip round (failure.go)
	timerHandoff                      // a hinted handoff check; ID 1: a throttle retry
	timerAntiEntropy                  // anti-entropy: ID 0 a round, 1 a throttle retry, 2 expiry
	timerStream                       // range streaming (streaming.go): ID 0 the tick, 1 the pacing
	timerCleanup                      // the cleanup after a ring change (cleanup.go)
)

// Handle implements Process: it processes one event, then makes durable
// what the event wrote and releases the outputs that waited for it.
func (n *Node) Handle(ev Event) {
	n.step(ev)
	n.settle(false)
}

// HandleBatch processes evs in order as Handle would, but settles once,
// after the last: one sync covers every write of the batch before any of
// their acknowledgements leave (group commit by arrival, with no timer). A
// host that finds several events waiting — a real event loop under load —
// hands them over together and pays one fsync for all of them; outputs that
// wait for durability are held until the end of the batch, exactly as
// inside a Storage.SyncDelay window. The simulation calls Handle, one event
// at a time, so its runs do not depend on how events would have batched.
func (n *Node) HandleBatch(evs []Event) {
	for _, ev := range evs {
		n.step(ev)
	}
	n.settle(false)
}

// step dispatches one event without settling.
func (n *Node) step(ev Event) {
	n.stats.Events++
	switch ev.Kind {
	case MessageEvent:
		n.handleMessage(ev.From, ev.Msg)
	case TimerEvent:
		n.handleTimer(ev.Timer)
	case SyncDoneEvent:
		n.splitSyncDone(ev.SyncID, ev.SyncErr)
	}
	n.afterQuarantine()
}

// afterQuarantine reacts to tables the engine quarantined during the event
// (a read found them corrupt, node/lsm quarantine.go): what only they held
// is gone from this replica, so anti-entropy pulls every range the node
// replicates from each of its peers at once, ahead of the scheduled
// rounds (the exchanges copy only what differs). Without anti-entropy the
// loss waits for read repair and later writes. Either way it is reported.
//
// The loss also ends the incarnation's actor: a set read from the engine
// now may lack versions this node minted, and minting over it could reuse
// one of its dots for another value. So, as after a crash or a storage
// reopen, the node takes a new epoch and its coordinator mints under it
// from now on (reads of the store fail in between, replica.ErrDataLost).
func (n *Node) afterQuarantine() {
	q := n.engine.db.Quarantined()
	if len(q) == 0 && !n.lossUnhandled {
		return
	}
	if len(q) > 0 {
		n.stats.TablesQuarantined += uint64(len(q))
		n.stats.LastQuarantine = clip(q[len(q)-1].File + ": " + q[len(q)-1].Reason)
	}
	if err := n.reincarnate(); err != nil {
		// Reads keep failing (replica.ErrDataLost) rather than risk a
		// reused dot; the next event tries again.
		n.lossUnhandled = true
		n.stats.LastQuarantine = clip("taking a new epoch after a quarantine: " + err.Error())
		return
	}
	n.lossUnhandled = false
	n.store.DataLossHandled()
	if n.ae != nil {
		n.aeRepairAll()
	}
}

// reincarnate takes a new epoch (persisted first) and has the coordinator
// mint under it from now on: after the store forgot versions this node
// minted, so that no dot of the old actor is minted again.
func (n *Node) reincarnate() error {
	epoch, err := replica.NextEpoch(n.env.FS(), n.cfg.Storage.Dir)
	if err != nil {
		return err
	}
	n.epoch = epoch
	n.coord.Reincarnate(epoch)
	n.stats.Epoch = epoch
	return nil
}

func (n *Node) handleMessage(from wire.Addr, msg wire.Message) {
	switch m := msg.(type) {
	case *wire.ClientGet:
		n.coord.HandleGet(from, m)
	case *wire.ClientPut:
		n.coord.HandlePut(from, m)
	case *wire.ClientDelete:
		n.coord.HandleDelete(from, m)
	case *wire.ClientReply:
		n.coord.HandleClientReply(from, m)
	case *wire.ReadRequest:
		n.serveRead(from, m)
	case *wire.StreamRequest:
		n.streamServe(from, m)
	case *wire.StreamChunk:
		n.streamChunk(from, m)
	case *wire.StreamDone:
		n.streamDoneFrom(from, m)
	case *wire.WriteRequest:
		n.serveWrite(from, m)
	case *wire.ReadResponse:
		n.coord.HandleReadResponse(from, m)
	case *wire.WriteAck:
		if m.OpID&handoffBit != 0 {
			n.handoffAck(from, m)
			return
		}
		n.coord.HandleWriteAck(from, m)
	case *wire.GossipPush, *wire.GossipReply:
		n.gossipStep(from, msg)
	case *wire.AETree:
		if n.ae == nil {
			n.stats.UnknownMessages++
			return
		}
		n.aeTree(from, m)
	case *wire.AEEntries:
		if n.ae == nil {
			n.stats.UnknownMessages++
			return
		}
		n.aeEntries(from, m)
	default:
		n.stats.UnknownMessages++
	}
}

func (n *Node) handleTimer(t Timer) {
	switch t.Kind {
	case timerTick:
		n.coord.Tick()
	case timerSync:
		if n.syncArmed && t.ID == n.syncGen {
			n.syncArmed = false
			n.settle(true)
		}
	case timerMaintain:
		n.maintain()
	case timerGossip:
		if n.gossip != nil {
			n.gossipTick()
		}
	case timerHandoff:
		if n.hh != nil {
			n.handoffTimer(t)
		}
	case timerAntiEntropy:
		if n.ae != nil {
			n.aeTimer(t)
		}
	case timerStream:
		if t.ID == 1 {
			n.streamPaced()
		} else {
			n.streamTick()
		}
	case timerCleanup:
		n.cleanupTick()
	}
}

// maintain gives the engine a bounded slice of background work and comes
// back soon if it has more. An engine an I/O failure stopped is reopened
// first.
func (n *Node) maintain() {
	st := &n.cfg.Storage
	if n.engine.db.Stopped() != nil {
		n.reopenStorage()
	}
	more, err := n.store.Maintain(st.MaintenanceBudgetBytes)
	n.stats.Maintenance++
	if err != nil {
		n.stats.MaintenanceErrors++
		n.stats.LastMaintenanceError = err.Error()
	}
	next := st.MaintenanceInterval
	if more && err == nil {
		next = maintainSoon
	}
	n.env.SetTimer(next, Timer{Kind: timerMaintain})
}

// Self is the node's address.
func (n *Node) Self() wire.Addr { return n.self }

// Epoch is this incarnation's epoch.
func (n *Node) Epoch() uint32 { return n.epoch }

// Actor is the actor ID this incarnation mints versions under.
func (n *Node) Actor() wire.ActorID { return n.coord.Actor() }

// Membership is the ring version the node currently places keys with.
func (n *Node) Membership() *ring.Membership { return n.view.Membership() }

// Ring is the ring of the node's current ring version.
func (n *Node) Ring() *ring.Ring { return n.view.Membership().Ring() }

// SetMembership gives the node a new ring version: from the next request
// on, the coordinator places keys with it, and suspicion is rebuilt over
// its members. A version that is not newer than the node's is refused
// (versions only move forward; the same version again is a no-op), and so
// is one that does not list this node's address. Requests in flight keep
// the replicas they were placed with.
func (n *Node) SetMembership(m *ring.Membership) error {
	cur := n.view.Membership()
	switch {
	case m == nil:
		return fmt.Errorf("node %d: no ring version", n.self)
	case m.Same(cur):
		return nil
	case !m.Newer(cur):
		return fmt.Errorf("node %d: ring version %d is not newer than the current %d", n.self, m.Version(), cur.Version())
	}
	if !m.Has(n.self) {
		return fmt.Errorf("node %d: not a member of ring version %d", n.self, m.Version())
	}
	n.view.SetMembership(m)
	n.stats.RingVersion = m.Version()
	if n.gossip != nil {
		// The version travels whole (its payload), so that the others
		// can adopt it (adoptRing).
		if err := n.gossip.SetRing(m.Version(), m.Encode()); err != nil {
			return err
		}
		n.announceRing(m)
	}
	if m.Prev() != nil {
		n.startStreaming(m)
	} else {
		n.stream = nil
		if old := cur.Prev(); old != nil {
			n.startCleanup(old, m)
		}
	}
	return nil
}

// Versioner is the node's versioning rules.
func (n *Node) Versioner() *versions.Versioner { return n.sh.v }

// ReadLocal returns what this node's replica stores for key, for
// inspection by harnesses and tools (it sends nothing). After a crash and
// restart it is exactly what was durable.
func (n *Node) ReadLocal(key []byte) (wire.SiblingSet, error) {
	return n.store.Read(key, ring.HashKey(key))
}

// Close makes every write durable and closes the engine, for a graceful
// shutdown. The node must not be used afterwards.
func (n *Node) Close() error {
	if n.hh != nil {
		_ = n.hh.store.Close() // every hint is durable already
	}
	serr := n.store.Sync()
	cerr := n.store.Close()
	if serr != nil {
		return serr
	}
	return cerr
}

// reopenStorage recovers from an engine stopped by an I/O failure, as a
// restart would but without losing the node's other state: it takes a new
// epoch, closes the engine and opens it again from the disk, which recovers
// what was durable. Without it the node would serve its last in-memory
// state forever, refuse every write and, since nothing it reads can be made
// durable, fail every read. Outputs still waiting for a sync of the old
// engine fail first: what they would reveal may not be durable.
//
// The new epoch comes first and is stored durably: if the disk still fails,
// nothing changes and the next maintenance round tries again. Versions the
// old incarnation minted but did not make durable may be gone from this
// replica, so the coordinator mints under the new epoch (Reincarnate) and
// the old actor's counters are never reused.
func (n *Node) reopenStorage() {
	st := &n.cfg.Storage
	fs := n.env.FS()
	fail := func(err error) {
		n.stats.ReopenFailures++
		n.stats.LastReopenError = clip(err.Error())
	}
	epoch, err := replica.NextEpoch(fs, st.Dir)
	if err != nil {
		fail(err)
		return
	}
	n.failDeferred(fmt.Errorf("node: storage reopened after an I/O failure: %w", n.engine.db.Stopped()))
	for len(n.deferred) > 0 {
		n.releaseDeferred()
	}
	_ = n.store.Close() // reports the failure that stopped it
	eng, err := st.openEngine(fs, n.sh.cfg.Coordinator.Limits.KeySizeBytes, n.env.Now)
	if err != nil {
		// The old engine is closed: every store operation fails until a
		// later round opens it.
		fail(err)
		return
	}
	n.engine, n.epoch = eng, epoch
	n.store = replica.NewStore(eng, n.sh.v, st.RowCacheBytes)
	n.coord.Reincarnate(epoch)
	n.stats.Epoch = epoch
	n.stats.Reopens++
}
