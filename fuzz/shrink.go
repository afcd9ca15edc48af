package fuzz

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"dynasim/internal/dist"
	"dynasim/scenarios"
)

// Size is how big a scenario is, for the before/after of a shrink.
type Size struct {
	Nodes    int     `json:"nodes"`
	Faults   int     `json:"faults"`
	Clients  int     `json:"clients"`
	Keys     int     `json:"keys"`
	Duration string  `json:"duration"`
	Ops      int     `json:"ops"`
	Knobs    int     `json:"knobs_off_default"`
	Seconds  float64 `json:"-"`
}

// ShrinkResult is what a shrink did.
type ShrinkResult struct {
	Class  Class  `json:"class"`
	Before Size   `json:"before"`
	After  Size   `json:"after"`
	Runs   int    `json:"runs"`
	Kept   int    `json:"kept"`
	Path   string `json:"path,omitempty"`
	Repro  string `json:"repro,omitempty"`
	// WallSeconds is how long the shrink took.
	WallSeconds float64 `json:"wall_seconds"`
}

// ShrinkConfig bounds a shrink.
type ShrinkConfig struct {
	// MaxRuns bounds the candidate runs. Default 400.
	MaxRuns int
}

// Shrink cuts a failing scenario down (delta debugging): it tries smaller
// candidates — faults dropped (halves, then one at a time), the run
// shortened, fewer clients, keys and nodes, distributions made constant,
// knobs back to their defaults — and keeps a candidate only if its primary
// class is still class, until a whole pass keeps nothing or MaxRuns runs
// are spent. Every candidate is a deterministic run of the same seed.
func Shrink(r *scenarios.Resolved, class Class, cfg ShrinkConfig) (*scenarios.Resolved, *ShrinkResult, error) {
	if cfg.MaxRuns <= 0 {
		cfg.MaxRuns = 400
	}
	start := time.Now()
	replay := class == ReplayDivergence
	first := Evaluate(r, replay)
	if first.Class != class {
		return nil, nil, fmt.Errorf("fuzz: the scenario does not fail with %s (got %q)", class, first.Class)
	}
	res := &ShrinkResult{Class: class, Before: sizeOf(r, first.Ops), Runs: 1}
	cur, curOps := r, first.Ops
	try := func(c *scenarios.Resolved) bool {
		if res.Runs >= cfg.MaxRuns || c == nil {
			return false
		}
		if c.Validate() != nil {
			return false
		}
		res.Runs++
		o := Evaluate(c, replay)
		if o.Class != class {
			return false
		}
		cur, curOps = c, o.Ops
		res.Kept++
		return true
	}
	var all []func(*scenarios.Resolved)
	for _, st := range steps() {
		all = append(all, st...)
	}
	for changed := true; changed && res.Runs < cfg.MaxRuns; {
		changed = false
		// Faults: halves first, then one at a time.
		for chunk := max(1, len(cur.Faults)/2); chunk >= 1 && len(cur.Faults) > 0; chunk /= 2 {
			for i := 0; i < len(cur.Faults); {
				if try(edit(cur, func(c *scenarios.Resolved) { dropFaults(c, i, i+chunk) })) {
					changed = true
				} else {
					i += chunk
				}
			}
			if chunk == 1 {
				break
			}
		}
		for _, step := range all {
			for try(edit(cur, step)) {
				changed = true
			}
		}
	}
	res.After = sizeOf(cur, curOps)
	res.WallSeconds = time.Since(start).Seconds()
	return cur, res, nil
}

func edit(r *scenarios.Resolved, f func(*scenarios.Resolved)) *scenarios.Resolved {
	c, err := clone(r)
	if err != nil {
		return nil
	}
	before, _ := scenarios.MarshalResolved(c)
	f(c)
	after, err := scenarios.MarshalResolved(c)
	if err != nil || string(before) == string(after) {
		return nil
	}
	return c
}

func dropFaults(c *scenarios.Resolved, i, j int) {
	j = min(j, len(c.Faults))
	c.Faults = slices.Delete(c.Faults, i, j)
	renamePartitions(c)
}

func renamePartitions(c *scenarios.Resolved) {
	for i := range c.Faults {
		if isPartition(c.Faults[i].Action) {
			c.Faults[i].Name = fmt.Sprintf("faults[%d]", i)
		}
	}
}

// steps are the single-knob reductions, each applied while it helps; an
// edit that changes nothing is refused by edit.
func steps() [][]func(*scenarios.Resolved) {
	one := func(f func(*scenarios.Resolved)) []func(*scenarios.Resolved) { return []func(*scenarios.Resolved){f} }
	return [][]func(*scenarios.Resolved){
		// Shorten the run: the workload to 3/4, dropping the faults that
		// would end inside its fault-free Tail (liveness is measured there).
		one(func(c *scenarios.Resolved) {
			d := time.Duration(c.Workload.Duration) * 3 / 4
			d = d.Round(time.Millisecond)
			if d < Tail+time.Second {
				return
			}
			c.Workload.Duration = scenarios.Duration(d)
			kept := c.Faults[:0]
			for _, f := range c.Faults {
				if time.Duration(f.At+f.For) <= d-Tail {
					kept = append(kept, f)
				}
			}
			c.Faults = kept
			renamePartitions(c)
		}),
		one(func(c *scenarios.Resolved) {
			c.QuietPeriod = scenarios.Duration(time.Second)
		}),
		// Anti-entropy off (and the wipes and corrupt tables it repairs gone): a failure that
		// does not need it is easier to read without its exchanges.
		one(func(c *scenarios.Resolved) {
			if !c.Node.AntiEntropy.Enabled {
				return
			}
			c.Node.AntiEntropy.Enabled = false
			kept := c.Faults[:0]
			for _, f := range c.Faults {
				if f.Action != scenarios.ActWipe && f.Action != scenarios.ActCorruptTable {
					kept = append(kept, f)
				}
			}
			c.Faults = kept
		}),
		smaller(func(c *scenarios.Resolved) *int { return &c.Workload.Clients }),
		smaller(func(c *scenarios.Resolved) *int { return &c.Workload.Keys.Count }),
		one(dropNode),
		// Distributions to constants.
		one(func(c *scenarios.Resolved) {
			one := dist.Spec{Dist: dist.Constant, Value: 1}
			c.Network.Default.LatencyMs = one
		}),
		one(func(c *scenarios.Resolved) {
			k := dist.Spec{Dist: dist.Constant, Value: 3}
			c.Workload.ThinkTimeMs = k
		}),
		// Knobs back to defaults.
		one(func(c *scenarios.Resolved) { c.Network.Default.LossProb = 0 }),
		one(func(c *scenarios.Resolved) { c.Network.Default.DupProb = 0 }),
		one(func(c *scenarios.Resolved) { c.Network.FIFO = false }),
		one(func(c *scenarios.Resolved) {
			for n := range c.Clocks.Nodes {
				c.Clocks.Nodes[n] = scenarios.Clock{}
			}
		}),
		one(func(c *scenarios.Resolved) {
			for n, d := range c.Disks.Nodes {
				d.LatencyMs, d.ErrorProb, d.BitFlipProb, d.CrashMode = nil, nil, 0, scenarios.DefaultCrashMode
				c.Disks.Nodes[n] = d
			}
		}),
		one(func(c *scenarios.Resolved) {
			s := &c.Node.Storage
			s.Sync, s.SyncInterval, s.MemtableSizeBytes = scenarios.DefaultSync, 0, scenarios.DefaultMemtableSize
		}),
		one(func(c *scenarios.Resolved) {
			c.Node.RequestTimeout = scenarios.DefaultRequestTimeout
		}),
		one(func(c *scenarios.Resolved) {
			c.Workload.Routing = scenarios.DefaultRouting
		}),
		one(func(c *scenarios.Resolved) {
			m := &c.Workload.Mix
			m.Delete, m.ReadModifyWrite = 0, 0
		}),
		one(func(c *scenarios.Resolved) { c.Workload.Keys.Dist = "uniform" }),
		one(func(c *scenarios.Resolved) {
			for i := range c.Faults {
				f := &c.Faults[i]
				f.Mode = ""
			}
		}),
	}
}

func sameSpec(a, b dist.Spec) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// dropNode removes the last node when no fault names it and the replicas
// still fit.
func dropNode(c *scenarios.Resolved) {
	k := len(c.Cluster.Nodes)
	if k <= c.Node.N || k <= 1 {
		return
	}
	last := c.Cluster.Nodes[k-1].Name
	for _, f := range c.Faults {
		if slices.Contains(f.Nodes, last) {
			return
		}
		for _, s := range f.Sides {
			if slices.Contains(s, last) {
				return
			}
		}
	}
	c.Cluster.Nodes = c.Cluster.Nodes[:k-1]
	delete(c.Disks.Nodes, last)
	delete(c.Clocks.Nodes, last)
	if c.Workload.Routing == "non_replica" && c.Node.N >= k-1 {
		c.Workload.Routing = "random"
	}
	// A side left empty or whole: drop the partition.
	kept := c.Faults[:0]
	for _, f := range c.Faults {
		if len(f.Sides) == 2 && (len(f.Sides[0]) == 0 || len(f.Sides[1]) == 0) {
			continue
		}
		kept = append(kept, f)
	}
	c.Faults = kept
	renamePartitions(c)
}

func sizeOf(r *scenarios.Resolved, ops int) Size {
	base := DefaultBase()
	knobs := 0
	count := func(b bool) {
		if b {
			knobs++
		}
	}
	count(r.Network.Default.LossProb != 0)
	count(r.Network.Default.DupProb != 0)
	count(r.Network.FIFO)
	count(!sameSpec(r.Network.Default.LatencyMs, dist.Spec{Dist: dist.Constant, Value: 1}) && !sameSpec(r.Network.Default.LatencyMs, base.Network.Default.LatencyMs))
	count(r.Node.Storage.Sync != scenarios.DefaultSync)
	count(r.Node.Storage.MemtableSizeBytes != scenarios.DefaultMemtableSize)
	count(r.Node.RequestTimeout != scenarios.DefaultRequestTimeout)
	count(r.Workload.Routing != scenarios.DefaultRouting)
	count(r.Workload.Keys.Dist != "uniform")
	count(r.Node.AntiEntropy.Enabled)
	for _, n := range sortedNames(r.Clocks.Nodes) {
		count(r.Clocks.Nodes[n] != (scenarios.Clock{}))
	}
	for _, n := range sortedNames(r.Disks.Nodes) {
		d := r.Disks.Nodes[n]
		count(d.LatencyMs != nil || d.ErrorProb != nil || d.BitFlipProb != 0 || d.CrashMode != scenarios.DefaultCrashMode)
	}
	return Size{Nodes: len(r.Cluster.Nodes), Faults: len(r.Faults), Clients: r.Workload.Clients, Keys: r.Workload.Keys.Count,
		Duration: r.Workload.Duration.String(), Ops: ops, Knobs: knobs}
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ShrinkDir shrinks the failure saved in dir (resolved.yaml and
// failure.json, as a campaign writes them) and writes dir/repro.yaml and
// dir/shrink.json.
func ShrinkDir(dir string, cfg ShrinkConfig) (*ShrinkResult, error) {
	data, err := os.ReadFile(filepath.Join(dir, "resolved.yaml"))
	if err != nil {
		return nil, err
	}
	r, err := parseResolved(filepath.Join(dir, "resolved.yaml"), data)
	if err != nil {
		return nil, err
	}
	var f Failure
	if data, err := os.ReadFile(filepath.Join(dir, "failure.json")); err == nil {
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "failure.json"), err)
		}
	}
	if f.Class == "" {
		// No failure.json: shrink towards whatever the scenario fails with.
		o := Evaluate(r, false)
		if !o.Class.IsFailure() {
			return nil, errors.New("fuzz: the scenario in " + dir + " does not fail")
		}
		f.Class = o.Class
	}
	small, res, err := Shrink(r, f.Class, cfg)
	if err != nil {
		return nil, err
	}
	small.Name = r.Name + "-shrunk"
	small.Description = fmt.Sprintf("%s, shrunk (%s)", r.Description, f.Class)
	out, err := scenarios.MarshalResolved(small)
	if err != nil {
		return nil, err
	}
	res.Path = filepath.Join(dir, "repro.yaml")
	res.Repro = ReproCommand(res.Path)
	if err := os.WriteFile(res.Path, out, 0o644); err != nil {
		return nil, err
	}
	return res, writeJSON(filepath.Join(dir, "shrink.json"), res)
}

// shrinkFirsts shrinks the first failure of each failing signature.
func shrinkFirsts(sum *Summary, out string) error {
	if out == "" {
		return errors.New("fuzz: --shrink needs --out")
	}
	seen := map[string]bool{}
	for i := range sum.Failures {
		f := &sum.Failures[i]
		if !f.Class.IsFailure() || seen[f.Signature] || f.Dir == "" {
			continue
		}
		seen[f.Signature] = true
		res, err := ShrinkDir(f.Dir, ShrinkConfig{})
		if err != nil {
			return err
		}
		f.Shrunk = res
	}
	return nil
}

// smaller is the steps that cut an integer knob to 1, 2, 4, half and one
// less (each refused by edit when it would not make the knob smaller).
func smaller(field func(*scenarios.Resolved) *int) []func(*scenarios.Resolved) {
	var out []func(*scenarios.Resolved)
	for _, to := range []func(int) int{
		func(int) int { return 1 }, func(int) int { return 2 }, func(int) int { return 4 },
		func(n int) int { return n / 2 }, func(n int) int { return n - 1 },
	} {
		out = append(out, func(c *scenarios.Resolved) {
			p := field(c)
			if v := to(*p); v >= 1 && v < *p {
				*p = v
			}
		})
	}
	return out
}
