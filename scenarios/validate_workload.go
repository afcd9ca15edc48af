package scenarios

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"dynasim/internal/dist"
	"dynasim/internal/streams"
)

// Workload limits (sim's).
const (
	MaxClients = 100_000
	MaxKeys    = 10_000_000
	MaxOps     = 1_000_000_000
)

func (v *validator) workload() {
	w := &v.s.Workload
	within(v, w.Clients, "workload.clients", 1, MaxClients)
	within(v, w.RatePerClient, "workload.rate_per_client", 0, 1e6)
	v.spec(w.ThinkTimeMs, "workload.think_time_ms", "a think time")
	if rateLo, _ := lohi(w.RatePerClient, 0); w.ThinkTimeMs.Set && rateLo > 0 {
		v.bad("workload.think_time_ms", "applies only to a closed loop (rate_per_client: 0); an open loop starts operations at its rate")
	}
	within(v, w.Duration, "workload.duration", 0, Duration(30*24*3600e9))
	within(v, w.MaxOps, "workload.max_ops", 0, MaxOps)
	within(v, w.MaxOutstanding, "workload.max_outstanding", 1, 1_000_000)
	durLo, _ := lohi(w.Duration, defaultDuration(w))
	opsLo, _ := lohi(w.MaxOps, 0)
	if durLo <= 0 && opsLo <= 0 && !v.failed("workload.duration", "workload.max_ops") {
		v.bad("workload.duration", "the workload needs a duration or max_ops, or it never ends (both can be 0)")
	}
	if durLo > 0 { // fault times can be checked against a known end
		v.runEnd, v.runEndWhy = durLo, fmt.Sprintf("the workload ends (workload.duration %v)", durLo)
		if heal := v.s.HealAtEnd.Possible(true); !slices.Contains(heal, true) {
			q, _ := lohi(v.s.QuietPeriod, DefaultQuietPeriod)
			v.runEnd += q
			v.runEndWhy = fmt.Sprintf("the run ends (workload.duration %v + quiet_period %v)", durLo, q)
		}
	}

	m := &w.Mix
	sumLo, anySet := 0.0, false
	for _, f := range []struct {
		name string
		k    Knob[float64]
	}{{"get", m.Get}, {"put", m.Put}, {"delete", m.Delete}, {"rmw", m.ReadModifyWrite}} {
		within(v, f.k, "workload.mix."+f.name, 0, 1e6)
		lo, _ := lohi(f.k, 0)
		sumLo += max(lo, 0) // a negative weight is reported on its own
		anySet = anySet || f.k.Set
	}
	if anySet && sumLo <= 0 && !v.failed("workload.mix") {
		v.bad("workload.mix", "the mix can have no operations: every weight can be 0")
	}

	k := &w.Keys
	within(v, k.Count, "workload.keys.count", 1, MaxKeys)
	eachValue(k.ZipfS, "workload.keys.zipf_s", func(x float64, p string) {
		if !(x > 0 && x <= 10) {
			v.bad(p, "must be within (0, 10], got %v", x)
		}
	})
	for _, f := range []struct {
		name string
		k    Knob[float64]
	}{{"hotspot_keys", k.HotspotKeys}, {"hotspot_ops", k.HotspotOps}} {
		eachValue(f.k, "workload.keys."+f.name, func(x float64, p string) {
			if !(x > 0 && x < 1) {
				v.bad(p, "must be a fraction within (0, 1), got %v", x)
			}
		})
	}

	v.spec(w.ValueSizeBytes, "workload.value_size_bytes", "a value size")
	eachValue(w.ValueSizeBytes, "workload.value_size_bytes", func(s dist.Spec, p string) {
		if s.Validate() != nil {
			return
		}
		switch hi := upperBound(s); {
		case math.IsInf(hi, 1):
			v.bad(p, "%s has no upper bound, but a value is at most %d bytes; use constant, uniform or a mixture of them", s, MaxValueSizeBytes)
		case hi > MaxValueSizeBytes:
			v.bad(p, "%s can draw %v bytes, over the %d-byte value limit", s, hi, MaxValueSizeBytes)
		}
	})

	within(v, w.N, "workload.n", 1, MaxReplicas)
	reqN := v.nLo
	if w.N.Set {
		lo, hi := lohi(w.N, 0)
		reqN = lo
		if hi > v.minNodes && !v.failed("cluster.nodes") {
			v.bad("workload.n", "n = %d replicas need at least %d nodes; the cluster has %d", hi, hi, v.minNodes)
		}
	}
	v.level("workload.read_level", w.ReadLevel, reqN)
	v.level("workload.write_level", w.WriteLevel, reqN)
	within(v, w.Timeout, "workload.timeout", Duration(1e6), Duration(3600e9))
	within(v, w.Retries, "workload.retries", 0, 100)
}

// defaultDuration is the workload duration when none is given: a fixed
// default, unless max_ops bounds the workload instead.
func defaultDuration(w *WorkloadSpec) Duration {
	if w.MaxOps.Set {
		return 0
	}
	return DefaultDuration
}

// faultFields are the FaultSpec fields whose use depends on the action.
var faultFields = []string{"name", "nodes", "sides", "datacenters", "one_way", "mode", "by", "factor", "kinds"}

// given reports whether a fault field is set (non-zero).
func (f *FaultSpec) given(name string) bool {
	for _, fi := range structFields(reflect.TypeFor[FaultSpec](), nil) {
		if fi.name == name {
			return !reflect.ValueOf(f).Elem().FieldByIndex(fi.index).IsZero()
		}
	}
	return false
}

// partitionName is the name a partition fault goes by.
func partitionName(f *FaultSpec, i int) string {
	if f.Name != "" {
		return f.Name
	}
	return fmt.Sprintf("faults[%d]", i)
}

func (v *validator) faults() {
	fs := v.s.Faults
	if len(fs) > MaxFaults {
		v.bad("faults", "%d faults, the limit is %d", len(fs), MaxFaults)
		return
	}
	partitions := map[string]bool{}
	for i := range fs {
		if fs[i].Action.isPartition() {
			partitions[partitionName(&fs[i], i)] = true
		}
	}
	before, allFixed := len(v.probs.list), true
	for i := range fs {
		f, p := &fs[i], fmt.Sprintf("faults[%d]", i)
		rule, known := actionRules[f.Action]
		if !known {
			if f.Action == "" {
				v.bad(p+".action", "required: what the fault does (%s)", orList(Action("").enumValues()))
			}
			continue
		}
		for _, name := range faultFields {
			if f.given(name) && !slices.Contains(rule.uses, name) {
				v.bad(p+"."+name, "does not apply to action %s (it takes %s)", f.Action, strings.Join(append([]string{"at", "for"}, rule.uses...), ", "))
			}
		}
		for _, name := range rule.needs {
			if !f.given(name) {
				v.bad(p+"."+name, "required by action %s", f.Action)
			}
		}
		v.faultTimes(f, p, rule)
		allFixed = allFixed && f.At.IsFixed() && f.For.IsFixed() && f.Nodes.IsFixed() && f.Sides.IsFixed()
		eachValue(f.Nodes, p+".nodes", func(nodes []string, pp string) { v.nodeSet(pp, nodes) })
		eachValue(f.Sides, p+".sides", func(sides [][]string, pp string) { v.sides(pp, sides) })
		if f.given("datacenters") {
			v.datacenterPair(p+".datacenters", f.Datacenters)
		}
		if f.Name != "" {
			if f.Action == ActHeal {
				if !partitions[f.Name] {
					v.bad(p+".name", "no partition is named %q%s", f.Name, suggest(f.Name, sortedKeys(partitions)))
				}
			} else if len(f.Name) > MaxNameBytes || strings.ContainsFunc(f.Name, unicode.IsControl) {
				v.bad(p+".name", "a partition name is at most %d bytes, without control characters", MaxNameBytes)
			}
		}
		eachValue(f.By, p+".by", func(d Duration, pp string) {
			if d == 0 || d < -Duration(24*3600e9) || d > Duration(24*3600e9) {
				v.bad(pp, "must be a non-zero step within ±24h, got %v", d)
			}
		})
		within(v, f.Factor, p+".factor", 1, 1e6)
		if f.Kinds != nil && len(f.Kinds) == 0 {
			v.bad(p+".kinds", "lists no kinds; leave it out for %s", kindList(DefaultDiskFaultKinds))
		}
		for j, k := range f.Kinds {
			if slices.Index(f.Kinds, k) < j {
				v.bad(fmt.Sprintf("%s.kinds[%d]", p, j), "%s is listed twice", k)
			}
		}
	}
	// The schedule's consistency (no restart of a running node, ...) can be
	// checked here only when times and targets are fixed; otherwise Resolve
	// checks it for each seed.
	if allFixed && len(v.probs.list) == before {
		r := &Resolved{}
		for i := range fs {
			r.Faults = append(r.Faults, resolveFault(&fs[i], i, streams.New(0), v.nodeList()))
		}
		checkSchedule(r, func(i int, reverse bool, msg string) {
			p := fmt.Sprintf("faults[%d]", i)
			if reverse {
				p += ".for"
			}
			v.bad(p, "%s", msg)
		})
	}
}

func kindList(ks []DiskFaultKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, " and ")
}

func (v *validator) faultTimes(f *FaultSpec, p string, rule actionRule) {
	if !f.At.Set {
		v.bad(p+".at", "required: when the fault happens, e.g. at: 2s")
	}
	atLo, atHi := lohi(f.At, 0)
	eachValue(f.At, p+".at", func(t Duration, pp string) {
		if t < 0 {
			v.bad(pp, "must be >= 0, got %v", t)
		} else if v.runEnd > 0 && t >= v.runEnd {
			v.bad(pp, "%v is not before %s at %v", t, v.runEndWhy, v.runEnd)
		}
	})
	if !f.For.Set {
		return
	}
	if rule.reverse == "" {
		v.bad(p+".for", "action %s has no reverse action, so it takes no for: window", f.Action)
		return
	}
	eachValue(f.For, p+".for", func(d Duration, pp string) {
		if d <= 0 {
			v.bad(pp, "must be > 0, got %v", d)
		}
	})
	if _, forHi := lohi(f.For, 0); v.runEnd > 0 && atHi+forHi > v.runEnd && atLo >= 0 && atHi < v.runEnd {
		v.bad(p+".for", "the window can end at %v (at %v + for %v), after %s at %v", atHi+forHi, atHi, forHi, v.runEndWhy, v.runEnd)
	}
}

// nodeSet checks a list of fault targets.
func (v *validator) nodeSet(path string, nodes []string) {
	if len(nodes) == 0 {
		v.bad(path, "lists no nodes")
	}
	for j, n := range nodes {
		pj := fmt.Sprintf("%s[%d]", path, j)
		if slices.Index(nodes, n) < j {
			v.bad(pj, "%s is listed twice", n)
		} else {
			v.node(pj, n)
		}
	}
}

// sides checks a partition's sides: one (cut from every other node) or two
// disjoint, non-empty sets of nodes.
func (v *validator) sides(path string, sides [][]string) {
	if len(sides) < 1 || len(sides) > 2 {
		v.bad(path, "expected one side (cut from every other node) or two sides, got %d", len(sides))
		return
	}
	seen := map[string]int{}
	for i, side := range sides {
		ps := fmt.Sprintf("%s[%d]", path, i)
		v.nodeSet(ps, side)
		for j, n := range side {
			if k, dup := seen[n]; dup && k != i {
				v.bad(fmt.Sprintf("%s[%d]", ps, j), "%s is on both sides", n)
			}
			seen[n] = i
		}
	}
	if len(sides) == 1 && len(sides[0]) >= v.minNodes && !v.failed("cluster.nodes") {
		v.bad(path, "the side holds every node, so there is nothing to cut it from")
	}
}

func (v *validator) datacenterPair(path string, dcs []string) {
	if len(dcs) != 2 {
		v.bad(path, "expected two datacenters, got %d", len(dcs))
		return
	}
	okA := v.datacenter(path+"[0]", dcs[0])
	okB := v.datacenter(path+"[1]", dcs[1])
	if okA && okB && dcs[0] == dcs[1] {
		v.bad(path, "cannot partition datacenter %s from itself", dcs[0])
	}
}
