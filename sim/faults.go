package sim

import (
	"fmt"
	"path"
	"strings"
	"time"

	"dynasim/disk"
	"dynasim/wire"
)

// Process and clock faults. Each takes effect at the current virtual time;
// schedule them with World.At. Network faults are methods of Network().

func (w *World) endpointFor(a wire.Addr) (*Endpoint, error) {
	ep := w.Endpoint(a)
	if ep == nil {
		return nil, fmt.Errorf("%w: address %d", errUnknownEndpoint, a)
	}
	return ep, nil
}

// Crash stops an endpoint: its memory (the process instance) is dropped, its
// queued events and pending timers are discarded, messages to it are dropped
// until it restarts, and its disk loses unsynced data according to mode.
func (w *World) Crash(a wire.Addr, mode disk.CrashMode) error {
	ep, err := w.endpointFor(a)
	if err != nil {
		return err
	}
	if !ep.up {
		return fmt.Errorf("sim: crash %s: already down", ep.spec.Name)
	}
	if ep.mem != nil {
		if err := ep.mem.Crash(mode, ep.crashRG); err != nil {
			return fmt.Errorf("sim: crash %s: %w", ep.spec.Name, err)
		}
	}
	ep.up, ep.paused, ep.proc = false, false, nil
	ep.inc++
	ep.inbox.clear()
	ep.busyUntil = w.Now()
	w.fp.Add(w.Now(), fpCrash, int32(a), -1, uint64(mode))
	return nil
}

// CrashDefault crashes an endpoint with its disk's configured crash mode.
func (w *World) CrashDefault(a wire.Addr) error {
	ep, err := w.endpointFor(a)
	if err != nil {
		return err
	}
	var mode disk.CrashMode
	if ep.spec.Disk != nil {
		mode = ep.spec.Disk.CrashMode
	}
	return w.Crash(a, mode)
}

// Restart starts a fresh process instance on a crashed endpoint; it recovers
// from the same disk. If the process fails to start (say its disk is
// corrupt) the endpoint stays down and the error is returned and kept in
// StartErr.
func (w *World) Restart(a wire.Addr) error {
	ep, err := w.endpointFor(a)
	if err != nil {
		return err
	}
	if ep.up {
		return fmt.Errorf("sim: restart %s: not down", ep.spec.Name)
	}
	w.fp.Add(w.Now(), fpRestart, int32(a), -1, uint64(ep.inc))
	return ep.start(w.Now())
}

// Wipe replaces an endpoint's disk with an empty one and restarts it: a
// running process is stopped first (as by a crash: its memory and queued
// events are gone), then every file of its disk, durable or not, and a
// fresh process starts on the empty disk. The endpoint must have a
// simulated disk.
func (w *World) Wipe(a wire.Addr) error {
	ep, err := w.endpointFor(a)
	if err != nil {
		return err
	}
	if ep.mem == nil {
		return fmt.Errorf("sim: wipe %s: no disk", ep.spec.Name)
	}
	if ep.up {
		ep.up, ep.paused, ep.proc = false, false, nil
		ep.inc++
		ep.inbox.clear()
		ep.busyUntil = w.Now()
	}
	ep.mem.Wipe()
	w.fp.Add(w.Now(), fpWipe, int32(a), -1, 0)
	return w.Restart(a)
}

// CorruptTable damages one storage table on an endpoint's disk for good:
// it flips bits in the largest file named *.sst (ties: the last name), in
// its first 80 % (the data blocks; the index and footer are at the end),
// at offsets drawn from the world's "corrupt" stream, in both its current
// and its durable bytes, so the damage survives crashes. The process is
// not told: it meets the damage when it reads the table, by checksum. An
// endpoint with no table yet is left alone (and the fault reports it).
func (w *World) CorruptTable(a wire.Addr) error {
	ep, err := w.endpointFor(a)
	if err != nil {
		return err
	}
	if ep.mem == nil {
		return fmt.Errorf("sim: corrupt_table %s: no disk", ep.spec.Name)
	}
	var best string
	var bestSize int64
	var walk func(dir string) error
	walk = func(dir string) error {
		names, err := ep.mem.List(dir)
		if err != nil {
			return err
		}
		for _, n := range names {
			p := path.Join(dir, n)
			st, err := ep.mem.Stat(p)
			if err != nil {
				return err
			}
			switch {
			case st.IsDir:
				if err := walk(p); err != nil {
					return err
				}
			case strings.HasSuffix(n, ".sst") && st.Size >= bestSize:
				best, bestSize = p, st.Size
			}
		}
		return nil
	}
	if err := walk("."); err != nil {
		return fmt.Errorf("sim: corrupt_table %s: %w", ep.spec.Name, err)
	}
	if best == "" || bestSize < 16 {
		return fmt.Errorf("sim: corrupt_table %s: no storage table on its disk yet", ep.spec.Name)
	}
	rng := w.Stream("corrupt/" + ep.spec.Name)
	span := bestSize * 8 * 8 / 10
	for range corruptTableFlips {
		if err := ep.mem.FlipBit(best, rng.Int64N(span)); err != nil {
			return fmt.Errorf("sim: corrupt_table %s: %w", ep.spec.Name, err)
		}
	}
	w.fp.Add(w.Now(), fpCorrupt, int32(a), -1, uint64(bestSize))
	return nil
}

// corruptTableFlips is how many bits CorruptTable flips: a few, so that
// more than one block of a large table is damaged.
const corruptTableFlips = 4

// Pause freezes an endpoint: events addressed to it queue up (messages and
// timers alike) until Resume, as with a long GC pause or SIGSTOP.
func (w *World) Pause(a wire.Addr) error {
	ep, err := w.endpointFor(a)
	if err != nil {
		return err
	}
	if !ep.up {
		return fmt.Errorf("sim: pause %s: down", ep.spec.Name)
	}
	ep.paused = true
	return nil
}

// Resume unfreezes a paused endpoint; its queued events are delivered in
// arrival order.
func (w *World) Resume(a wire.Addr) error {
	ep, err := w.endpointFor(a)
	if err != nil {
		return err
	}
	if !ep.paused {
		return fmt.Errorf("sim: resume %s: not paused", ep.spec.Name)
	}
	ep.paused = false
	if ep.busyUntil < w.Now() {
		ep.busyUntil = w.Now()
	}
	w.scheduleWake(ep)
	return nil
}

// MaxSlowFactor bounds SetSlow.
const MaxSlowFactor = 1e6

// SetSlow multiplies the endpoint's processing time (event cost and disk
// time) by factor; 1 is normal speed.
func (w *World) SetSlow(a wire.Addr, factor float64) error {
	ep, err := w.endpointFor(a)
	if err != nil {
		return err
	}
	if !(factor >= 1 && factor <= MaxSlowFactor) {
		return fmt.Errorf("sim: slow factor %g for %s must be within [1, %g]", factor, ep.spec.Name, float64(MaxSlowFactor))
	}
	ep.slow = factor
	return nil
}

// JumpClock steps the endpoint's clock by d (negative: backwards).
func (w *World) JumpClock(a wire.Addr, d time.Duration) error {
	ep, err := w.endpointFor(a)
	if err != nil {
		return err
	}
	ep.clock.Jump(d)
	return nil
}
