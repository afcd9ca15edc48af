package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// predict prints the WARS curve of the shipped PBS scenario: rising from
// about a half to nearly 1, the same for the same seed (JSON carries no
// wall time), different for another seed.
func TestPredictShippedScenario(t *testing.T) {
	path := filepath.Join("..", "..", "scenarios", "pbs-partial-quorum.yaml")
	code, out, errs := run(t, "predict", path, "--trials", "20000")
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, out, "WARS Monte Carlo, 20000 trials")
	require.Contains(t, out, "N=3 R=1 W=1, routing non_replica")
	require.Contains(t, out, "P(consistent) = P(a read sent exactly t ms after")

	type pt struct {
		TMs float64 `json:"t_ms"`
		P   float64 `json:"p"`
		Lo  float64 `json:"lo"`
		Hi  float64 `json:"hi"`
	}
	parse := func(args ...string) []pt {
		code, out, errs := run(t, append([]string{"predict", path, "--json", "--trials", "20000"}, args...)...)
		require.Equal(t, exitOK, code, errs)
		var v struct {
			Predicted []pt `json:"predicted"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &v))
		return v.Predicted
	}
	a, b := parse(), parse()
	require.Equal(t, a, b)
	require.Len(t, a, 8)
	require.InDelta(t, 0.51, a[0].P, 0.03)
	require.Greater(t, a[7].P, 0.99)
	for _, p := range a {
		require.LessOrEqual(t, p.Lo, p.P)
		require.GreaterOrEqual(t, p.Hi, p.P)
	}
	require.NotEqual(t, a, parse("--seed", "99"))
	custom := parse("--t", "0,1000")
	require.Len(t, custom, 2)
	require.Equal(t, 1000.0, custom[1].TMs)
}

// A scenario the model cannot describe is refused, saying why.
func TestPredictRefusesWhatTheModelCannotDescribe(t *testing.T) {
	code, _, errs := run(t, "predict", writeFile(t, t.TempDir(), "tiny.yaml", tiny))
	require.NotEqual(t, exitOK, code)
	require.Contains(t, errs, "routing random")
}
