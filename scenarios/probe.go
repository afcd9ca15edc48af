package scenarios

import (
	"fmt"
	"math"
	"slices"

	"dynasim/internal/streams"
)

// WorkloadKind is what the clients do: mixed (the random operation mix,
// the default) or probe (the staleness probe: write, wait exactly t, read).
type WorkloadKind string

func (WorkloadKind) enumValues() []string { return []string{"mixed", "probe"} }

// Workload kinds.
const (
	WorkloadMixed WorkloadKind = "mixed"
	WorkloadProbe WorkloadKind = "probe"
)

// ProbeSpec is `workload.probe`, the staleness probe (kind: probe). See
// doc.go.
type ProbeSpec struct {
	// TMs lists the delays t (ms) between the client seeing a trial's last
	// write acknowledged and sending its read; TRangeMs gives them as a
	// range instead. Exactly one is required.
	TMs      []float64    `yaml:"t_ms"`
	TRangeMs *RangeSpecMs `yaml:"t_range_ms"`
	// TrialsPerT is the number of trials at each delay.
	TrialsPerT Knob[int] `yaml:"trials_per_t"`
	// Versions is the number of values each trial writes before its read.
	Versions Knob[int] `yaml:"versions"`
	// PredictTrials is the number of WARS Monte Carlo trials of the
	// prediction shown beside the measurement.
	PredictTrials Knob[int] `yaml:"predict_trials"`
	// FamilyAlpha is the family-wise error rate of prediction_agrees.
	FamilyAlpha Knob[float64] `yaml:"family_alpha"`
}

// RangeSpecMs is an arithmetic sequence of delays: From, From+Step, ...,
// up to and including To.
type RangeSpecMs struct {
	From float64 `yaml:"from"`
	To   float64 `yaml:"to"`
	Step float64 `yaml:"step"`
}

// Probe is the resolved `workload.probe`.
type Probe struct {
	TMs           []float64 `yaml:"t_ms"`
	TrialsPerT    int       `yaml:"trials_per_t"`
	Versions      int       `yaml:"versions"`
	PredictTrials int       `yaml:"predict_trials"`
	FamilyAlpha   float64   `yaml:"family_alpha"`
}

// Trials is the number of trials in all.
func (p *Probe) Trials() int { return len(p.TMs) * p.TrialsPerT }

// Probe defaults and limits.
const (
	DefaultProbeTrialsPerT    = 1000
	DefaultProbePredictTrials = 200_000
	DefaultProbeFamilyAlpha   = 0.001
	MaxProbePoints            = 1000
	MaxProbeTrials            = 1_000_000
	MaxProbeVersions          = 64
)

// expand lists the range's delays.
func (r *RangeSpecMs) expand() []float64 {
	var out []float64
	for i := 0; ; i++ {
		t := r.From + float64(i)*r.Step
		if t > r.To+r.Step*1e-9 || len(out) > MaxProbePoints {
			return out
		}
		out = append(out, math.Round(t*1e9)/1e9)
	}
}

// probe checks `workload.kind` and `workload.probe`.
func (v *validator) probe() {
	w := &v.s.Workload
	isProbe := slices.Contains(w.Kind.Possible(WorkloadMixed), WorkloadProbe)
	if isProbe && !w.Kind.IsFixed() {
		v.bad("workload.kind", "must be a plain value: mixed and probe workloads are different experiments")
		return
	}
	p := &w.Probe
	given := p.TMs != nil || p.TRangeMs != nil || p.TrialsPerT.Set || p.Versions.Set || p.PredictTrials.Set || p.FamilyAlpha.Set
	if !isProbe {
		if given {
			v.bad("workload.probe", "applies only to workload.kind: probe")
		}
		if v.s.Expect.PredictionAgrees != nil {
			v.bad("expect.prediction_agrees", "needs workload.kind: probe (it compares the probe's measurement with the WARS prediction)")
		}
		return
	}
	switch {
	case p.TMs == nil && p.TRangeMs == nil:
		v.bad("workload.probe.t_ms", "a probe needs its delays: t_ms: [0, 1, 2, 5, 10] or t_range_ms: {from: 0, to: 100, step: 10}")
	case p.TMs != nil && p.TRangeMs != nil:
		v.bad("workload.probe.t_range_ms", "give t_ms or t_range_ms, not both")
	case p.TRangeMs != nil:
		r := p.TRangeMs
		switch {
		case !(r.From >= 0) || math.IsInf(r.From, 0):
			v.bad("workload.probe.t_range_ms.from", "must be a finite number >= 0, got %v", r.From)
		case !(r.Step > 0) || math.IsInf(r.Step, 0):
			v.bad("workload.probe.t_range_ms.step", "must be a finite number > 0, got %v", r.Step)
		case !(r.To >= r.From) || r.To > 3600e3:
			v.bad("workload.probe.t_range_ms.to", "must be within [from, 3600000], got %v", r.To)
		case len(r.expand()) > MaxProbePoints:
			v.bad("workload.probe.t_range_ms", "more than %d delays", MaxProbePoints)
		}
	default:
		if len(p.TMs) < 1 || len(p.TMs) > MaxProbePoints {
			v.bad("workload.probe.t_ms", "needs 1 to %d delays, got %d", MaxProbePoints, len(p.TMs))
		}
		for i, t := range p.TMs {
			path := fmt.Sprintf("workload.probe.t_ms[%d]", i)
			if !(t >= 0) || t > 3600e3 {
				v.bad(path, "must be within [0, 3600000] ms, got %v", t)
			} else if i > 0 && t <= p.TMs[i-1] {
				v.bad(path, "delays must ascend: %v follows %v", t, p.TMs[i-1])
			}
		}
	}
	within(v, p.TrialsPerT, "workload.probe.trials_per_t", 1, MaxProbeTrials)
	within(v, p.Versions, "workload.probe.versions", 1, MaxProbeVersions)
	within(v, p.PredictTrials, "workload.probe.predict_trials", 1000, 100_000_000)
	eachValue(p.FamilyAlpha, "workload.probe.family_alpha", func(a float64, path string) {
		if !(a > 0 && a < 0.5) {
			v.bad(path, "must be within (0, 0.5), got %v", a)
		}
	})
	points := len(p.TMs)
	if p.TRangeMs != nil {
		points = len(p.TRangeMs.expand())
	}
	if _, hi := lohi(p.TrialsPerT, DefaultProbeTrialsPerT); points*hi > MaxProbeTrials && !v.failed("workload.probe") {
		v.bad("workload.probe.trials_per_t", "%d delays x %d trials = %d trials, the limit is %d", points, hi, points*hi, MaxProbeTrials)
	}
	// Trials must not interfere: a read repair would write one trial's
	// read back; the probe's own key per trial and one read keep the
	// rest apart.
	for _, rr := range v.s.Node.ReadRepair.Possible("async") {
		if rr != "off" {
			v.bad("node.read_repair", "a probe needs read_repair: off (got %s), so that its reads do not write", rr)
			break
		}
	}
}

// resolveProbe resolves `workload.probe` (nil for a mixed workload).
func (s *Scenario) resolveProbe(src streams.Source) (WorkloadKind, *Probe) {
	w := &s.Workload
	if w.Kind.pick(src, "workload.kind", WorkloadMixed) != WorkloadProbe {
		return "", nil
	}
	p := &w.Probe
	out := &Probe{
		TMs:           slices.Clone(p.TMs),
		TrialsPerT:    p.TrialsPerT.pick(src, "workload.probe.trials_per_t", DefaultProbeTrialsPerT),
		Versions:      p.Versions.pick(src, "workload.probe.versions", 1),
		PredictTrials: p.PredictTrials.pick(src, "workload.probe.predict_trials", DefaultProbePredictTrials),
		FamilyAlpha:   p.FamilyAlpha.pick(src, "workload.probe.family_alpha", DefaultProbeFamilyAlpha),
	}
	if p.TRangeMs != nil {
		out.TMs = p.TRangeMs.expand()
	}
	return WorkloadProbe, out
}
