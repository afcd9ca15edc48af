package node

import (
	"time"

	"dynasim/disk"
	"dynasim/wire"
)

// Env is everything a node may touch. In simulation every method is
// deterministic given the scenario seed; in a real deployment it is backed by
// the OS clock, a TCP transport, real timers and the OS filesystem.
type Env interface {
	// Now is this node's clock. In simulation it is skewed and drifting, and
	// it advances while the node waits on its disk within one event.
	Now() time.Time
	// Send sends m to an endpoint. The message may be lost, delayed,
	// duplicated or reordered; the node must not retain or mutate m after
	// sending it.
	Send(to wire.Addr, m wire.Message)
	// SetTimer asks for a TimerEvent carrying t after the given delay.
	// Timers cannot be cancelled: a node ignores timers it no longer wants
	// (compare an ID in t with its own state), as etcd's raft ignores stale
	// ticks.
	SetTimer(after time.Duration, t Timer)
	// Rand is this node's own seeded random stream.
	Rand() Rand
	// FS is this node's disk.
	FS() disk.FS
}

// SplitSyncEnv is an optional extension of Env for a host that can run
// the slow half of a storage sync (the fsyncs) off its event loop, so that
// the node goes on handling events while the disk syncs. The simulation
// does not offer it: there a sync is one step inside the event, as its
// disk model times it.
type SplitSyncEnv interface {
	Env
	// SplitSync reports whether the host wants it (it may be configured
	// off).
	SplitSync() bool
	// StartSync runs sync (once, on any goroutine) and then delivers a
	// SyncDoneEvent carrying id and sync's error, through Handle like any
	// other event.
	StartSync(id uint64, sync func() error)
}

// Rand is the subset of *math/rand/v2.Rand a node uses. It is an interface so
// that nothing under node/ imports a random package (whose package-level
// functions are not seeded).
type Rand interface {
	Uint64() uint64
	IntN(n int) int
	Float64() float64
}

// Timer is an opaque value a node gives SetTimer and receives back.
type Timer struct {
	Kind uint8  // what the timer is for; defined by the node
	ID   uint64 // which request, round or incarnation it belongs to
}

// EventKind says what an Event carries.
type EventKind uint8

const (
	// MessageEvent is a message delivered from another endpoint.
	MessageEvent EventKind = iota + 1
	// TimerEvent is a timer set with Env.SetTimer firing.
	TimerEvent
	// SyncDoneEvent is a split sync (SplitSyncEnv.StartSync) finished.
	SyncDoneEvent
)

// Event is one input to a node.
type Event struct {
	Kind  EventKind
	From  wire.Addr    // MessageEvent: the sender
	Msg   wire.Message // MessageEvent: the message
	Timer Timer        // TimerEvent: the timer as it was set
	// SyncID and SyncErr: SyncDoneEvent's sync and what it returned.
	SyncID  uint64
	SyncErr error
}

// Process is a node as its host sees it. The host calls Handle for one event
// at a time, never concurrently.
type Process interface {
	Handle(ev Event)
}

// Factory builds a process for an endpoint. The host calls it at start and
// again on every restart after a crash; the new instance recovers its state
// from env.FS(). An error means the process could not start (for example a
// corrupt disk) and is reported by the host.
type Factory func(self wire.Addr, env Env) (Process, error)
