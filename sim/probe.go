package sim

import (
	"fmt"
	"math"
	"time"

	"dynasim/node"
)

// ProbeConfig makes the workload a staleness probe (the PBS experiment of
// Bailis et al.) instead of a random mix: each trial writes Versions fresh
// values, one after another, to a key no other trial touches, waits exactly
// a delay t after the client saw the last write acknowledged, and reads the
// key once. Trial i uses key i and the delay TMs[i mod len(TMs)], so every
// delay gets TrialsPerT trials spread evenly over the run. Each client runs
// one trial at a time and takes the next unstarted one when it finishes.
//
// With a probe, WorkloadConfig's Duration, MaxOps, Mix, Keys, ThinkTimeMs
// and RatePerClient do not apply: the key space is one key per trial and
// the workload ends when every trial has.
type ProbeConfig struct {
	// TMs are the delays between the client seeing the last write of a
	// trial acknowledged and it sending the read, in ms: finite, >= 0,
	// strictly ascending. Required.
	TMs []float64
	// TrialsPerT is the number of trials per delay. Default 1000.
	TrialsPerT int
	// Versions is how many values a trial writes before reading. The k of
	// k-staleness counts the versions the read is behind (Versions when it
	// returns none of them). Default 1.
	Versions int
}

// Probe limits.
const (
	DefaultProbeTrialsPerT = 1000
	MaxProbePoints         = 1000
	MaxProbeVersions       = 64
	MaxProbeTrials         = 1_000_000
)

// WithDefaults fills zero fields.
func (p ProbeConfig) WithDefaults() ProbeConfig {
	if p.TrialsPerT == 0 {
		p.TrialsPerT = DefaultProbeTrialsPerT
	}
	if p.Versions == 0 {
		p.Versions = 1
	}
	return p
}

// Trials is the number of trials in all.
func (p ProbeConfig) Trials() int { return len(p.TMs) * p.TrialsPerT }

// Validate checks p after defaults.
func (p ProbeConfig) Validate() error {
	p = p.WithDefaults()
	if len(p.TMs) < 1 || len(p.TMs) > MaxProbePoints {
		return fmt.Errorf("workload: probe needs 1 to %d delays, got %d", MaxProbePoints, len(p.TMs))
	}
	for i, t := range p.TMs {
		if !(t >= 0) || math.IsInf(t, 0) || (i > 0 && t <= p.TMs[i-1]) || t > 3600e3 {
			return fmt.Errorf("workload: probe delays must be finite, within [0, 1h] and strictly ascending, got %v", p.TMs)
		}
	}
	if p.TrialsPerT < 1 || p.Versions < 1 || p.Versions > MaxProbeVersions {
		return fmt.Errorf("workload: probe trials per delay %d must be >= 1 and versions %d within [1, %d]", p.TrialsPerT, p.Versions, MaxProbeVersions)
	}
	if p.Trials() > MaxProbeTrials {
		return fmt.Errorf("workload: probe has %d trials, the limit is %d", p.Trials(), MaxProbeTrials)
	}
	return nil
}

// probeDefaults applies a probe's own defaults to the workload: one key per
// trial, and the trial count as the operation budget.
func (c WorkloadConfig) probeDefaults() WorkloadConfig {
	if c.Probe == nil {
		return c
	}
	p := c.Probe.WithDefaults()
	c.Probe = &p
	c.Keys = KeyConfig{Count: max(p.Trials(), 1), Dist: KeysSequential, ZipfS: c.Keys.ZipfS, HotspotKeys: c.Keys.HotspotKeys, HotspotOps: c.Keys.HotspotOps}
	c.Duration, c.RatePerClient, c.MaxOps = 0, 0, p.Trials()
	return c
}

// timerProbeRead fires when a trial's delay is over; its ID is the trial.
const timerProbeRead uint8 = 16

// probeTrial is a trial in flight.
type probeTrial struct {
	idx  int32
	left int // versions still to write
}

// nextTrial starts the next unstarted trial, if any.
func (c *Client) nextTrial() {
	wl := c.wl
	p := wl.cfg.Probe
	if wl.probeNext >= p.Trials() {
		return
	}
	i := int32(wl.probeNext)
	wl.probeNext++
	wl.started++
	c.probePut(&probeTrial{idx: i, left: p.Versions})
}

// probePut writes the trial's next version, over the context the previous
// version's reply carried (if the versioning mode gives one).
func (c *Client) probePut(tr *probeTrial) {
	key, name := c.wl.keys.bytes[tr.idx], c.wl.keys.names[tr.idx]
	cached := c.ctx.get(tr.idx)
	c.start(&clientOp{kind: opPut, key: key, keyName: name, keyIdx: tr.idx, ctx: cached.ctx, ctxIDs: cached.ids, onDone: func(ok bool) {
		if !ok { // the trial is void; the checker skips it
			c.wl.probeDone++
			c.nextTrial()
			return
		}
		if tr.left--; tr.left > 0 {
			c.probePut(tr)
			return
		}
		p := c.wl.cfg.Probe
		t := p.TMs[int(tr.idx)%len(p.TMs)]
		c.ep.SetTimer(time.Duration(math.Round(t*1e6)), node.Timer{Kind: timerProbeRead, ID: uint64(tr.idx)})
	}})
}

// probeRead reads trial idx's key once its delay is over.
func (c *Client) probeRead(idx int32) {
	key, name := c.wl.keys.bytes[idx], c.wl.keys.names[idx]
	c.start(&clientOp{kind: opGet, key: key, keyName: name, keyIdx: idx, onDone: func(bool) {
		c.wl.probeDone++
		c.nextTrial()
	}})
}

// TMsOfTrial is the delay of trial i, whose key is KeyNames()[i].
func (p ProbeConfig) TMsOfTrial(i int) float64 { return p.TMs[i%len(p.TMs)] }
