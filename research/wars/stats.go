package wars

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Wilson returns the Wilson score interval of ok successes in n trials at
// the two-sided confidence level conf. n = 0 gives [0, 1].
func Wilson(ok, n int, conf float64) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	z := distuv.UnitNormal.Quantile(1 - (1-conf)/2)
	p := float64(ok) / float64(n)
	nf := float64(n)
	z2 := z * z
	den := 1 + z2/nf
	centre := (p + z2/(2*nf)) / den
	half := z / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	lo, hi = max(0, centre-half), min(1, centre+half)
	if ok <= 0 {
		lo = 0
	}
	if ok >= n {
		hi = 1
	}
	return lo, hi
}

// DefaultFamilyAlpha is the family-wise error rate of Agree: the chance
// that a correct predictor is declared in disagreement with a measurement
// at one or more of the points, at most (the test is conservative).
const DefaultFamilyAlpha = 0.001

// PointConfidence is the per-point confidence Agree uses for m points at
// family-wise error alpha: the Bonferroni adjustment 1 - alpha/m.
func PointConfidence(alpha float64, m int) float64 {
	return 1 - alpha/float64(max(m, 1))
}

// Sample is one measured or predicted proportion.
type Sample struct {
	Consistent, Trials int
}

// AgreePoint compares a measurement with a prediction at one t: their
// Wilson intervals at confidence conf must overlap.
func AgreePoint(measured, predicted Sample, conf float64) bool {
	mlo, mhi := Wilson(measured.Consistent, measured.Trials, conf)
	plo, phi := Wilson(predicted.Consistent, predicted.Trials, conf)
	return mlo <= phi && plo <= mhi
}

// Agree is the prediction_agrees criterion: at every one of the m points,
// the measurement's and the prediction's Wilson intervals, each at the
// Bonferroni-adjusted confidence 1 - alpha/m, overlap. If the predictor is
// right, each point's measured and predicted proportions estimate the same
// probability, and the chance that any point's intervals fail to overlap is
// at most alpha. It reports the first disagreeing index, or -1.
func Agree(measured, predicted []Sample, alpha float64) (bool, int) {
	conf := PointConfidence(alpha, len(measured))
	for i := range measured {
		// A point without measurements cannot agree: an empty interval
		// [0, 1] would overlap anything.
		if i >= len(predicted) || measured[i].Trials == 0 || predicted[i].Trials == 0 || !AgreePoint(measured[i], predicted[i], conf) {
			return false, i
		}
	}
	return len(measured) == len(predicted), -1
}
