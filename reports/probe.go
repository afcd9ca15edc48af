package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"dynasim/checker"
)

// The two t-visibility definitions, as the report labels them.
const (
	// DefinitionAtLeastT is Staleness.TVisibility's: pooled over every read
	// of the workload.
	DefinitionAtLeastT = "P(a read returns the newest write acknowledged before it began | the read began at least t ms after that acknowledgement), pooled over all reads of the workload"
	// DefinitionExactlyT is Staleness.Probe's, the quantity of Bailis et
	// al.'s PBS and of the WARS prediction.
	DefinitionExactlyT = "P(a read sent exactly t ms after the client saw a write acknowledged returns that write), one fresh key per trial, no other traffic on it (probe workload)"
)

// ProbeStaleness is a probe workload's t-visibility at exactly t (contract:
// staleness.probe), with the WARS prediction beside it
// (staleness.predicted).
type ProbeStaleness struct {
	Definition string `json:"definition"`
	// Versions per trial; k in the histograms counts versions behind.
	Versions   int     `json:"versions"`
	Confidence float64 `json:"confidence"`
	// Void trials (a failed or unknown operation) are left out.
	Void   int           `json:"void"`
	Points []ProbePoint  `json:"points"`
	Agrees *ProbeVerdict `json:"agreement,omitempty"`
}

// ProbePoint is the measurement at one t: P = Consistent/Trials with its
// Wilson interval [Lo, Hi], and the k-staleness histogram (KStaleness[k]
// trials were k versions behind).
type ProbePoint = checker.ProbePoint

// ProbeVerdict is how prediction_agrees was decided.
type ProbeVerdict = checker.ProbeAgreement

// PredictedPoint is the WARS Monte Carlo at one t, with its own Wilson
// interval (contract: staleness.predicted[].t_ms, p, lo, hi): the record a
// measured point is.
type PredictedPoint = checker.ProbePoint

// addProbe labels the curves and adds a probe's measurement and
// prediction.
func addProbe(s *Staleness, pr *checker.ProbeResult) {
	s.TVisibilityDefinition = DefinitionAtLeastT
	if pr == nil {
		return
	}
	s.Probe = &ProbeStaleness{
		Definition: DefinitionExactlyT, Versions: pr.Versions, Confidence: pr.Confidence, Void: pr.Void,
		Points: append([]ProbePoint(nil), pr.Points...), Agrees: pr.Agreement,
	}
	for _, p := range pr.Predicted {
		p.KStaleness = slices.Clone(p.KStaleness)
		s.Predicted = append(s.Predicted, p)
	}
}

func fmtInterval(p, lo, hi float64) string {
	return fmt.Sprintf("%s [%s, %s]", fmtPct(p), fmtPct(lo), fmtPct(hi))
}

// probeTable shows the probe's measurement beside the prediction.
func probeTable(r *Report) *table {
	t := &table{Title: "Staleness: t-visibility at exactly t (probe) and the WARS prediction",
		Header: []string{"t (ms)", "measured P(consistent) [Wilson]", "trials", "predicted (WARS) [Wilson]", "trials", "k-staleness measured (k=0, 1, ...)", "k-staleness predicted (share)"}, Right: []bool{true, true, true, true, true, false, false}}
	pr := r.Staleness.Probe
	if pr == nil {
		t.Notes = []string{"not a probe workload"}
		return t
	}
	for i, p := range pr.Points {
		pred, predN, predK := "-", "-", "-"
		if i < len(r.Staleness.Predicted) {
			q := r.Staleness.Predicted[i]
			pred, predN = fmtInterval(q.P, q.Lo, q.Hi), fmtInt(q.Trials)
			shares := make([]string, len(q.KStaleness))
			for k, n := range q.KStaleness {
				shares[k] = fmtPct(float64(n) / float64(max(q.Trials, 1)))
			}
			predK = strings.Join(shares, " / ")
		}
		ks := make([]string, len(p.KStaleness))
		for k, n := range p.KStaleness {
			ks[k] = fmtInt(n)
		}
		t.add(c(fmtNum(p.TMs), fmtInterval(p.P, p.Lo, p.Hi), fmtInt(p.Trials), pred, predN, strings.Join(ks, " / "), predK)...)
	}
	t.Notes = append(t.Notes, "measured: "+pr.Definition, fmt.Sprintf("intervals: Wilson score at %g%%; %d void trials left out", 100*pr.Confidence, pr.Void))
	if a := pr.Agrees; a != nil {
		v := "agree"
		if !a.Agrees {
			v = fmt.Sprintf("DISAGREE at t = %g ms", *a.FirstDisagreementMs)
		}
		t.Notes = append(t.Notes, fmt.Sprintf("prediction_agrees: %s (Wilson intervals at the Bonferroni-adjusted %.4g%%, family-wise alpha %g over %d delays, must overlap at every t)", v, 100*a.PointConfidence, a.FamilyAlpha, len(pr.Points)))
	} else {
		t.Notes = append(t.Notes, "no prediction (see the notes)")
	}
	return t
}

// probePlot draws the measured curve with its Wilson intervals and the
// predicted one with its band, on one plot.
func probePlot(r *Report) (string, bool, error) {
	pr := r.Staleness.Probe
	if pr == nil || len(pr.Points) == 0 {
		return "", false, nil
	}
	p := newPlot("t-visibility at exactly t: measured (probe) and predicted (WARS)", "t: time after the client saw the write acknowledged (ms)", "P(read returns the write)")
	p.X.Scale = log1pScale{}
	var meas plotter.XYs
	var errs plotter.YErrors
	pmin := 1.0
	var ticks []plot.Tick
	for _, q := range pr.Points {
		if q.Trials == 0 {
			continue
		}
		meas = append(meas, plotter.XY{X: q.TMs, Y: q.P})
		errs = append(errs, struct{ Low, High float64 }{q.P - q.Lo, q.Hi - q.P})
		pmin = min(pmin, q.Lo)
		ticks = append(ticks, plot.Tick{Value: q.TMs, Label: fmtNum(q.TMs)})
	}
	if len(meas) == 0 {
		return "", false, nil
	}
	if pred := r.Staleness.Predicted; len(pred) > 0 {
		var mid, lo, hi plotter.XYs
		for _, q := range pred {
			mid = append(mid, plotter.XY{X: q.TMs, Y: q.P})
			lo = append(lo, plotter.XY{X: q.TMs, Y: q.Lo})
			hi = append(hi, plotter.XY{X: q.TMs, Y: q.Hi})
			pmin = min(pmin, q.Lo)
		}
		l := line(mid, colorPut, 1.6, false)
		p.Add(l, line(lo, colorPut, 0.6, true), line(hi, colorPut, 0.6, true))
		p.Legend.Add("predicted (WARS), dashed: Wilson interval", l)
	}
	sc, err := plotter.NewScatter(meas)
	if err != nil {
		return "", false, err
	}
	sc.GlyphStyle.Color, sc.GlyphStyle.Radius, sc.GlyphStyle.Shape = colorGet, vg.Points(2.5), draw.CircleGlyph{}
	eb := &plotter.YErrorBars{XYs: meas, YErrors: errs, LineStyle: draw.LineStyle{Color: colorGet, Width: vg.Points(1)}, CapWidth: vg.Points(5)}
	p.Add(eb, sc)
	p.Legend.Add(fmt.Sprintf("measured (probe) with %g%% Wilson interval", 100*pr.Confidence), sc)
	p.X.Min, p.X.Max = 0, max(meas[len(meas)-1].X, 1)
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Min, p.Y.Max = math.Max(0, math.Floor((pmin-0.02)*10)/10), 1
	p.Y.Tick.Marker = plot.DefaultTicks{}
	p.Legend.Top, p.Legend.Left = false, false
	s, err := renderSVG("probe", 7.5*vg.Inch, 3.4*vg.Inch, drawOne(p))
	return s, err == nil, err
}
