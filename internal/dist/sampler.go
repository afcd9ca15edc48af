package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// maxNormalRejections bounds the rejection loop of the truncated normal.
// Validate keeps the acceptance probability at or above P(Z >= 3) = 0.00135,
// so all of these draws fail with probability below 1e-38; should it happen,
// the sample is drawn exactly by inverting the truncated CDF instead.
const maxNormalRejections = 1 << 16

// Sampler draws from a compiled Spec. It is immutable, so one Sampler may be
// shared by every link or disk that uses the same Spec; the randomness comes
// from the stream passed to each Sample call. The zero Sampler is the
// constant 0.
type Sampler struct {
	kind  uint8
	a, b  float64     // the distribution's two parameters, see Compile
	comps []component // mixture components, cumulative weights ascending
	spec  Spec
}

type component struct {
	cum float64 // cumulative normalised weight; the last is exactly 1
	s   *Sampler
}

const (
	kConstant uint8 = iota
	kUniform
	kNormal
	kExponential
	kLogNormal
	kPareto
	kMixture
)

// Compile validates s and returns its Sampler.
func (s Spec) Compile() (*Sampler, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s.compile(), nil
}

func (s *Spec) compile() *Sampler {
	out := &Sampler{spec: s.clone()}
	switch s.kind() {
	case Constant:
		out.kind, out.a = kConstant, s.Value
	case Uniform:
		out.kind, out.a, out.b = kUniform, s.Min, s.Max
	case Normal:
		out.kind, out.a, out.b = kNormal, s.Mean, s.Stddev
	case Exponential:
		out.kind, out.a = kExponential, 1/s.Mean // gonum's Rate
	case LogNormal:
		out.kind, out.a, out.b = kLogNormal, s.mu(), s.Sigma
	case Pareto:
		out.kind, out.a, out.b = kPareto, s.Scale, s.Shape
	case Mixture:
		out.kind = kMixture
		var total float64
		for i := range s.Mixture {
			total += s.Mixture[i].Weight
		}
		var cum float64
		out.comps = make([]component, len(s.Mixture))
		for i := range s.Mixture {
			cum += s.Mixture[i].Weight
			out.comps[i] = component{cum: cum / total, s: s.Mixture[i].compile()}
		}
		out.comps[len(out.comps)-1].cum = 1 // rounding must not leave a gap below 1
	}
	return out
}

// Spec returns the Spec s was compiled from.
func (s *Sampler) Spec() Spec { return s.spec }

// String renders the compiled Spec.
func (s *Sampler) String() string { return s.spec.String() }

// Sample draws one value using r, which is advanced. It does not allocate.
// The same stream state always yields the same value.
func (s *Sampler) Sample(r *rand.Rand) float64 {
	switch s.kind {
	case kConstant:
		return s.a
	case kUniform:
		return distuv.Uniform{Min: s.a, Max: s.b, Src: r}.Rand()
	case kNormal:
		return s.truncatedNormal(r, maxNormalRejections)
	case kExponential:
		return distuv.Exponential{Rate: s.a, Src: r}.Rand()
	case kLogNormal:
		return distuv.LogNormal{Mu: s.a, Sigma: s.b, Src: r}.Rand()
	case kPareto:
		return distuv.Pareto{Xm: s.a, Alpha: s.b, Src: r}.Rand()
	case kMixture:
		u := r.Float64()
		for i := range s.comps {
			if u < s.comps[i].cum {
				return s.comps[i].s.Sample(r)
			}
		}
		return s.comps[len(s.comps)-1].s.Sample(r)
	}
	return 0
}

// truncatedNormal samples normal(a, b) conditioned on >= 0 by rejection,
// giving up after maxTries draws in favour of exact inversion.
func (s *Sampler) truncatedNormal(r *rand.Rand, maxTries int) float64 {
	n := distuv.Normal{Mu: s.a, Sigma: s.b, Src: r}
	for range maxTries {
		if x := n.Rand(); x >= 0 {
			return x
		}
	}
	// Invert the upper tail: with v uniform on (0, P(X >= 0)], the value
	// mean - stddev*Phi^-1(v) is distributed as X given X >= 0. Working in the
	// upper tail keeps Phi^-1's argument away from 1, where it would overflow.
	tail := 0.5 * math.Erfc(-s.a/(s.b*math.Sqrt2))
	v := tail * (1 - r.Float64())
	return math.Max(0, s.a-s.b*distuv.UnitNormal.Quantile(v))
}
