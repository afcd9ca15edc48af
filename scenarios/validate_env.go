package scenarios

import (
	"fmt"
	"math"
	"strings"

	"dynasim/internal/dist"
	"dynasim/wire"
)

// spec checks a distribution knob: every alternative must be a valid
// dist.Spec whose draws cannot be negative (what names the quantity).
func (v *validator) spec(k Knob[dist.Spec], path, what string) {
	eachValue(k, path, func(s dist.Spec, p string) {
		if err := s.Validate(); err != nil {
			sub, msg := splitDistError(err)
			v.bad(join(p, sub), "%s", msg)
			return
		}
		if lo := s.LowerBound(); lo < 0 {
			v.bad(p, "%s can be negative (down to %v), and %s cannot", s, lo, what)
		}
	})
}

// splitDistError separates the field path dist.Spec.Validate puts in front
// of its messages ("mixture[1].shape: must be > 0 ...") so it can be joined
// to the spec's own path.
func splitDistError(err error) (sub, msg string) {
	s := err.Error()
	if i := strings.Index(s, ": "); i > 0 && !strings.ContainsAny(s[:i], " \t") {
		return s[:i], s[i+2:]
	}
	return "", s
}

// upperBound is the largest value a distribution can draw: finite for
// constants, uniforms and mixtures of them, +Inf for the rest.
func upperBound(s dist.Spec) float64 {
	switch {
	case s.Dist == dist.Constant:
		return s.Value
	case s.Dist == dist.Uniform:
		return s.Max
	case s.Dist == dist.Mixture || s.Dist == "" && len(s.Mixture) > 0:
		hi := math.Inf(-1)
		for _, c := range s.Mixture {
			hi = max(hi, upperBound(c))
		}
		return hi
	}
	return math.Inf(1)
}

// network checks the link models and that overrides name existing
// datacenters and nodes, each pair at most once.
func (v *validator) network() {
	n := &v.s.Network
	v.link(&n.Default, "network.default")
	seenDC := map[[2]string]int{}
	for i := range n.DCPairs {
		d, p := &n.DCPairs[i], fmt.Sprintf("network.dc_pairs[%d]", i)
		okFrom := v.required(p+".from", d.From, "datacenter") && v.datacenter(p+".from", d.From)
		okTo := v.required(p+".to", d.To, "datacenter") && v.datacenter(p+".to", d.To)
		if okFrom && okTo {
			for _, k := range directions(d.From, d.To, d.BothWays) {
				if j, dup := seenDC[k]; dup {
					v.bad(p, "datacenter pair %s->%s is already configured by network.dc_pairs[%d]", k[0], k[1], j)
				}
				seenDC[k] = i
			}
		}
		v.link(&d.Link, p)
	}
	seenLink := map[[2]string]int{}
	for i := range n.Links {
		l, p := &n.Links[i], fmt.Sprintf("network.links[%d]", i)
		okFrom := v.required(p+".from", l.From, "node") && v.node(p+".from", l.From)
		okTo := v.required(p+".to", l.To, "node") && v.node(p+".to", l.To)
		if okFrom && okTo {
			if l.From == l.To {
				v.bad(p, "a link joins two different nodes, got %s to itself", l.From)
			}
			for _, k := range directions(l.From, l.To, l.BothWays) {
				if j, dup := seenLink[k]; dup {
					v.bad(p, "link %s->%s is already configured by network.links[%d]", k[0], k[1], j)
				}
				seenLink[k] = i
			}
		}
		v.link(&l.Link, p)
	}
	eachValue(n.MaxLatencyMs, "network.max_latency_ms", func(x float64, p string) {
		if !(x > 0 && x <= 86_400_000) {
			v.bad(p, "must be within (0, 86400000] ms, got %v", x)
		}
	})
}

func (v *validator) required(path, s, what string) bool {
	if s == "" {
		v.bad(path, "required: the %s's name", what)
		return false
	}
	return true
}

func directions(from, to string, bothWays bool) [][2]string {
	if bothWays && from != to {
		return [][2]string{{from, to}, {to, from}}
	}
	return [][2]string{{from, to}}
}

func (v *validator) link(l *LinkSpec, path string) {
	v.spec(l.LatencyMs, path+".latency_ms", "a latency")
	for _, kind := range sortedKeys(l.KindLatencyMs) {
		p := path + ".kind_latency_ms." + kind
		if _, ok := wire.KindByName(kind); !ok {
			names := kindNames()
			v.bad(p, "unknown message kind %s%s (kinds: %s)", quoted(kind), suggest(kind, names), strings.Join(names, ", "))
		}
		v.spec(l.KindLatencyMs[kind], p, "a latency")
	}
	fraction(v, l.LossProb, path+".loss_prob")
	fraction(v, l.DupProb, path+".dup_prob")
	within(v, l.BandwidthBytesPerSec, path+".bandwidth_bytes_per_sec", 0, 1<<40)
}

func kindNames() []string {
	ks := wire.Kinds()
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.String()
	}
	return out
}

// disks checks the default disk and each node's overrides.
func (v *validator) disks() {
	d := &v.s.Disks
	v.disk(&d.Default, "disks.default")
	for _, name := range sortedKeys(d.Nodes) {
		p := "disks.nodes." + name
		v.node(p, name)
		dd := d.Nodes[name]
		v.disk(&dd, p)
	}
}

func (v *validator) disk(d *DiskSpec, path string) {
	within(v, d.CapacityBytes, path+".capacity_bytes", 0, 1<<50)
	within(v, d.SectorSizeBytes, path+".sector_size_bytes", 1, 1<<20)
	for _, op := range sortedKeys(d.LatencyMs) {
		v.spec(d.LatencyMs[op], path+".latency_ms."+string(op), "a disk latency")
	}
	for _, op := range sortedKeys(d.ErrorProb) {
		fraction(v, d.ErrorProb[op], path+".error_prob."+string(op))
	}
	fraction(v, d.BitFlipProb, path+".bit_flip_prob")
}

// MaxDriftPPM bounds clock drift (sim.MaxDriftPPM).
const MaxDriftPPM = 100_000

// clocks checks the default clock and each node's overrides.
func (v *validator) clocks() {
	c := &v.s.Clocks
	v.clock(c.Default, "clocks.default")
	for _, name := range sortedKeys(c.Nodes) {
		p := "clocks.nodes." + name
		v.node(p, name)
		v.clock(c.Nodes[name], p)
	}
}

func (v *validator) clock(c ClockSpec, path string) {
	const day = Duration(24 * 3600e9)
	within(v, c.Offset, path+".offset", -day, day)
	within(v, c.DriftPPM, path+".drift_ppm", -MaxDriftPPM, MaxDriftPPM)
}
