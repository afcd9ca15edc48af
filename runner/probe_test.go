package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/research/wars"
	"dynasim/scenarios"
)

// probeScenario is a probe on 4 nodes (N=3) with zero-latency client legs
// and the given routing, quorums, replica legs and versions per trial.
func probeScenario(routing string, r, w int, legs map[string]string, versions, trials int) string {
	kinds := "      client_put: {dist: constant, value: 0}\n      client_get: {dist: constant, value: 0}\n      client_reply: {dist: constant, value: 0}\n"
	for _, k := range []string{"write_request", "write_ack", "read_request", "read_response"} {
		if s, ok := legs[k]; ok {
			kinds += fmt.Sprintf("      %s: %s\n", k, s)
		}
	}
	return fmt.Sprintf(`name: probe-test
cluster: {nodes: 4}
node: {n: 3, r: %d, w: %d, read_repair: off, request_timeout: 2s}
network:
  max_latency_ms: 900
  default:
    latency_ms: {dist: exponential, mean: 1}
    kind_latency_ms:
%sworkload:
  kind: probe
  clients: 40
  routing: %s
  timeout: 6s
  probe:
    t_ms: [0, 1, 3, 10, 30]
    trials_per_t: %d
    versions: %d
    predict_trials: 100000
expect:
  prediction_agrees: true
`, r, w, kinds, routing, trials, versions)
}

func runProbe(t *testing.T, src string, seed uint64) *Verdict {
	t.Helper()
	sc, err := scenarios.Parse("probe-test.yaml", []byte(src))
	require.NoError(t, err)
	r, err := sc.Resolve(seed)
	require.NoError(t, err)
	s, err := Simulate(r, nil)
	require.NoError(t, err)
	v, err := Check(s, "")
	require.NoError(t, err)
	return v
}

// The probe's measured curve agrees with the WARS prediction, within the
// Bonferroni-adjusted Wilson intervals, on several latency configurations
// at several seeds; every trial completes and its read is sent exactly t
// after the acknowledgement (no void trials).
func TestProbeMatchesPrediction(t *testing.T) {
	configs := map[string]string{
		"exponential, slow writes": probeScenario("non_replica", 1, 1, map[string]string{
			"write_request": "{dist: exponential, mean: 5}"}, 1, 400),
		"pareto mixture, 2 versions": probeScenario("non_replica", 1, 1, map[string]string{
			"write_request": "{mixture: [{weight: 0.7, dist: exponential, mean: 1}, {weight: 0.3, dist: pareto, scale: 4, shape: 1.3}]}",
			"read_request":  "{dist: exponential, mean: 2}"}, 2, 400),
		"lognormal, W=2": probeScenario("non_replica", 1, 2, map[string]string{
			"write_request": "{dist: lognormal, median: 4, sigma: 1}",
			"write_ack":     "{dist: uniform, min: 0.5, max: 3}",
			"read_response": "{dist: constant, value: 0.5}"}, 1, 400),
	}
	for name, src := range configs {
		for _, seed := range []uint64{1, 2, 3, 4, 5, 6, 7, 8} {
			t.Run(fmt.Sprintf("%s/seed=%d", name, seed), func(t *testing.T) {
				v := runProbe(t, src, seed)
				pr := v.Results.Probe
				require.NotNil(t, pr)
				require.Zero(t, pr.Void)
				for _, p := range pr.Points {
					require.Equal(t, 400, p.Trials, "t=%v", p.TMs)
				}
				require.NotNil(t, pr.Agreement, "notes: %v", v.Notes)
				require.True(t, pr.Agreement.Agrees, "measured %+v predicted %+v", pr.Points, pr.Predicted)
				require.True(t, v.Passed)
				// Not vacuous: the curve rises from clearly stale.
				require.Less(t, pr.Points[0].P, 0.9)
				require.Greater(t, pr.Points[len(pr.Points)-1].P, pr.Points[0].P)
			})
		}
	}
}

// The criterion is not vacuous: the same measurement disagrees with the
// prediction of a model with the wrong write latency (the default link's
// 1 ms mean instead of the write_request kind's 5 ms), and with a
// first_replica topology every read is consistent, as the model says.
func TestProbeAgreementDiscriminates(t *testing.T) {
	src := probeScenario("non_replica", 1, 1, map[string]string{"write_request": "{dist: exponential, mean: 5}"}, 1, 400)
	v := runProbe(t, src, 9)
	pr := v.Results.Probe
	sc, err := scenarios.Parse("probe-test.yaml", []byte(src))
	require.NoError(t, err)
	r, err := sc.Resolve(9)
	require.NoError(t, err)
	cfg, err := PredictConfig(r, 100_000, nil)
	require.NoError(t, err)
	cfg.WriteMs = r.Network.Default.LatencyMs
	wrong, err := wars.Predict(cfg)
	require.NoError(t, err)
	require.NoError(t, pr.SetPrediction(wrong.Points, wars.DefaultFamilyAlpha))
	require.False(t, pr.Agreement.Agrees, "a wrong model agreed: measured %+v, predicted %+v", pr.Points, wrong.Points)

	v = runProbe(t, probeScenario("first_replica", 1, 1, map[string]string{"write_request": "{dist: exponential, mean: 5}"}, 1, 100), 9)
	for _, p := range v.Results.Probe.Points {
		require.Equal(t, p.Trials, p.Consistent, "t=%v", p.TMs)
	}
	require.True(t, v.Results.Probe.Agreement.Agrees)
}

// A scenario the model cannot describe gets the measurement, no
// prediction, and prediction_agrees fails saying why.
func TestProbeWithoutModelFailsExpectation(t *testing.T) {
	v := runProbe(t, probeScenario("random", 1, 1, nil, 1, 50), 1)
	require.NotNil(t, v.Results.Probe)
	require.Nil(t, v.Results.Probe.Agreement)
	require.False(t, v.Passed)
	require.Contains(t, fmt.Sprint(v.Notes), "routing random")
}

// BenchmarkProbe100K runs a probe of 100,000 trials (the shipped
// scenario's latencies, 12,500 trials at each of its 8 delays) end to end,
// as `dynasim run` does.
func BenchmarkProbe100K(b *testing.B) {
	path := filepath.Join("..", "scenarios", "pbs-partial-quorum.yaml")
	sc, err := scenarios.Load(path)
	require.NoError(b, err)
	sc.Workload.Probe.TrialsPerT = scenarios.Fixed(12_500)
	sc.Workload.Clients = scenarios.Fixed(200)
	r, err := sc.Resolve(sc.DefaultSeed())
	require.NoError(b, err)
	dir := b.TempDir()
	for b.Loop() {
		out, err := Run(r, Options{OutDir: dir, ScenarioPath: path})
		require.NoError(b, err)
		require.True(b, out.Passed)
	}
}

// The four WARS legs are exactly the replica message kinds and the client
// legs can be zero: with constant legs, a put acknowledged by W=2 takes
// exactly write_request + write_ack (the minting replica's own copy costs
// nothing, the forward and the replies are zero), and a get with R=1
// exactly read_request + read_response.
func TestProbeLegsAreTheMessageKinds(t *testing.T) {
	src := probeScenario("non_replica", 1, 2, map[string]string{
		"write_request": "{dist: constant, value: 7}", "write_ack": "{dist: constant, value: 0.25}",
		"read_request": "{dist: constant, value: 2}", "read_response": "{dist: constant, value: 3}"}, 1, 20)
	sc, err := scenarios.Parse("probe-test.yaml", []byte(src))
	require.NoError(t, err)
	r, err := sc.Resolve(1)
	require.NoError(t, err)
	s, err := Simulate(r, nil)
	require.NoError(t, err)
	for _, o := range s.History.Ops {
		// The recorder makes every stamp distinct, moving operations that
		// coincide (constant legs) by a nanosecond each.
		want := map[string]int64{"put": 7_250_000, "get": 5_000_000}[o.Kind.String()]
		require.InDelta(t, want, o.ReturnNs-o.InvokeNs, 100, "%+v", o)
	}
	// And every read sees the write: W=2 of 3 with R=1 is not strict, but
	// constant legs leave no replica behind at read time (7 ms <= 7.25 +
	// t + 2 ms).
	v, err := Check(s, "")
	require.NoError(t, err)
	for _, p := range v.Results.Probe.Points {
		require.Equal(t, p.Trials, p.Consistent)
	}
	require.True(t, v.Passed)
}

// A probe run's report shows both curves: JSON staleness.probe and
// staleness.predicted, the text table, and one SVG with both curves.
func TestProbeReport(t *testing.T) {
	src := probeScenario("non_replica", 1, 1, map[string]string{"write_request": "{dist: exponential, mean: 5}"}, 2, 100)
	sc, err := scenarios.Parse("probe-test.yaml", []byte(src))
	require.NoError(t, err)
	r, err := sc.Resolve(3)
	require.NoError(t, err)
	dir := t.TempDir()
	out, err := Run(r, Options{OutDir: dir})
	require.NoError(t, err)
	require.True(t, out.Passed)

	raw, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	var rep struct {
		Staleness struct {
			Definition string `json:"t_visibility_definition"`
			Probe      struct {
				Definition string `json:"definition"`
				Points     []struct {
					TMs        float64 `json:"t_ms"`
					Trials     int     `json:"trials"`
					Lo, Hi     float64
					KStaleness []int `json:"k_staleness"`
				} `json:"points"`
				Agreement struct {
					Agrees bool `json:"agrees"`
				} `json:"agreement"`
			} `json:"probe"`
			Predicted []struct {
				TMs    float64 `json:"t_ms"`
				P      float64 `json:"p"`
				Trials int     `json:"trials"`
			} `json:"predicted"`
		} `json:"staleness"`
	}
	require.NoError(t, json.Unmarshal(raw, &rep))
	s := rep.Staleness
	require.Contains(t, s.Definition, "at least t")
	require.Contains(t, s.Probe.Definition, "exactly t")
	require.Len(t, s.Probe.Points, 5)
	require.Len(t, s.Predicted, 5)
	require.True(t, s.Probe.Agreement.Agrees)
	for i, p := range s.Probe.Points {
		require.Equal(t, 100, p.Trials)
		require.Len(t, p.KStaleness, 3) // versions 2: k = 0, 1, 2
		require.Less(t, p.Lo, p.Hi)
		require.Equal(t, p.TMs, s.Predicted[i].TMs)
		require.Equal(t, 100_000, s.Predicted[i].Trials)
	}

	txt, err := os.ReadFile(filepath.Join(dir, "report.txt"))
	require.NoError(t, err)
	require.Contains(t, string(txt), "T-VISIBILITY AT EXACTLY T (PROBE) AND THE WARS PREDICTION")
	require.Contains(t, string(txt), "prediction_agrees: agree")
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	require.Contains(t, string(html), "measured (probe) with 95% Wilson interval")
	require.Contains(t, string(html), "predicted (WARS)")
}
