package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"dynasim/disk"
	"dynasim/node"
	"dynasim/wire"
)

// EndpointSpec describes a node or client to host.
type EndpointSpec struct {
	// Name is unique in the world; it names the endpoint's random streams
	// ("proc/<name>", "disk/<name>", "crash/<name>"), so an endpoint's draws
	// do not depend on which other endpoints exist.
	Name string
	// DC and Rack place the endpoint for the network model (DC) and for
	// reports.
	DC, Rack string
	// Clock is the endpoint's clock error.
	Clock ClockConfig
	// Disk gives the endpoint a simulated disk; nil for diskless endpoints
	// such as clients.
	Disk *DiskConfig
	// Factory builds the process, at start and at every restart.
	Factory node.Factory
	// Idle adds the endpoint without starting its process: World.Start
	// starts it later. A harness uses it to learn the addresses of all its
	// endpoints before any process starts (a node's first ring version
	// names its peers' addresses).
	Idle bool
}

// DiskConfig describes an endpoint's simulated disk: an in-memory FS with
// crash semantics behind a fault-injecting wrapper.
type DiskConfig struct {
	Mem    disk.MemFSConfig
	Faults disk.ErrorFSConfig
	// CrashMode says what a crash does to unsynced data when a fault does
	// not name a mode.
	CrashMode disk.CrashMode
	// FaultsOff starts the disk with its injected errors and bit flips
	// switched off, so that a fault schedule can switch them on later.
	// Latency and a configured full disk apply from the start regardless.
	FaultsOff bool
}

// Endpoint is a hosted node or client. It is the node.Env its process sees.
type Endpoint struct {
	w       *World
	addr    wire.Addr
	spec    EndpointSpec
	proc    node.Process
	up      bool
	paused  bool
	inc     uint32 // incarnation: bumped by every crash
	slow    float64
	clock   *Clock
	rng     *rand.Rand
	crashRG *rand.Rand
	mem     *disk.MemFS
	efs     *disk.ErrorFS
	fs      disk.FS

	// busyUntil is when the endpoint finishes its current work; events that
	// arrive earlier wait in inbox.
	busyUntil   Time
	inbox       queue
	maxQueued   int // the longest inbox so far
	wakePending bool

	// The work cursor while a handler runs: local time advances with the
	// event's CPU cost and the disk time it has spent so far.
	working   bool
	workStart Time
	ioAtStart time.Duration

	restartErr error
	// idle: added with EndpointSpec.Idle and not started yet.
	idle bool
}

// Start starts the process of an endpoint added with EndpointSpec.Idle, at
// the current virtual time. It fails for an endpoint that was started
// already. A process that fails to start leaves the endpoint down, as
// AddEndpoint does, with the error returned and kept in StartErr.
func (w *World) Start(a wire.Addr) error {
	ep, err := w.endpointFor(a)
	if err != nil {
		return err
	}
	if !ep.idle {
		return fmt.Errorf("sim: start %s: already started", ep.spec.Name)
	}
	ep.idle = false
	return ep.start(w.Now())
}

// AddEndpoint hosts a new endpoint and starts its process at the current
// virtual time.
func (w *World) AddEndpoint(spec EndpointSpec) (*Endpoint, error) {
	if spec.Name == "" {
		return nil, fmt.Errorf("sim: endpoint needs a name")
	}
	if _, dup := w.byName[spec.Name]; dup {
		return nil, fmt.Errorf("sim: endpoint %q already exists", spec.Name)
	}
	if spec.Factory == nil {
		return nil, fmt.Errorf("sim: endpoint %q has no factory", spec.Name)
	}
	if err := spec.Clock.Validate(); err != nil {
		return nil, fmt.Errorf("sim: endpoint %q: %w", spec.Name, err)
	}
	ep := &Endpoint{
		w:       w,
		addr:    wire.Addr(len(w.eps)),
		spec:    spec,
		slow:    1,
		clock:   NewClock(spec.Clock),
		rng:     w.streams.Stream("proc/" + spec.Name),
		crashRG: w.streams.Stream("crash/" + spec.Name),
	}
	if spec.Disk != nil {
		mem, err := disk.NewMemFS(spec.Disk.Mem)
		if err != nil {
			return nil, fmt.Errorf("sim: endpoint %q disk: %w", spec.Name, err)
		}
		efs, err := disk.NewErrorFS(mem, spec.Disk.Faults, w.streams.Stream("disk/"+spec.Name))
		if err != nil {
			return nil, fmt.Errorf("sim: endpoint %q disk faults: %w", spec.Name, err)
		}
		if spec.Disk.FaultsOff {
			for _, k := range []disk.FaultKind{disk.FaultError, disk.FaultBitFlip} {
				if err := efs.SetEnabled(k, false); err != nil {
					return nil, fmt.Errorf("sim: endpoint %q disk faults: %w", spec.Name, err)
				}
			}
		}
		ep.mem, ep.efs, ep.fs = mem, efs, efs
	}
	if err := w.network.AddEndpoint(ep.addr, spec.DC); err != nil {
		return nil, fmt.Errorf("sim: endpoint %q: %w", spec.Name, err)
	}
	w.eps = append(w.eps, ep)
	w.byName[spec.Name] = ep
	if spec.Idle {
		ep.idle = true
		return ep, nil
	}
	if err := ep.start(w.Now()); err != nil {
		return ep, err
	}
	return ep, nil
}

// start creates a process instance; its recovery I/O counts as work.
func (ep *Endpoint) start(at Time) error {
	ep.beginWork(at, 0)
	proc, err := ep.spec.Factory(ep.addr, ep)
	ep.endWork()
	if err != nil {
		ep.restartErr = fmt.Errorf("sim: %s failed to start at %v: %w", ep.spec.Name, at, err)
		return ep.restartErr
	}
	ep.proc, ep.up, ep.restartErr = proc, true, nil
	return nil
}

// Addr is the endpoint's network address.
func (ep *Endpoint) Addr() wire.Addr { return ep.addr }

// Name is the endpoint's unique name.
func (ep *Endpoint) Name() string { return ep.spec.Name }

// DC is the endpoint's datacenter.
func (ep *Endpoint) DC() string { return ep.spec.DC }

// Rack is the endpoint's rack.
func (ep *Endpoint) Rack() string { return ep.spec.Rack }

// Up reports whether the endpoint is running (not crashed).
func (ep *Endpoint) Up() bool { return ep.up }

// Paused reports whether the endpoint is paused.
func (ep *Endpoint) Paused() bool { return ep.paused }

// Process is the current process instance, nil while crashed.
func (ep *Endpoint) Process() node.Process { return ep.proc }

// Mem is the endpoint's in-memory disk (nil without one), for inspection.
func (ep *Endpoint) Mem() *disk.MemFS { return ep.mem }

// Faults is the endpoint's fault-injecting disk wrapper (nil without a disk).
func (ep *Endpoint) Faults() *disk.ErrorFS { return ep.efs }

// Clock is the endpoint's clock.
func (ep *Endpoint) Clock() *Clock { return ep.clock }

// StartErr is the error of the last failed start or restart, if any.
func (ep *Endpoint) StartErr() error { return ep.restartErr }

// QueuedEvents is the number of events waiting for the endpoint.
func (ep *Endpoint) QueuedEvents() int { return ep.inbox.len() }

// MaxQueuedEvents is the most events that ever waited for the endpoint at
// once: how far it fell behind its load.
func (ep *Endpoint) MaxQueuedEvents() int { return ep.maxQueued }

// --- node.Env ---

// Now is the endpoint's local clock at its current work position.
func (ep *Endpoint) Now() time.Time { return ep.clock.Read(ep.localNow()) }

// Send sends m from this endpoint; it departs once the work done so far in
// this event (CPU and disk) is finished.
func (ep *Endpoint) Send(to wire.Addr, m wire.Message) { ep.w.send(ep.addr, to, m, ep.localNow()) }

// SetTimer fires t after the given delay, counted from the current work
// position. Timers die with the incarnation that set them.
func (ep *Endpoint) SetTimer(after time.Duration, t node.Timer) {
	if after < 0 {
		after = 0
	}
	ep.w.sched.Schedule(ep.localNow()+Time(after), event{kind: evTimer, to: ep.addr, from: ep.addr, inc: ep.inc, timer: t})
}

// Rand is the endpoint's own seeded stream.
func (ep *Endpoint) Rand() node.Rand { return ep.rng }

// FS is the endpoint's disk (nil for diskless endpoints).
func (ep *Endpoint) FS() disk.FS { return ep.fs }

// --- work accounting ---

func (ep *Endpoint) scaled(d time.Duration) Time {
	if ep.slow == 1 {
		return Time(d)
	}
	return Time(float64(d) * ep.slow)
}

func (ep *Endpoint) ioTime() time.Duration {
	if ep.efs == nil {
		return 0
	}
	return ep.efs.IOTime()
}

func (ep *Endpoint) beginWork(at Time, cost time.Duration) {
	ep.working = true
	ep.workStart = at + ep.scaled(cost)
	ep.ioAtStart = ep.ioTime()
}

func (ep *Endpoint) endWork() {
	ep.busyUntil = ep.localNow()
	ep.working = false
}

// localNow is virtual time as far as this endpoint's work has progressed:
// within a handler, the event's time plus the CPU and disk time spent so
// far; otherwise when the endpoint became (or becomes) free.
func (ep *Endpoint) localNow() Time {
	if !ep.working {
		if now := ep.w.Now(); ep.busyUntil < now {
			return now
		}
		return ep.busyUntil
	}
	return ep.workStart + ep.scaled(ep.ioTime()-ep.ioAtStart)
}
