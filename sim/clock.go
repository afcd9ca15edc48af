package sim

import (
	"fmt"
	"time"
)

// Epoch is the wall-clock instant that virtual time 0 corresponds to. It is
// fixed, so timestamps in every run and report are reproducible.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// ClockConfig describes one node's clock error.
type ClockConfig struct {
	// Offset is the constant error at time 0 (positive: the clock is ahead).
	Offset time.Duration
	// DriftPPM is the rate error in parts per million: a clock with +100 ppm
	// gains 100 µs every virtual second.
	DriftPPM float64
}

// MaxDriftPPM bounds drift: beyond 10 % a "clock" is no longer a clock.
const MaxDriftPPM = 100_000

// Validate checks the config.
func (c ClockConfig) Validate() error {
	if c.DriftPPM < -MaxDriftPPM || c.DriftPPM > MaxDriftPPM {
		return fmt.Errorf("clock drift %g ppm is outside ±%d ppm", c.DriftPPM, MaxDriftPPM)
	}
	return nil
}

// Clock is a node's local clock: virtual time plus an offset, a drift and
// the sum of the jumps applied so far. Jumps can move it backwards, as NTP
// steps do, so the node's clock is not monotonic — exactly the property that
// breaks last-write-wins.
type Clock struct {
	cfg   ClockConfig
	jumps time.Duration
}

// NewClock returns a clock with the given error.
func NewClock(cfg ClockConfig) *Clock { return &Clock{cfg: cfg} }

// Jump steps the clock by d (negative: backwards) from now on.
func (c *Clock) Jump(d time.Duration) { c.jumps += d }

// Read returns the local time at virtual time t.
func (c *Clock) Read(t Time) time.Time {
	drift := time.Duration(float64(t) * c.cfg.DriftPPM / 1e6)
	return Epoch.Add(time.Duration(t) + c.cfg.Offset + drift + c.jumps)
}

// Error returns how far the clock is from true virtual time at t.
func (c *Clock) Error(t Time) time.Duration {
	return c.Read(t).Sub(Epoch.Add(time.Duration(t)))
}
