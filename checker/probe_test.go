package checker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/history"
	"dynasim/research/wars"
)

const ms = int64(1e6)

// Trials of two versions each at t = 0 and 5 ms: the read's newest value
// gives k; a failed put, an unknown read and a delay matching no t void
// their trials.
func TestProbeMeasures(t *testing.T) {
	b := &hb{}
	// t=0: reads the last version (k=0).
	b.put(0, "a", "a1", nil, 0, 1*ms).put(0, "a", "a2", ids("a1"), 1*ms, 2*ms).get(0, "a", ids("a2"), 2*ms, 3*ms)
	// t=0: reads the first version (k=1).
	b.put(1, "b", "b1", nil, 0, 1*ms).put(1, "b", "b2", ids("b1"), 1*ms, 2*ms).get(1, "b", ids("b1"), 2*ms, 3*ms)
	// t=5: reads nothing (k=2).
	b.put(2, "c", "c1", nil, 0, 1*ms).put(2, "c", "c2", ids("c1"), 1*ms, 2*ms).get(2, "c", nil, 7*ms, 8*ms)
	// t=5: siblings, the newest is the last (k=0).
	b.put(3, "d", "d1", nil, 0, 1*ms).put(3, "d", "d2", nil, 1*ms, 2*ms).get(3, "d", ids("d1", "d2"), 7*ms, 8*ms)
	// Void: a failed put; an unknown read; a 3 ms delay.
	b.put(4, "e", "e1", nil, 0, 1*ms).putOutcome(4, "e", "e2", nil, 1*ms, 2*ms, history.Failed).get(4, "e", ids("e1"), 2*ms, 3*ms)
	b.put(5, "f", "f1", nil, 0, 1*ms).put(5, "f", "f2", nil, 1*ms, 2*ms).getOutcome(5, "f", 2*ms, 3*ms, history.Unknown)
	b.put(6, "g", "g1", nil, 0, 1*ms).put(6, "g", "g2", nil, 1*ms, 2*ms).get(6, "g", ids("g2"), 5*ms, 6*ms)
	// Final reads are not trials.
	b.final("a", ids("a2"), 9*ms, 10*ms)

	res, err := Probe(b.history(), ProbeOptions{TMs: []float64{0, 5}, Versions: 2})
	require.NoError(t, err)
	require.Equal(t, 3, res.Void)
	require.Len(t, res.Points, 2)
	p0, p5 := res.Points[0], res.Points[1]
	require.Equal(t, []int{1, 1, 0}, p0.KStaleness)
	require.Equal(t, 2, p0.Trials)
	require.Equal(t, 1, p0.Consistent)
	require.Equal(t, 0.5, p0.P)
	lo, hi := wars.Wilson(1, 2, 0.95)
	require.Equal(t, lo, p0.Lo)
	require.Equal(t, hi, p0.Hi)
	require.Equal(t, []int{1, 0, 1}, p5.KStaleness)

	// Agreement: with a prediction at the same delays.
	pred := []wars.Point{{TMs: 0, Trials: 1000, Consistent: 500}, {TMs: 5, Trials: 1000, Consistent: 500}}
	require.NoError(t, res.SetPrediction(pred, 0.001))
	require.True(t, res.Agreement.Agrees)
	require.Nil(t, res.Agreement.FirstDisagreementMs)
	require.Error(t, res.SetPrediction(pred[:1], 0.001))
	require.Error(t, res.SetPrediction([]wars.Point{{TMs: 0}, {TMs: 6}}, 0.001))

	_, err = Probe(b.history(), ProbeOptions{TMs: []float64{5, 0}})
	require.Error(t, err)
}

// A delay with no trials cannot agree: its interval [0, 1] would overlap
// anything.
func TestProbeEmptyPointDisagrees(t *testing.T) {
	b := &hb{}
	b.put(0, "a", "a1", nil, 0, 1*ms).get(0, "a", ids("a1"), 1*ms, 2*ms)
	res, err := Probe(b.history(), ProbeOptions{TMs: []float64{0, 10}})
	require.NoError(t, err)
	require.NoError(t, res.SetPrediction([]wars.Point{{TMs: 0, Trials: 10, Consistent: 10}, {TMs: 10, Trials: 10, Consistent: 10}}, 0.001))
	require.False(t, res.Agreement.Agrees)
	require.Equal(t, 10.0, *res.Agreement.FirstDisagreementMs)
}
