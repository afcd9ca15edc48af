package dist

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestValidateAcceptsEveryDistribution(t *testing.T) {
	for name, m := range models() {
		require.NoError(t, m.spec.Validate(), name)
	}
	require.NoError(t, Spec{Dist: Constant}.Validate(), "constant 0 is a valid constant")
	require.NoError(t, Spec{Dist: LogNormal, Sigma: 1}.Validate(), "mu 0 is a valid location")
}

func TestValidateRejectsBadParams(t *testing.T) {
	deep := Spec{Dist: Constant, Value: 1}
	for range MaxMixtureDepth + 1 {
		deep = Spec{Mixture: []Spec{{Weight: 1, Mixture: deep.Mixture, Dist: deep.Dist, Value: deep.Value}}}
	}
	tooMany := Spec{Mixture: make([]Spec, MaxMixtureComponents+1)}
	for i := range tooMany.Mixture {
		tooMany.Mixture[i] = Spec{Weight: 1, Dist: Constant}
	}
	cases := []struct {
		spec Spec
		want string
	}{
		{Spec{}, "dist: is required"},
		{Spec{Dist: "gaussian", Mean: 1}, `dist: unknown distribution "gaussian"`},
		{Spec{Dist: Uniform, Min: 2, Max: 2}, "max: must be > min (2) for uniform, got 2"},
		{Spec{Dist: Uniform, Min: 1, Max: 3, Mean: 2}, "mean: does not apply to uniform (it uses min, max)"},
		{Spec{Dist: Normal, Mean: 1}, "stddev: must be > 0 for normal, got 0"},
		{Spec{Dist: Normal, Mean: -4, Stddev: 1}, "mean: must be >= -3*stddev (-3) for normal"},
		{Spec{Dist: Exponential, Mean: -1}, "mean: must be > 0 for exponential, got -1"},
		{Spec{Dist: Exponential}, "mean: must be > 0 for exponential, got 0"},
		{Spec{Dist: LogNormal, Median: 2}, "sigma: must be > 0 for lognormal, got 0"},
		{Spec{Dist: LogNormal, Median: -2, Sigma: 1}, "median: must be > 0 for lognormal, got -2"},
		{Spec{Dist: LogNormal, Mu: 1, Median: 2, Sigma: 1}, "median: set mu or median for lognormal, not both"},
		{Spec{Dist: Pareto, Shape: 2}, "scale: must be > 0 for pareto, got 0"},
		{Spec{Dist: Pareto, Scale: 1, Shape: -1}, "shape: must be > 0 for pareto, got -1"},
		{Spec{Dist: Pareto, Scale: math.NaN(), Shape: 1}, "scale: must be a finite number, got NaN"},
		{Spec{Dist: Constant, Value: math.Inf(1)}, "value: must be a finite number, got +Inf"},
		{Spec{Dist: Constant, Value: 1, Weight: 1}, "weight: applies only to mixture components"},
		{Spec{Dist: Constant, Mixture: []Spec{{Weight: 1, Dist: Constant}}}, "mixture: applies only to dist mixture, not constant"},
		{Spec{Dist: Mixture}, "mixture: a mixture needs at least one component"},
		{Spec{Mixture: []Spec{{Dist: Constant, Value: 1}}}, "mixture[0].weight: must be > 0, got 0"},
		{Spec{Mixture: []Spec{{Weight: 1, Dist: Constant}, {Weight: 1, Dist: Pareto, Scale: 1}}}, "mixture[1].shape: must be > 0 for pareto, got 0"},
		{Spec{Mixture: []Spec{{Weight: 1, Dist: Mixture, Mixture: []Spec{{Weight: 1, Dist: "x"}}}}}, `mixture[0].mixture[0].dist: unknown distribution "x"`},
		{Spec{Mixture: []Spec{{Weight: 1, Dist: Constant}}, Mean: 3}, "mean: does not apply to mixture (it uses only mixture)"},
		{deep, "mixtures nest 5 deep, the limit is 4"},
		{tooMany, "mixture: 65 components, the limit is 64"},
	}
	for _, c := range cases {
		err := c.spec.Validate()
		require.Error(t, err, "%+v", c.spec)
		require.Contains(t, err.Error(), c.want)
		_, err = c.spec.Compile()
		require.Error(t, err, "Compile must validate")
		require.True(t, math.IsNaN(c.spec.ExpectedValue()))
		require.True(t, math.IsNaN(c.spec.LowerBound()))
	}
}

func TestSpecFromYAMLAndJSON(t *testing.T) {
	var s Spec
	require.NoError(t, yaml.Unmarshal([]byte(`{dist: lognormal, median: 2, sigma: 0.6}`), &s))
	require.Equal(t, Spec{Dist: LogNormal, Median: 2, Sigma: 0.6}, s)

	var m Spec
	src := `
mixture:
  - {weight: 0.9, dist: normal, mean: 1, stddev: 0.2}
  - {weight: 0.1, dist: pareto, scale: 5, shape: 1.5}
`
	require.NoError(t, yaml.Unmarshal([]byte(src), &m))
	want := Spec{Mixture: []Spec{
		{Weight: 0.9, Dist: Normal, Mean: 1, Stddev: 0.2},
		{Weight: 0.1, Dist: Pareto, Scale: 5, Shape: 1.5},
	}}
	require.Equal(t, want, m)
	require.NoError(t, m.Validate())

	b, err := json.Marshal(want)
	require.NoError(t, err)
	require.JSONEq(t, `{"mixture":[{"dist":"normal","mean":1,"stddev":0.2,"weight":0.9},{"dist":"pareto","scale":5,"shape":1.5,"weight":0.1}]}`, string(b))
	var back Spec
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, want, back)
}

func TestString(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{Spec{Dist: Constant}, "constant(0)"},
		{Spec{Dist: Constant, Value: 1.5}, "constant(1.5)"},
		{Spec{Dist: Uniform, Min: 1, Max: 3}, "uniform(min=1, max=3)"},
		{Spec{Dist: LogNormal, Median: 2, Sigma: 0.6}, "lognormal(median=2, sigma=0.6)"},
		{Spec{Mixture: []Spec{{Weight: 0.9, Dist: Constant, Value: 1}, {Weight: 0.1, Dist: Pareto, Scale: 5, Shape: 1.5}}},
			"mixture(0.9*constant(1), 0.1*pareto(scale=5, shape=1.5))"},
		{Spec{}, "?()"},
	} {
		require.Equal(t, c.want, c.spec.String())
	}
	s, err := Spec{Dist: Exponential, Mean: 2}.Compile()
	require.NoError(t, err)
	require.Equal(t, "exponential(mean=2)", s.String())
	require.Equal(t, Spec{Dist: Exponential, Mean: 2}, s.Spec())

	mix := Spec{Mixture: []Spec{{Weight: 1, Dist: Constant, Value: 1}}}
	ms, err := mix.Compile()
	require.NoError(t, err)
	mix.Mixture[0].Value = 9
	require.Equal(t, "mixture(1*constant(1))", ms.String(), "a Sampler keeps its own copy of the Spec")
}

func TestExpectedValue(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		want float64
	}{
		{Spec{Dist: Constant, Value: 4}, 4},
		{Spec{Dist: Uniform, Min: 1, Max: 4}, 2.5},
		{Spec{Dist: Exponential, Mean: 3}, 3},
		{Spec{Dist: LogNormal, Median: 2, Sigma: 0.6}, 2 * math.Exp(0.18)},
		{Spec{Dist: LogNormal, Mu: 1, Sigma: 2}, math.Exp(3)},
		{Spec{Dist: Pareto, Scale: 2, Shape: 3}, 3},
		{Spec{Dist: Pareto, Scale: 2, Shape: 1}, math.Inf(1)},
		{Spec{Dist: Pareto, Scale: 2, Shape: 0.5}, math.Inf(1)},
		// Half-normal: stddev*sqrt(2/pi).
		{Spec{Dist: Normal, Mean: 0, Stddev: 2}, 2 * math.Sqrt(2/math.Pi)},
		{Spec{Mixture: []Spec{{Weight: 3, Dist: Constant, Value: 1}, {Weight: 1, Dist: Constant, Value: 5}}}, 2},
		{Spec{Mixture: []Spec{{Weight: 1, Dist: Constant, Value: 1}, {Weight: 1, Dist: Pareto, Scale: 1, Shape: 1}}}, math.Inf(1)},
	} {
		require.InDelta(t, c.want, c.spec.ExpectedValue(), 1e-12, c.spec.String())
		if math.IsInf(c.want, 1) {
			require.True(t, math.IsInf(c.spec.ExpectedValue(), 1), c.spec.String())
		}
	}
	// Truncation at 0 lifts the mean of a normal centred near 0.
	require.Greater(t, Spec{Dist: Normal, Mean: 1, Stddev: 2}.ExpectedValue(), 1.5)
}

func TestLowerBound(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		want float64
	}{
		{Spec{Dist: Constant, Value: -1}, -1},
		{Spec{Dist: Uniform, Min: -2, Max: 4}, -2},
		{Spec{Dist: Normal, Mean: -1, Stddev: 1}, 0},
		{Spec{Dist: Exponential, Mean: 3}, 0},
		{Spec{Dist: LogNormal, Sigma: 1}, 0},
		{Spec{Dist: Pareto, Scale: 2, Shape: 3}, 2},
		{Spec{Mixture: []Spec{{Weight: 1, Dist: Pareto, Scale: 7, Shape: 1}, {Weight: 1, Dist: Constant, Value: 5}}}, 5},
	} {
		require.Equal(t, c.want, c.spec.LowerBound(), c.spec.String())
	}
}

func TestIsZero(t *testing.T) {
	require.True(t, Spec{}.IsZero())
	require.False(t, Spec{Dist: Constant}.IsZero())
	require.False(t, Spec{Sigma: 1}.IsZero())
	require.False(t, Spec{Mixture: []Spec{{}}}.IsZero())
}
