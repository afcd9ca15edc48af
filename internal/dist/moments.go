package dist

import "math"

// ExpectedValue returns the distribution's analytic mean. (It cannot be
// called Mean: that is the field.) It is +Inf for a Pareto with
// Shape <= 1 (and for any mixture with such a component): the samples are
// finite, but their running average never settles. For the normal it is the
// mean after truncation at 0, which exceeds the field Mean. It returns NaN for a
// Spec that does not Validate.
func (s Spec) ExpectedValue() float64 {
	if s.Validate() != nil {
		return math.NaN()
	}
	return s.mean()
}

func (s *Spec) mean() float64 {
	switch s.kind() {
	case Constant:
		return s.Value
	case Uniform:
		return (s.Min + s.Max) / 2
	case Normal:
		// E[X | X >= 0] = mean + stddev * phi(a) / (1 - Phi(a)), a = -mean/stddev.
		a := -s.Mean / s.Stddev
		phi := math.Exp(-a*a/2) / math.Sqrt(2*math.Pi)
		tail := 0.5 * math.Erfc(a/math.Sqrt2)
		return s.Mean + s.Stddev*phi/tail
	case Exponential:
		return s.Mean
	case LogNormal:
		return math.Exp(s.mu() + s.Sigma*s.Sigma/2)
	case Pareto:
		if s.Shape <= 1 {
			return math.Inf(1)
		}
		return s.Shape * s.Scale / (s.Shape - 1)
	case Mixture:
		var sum, total float64
		for i := range s.Mixture {
			c := &s.Mixture[i]
			sum += c.Weight * c.mean()
			total += c.Weight
		}
		return sum / total
	}
	return math.NaN()
}

// LowerBound returns the smallest value the distribution can produce: callers
// that need non-negative values (latencies, sizes) check LowerBound() >= 0.
// It returns NaN for a Spec that does not Validate.
func (s Spec) LowerBound() float64 {
	if s.Validate() != nil {
		return math.NaN()
	}
	return s.lowerBound()
}

func (s *Spec) lowerBound() float64 {
	switch s.kind() {
	case Constant:
		return s.Value
	case Uniform:
		return s.Min
	case Normal, Exponential, LogNormal:
		return 0
	case Pareto:
		return s.Scale
	case Mixture:
		lo := math.Inf(1)
		for i := range s.Mixture {
			lo = math.Min(lo, s.Mixture[i].lowerBound())
		}
		return lo
	}
	return math.NaN()
}

// mu is the log-normal's location, from Mu or Median.
func (s *Spec) mu() float64 {
	if s.Median != 0 {
		return math.Log(s.Median)
	}
	return s.Mu
}
