package checker

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/checker/history"
	"dynasim/checker/synth"
)

func TestCheckHealthySyntheticRun(t *testing.T) {
	for _, mv := range []bool{false, true} {
		h, err := synth.Generate(synth.Config{Seed: 5, Ops: 5000, Keys: 10, Clients: 10, MultiValue: mv,
			UnknownFraction: 0.02, FailedFraction: 0.02, FinalReads: true, Replicas: 3})
		require.NoError(t, err)
		// Through the file format and back, as `dynasim check` would.
		var buf bytes.Buffer
		require.NoError(t, history.Write(&buf, h))
		h, err = history.Read(&buf)
		require.NoError(t, err)

		m := Register
		if mv {
			m = MultiValue
		}
		res, err := Check(h, Options{Model: m, Linearizability: true, ReplicasPerKey: 3, LinTimeLimit: 30 * time.Second})
		require.NoError(t, err)
		require.Equal(t, LinOK, res.Linearizability.Result)
		require.Equal(t, 0, res.LostWrites.Lost)
		require.Positive(t, res.LostWrites.Present)
		require.Equal(t, 0, res.LostWrites.Unverified)
		require.True(t, res.Convergence.Converged)
		require.Equal(t, 10, res.Convergence.Keys)
		require.Equal(t, 5000, res.Ops.Total)
		require.Equal(t, 10, res.Ops.FinalReads)
		require.Less(t, res.Availability.Availability, 1.0)
		require.Greater(t, res.Availability.Availability, 0.9)
		require.Positive(t, res.Throughput.OpsPerS)
		require.Contains(t, res.LatencyMs, "get")
		// An atomic store: a read that starts after a write is acknowledged
		// always reflects it.
		require.Positive(t, res.Staleness.ReadsAfterWrite)
		require.Equal(t, res.Staleness.ReadsAfterWrite, res.Staleness.Consistent, "model %s", m)
		require.Equal(t, 0, res.Staleness.Stale, "model %s", m)
		if mv {
			require.Greater(t, res.Siblings.Max, 1)
		} else {
			require.LessOrEqual(t, res.Siblings.Max, 1)
		}
	}
}

func TestCheckFindsInjectedAnomalies(t *testing.T) {
	h, err := synth.Generate(synth.Config{Seed: 6, Ops: 3000, Keys: 5, Clients: 8, StaleReadFraction: 0.1, FinalReads: true})
	require.NoError(t, err)
	// Drop one acknowledged value from the final state: a lost write.
	var victim string
	for i := len(h.Ops) - 1; i >= 0; i-- {
		if o := &h.Ops[i]; o.Final && len(o.Values) == 1 {
			victim = o.Values[0]
			o.Values = nil
			break
		}
	}
	require.NotEmpty(t, victim)
	viz := filepath.Join(t.TempDir(), "lin.html")
	res, err := Check(h, Options{Model: Register, Linearizability: true, VisualizationPath: viz})
	require.NoError(t, err)
	require.Equal(t, LinIllegal, res.Linearizability.Result)
	require.Equal(t, viz, res.Linearizability.Visualization)
	require.Positive(t, res.Staleness.Stale)
	require.Less(t, res.Staleness.TVisibility[0].PConsistent, 1.0)
	require.Equal(t, 1, res.LostWrites.Lost)
	require.Equal(t, victim, res.LostWrites.Examples[0].Value)
	require.False(t, res.Convergence.Converged, "no replica states were recorded")
}

func TestCheckSkipsLinearizabilityAndSerializesSnakeCase(t *testing.T) {
	res, err := Check(statsHistory(), Options{Model: MultiValue})
	require.NoError(t, err)
	require.Equal(t, LinSkipped, res.Linearizability.Result)
	b, err := json.Marshal(res)
	require.NoError(t, err)
	s := string(b)
	for _, key := range []string{`"linearizability":{"model":"multi_value","result":"skipped"`, `"lost_writes":{"acked_puts":`,
		`"t_visibility":[`, `"k_staleness":[`, `"latency_ms":{"get":{"count":`, `"p999":`, `"converged":false`, `"availability":0.6666`} {
		require.Contains(t, s, key)
	}
	require.False(t, strings.ContainsAny(strings.Join(jsonKeys(t, b), ""), "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), "every key is snake_case")

	_, err = Check(statsHistory(), Options{})
	require.ErrorContains(t, err, "model must be")
}

// jsonKeys lists every object key in a JSON document.
func jsonKeys(t *testing.T, b []byte) []string {
	var v any
	require.NoError(t, json.Unmarshal(b, &v))
	var keys []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				keys = append(keys, k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return keys
}
