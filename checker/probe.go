package checker

import (
	"fmt"
	"math"
	"slices"

	"dynasim/history"
	"dynasim/research/wars"
)

// ProbeOptions configures Probe: the probe workload's delays and versions
// per trial (sim.ProbeConfig).
type ProbeOptions struct {
	// TMs are the probe's delays, ascending.
	TMs []float64
	// Versions is the number of puts per trial. Default 1.
	Versions int
	// Confidence is the two-sided level of the Wilson intervals reported.
	// Default 0.95.
	Confidence float64
	// ToleranceMs is how far a trial's measured delay may be from its
	// nearest configured delay (event costs and clock drift of the client
	// shift it). Default 0.001 (1 µs).
	ToleranceMs float64
}

// ProbePoint is the measured t-visibility at exactly one delay t: the
// same record as a predicted point (wars.Point), so the two curves are
// compared field for field. Trials are the completed trials at this delay
// (every put and the read ok); Consistent of them read the last version
// written; P is their ratio, [Lo, Hi] its Wilson interval at Confidence;
// KStaleness[k] counts the trials whose read was k versions behind the
// last write (k = Versions: the read returned none of the trial's values).
type ProbePoint = wars.Point

// ProbeResult is the probe's measured curve and, once the runner adds it,
// the WARS prediction beside it.
type ProbeResult struct {
	Versions   int          `json:"versions"`
	Confidence float64      `json:"confidence"`
	Points     []ProbePoint `json:"points"`
	// Void counts trials left out: a put or the read failed or has an
	// unknown outcome, or the delay matched no configured one.
	Void int `json:"void"`
	// Predicted is the WARS prediction at the same delays (nil: none).
	Predicted []wars.Point `json:"predicted,omitempty"`
	// Agreement is the prediction_agrees verdict (nil without a
	// prediction).
	Agreement *ProbeAgreement `json:"agreement,omitempty"`
}

// ProbeAgreement is how the prediction_agrees expectation was decided
// (wars.Agree): measured and predicted Wilson intervals at the
// Bonferroni-adjusted confidence PointConfidence = 1 - FamilyAlpha/points
// must overlap at every delay.
type ProbeAgreement struct {
	Agrees          bool    `json:"agrees"`
	FamilyAlpha     float64 `json:"family_alpha"`
	PointConfidence float64 `json:"point_confidence"`
	// FirstDisagreementMs is the first delay where they do not, if any.
	FirstDisagreementMs *float64 `json:"first_disagreement_ms,omitempty"`
}

// Probe measures the probe workload's trials in h. Each key the workload
// touched is one trial: its puts (the versions, in invocation order) and
// then one get, issued t after the client saw the last put acknowledged.
func Probe(h *history.History, opt ProbeOptions) (*ProbeResult, error) {
	if opt.Versions == 0 {
		opt.Versions = 1
	}
	if opt.Confidence == 0 {
		opt.Confidence = 0.95
	}
	if opt.ToleranceMs == 0 {
		opt.ToleranceMs = 0.001
	}
	if len(opt.TMs) == 0 || !slices.IsSorted(opt.TMs) {
		return nil, fmt.Errorf("checker: probe needs ascending delays, got %v", opt.TMs)
	}
	type trial struct {
		puts []*history.Op
		get  *history.Op
		void bool
	}
	byKey := map[string]*trial{}
	var order []string
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Final {
			continue
		}
		tr := byKey[o.Key]
		if tr == nil {
			tr = &trial{}
			byKey[o.Key] = tr
			order = append(order, o.Key)
		}
		switch {
		case o.Outcome != history.OK:
			tr.void = true
		case o.Kind == history.Put:
			tr.puts = append(tr.puts, o)
		case o.Kind == history.Get && tr.get == nil:
			tr.get = o
		default:
			tr.void = true
		}
	}
	res := &ProbeResult{Versions: opt.Versions, Confidence: opt.Confidence}
	pts := make([]ProbePoint, len(opt.TMs))
	for i, t := range opt.TMs {
		pts[i] = ProbePoint{TMs: t, KStaleness: make([]int, opt.Versions+1)}
	}
	slices.Sort(order) // map order must not reach the output
	for _, key := range order {
		tr := byKey[key]
		if tr.void || tr.get == nil || len(tr.puts) != opt.Versions {
			res.Void++
			continue
		}
		slices.SortFunc(tr.puts, func(a, b *history.Op) int { return int(a.InvokeNs - b.InvokeNs) })
		last := tr.puts[len(tr.puts)-1]
		dt := float64(tr.get.InvokeNs-last.ReturnNs) / 1e6
		ti := nearest(opt.TMs, dt)
		if math.Abs(opt.TMs[ti]-dt) > opt.ToleranceMs {
			res.Void++
			continue
		}
		newest := 0
		for j, p := range tr.puts {
			if slices.Contains(tr.get.Values, p.Value) {
				newest = j + 1
			}
		}
		pt := &pts[ti]
		pt.Trials++
		pt.KStaleness[opt.Versions-newest]++
		if newest == opt.Versions {
			pt.Consistent++
		}
	}
	for i := range pts {
		p := &pts[i]
		if p.Trials > 0 {
			p.P = float64(p.Consistent) / float64(p.Trials)
		}
		p.Lo, p.Hi = wars.Wilson(p.Consistent, p.Trials, opt.Confidence)
	}
	res.Points = pts
	return res, nil
}

// SetPrediction attaches a prediction at the same delays and decides
// agreement at family-wise error alpha.
func (r *ProbeResult) SetPrediction(pred []wars.Point, alpha float64) error {
	if len(pred) != len(r.Points) {
		return fmt.Errorf("checker: %d predicted points for %d measured", len(pred), len(r.Points))
	}
	m := make([]wars.Sample, len(r.Points))
	p := make([]wars.Sample, len(pred))
	for i := range r.Points {
		if pred[i].TMs != r.Points[i].TMs {
			return fmt.Errorf("checker: predicted delay %v where %v was measured", pred[i].TMs, r.Points[i].TMs)
		}
		m[i] = wars.Sample{Consistent: r.Points[i].Consistent, Trials: r.Points[i].Trials}
		p[i] = wars.Sample{Consistent: pred[i].Consistent, Trials: pred[i].Trials}
	}
	ok, first := wars.Agree(m, p, alpha)
	a := &ProbeAgreement{Agrees: ok, FamilyAlpha: alpha, PointConfidence: wars.PointConfidence(alpha, len(m))}
	if first >= 0 {
		t := r.Points[first].TMs
		a.FirstDisagreementMs = &t
	}
	r.Predicted, r.Agreement = pred, a
	return nil
}

func nearest(ts []float64, x float64) int {
	i, _ := slices.BinarySearch(ts, x)
	switch {
	case i == 0:
		return 0
	case i == len(ts):
		return len(ts) - 1
	case x-ts[i-1] <= ts[i]-x:
		return i - 1
	}
	return i
}
