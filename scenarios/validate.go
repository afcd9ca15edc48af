package scenarios

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"dynasim/net"
)

// Limits of a scenario. They mirror the limits of the packages the runner
// feeds (node/ring, net, disk, sim), so a file that validates also builds.
const (
	MaxNodes     = 1024 // ring.MaxMembers
	MaxReplicas  = 16   // ring.MaxReplicas
	MaxWeight    = 64   // ring.MaxWeight
	MaxVNodes    = 4096 // ring.MaxVNodes, after weighting
	MaxRacks     = 64
	MaxNameBytes = 64 // ring.MaxNameBytes
	MaxFaults    = 10_000
	// MaxValueSizeBytes is the design's bound on a value (net's default
	// value limit); value_size_bytes may not draw more.
	MaxValueSizeBytes = net.DefaultValueSizeBytes
)

// Validate checks the scenario for every value its knobs can take: each
// field's own bounds, and the cross-checks (W ≤ N, N ≤ nodes, fault targets
// exist, fault times fall within the run, `for:` windows end within it,
// value sizes stay under the limit, message kinds exist, expectations are
// well formed). A scenario that validates resolves for every seed, except
// that a schedule whose times are ranges is checked for consistency (no
// restart of a node that is up, ...) only when Resolve fixes the times.
// Parse and Load call Validate; call it again after changing a Scenario.
// The error is Problems.
func (s *Scenario) Validate() error {
	probs := &problemList{file: s.file}
	s.validate(probs)
	return probs.result()
}

func (s *Scenario) validate(probs *problemList) {
	v := &validator{s: s, probs: probs}
	if len(s.Name) > 128 || strings.ContainsAny(s.Name, "/\\") || strings.ContainsFunc(s.Name, unicode.IsControl) {
		v.bad("name", "a name is at most 128 bytes, without / \\ or control characters (it names output files)")
	}
	v.enums()
	v.cluster()
	v.nodeConfig()
	v.network()
	v.disks()
	v.clocks()
	v.workload()
	v.faults()
	v.checks()
	v.expect()
}

type validator struct {
	s     *Scenario
	probs *problemList
	// names are the nodes that exist for every seed; someNames those that
	// exist for some seed (the shorthand's count may be a knob).
	names, someNames map[string]bool
	dcs              []string       // datacenters, in order
	dcNodes          map[string]int // fewest nodes each datacenter has
	minNodes         int
	nLo, nHi         int      // bounds of node.n
	runEnd           Duration // latest a fault may act; 0 when unknown
	runEndWhy        string
}

// bad reports a problem at path, unless the decoder already refused the
// value there.
func (v *validator) bad(path, format string, args ...any) {
	if v.failed(path) {
		return
	}
	v.probs.add(v.posFor(path), path, format, args...)
}

// posFor finds where path is written, or else where its nearest enclosing
// field is, so that a default that breaks a rule points at its section.
func (v *validator) posFor(path string) Pos { return v.s.posFor(path) }

func (s *Scenario) posFor(path string) Pos {
	for path != "" {
		if p, ok := s.pos[path]; ok {
			return p
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return Pos{}
}

// failed reports whether the decoder refused any of the paths or anything
// under them; cross-checks involving such a field are skipped.
func (v *validator) failed(paths ...string) bool {
	for k := range v.s.failed {
		for _, p := range paths {
			if k == p || strings.HasPrefix(k, p+".") || strings.HasPrefix(k, p+"[") {
				return true
			}
		}
	}
	return false
}

// eachValue calls f with every value a knob can take that validation must
// look at (a value, both ends of a range, every choice) and the path that
// value is written at.
func eachValue[T any](k Knob[T], path string, f func(x T, path string)) {
	switch {
	case !k.Set:
	case len(k.Range) == 2:
		f(k.Range[0], path+".range[0]")
		f(k.Range[1], path+".range[1]")
	case len(k.Choice) > 0:
		for i, c := range k.Choice {
			f(c, fmt.Sprintf("%s.choice[%d]", path, i))
		}
	default:
		f(k.Value, path)
	}
}

// lohi is the least and greatest value a knob can take; def stands for an
// unset knob.
func lohi[T cmp.Ordered](k Knob[T], def T) (T, T) {
	vals := k.Possible(def)
	return slices.Min(vals), slices.Max(vals)
}

// within checks that every value of k is in [lo, hi].
func within[T cmp.Ordered](v *validator, k Knob[T], path string, lo, hi T) {
	eachValue(k, path, func(x T, p string) {
		if x < lo || x > hi {
			v.bad(p, "must be within [%s, %s], got %s", num(lo), num(hi), num(x))
		}
	})
}

// num formats a value for a message: floats in plain notation where that
// stays short (1000000, not 1e+06), everything else as %v.
func num(x any) string {
	if f, ok := x.(float64); ok && (f == 0 || math.Abs(f) >= 1e-4 && math.Abs(f) < 1e15) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(x)
}

// fraction checks that every value of k is a probability in [0, 1].
func fraction(v *validator, k Knob[float64], path string) {
	eachValue(k, path, func(x float64, p string) {
		if x < 0 || x > 1 {
			v.bad(p, "must be a fraction within [0, 1], got %s", num(x))
		}
	})
}

// validName accepts names that are safe in stream names, file names and
// reports: letters, digits, '_', '-', '.', starting with a letter or digit.
func validName(s string) bool {
	if s == "" || len(s) > MaxNameBytes {
		return false
	}
	for i, c := range s {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("_-.", c)) {
			return false
		}
	}
	return true
}

func (v *validator) name(path, what, s string) bool {
	if !validName(s) {
		v.bad(path, "%s %q must be 1 to %d letters, digits, '_', '-' or '.', starting with a letter or digit", what, s, MaxNameBytes)
		return false
	}
	return true
}

// node checks that a node name exists for every seed.
func (v *validator) node(path, n string) bool {
	switch {
	case v.names[n]:
		return true
	case v.someNames[n]:
		v.bad(path, "node %q exists only when cluster.nodes picks at least %s nodes; a target must exist for every seed", n, strings.TrimPrefix(n, "n"))
	default:
		v.bad(path, "unknown node %q%s (nodes: %s)", n, suggest(n, sortedKeys(v.names)), abbreviate(v.nodeList()))
	}
	return false
}

func (v *validator) nodeList() []string {
	if l := v.s.Cluster.Nodes.List; len(l) > 0 {
		out := make([]string, len(l))
		for i, m := range l {
			out[i] = m.Name
		}
		return out
	}
	out := make([]string, v.minNodes)
	for i := range out {
		out[i] = fmt.Sprintf("n%d", i+1)
	}
	return out
}

func (v *validator) datacenter(path, dc string) bool {
	if slices.Contains(v.dcs, dc) {
		return true
	}
	v.bad(path, "unknown datacenter %q%s (datacenters: %s)", dc, suggest(dc, v.dcs), strings.Join(v.dcs, ", "))
	return false
}

func abbreviate(xs []string) string {
	if len(xs) > 8 {
		return strings.Join(xs[:4], ", ") + ", ..., " + xs[len(xs)-1]
	}
	return strings.Join(xs, ", ")
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

// walker is implemented by the types whose parts are not plain fields
// (knobs, the node count-or-list), so enums can be found everywhere.
type walker interface {
	walk(path string, f func(x reflect.Value, path string))
}

func (k *Knob[T]) walk(path string, f func(reflect.Value, string)) {
	eachValue(*k, path, func(x T, p string) { f(reflect.ValueOf(&x).Elem(), p) })
}

func (s *NodesSpec) walk(path string, f func(reflect.Value, string)) {
	s.Count.walk(path, f)
	for i := range s.List {
		f(reflect.ValueOf(&s.List[i]).Elem(), fmt.Sprintf("%s[%d]", path, i))
	}
}

// enums checks every enum value in the scenario. The decoder refuses bad
// ones in files; this catches scenarios built in code.
func (v *validator) enums() {
	var walk func(x reflect.Value, path string)
	walk = func(x reflect.Value, path string) {
		if x.CanAddr() {
			if w, ok := x.Addr().Interface().(walker); ok {
				w.walk(path, walk)
				return
			}
		}
		switch x.Kind() {
		case reflect.Struct:
			for _, f := range structFields(x.Type(), nil) {
				walk(x.FieldByIndex(f.index), join(path, f.name))
			}
		case reflect.Pointer:
			if !x.IsNil() {
				walk(x.Elem(), path)
			}
		case reflect.Slice:
			for i := range x.Len() {
				walk(x.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case reflect.Map:
			for _, k := range x.MapKeys() {
				walk(k, join(path, k.String()))
				val := reflect.New(x.Type().Elem()).Elem()
				val.Set(x.MapIndex(k))
				walk(val, join(path, k.String()))
			}
		case reflect.String:
			if e, ok := x.Interface().(enum); ok && !slices.Contains(e.enumValues(), x.String()) {
				v.bad(path, "unknown value %q (want %s)", x.String(), orList(e.enumValues()))
			}
		}
	}
	walk(reflect.ValueOf(v.s).Elem(), "")
}

func (v *validator) cluster() {
	c := &v.s.Cluster
	v.names, v.someNames, v.dcNodes = map[string]bool{}, map[string]bool{}, map[string]int{}
	if list := c.Nodes.List; len(list) > 0 {
		if len(list) > MaxNodes {
			v.bad("cluster.nodes", "%d nodes, the limit is %d", len(list), MaxNodes)
		}
		seen := map[string]int{}
		for i, m := range list {
			p := fmt.Sprintf("cluster.nodes[%d]", i)
			switch j, dup := seen[m.Name]; {
			case m.Name == "":
				v.bad(p+".name", "every node needs a name")
			case dup:
				v.bad(p+".name", "node %q is already defined by cluster.nodes[%d]", m.Name, j)
			case v.name(p+".name", "node name", m.Name):
				seen[m.Name] = i
				v.names[m.Name], v.someNames[m.Name] = true, true
			}
			dc := cmp.Or(m.Datacenter, DefaultDatacenter)
			if v.name(p+".datacenter", "datacenter", dc) && !slices.Contains(v.dcs, dc) {
				v.dcs = append(v.dcs, dc)
			}
			v.dcNodes[dc]++
			if m.Rack != "" {
				v.name(p+".rack", "rack", m.Rack)
			}
			eachValue(m.Weight, p+".weight", func(w float64, p string) {
				if !(w > 0 && w <= MaxWeight) {
					v.bad(p, "must be within (0, %d], got %v", MaxWeight, w)
				}
			})
		}
		v.minNodes = len(list)
		if len(c.Datacenters) > 0 {
			v.bad("cluster.datacenters", "applies only to the `nodes: <count>` shorthand; with a list of nodes, give each node its datacenter")
		}
		if c.RacksPerDatacenter.Set {
			v.bad("cluster.racks_per_datacenter", "applies only to the `nodes: <count>` shorthand; with a list of nodes, give each node its rack")
		}
	} else {
		within(v, c.Nodes.Count, "cluster.nodes", 1, MaxNodes)
		lo, hi := lohi(c.Nodes.Count, DefaultNodes)
		lo, hi = min(max(lo, 1), MaxNodes), min(max(hi, 1), MaxNodes)
		dcs := c.Datacenters
		if len(dcs) == 0 {
			dcs = []string{DefaultDatacenter}
		}
		for i, dc := range dcs {
			p := fmt.Sprintf("cluster.datacenters[%d]", i)
			if v.name(p, "datacenter", dc) {
				if slices.Contains(v.dcs, dc) {
					v.bad(p, "datacenter %q is listed twice", dc)
					continue
				}
				v.dcs = append(v.dcs, dc)
			}
		}
		if lo < len(dcs) && !v.failed("cluster.nodes") {
			v.bad("cluster.nodes", "%d datacenters need at least %d nodes, got %d", len(dcs), len(dcs), lo)
		}
		for _, m := range shorthandMembers(lo, dcs, 0) {
			v.names[m.Name] = true
			v.dcNodes[m.Datacenter]++
		}
		for i := range hi {
			v.someNames[fmt.Sprintf("n%d", i+1)] = true
		}
		v.minNodes = lo
		within(v, c.RacksPerDatacenter, "cluster.racks_per_datacenter", 0, MaxRacks)
	}
	within(v, c.VNodes, "cluster.vnodes", 1, MaxVNodes)
	_, vhi := lohi(c.VNodes, DefaultVNodes)
	for i, m := range c.Nodes.List {
		if _, w := lohi(m.Weight, 1); float64(vhi)*w > MaxVNodes && !v.failed("cluster.vnodes") {
			v.bad(fmt.Sprintf("cluster.nodes[%d].weight", i), "weight %v gives %v virtual nodes (cluster.vnodes %d × weight), the limit is %d", w, float64(vhi)*w, vhi, MaxVNodes)
		}
	}
}

// shorthandMembers spreads n nodes named n1..nN over the datacenters in
// contiguous blocks whose sizes differ by at most one (earlier datacenters
// get the extra nodes), and, with racks > 0, over that many racks per
// datacenter (r1, r2, ... in turn).
func shorthandMembers(n int, dcs []string, racks int) []Member {
	out := make([]Member, n)
	inDC := map[string]int{}
	for i := range out {
		dc := dcs[i*len(dcs)/n]
		out[i] = Member{Name: fmt.Sprintf("n%d", i+1), Datacenter: dc, Weight: 1}
		if racks > 0 {
			out[i].Rack = fmt.Sprintf("r%d", inDC[dc]%racks+1)
		}
		inDC[dc]++
	}
	return out
}

func (v *validator) nodeConfig() {
	nc := &v.s.Node
	v.nLo, v.nHi = lohi(nc.N, DefaultN)
	if rp := nc.ReplicasPerDatacenter; len(rp) > 0 {
		sumLo, sumHi := 0, 0
		for _, dc := range sortedKeys(rp) {
			p := "node.replicas_per_datacenter." + dc
			k := rp[dc]
			within(v, k, p, 1, MaxReplicas)
			lo, hi := lohi(k, 0)
			sumLo, sumHi = sumLo+lo, sumHi+hi
			if v.datacenter(p, dc) && hi > v.dcNodes[dc] && !v.failed("cluster") {
				v.bad(p, "%d replicas in %s, which has only %d nodes", hi, dc, v.dcNodes[dc])
			}
		}
		if nLo, nHi := lohi(nc.N, 0); nc.N.Set && !(nLo == sumLo && nHi == sumHi && sumLo == sumHi) {
			v.bad("node.n", "n is the sum of replicas_per_datacenter (%s); leave it out", span(sumLo, sumHi))
		}
		v.nLo, v.nHi = sumLo, sumHi
		if sumHi > MaxReplicas {
			v.bad("node.replicas_per_datacenter", "%d replicas in total, the limit is %d", sumHi, MaxReplicas)
		}
	} else {
		within(v, nc.N, "node.n", 1, MaxReplicas)
		if v.nHi > v.minNodes && !v.failed("cluster.nodes", "node.n") {
			if nc.N.Set {
				v.bad("node.n", "n = %d replicas need at least %d nodes; the cluster has %d", v.nHi, v.nHi, v.minNodes)
			} else {
				v.bad("cluster.nodes", "%d nodes are fewer than the default n = %d replicas; add nodes or set node.n", v.minNodes, v.nHi)
			}
		}
	}
	for _, q := range []struct {
		name string
		k    Knob[int]
		what string
	}{{"r", nc.R, "a read"}, {"w", nc.W, "a write"}} {
		p := "node." + q.name
		within(v, q.k, p, 1, MaxReplicas)
		if _, hi := lohi(q.k, 0); q.k.Set && hi > v.nLo && !v.failed(p, "node.n", "node.replicas_per_datacenter") {
			v.bad(p, "%s = %d exceeds n = %d: %s cannot wait for more replicas than a key has", q.name, hi, v.nLo, q.what)
		}
	}
	within(v, nc.MaxSiblings, "node.max_siblings", 1, net.MaxSiblings)
	pr := &nc.VClockPruning
	within(v, pr.SmallVClock, "node.vclock_pruning.small_vclock", 1, net.MaxClockEntries)
	within(v, pr.BigVClock, "node.vclock_pruning.big_vclock", 1, net.MaxClockEntries)
	_, smallHi := lohi(pr.SmallVClock, DefaultSmallVClock)
	if bigLo, _ := lohi(pr.BigVClock, 0); pr.BigVClock.Set && bigLo < smallHi {
		v.bad("node.vclock_pruning.big_vclock", "must be at least small_vclock (%d), got %d", smallHi, bigLo)
	}
	within(v, pr.YoungVClock, "node.vclock_pruning.young_vclock", 0, Duration(365*24*3600e9))
	_, youngHi := lohi(pr.YoungVClock, DefaultYoungVClock)
	if oldLo, _ := lohi(pr.OldVClock, 0); pr.OldVClock.Set && oldLo < youngHi {
		v.bad("node.vclock_pruning.old_vclock", "must be at least young_vclock (%v), got %v", youngHi, oldLo)
	}
	within(v, nc.RequestTimeout, "node.request_timeout", Duration(1e6), Duration(3600e9))
	st := &nc.Storage
	within(v, st.SyncInterval, "node.storage.sync_interval", Duration(1e3), Duration(60e9))
	if st.SyncInterval.Set && st.Sync.Set && st.Sync.IsFixed() && st.Sync.Value == "every" {
		v.bad("node.storage.sync_interval", "applies only to sync: group or periodic")
	}
	within(v, st.MemtableSizeBytes, "node.storage.memtable_size_bytes", 16<<10, 1<<30) // lsm's bounds
	within(v, st.BloomBitsPerKey, "node.storage.bloom_bits_per_key", 0, 64)
	within(v, st.BlockCacheSizeBytes, "node.storage.block_cache_size_bytes", 0, 64<<30)
}

func (v *validator) checks() {
	within(v, v.s.QuietPeriod, "quiet_period", 0, Duration(24*3600e9))
	v.level("final_read_level", v.s.FinalReadLevel, v.nLo)
	c := &v.s.Checks
	within(v, c.LinTimeLimit, "checks.lin_time_limit", Duration(1e6), Duration(24*3600e9))
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

func (v *validator) expect() {
	e := &v.s.Expect
	for _, f := range []struct {
		name string
		x    *float64
	}{
		{"availability_min", e.AvailabilityMin}, {"availability_in_faults_min", e.AvailabilityInFaultsMin},
		{"availability_in_faults_max", e.AvailabilityInFaultsMax}, {"stale_fraction_max", e.StaleFractionMax},
	} {
		if f.x != nil && (*f.x < 0 || *f.x > 1) {
			v.bad("expect."+f.name, "must be a fraction within [0, 1], got %v", *f.x)
		}
	}
	if e.LostAckedWrites != nil && *e.LostAckedWrites < 0 {
		v.bad("expect.lost_acked_writes", "must be >= 0, got %d", *e.LostAckedWrites)
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

// span renders a knob's bounds: "3", or "3 to 5".
func span[T cmp.Ordered](lo, hi T) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%v to %v", lo, hi)
}
