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

	"dynasim/wire"
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
	// MaxValueSizeBytes is the design's bound on a value (wire's default
	// value limit); value_size_bytes may not draw more.
	MaxValueSizeBytes = wire.DefaultValueSizeBytes
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
	v.membership()
	v.network()
	v.disks()
	v.clocks()
	v.workload()
	v.probe()
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
	maxNodes         int      // the most nodes the cluster can have
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
		v.bad(path, "%s %s must be 1 to %d letters, digits, '_', '-' or '.', starting with a letter or digit", what, quoted(s), MaxNameBytes)
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
		v.bad(path, "unknown node %s%s (nodes: %s)", quoted(n), suggest(n, sortedKeys(v.names)), abbreviate(v.nodeList()))
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
	v.bad(path, "unknown datacenter %s%s (datacenters: %s)", quoted(dc), suggest(dc, v.dcs), strings.Join(v.dcs, ", "))
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
			for _, f := range fieldsOf(x.Type()) {
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
				v.bad(path, "unknown value %s (want %s)", quoted(x.String()), orList(e.enumValues()))
			}
		}
	}
	walk(reflect.ValueOf(v.s).Elem(), "")
}

// span renders a knob's bounds: "3", or "3 to 5".
func span[T cmp.Ordered](lo, hi T) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%v to %v", lo, hi)
}
