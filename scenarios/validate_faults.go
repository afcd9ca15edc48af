package scenarios

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"dynasim/internal/streams"
)

// faultFields are the FaultSpec fields whose use depends on the action.
var faultFields = []string{"name", "nodes", "sides", "datacenters", "one_way", "mode", "by", "factor", "kinds", "dc", "rack", "weight"}

// given reports whether a fault field is set (non-zero).
func (f *FaultSpec) given(name string) bool {
	for _, fi := range fieldsOf(reflect.TypeFor[FaultSpec]()) {
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

// faults checks every fault on its own (action, fields, times, targets)
// and, when nothing in it is left to the seed, the schedule as a whole.
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
	v.membershipChanges()
	v.autoscale()
	v.rateProfile()
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
					v.bad(p+".name", "no partition is named %s%s", quoted(f.Name), suggest(f.Name, sortedKeys(partitions)))
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

// membershipChanges checks the joins and decommissions: a join names one
// new node (not a cluster node, not joined twice), placed in a known
// datacenter with a weight in range; a decommission names one node; both
// need gossip (membership.enabled on for every seed), which carries the
// ring change. A joined node may be the target of later faults and
// changes: its name is added to the known nodes.
func (v *validator) membershipChanges() {
	used := false
	for i := range v.s.Faults {
		f, p := &v.s.Faults[i], fmt.Sprintf("faults[%d]", i)
		if f.Action != ActJoin && f.Action != ActDecommission {
			continue
		}
		used = true
		if !f.Nodes.IsFixed() || len(f.Nodes.Value) != 1 {
			v.bad(p+".nodes", "%s takes exactly one node, given as a list of one name", f.Action)
			continue
		}
		if f.Action != ActJoin {
			continue
		}
		n := f.Nodes.Value[0]
		switch {
		case v.names[n] || v.someNames[n]:
			v.bad(p+".nodes[0]", "%s is already a node; a join names a new one", quoted(n))
			continue
		case !validName(n):
			v.bad(p+".nodes[0]", "%s is not a valid node name", quoted(n))
			continue
		}
		if f.DC != "" {
			v.datacenter(p+".dc", f.DC)
		}
		if f.Rack != "" && len(f.Rack) > MaxNameBytes {
			v.bad(p+".rack", "a rack name is at most %d bytes", MaxNameBytes)
		}
		if f.Weight != 0 && !(f.Weight > 0 && f.Weight <= 64) {
			v.bad(p+".weight", "must be within (0, 64], got %v", f.Weight)
		}
		v.names[n] = true
	}
	if used && slices.Contains(v.s.Membership.Enabled.Possible(false), false) && !v.failed("membership") {
		for i := range v.s.Faults {
			if a := v.s.Faults[i].Action; a == ActJoin || a == ActDecommission {
				v.bad(fmt.Sprintf("faults[%d].action", i), "%s spreads the ring change by gossip: set membership.enabled: true", a)
				break
			}
		}
	}
}

// autoscale checks the scaling policy: thresholds, bounds, times, and the
// nodes it may add (new names, like a join's), with gossip on.
func (v *validator) autoscale() {
	a := &v.s.Autoscale
	if !a.Enabled {
		return
	}
	const p = "autoscale"
	if !(a.ScaleUpAbove > 0) {
		v.bad(p+".scale_up_above", "must be positive (requests per node per second), got %v", a.ScaleUpAbove)
	}
	if !(a.ScaleDownBelow >= 0 && a.ScaleDownBelow < a.ScaleUpAbove) {
		v.bad(p+".scale_down_below", "must be within [0, scale_up_above), got %v", a.ScaleDownBelow)
	}
	if a.Window < 0 || a.Interval < 0 || a.Cooldown < 0 || (a.Window > 0 && a.Interval > a.Window) {
		v.bad(p+".interval", "window, interval and cooldown must be positive, the interval at most the window")
	}
	if a.Min < 0 || (a.Max != 0 && a.Max < a.Min) {
		v.bad(p+".max", "need 1 <= min <= max, got min %d max %d", a.Min, a.Max)
	}
	if len(a.Nodes) == 0 {
		v.bad(p+".nodes", "lists no nodes it may add")
	}
	for j, n := range a.Nodes {
		pj := fmt.Sprintf("%s.nodes[%d]", p, j)
		switch {
		case v.names[n] || v.someNames[n]:
			v.bad(pj, "%s is already a node; the autoscaler adds new ones", quoted(n))
		case !validName(n):
			v.bad(pj, "%s is not a valid node name", quoted(n))
		default:
			v.names[n] = true
		}
	}
	if a.DC != "" {
		v.datacenter(p+".dc", a.DC)
	}
	if slices.Contains(v.s.Membership.Enabled.Possible(false), false) && !v.failed("membership") {
		v.bad(p+".enabled", "the autoscaler's joins spread by gossip: set membership.enabled: true")
	}
}

// rateProfile checks workload.rate_profile: times increase from 0, rates
// are positive (a profile makes the loop open).
func (v *validator) rateProfile() {
	rp := v.s.Workload.RateProfile
	for i, x := range rp {
		if !(x.RatePerClient > 0 && x.RatePerClient <= 1e6) || x.At < 0 || (i > 0 && x.At <= rp[i-1].At) {
			v.bad(fmt.Sprintf("workload.rate_profile[%d]", i), "times must increase from 0 and rates be within (0, 1e6]")
		}
	}
}
