package dist

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"

	"dynasim/internal/streams"
)

// phi is the standard normal CDF, written out so the tests do not check gonum
// against itself.
func phi(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// model is a distribution's closed-form CDF and variance, independent of the
// code under test.
type model struct {
	spec     Spec
	cdf      func(x float64) float64
	variance float64 // +Inf when undefined: the mean is then not checked
}

func truncNormalModel(m, s float64) model {
	a := -m / s
	z := 1 - phi(a)
	d := math.Exp(-a*a/2) / math.Sqrt(2*math.Pi) / z
	return model{
		spec:     Spec{Dist: Normal, Mean: m, Stddev: s},
		cdf:      func(x float64) float64 { return math.Max(0, (phi((x-m)/s)-phi(a))/z) },
		variance: s * s * (1 + a*d - d*d),
	}
}

func models() map[string]model {
	lnMu, lnSigma := math.Log(2), 0.6
	return map[string]model{
		"uniform": {
			spec:     Spec{Dist: Uniform, Min: 3, Max: 7},
			cdf:      func(x float64) float64 { return math.Min(1, math.Max(0, (x-3)/4)) },
			variance: 16.0 / 12,
		},
		"normal far from 0": truncNormalModel(10, 2),
		"normal near 0":     truncNormalModel(1, 2),
		"normal below 0":    truncNormalModel(-2, 1),
		"exponential": {
			spec:     Spec{Dist: Exponential, Mean: 5},
			cdf:      func(x float64) float64 { return 1 - math.Exp(-x/5) },
			variance: 25,
		},
		"lognormal median": {
			spec:     Spec{Dist: LogNormal, Median: 2, Sigma: lnSigma},
			cdf:      func(x float64) float64 { return phi((math.Log(x) - lnMu) / lnSigma) },
			variance: (math.Exp(lnSigma*lnSigma) - 1) * math.Exp(2*lnMu+lnSigma*lnSigma),
		},
		"lognormal mu": {
			spec:     Spec{Dist: LogNormal, Mu: -1, Sigma: 0.3},
			cdf:      func(x float64) float64 { return phi((math.Log(x) + 1) / 0.3) },
			variance: (math.Exp(0.09) - 1) * math.Exp(-2+0.09),
		},
		"pareto finite variance": {
			spec:     Spec{Dist: Pareto, Scale: 2, Shape: 3},
			cdf:      func(x float64) float64 { return 1 - math.Pow(2/x, 3) },
			variance: 4 * 3 / (4 * 1.0),
		},
		"pareto infinite mean": {
			spec:     Spec{Dist: Pareto, Scale: 1, Shape: 0.8},
			cdf:      func(x float64) float64 { return 1 - math.Pow(1/x, 0.8) },
			variance: math.Inf(1),
		},
		"mixture": {
			spec: Spec{Mixture: []Spec{
				{Weight: 0.9, Dist: Exponential, Mean: 1},
				{Weight: 0.1, Dist: Uniform, Min: 10, Max: 20},
			}},
			cdf: func(x float64) float64 {
				return 0.9*(1-math.Exp(-x)) + 0.1*math.Min(1, math.Max(0, (x-10)/10))
			},
			// E[X^2] - E[X]^2 with E[X] = 0.9*1 + 0.1*15 = 2.4.
			variance: 0.9*2 + 0.1*(100.0/12+225) - 2.4*2.4,
		},
	}
}

// draw compiles spec and takes n samples from a fresh named stream.
func draw(t *testing.T, spec Spec, name string, n int) []float64 {
	t.Helper()
	s, err := spec.Compile()
	require.NoError(t, err)
	r := streams.New(7).Stream(name)
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = s.Sample(r)
	}
	return xs
}

const sigmas = 5 // tolerance in standard errors; a false failure is ~1e-6 per check

func TestSampleMeanAndQuantilesMatchAnalytic(t *testing.T) {
	n := 40000
	if testing.Short() {
		n = 20000
	}
	for name, m := range models() {
		t.Run(name, func(t *testing.T) {
			xs := draw(t, m.spec, name, n)
			want := m.spec.ExpectedValue()
			if !math.IsInf(m.variance, 1) {
				se := math.Sqrt(m.variance / float64(n))
				require.InDelta(t, want, stat.Mean(xs, nil), sigmas*se, "sample mean vs analytic mean %v", want)
			}
			slices.Sort(xs)
			for _, p := range []float64{0.05, 0.25, 0.5, 0.75, 0.95, 0.99} {
				q := stat.Quantile(p, stat.Empirical, xs, nil)
				// The analytic CDF at the sample p-quantile is p, give or
				// take the binomial standard error of an empirical CDF.
				tol := sigmas*math.Sqrt(p*(1-p)/float64(n)) + 1/float64(n)
				require.InDelta(t, p, m.cdf(q), tol, "p=%v: sample quantile %v", p, q)
			}
		})
	}
}

func TestConstantAlwaysReturnsValue(t *testing.T) {
	for _, x := range draw(t, Spec{Dist: Constant, Value: 2.5}, "c", 100) {
		require.Equal(t, 2.5, x)
	}
	var zero Sampler
	require.Equal(t, 0.0, zero.Sample(rand.New(rand.NewPCG(1, 2))))
}

func TestMixtureWeightsRespected(t *testing.T) {
	// Weights need not sum to 1: 6:3:1.
	spec := Spec{Dist: Mixture, Mixture: []Spec{
		{Weight: 6, Dist: Constant, Value: 1},
		{Weight: 3, Dist: Constant, Value: 2},
		{Weight: 1, Dist: Constant, Value: 3},
	}}
	n := 30000
	counts := map[float64]int{}
	for _, x := range draw(t, spec, "mix", n) {
		counts[x]++
	}
	require.Len(t, counts, 3)
	for v, p := range map[float64]float64{1: 0.6, 2: 0.3, 3: 0.1} {
		tol := sigmas * math.Sqrt(p*(1-p)/float64(n))
		require.InDelta(t, p, float64(counts[v])/float64(n), tol, "value %v", v)
	}
}

func TestNestedMixture(t *testing.T) {
	spec := Spec{Mixture: []Spec{
		{Weight: 1, Dist: Constant, Value: 1},
		{Weight: 1, Mixture: []Spec{
			{Weight: 1, Dist: Constant, Value: 2},
			{Weight: 3, Dist: Constant, Value: 3},
		}},
	}}
	require.InDelta(t, 0.5*1+0.5*(0.25*2+0.75*3), spec.ExpectedValue(), 1e-12)
	n := 20000
	var threes int
	for _, x := range draw(t, spec, "nested", n) {
		if x == 3 {
			threes++
		}
	}
	p := 0.375
	require.InDelta(t, p, float64(threes)/float64(n), sigmas*math.Sqrt(p*(1-p)/float64(n)))
}

func TestTruncatedNormalNeverNegative(t *testing.T) {
	for _, spec := range []Spec{
		{Dist: Normal, Mean: 0.5, Stddev: 2},
		{Dist: Normal, Mean: -3, Stddev: 1}, // the most negative mean Validate allows
	} {
		for _, x := range draw(t, spec, "tn", 20000) {
			require.GreaterOrEqual(t, x, 0.0, spec.String())
		}
	}
}

// The fallback after too many rejections must be exact too, not a clamp.
func TestTruncatedNormalInversionFallback(t *testing.T) {
	m := truncNormalModel(-2, 1.5)
	s, err := m.spec.Compile()
	require.NoError(t, err)
	r := streams.New(3).Stream("fallback")
	n := 20000
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = s.truncatedNormal(r, 0)
		require.GreaterOrEqual(t, xs[i], 0.0)
	}
	require.InDelta(t, m.spec.ExpectedValue(), stat.Mean(xs, nil), sigmas*math.Sqrt(m.variance/float64(n)))
	slices.Sort(xs)
	for _, p := range []float64{0.1, 0.5, 0.9, 0.99} {
		q := stat.Quantile(p, stat.Empirical, xs, nil)
		require.InDelta(t, p, m.cdf(q), sigmas*math.Sqrt(p*(1-p)/float64(n))+1/float64(n), "p=%v", p)
	}
}

func TestSameStreamSameSamples(t *testing.T) {
	for name, m := range models() {
		a := draw(t, m.spec, "same", 500)
		b := draw(t, m.spec, "same", 500)
		c := draw(t, m.spec, "other", 500)
		require.Equal(t, a, b, name)
		require.NotEqual(t, a, c, name)
	}
}

// A Sampler consumes only the stream it is given: interleaving two streams
// over one Sampler gives each the sequence it would give alone.
func TestSamplerHoldsNoStreamState(t *testing.T) {
	spec := models()["mixture"].spec
	alone := draw(t, spec, "a", 200)
	s, err := spec.Compile()
	require.NoError(t, err)
	src := streams.New(7)
	ra, rb := src.Stream("a"), src.Stream("b")
	for i := range alone {
		require.Equal(t, alone[i], s.Sample(ra))
		s.Sample(rb)
	}
}

func TestSampleDoesNotAllocate(t *testing.T) {
	for name, m := range models() {
		s, err := m.spec.Compile()
		require.NoError(t, err)
		r := streams.New(1).Stream(name)
		allocs := testing.AllocsPerRun(1000, func() { s.Sample(r) })
		require.Zero(t, allocs, name)
	}
}

func BenchmarkSample(b *testing.B) {
	for _, name := range []string{"uniform", "normal near 0", "exponential", "lognormal median", "pareto finite variance", "mixture"} {
		s, err := models()[name].spec.Compile()
		require.NoError(b, err)
		r := streams.New(1).Stream(name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var sum float64
			for b.Loop() {
				sum += s.Sample(r)
			}
			_ = sum
		})
	}
}
