package scenarios

import (
	"fmt"
	"slices"
)

// checks covers the end of the run, the checker's knobs and the world's.
func (v *validator) checks() {
	within(v, v.s.QuietPeriod, "quiet_period", 0, Duration(24*3600e9))
	v.level("final_read_level", v.s.FinalReadLevel, v.nLo)
	c := &v.s.Checks
	within(v, c.LinTimeLimit, "checks.lin_time_limit", Duration(1e6), Duration(24*3600e9))
	within(v, c.LinStepBudget, "checks.lin_step_budget", 1_000, 1<<40)
	within(v, c.LinMemoryMB, "checks.lin_memory_budget_mb", 1, 1<<20)
	within(v, c.MaxExamples, "checks.max_examples", 1, 10_000)
	if len(c.TVisibilityMs) > 1000 {
		v.bad("checks.t_visibility_ms", "%d thresholds, the limit is 1000", len(c.TVisibilityMs))
	}
	for i, t := range c.TVisibilityMs {
		p := fmt.Sprintf("checks.t_visibility_ms[%d]", i)
		if t < 0 {
			v.bad(p, "must be >= 0, got %v", t)
		} else if i > 0 && t <= c.TVisibilityMs[i-1] {
			v.bad(p, "thresholds must ascend: %v follows %v", t, c.TVisibilityMs[i-1])
		}
	}
	within(v, v.s.Sim.EventCost, "sim.event_cost", 0, Duration(1e9))
	within(v, v.s.Sim.MaxQueuedEvents, "sim.max_queued_events", 1, 1<<30)
}

// level checks a consistency level knob against n replicas (the fewest a
// key may have).
func (v *validator) level(path string, k Knob[Level], n int) {
	eachValue(k, path, func(l Level, p string) {
		if _, err := l.Need(); err != nil {
			v.bad(p, "%v", err)
			return
		}
		if c, ok := l.Count(n); ok && c > n && !v.failed("node", "cluster") {
			v.bad(p, "%s needs %d replicas, but n can be %d", l, c, n)
		}
	})
}

// expect checks that every expectation is well formed and can be judged.
func (v *validator) expect() {
	e := &v.s.Expect
	for _, f := range []struct {
		name string
		x    *float64
	}{
		{"availability_min", e.AvailabilityMin}, {"availability_in_faults_min", e.AvailabilityInFaultsMin},
		{"availability_in_faults_max", e.AvailabilityInFaultsMax}, {"stale_fraction_max", e.StaleFractionMax},
		{"availability_after_faults_min", e.AvailabilityAfterFaultsMin}, {"stale_fraction_min", e.StaleFractionMin},
		{"moved_fraction_max", e.MovedFractionMax},
	} {
		if f.x != nil && (*f.x < 0 || *f.x > 1) {
			v.bad("expect."+f.name, "must be a fraction within [0, 1], got %v", *f.x)
		}
	}
	if x := e.DetectedDownWithinMs; x != nil && !(*x >= 0 && *x <= 1e9) {
		v.bad("expect.detected_down_within_ms", "must be within [0, 1e9] ms, got %v", *x)
	}
	if x := e.RepairedWithinMs; x != nil {
		if !(*x >= 0 && *x <= 1e9) {
			v.bad("expect.repaired_within_ms", "must be within [0, 1e9] ms, got %v", *x)
		}
		if !slices.ContainsFunc(v.s.Faults, func(f FaultSpec) bool { return f.Action == ActWipe || f.Action == ActCorruptTable }) {
			v.bad("expect.repaired_within_ms", "measures how fast a wiped node is refilled, but no fault wipes a node or corrupts a table")
		}
	}
	for _, f := range []struct {
		name, needs, needsPath string
		x                      *int
		on                     Knob[bool]
	}{
		{"false_down_max", "membership.enabled", "membership", e.FalseDownMax, v.s.Membership.Enabled},
		{"hints_pending_max", "node.hinted_handoff.enabled", "node.hinted_handoff", e.HintsPendingMax, v.s.Node.HintedHandoff.Enabled},
		{"hints_dropped_max", "node.hinted_handoff.enabled", "node.hinted_handoff", e.HintsDroppedMax, v.s.Node.HintedHandoff.Enabled},
		{"detected_down_within_ms", "membership.enabled", "membership", nil, v.s.Membership.Enabled},
		{"anti_entropy_bytes_max", "node.anti_entropy.enabled", "node.anti_entropy", nil, v.s.Node.AntiEntropy.Enabled},
	} {
		set := f.x != nil || (f.name == "detected_down_within_ms" && e.DetectedDownWithinMs != nil) ||
			(f.name == "anti_entropy_bytes_max" && e.AntiEntropyBytesMax != nil)
		if !set {
			continue
		}
		if f.x != nil && *f.x < 0 {
			v.bad("expect."+f.name, "must be >= 0, got %d", *f.x)
		}
		if slices.Contains(f.on.Possible(false), false) && !v.failed(f.needsPath) {
			v.bad("expect."+f.name, "measures what %s: true turns on, which is not on for every seed", f.needs)
		}
	}
	if e.LostAckedWrites != nil && *e.LostAckedWrites < 0 {
		v.bad("expect.lost_acked_writes", "must be >= 0, got %d", *e.LostAckedWrites)
	}
	if e.UnverifiedAckedWritesMax != nil && *e.UnverifiedAckedWritesMax < 0 {
		v.bad("expect.unverified_acked_writes_max", "must be >= 0, got %d", *e.UnverifiedAckedWritesMax)
	}
	if e.UnverifiedAckedWritesMax != nil && e.LostAckedWrites == nil {
		v.bad("expect.unverified_acked_writes_max", "only qualifies lost_acked_writes, which is not asserted")
	}
	if e.LostAckedWritesMin != nil && *e.LostAckedWritesMin < 1 {
		v.bad("expect.lost_acked_writes_min", "must be >= 1 (it asserts that writes are lost), got %d", *e.LostAckedWritesMin)
	}
	if e.LostAckedWrites != nil && e.LostAckedWritesMin != nil && *e.LostAckedWritesMin > *e.LostAckedWrites {
		v.bad("expect.lost_acked_writes_min", "%d is above lost_acked_writes (%d): no run can satisfy both", *e.LostAckedWritesMin, *e.LostAckedWrites)
	}
	if e.AvailabilityInFaultsMin != nil && e.AvailabilityInFaultsMax != nil && *e.AvailabilityInFaultsMin > *e.AvailabilityInFaultsMax {
		v.bad("expect.availability_in_faults_min", "%v is above availability_in_faults_max (%v): no run can satisfy both", *e.AvailabilityInFaultsMin, *e.AvailabilityInFaultsMax)
	}
	for _, f := range []struct {
		name string
		x    *float64
	}{{"availability_in_faults_min", e.AvailabilityInFaultsMin}, {"availability_in_faults_max", e.AvailabilityInFaultsMax}} {
		if f.x != nil && len(v.s.Faults) == 0 {
			v.bad("expect."+f.name, "needs faults, and the schedule is empty")
		}
	}
	for _, lb := range []struct {
		name string
		b    LatencyBound
	}{{"p50_ms_max", e.P50MsMax}, {"p99_ms_max", e.P99MsMax}, {"p999_ms_max", e.P999MsMax}} {
		for op, x := range lb.b {
			if x <= 0 {
				v.bad(join("expect."+lb.name, string(op)), "must be > 0 ms, got %v", x)
			}
		}
	}
	if e.Linearizable != nil && !v.failed("checks.linearizability") {
		v.linearizable()
	}
}

// linearizable checks that the linearizability check runs for every seed
// when the scenario expects a verdict from it.
func (v *validator) linearizable() {
	modes := v.s.Checks.Linearizability.Possible(DefaultLinMode)
	if slices.Contains(modes, "off") {
		v.bad("expect.linearizable", "expects a linearizability verdict, but checks.linearizability can be off")
		return
	}
	if !slices.Contains(modes, "auto") || v.failed("node", "workload") {
		return
	}
	if n, r, w, ok := v.quorumsOverlap(); !ok {
		v.bad("expect.linearizable", "expects a linearizability verdict, but checks.linearizability: auto skips the check when W+R <= N (here R=%d, W=%d, N=%d can happen); set checks.linearizability: on to run it anyway", r, w, n)
	}
}

// quorumsOverlap reports whether R+W > N holds for every combination of
// the knobs' extreme values, or the first combination where it fails. N is
// the request's replica count: workload.n, or else node.n, on which the
// node's default quorums (a majority) then depend.
func (v *validator) quorumsOverlap() (n, r, w int, ok bool) {
	wl, nc := &v.s.Workload, &v.s.Node
	ns := []int{v.nLo, v.nHi}
	if wl.N.Set {
		ns = wl.N.Possible(0)
	}
	for _, n := range ns {
		nodeNs := []int{n}
		if wl.N.Set {
			nodeNs = []int{v.nLo, v.nHi}
		}
		rs := effective(wl.ReadLevel, nc.R, nodeNs, n)
		ws := effective(wl.WriteLevel, nc.W, nodeNs, n)
		if rs == nil || ws == nil {
			return n, 0, 0, false
		}
		for _, r := range rs {
			for _, w := range ws {
				if r+w <= n {
					return n, r, w, false
				}
			}
		}
	}
	return 0, 0, 0, true
}

// effective lists the replica counts a request level can require out of n:
// the workload's level when set, else the node's R or W (by default a
// majority of node.n, which takes the values nodeNs). nil when a level
// depends on datacenters.
func effective(level Knob[Level], node Knob[int], nodeNs []int, n int) []int {
	var nodeVals []int
	for _, nn := range nodeNs {
		nodeVals = append(nodeVals, node.Possible(nn/2+1)...)
	}
	if !level.Set {
		return nodeVals
	}
	var out []int
	for _, l := range level.Possible("") {
		if l == LevelDefault {
			out = append(out, nodeVals...)
			continue
		}
		c, ok := l.Count(n)
		if !ok {
			return nil
		}
		out = append(out, c)
	}
	return out
}
