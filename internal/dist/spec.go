package dist

import (
	"strconv"
	"strings"
)

// Distribution names, as written in Spec.Dist.
const (
	Constant    = "constant"    // always Value
	Uniform     = "uniform"     // uniform on [Min, Max)
	Normal      = "normal"      // normal(Mean, Stddev) truncated at 0: never negative
	Exponential = "exponential" // exponential with mean Mean
	LogNormal   = "lognormal"   // exp(normal(Mu, Sigma)); Median = exp(Mu) may replace Mu
	Pareto      = "pareto"      // Pareto type I: minimum Scale (x_m), tail index Shape (alpha)
	Mixture     = "mixture"     // one of Mixture's components, chosen by weight
)

// Limits on a Spec, so a scenario file cannot ask for unbounded work.
const (
	// MaxMixtureComponents bounds the components of one mixture.
	MaxMixtureComponents = 64
	// MaxMixtureDepth bounds how deeply mixtures may nest (a mixture of
	// mixtures has depth 2).
	MaxMixtureDepth = 4
	// MinNormalMeanInStddevs bounds how far below zero a truncated normal's
	// mean may sit, in standard deviations. Rejection sampling accepts a
	// draw with probability P(X >= 0), at least 0.13% at -3 stddev.
	MinNormalMeanInStddevs = -3
)

// Spec declares a distribution over float64. Only the fields of the chosen
// Dist may be set (nonzero); Validate names any other field that is set, as it
// is most likely a typo in a scenario file. The zero Spec is invalid: Dist is
// required, except that a Spec with Mixture set may leave Dist empty.
type Spec struct {
	// Dist names the distribution: one of the constants above.
	Dist string `json:"dist,omitempty" yaml:"dist,omitempty"`

	// Value is the constant's value.
	Value float64 `json:"value,omitempty" yaml:"value,omitempty"`
	// Min and Max bound the uniform distribution; Max > Min.
	Min float64 `json:"min,omitempty" yaml:"min,omitempty"`
	Max float64 `json:"max,omitempty" yaml:"max,omitempty"`
	// Mean is the exponential's mean, or the mean of the normal before it is
	// truncated at 0 (the truncated mean is higher; see ExpectedValue).
	Mean float64 `json:"mean,omitempty" yaml:"mean,omitempty"`
	// Stddev is the normal's standard deviation before truncation.
	Stddev float64 `json:"stddev,omitempty" yaml:"stddev,omitempty"`
	// Mu and Sigma are the mean and standard deviation of the log-normal's
	// logarithm. Median, if nonzero, is a friendlier way to give Mu
	// (Mu = ln Median); set one of Mu and Median, not both.
	Mu     float64 `json:"mu,omitempty" yaml:"mu,omitempty"`
	Median float64 `json:"median,omitempty" yaml:"median,omitempty"`
	Sigma  float64 `json:"sigma,omitempty" yaml:"sigma,omitempty"`
	// Scale (x_m > 0) is the Pareto's minimum and Shape (alpha > 0) its tail
	// index: the smaller Shape, the heavier the tail. The mean is infinite
	// for Shape <= 1.
	Scale float64 `json:"scale,omitempty" yaml:"scale,omitempty"`
	Shape float64 `json:"shape,omitempty" yaml:"shape,omitempty"`

	// Weight is a mixture component's relative weight (> 0). Weights need
	// not sum to 1: each component is chosen with probability weight/total.
	// Set only on mixture components.
	Weight float64 `json:"weight,omitempty" yaml:"weight,omitempty"`
	// Mixture lists the components of a mixture.
	Mixture []Spec `json:"mixture,omitempty" yaml:"mixture,omitempty"`
}

// Names returns every distribution name, in the order they are documented.
func Names() []string {
	return []string{Constant, Uniform, Normal, Exponential, LogNormal, Pareto, Mixture}
}

// kind is the distribution a Spec resolves to: Dist, or Mixture when Dist is
// empty and Mixture is set.
func (s *Spec) kind() string {
	if s.Dist == "" && len(s.Mixture) > 0 {
		return Mixture
	}
	return s.Dist
}

// IsZero reports whether s is the zero Spec (nothing declared), so that
// config defaults can fill it in.
func (s Spec) IsZero() bool {
	return s.Dist == "" && len(s.Mixture) == 0 && s.Weight == 0 && s.params() == [numParams]float64{}
}

// String renders s compactly, e.g. "lognormal(median=2, sigma=0.6)" or
// "mixture(0.9*constant(1), 0.1*pareto(scale=5, shape=1.5))".
func (s Spec) String() string {
	var b strings.Builder
	s.write(&b)
	return b.String()
}

// clone returns a deep copy of s, so a Sampler's Spec cannot be changed
// through the caller's Mixture slice.
func (s Spec) clone() Spec {
	if s.Mixture != nil {
		m := make([]Spec, len(s.Mixture))
		for i := range s.Mixture {
			m[i] = s.Mixture[i].clone()
		}
		s.Mixture = m
	}
	return s
}

func (s *Spec) write(b *strings.Builder) {
	k := s.kind()
	if k == Mixture {
		b.WriteString("mixture(")
		for i := range s.Mixture {
			if i > 0 {
				b.WriteString(", ")
			}
			c := &s.Mixture[i]
			b.WriteString(fmtFloat(c.Weight))
			b.WriteByte('*')
			c.write(b)
		}
		b.WriteByte(')')
		return
	}
	if k == "" {
		k = "?"
	}
	b.WriteString(k)
	b.WriteByte('(')
	vals := s.params()
	first := true
	for i, v := range vals {
		if v == 0 && !(k == Constant && i == pValue) {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		if k != Constant {
			b.WriteString(paramNames[i])
			b.WriteByte('=')
		}
		b.WriteString(fmtFloat(v))
	}
	b.WriteByte(')')
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// The scalar parameters, indexed so validation and String can walk them in a
// fixed order.
const (
	pValue = iota
	pMin
	pMax
	pMean
	pStddev
	pMu
	pMedian
	pSigma
	pScale
	pShape
	numParams
)

// paramNames are the parameters' names as written in scenario files.
var paramNames = [numParams]string{"value", "min", "max", "mean", "stddev", "mu", "median", "sigma", "scale", "shape"}

func (s *Spec) params() [numParams]float64 {
	return [numParams]float64{s.Value, s.Min, s.Max, s.Mean, s.Stddev, s.Mu, s.Median, s.Sigma, s.Scale, s.Shape}
}

// uses lists the parameters each distribution reads.
var uses = map[string][]int{
	Constant:    {pValue},
	Uniform:     {pMin, pMax},
	Normal:      {pMean, pStddev},
	Exponential: {pMean},
	LogNormal:   {pMu, pMedian, pSigma},
	Pareto:      {pScale, pShape},
	Mixture:     {},
}
