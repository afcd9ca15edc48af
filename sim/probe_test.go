package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProbeConfigValidate(t *testing.T) {
	ok := ProbeConfig{TMs: []float64{0, 1, 5}}
	require.NoError(t, ok.Validate())
	require.Equal(t, 3*DefaultProbeTrialsPerT, ok.WithDefaults().Trials())
	for _, bad := range []ProbeConfig{
		{},
		{TMs: []float64{1, 0}},
		{TMs: []float64{-1}},
		{TMs: []float64{0}, Versions: MaxProbeVersions + 1},
		{TMs: []float64{0, 1}, TrialsPerT: MaxProbeTrials},
	} {
		require.Error(t, bad.Validate(), "%+v", bad)
	}
	// A probe takes over the key space and the budget.
	w := WorkloadConfig{Probe: &ProbeConfig{TMs: []float64{0, 2}, TrialsPerT: 7}}.WithDefaults()
	require.NoError(t, w.Validate())
	require.Equal(t, 14, w.Keys.Count)
	require.Equal(t, 14, w.MaxOps)
	require.Zero(t, w.Duration)
	require.Equal(t, 2.0, w.Probe.TMsOfTrial(3))
}
