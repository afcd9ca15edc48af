package checker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/checker/synth"
	"dynasim/history"
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

// A verdict the history cannot support is "not checked", never a result:
// an incomplete history supports none of the three; a complete one without
// final reads or replica states supports no lost-write or convergence
// verdict.
func TestCheckReportsWhatItCouldNotCheck(t *testing.T) {
	gen := func(final bool, replicas int) *history.History {
		h, err := synth.Generate(synth.Config{Seed: 7, Ops: 2000, Keys: 5, Clients: 4, FinalReads: final, Replicas: replicas})
		require.NoError(t, err)
		return h
	}
	opt := Options{Model: Register, Linearizability: true, ReplicasPerKey: 3}

	res, err := Check(gen(true, 3), opt)
	require.NoError(t, err)
	require.Empty(t, res.NotChecked, "a complete history supports every verdict")
	require.Equal(t, LinOK, res.Linearizability.Result)

	// Cut short: a file that lost its trailer (and everything after line
	// 1001) reads as incomplete.
	var buf bytes.Buffer
	require.NoError(t, history.Write(&buf, gen(true, 3)))
	lines := strings.SplitAfter(buf.String(), "\n")
	cut, err := history.Read(strings.NewReader(strings.Join(lines[:1001], "")))
	require.NoError(t, err)
	require.NotEmpty(t, cut.Incomplete)
	res, err = Check(cut, opt)
	require.NoError(t, err)
	for _, v := range []string{VerdictLinearizability, VerdictLostAckedWrites, VerdictConverged} {
		require.Contains(t, res.NotChecked[v], "the history is incomplete", v)
		require.Contains(t, res.NotChecked[v], "cut short after line 1001", v)
	}
	require.Equal(t, LinSkipped, res.Linearizability.Result, "Porcupine does not run on a truncated history")
	require.Positive(t, res.LostWrites.AckedPuts, "what the history holds is still counted")
	require.Equal(t, 1000, res.Ops.Total)

	res, err = Check(gen(false, 0), opt)
	require.NoError(t, err)
	require.Contains(t, res.NotChecked[VerdictLostAckedWrites], "no final reads")
	require.Contains(t, res.NotChecked[VerdictLostAckedWrites], fmt.Sprintf("%d acknowledged puts", res.LostWrites.AckedPuts))
	require.Contains(t, res.NotChecked[VerdictConverged], "no replica state")
	require.NotContains(t, res.NotChecked, VerdictLinearizability)

	// Linearizability not asked for is skipped, not "not checked".
	opt.Linearizability = false
	res, err = Check(cut, opt)
	require.NoError(t, err)
	require.NotContains(t, res.NotChecked, VerdictLinearizability)
	require.Equal(t, LinSkipped, res.Linearizability.Result)
}
