package checker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/checker/synth"
)

func generate(t testing.TB, cfg synth.Config) *LinearizabilityResult {
	t.Helper()
	h, err := synth.Generate(cfg)
	require.NoError(t, err)
	m := Register
	if cfg.MultiValue {
		m = MultiValue
	}
	res, err := CheckLinearizability(h, LinearizabilityOptions{Model: m, TimeLimit: 30 * time.Second})
	require.NoError(t, err)
	return res
}

func TestSyntheticHistoriesAreLinearizable(t *testing.T) {
	ops := 20_000
	if testing.Short() {
		ops = 4_000
	}
	for _, mv := range []bool{false, true} {
		res := generate(t, synth.Config{Seed: 3, Ops: ops, Keys: 20, Clients: 16, MultiValue: mv,
			UnknownFraction: 0.02, FailedFraction: 0.02, FinalReads: true})
		require.Equal(t, LinOK, res.Result, "multi-value=%v: %+v", mv, res)
		require.Equal(t, 20, res.Keys)
		require.Positive(t, res.OpenOps)
	}
}

func TestSyntheticStaleReadsAreIllegal(t *testing.T) {
	for _, mv := range []bool{false, true} {
		res := generate(t, synth.Config{Seed: 4, Ops: 3_000, Keys: 10, Clients: 8, MultiValue: mv, StaleReadFraction: 0.05})
		require.Equal(t, LinIllegal, res.Result, "multi-value=%v", mv)
		require.NotEmpty(t, res.FailingKey)
	}
}
