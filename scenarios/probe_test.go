package scenarios

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProbeResolves(t *testing.T) {
	s, err := Load("testdata/probe.yaml")
	require.NoError(t, err)
	r, err := s.Resolve(7)
	require.NoError(t, err)
	require.Equal(t, WorkloadProbe, r.Workload.Kind)
	p := r.Workload.Probe
	require.Equal(t, []float64{0, 1, 5, 20}, p.TMs)
	require.GreaterOrEqual(t, p.TrialsPerT, 100)
	require.LessOrEqual(t, p.TrialsPerT, 200)
	require.Equal(t, 2, p.Versions)
	require.Equal(t, 20000, p.PredictTrials)
	require.Equal(t, 0.01, p.FamilyAlpha)
	require.NoError(t, r.Validate()) // the resolved file parses back

	s, err = Load("testdata/probe-range.yaml")
	require.NoError(t, err)
	r, err = s.Resolve(1)
	require.NoError(t, err)
	require.Equal(t, []float64{0, 10, 20, 30, 40, 50}, r.Workload.Probe.TMs)
	require.Equal(t, DefaultProbePredictTrials, r.Workload.Probe.PredictTrials)
	require.NoError(t, r.Validate())

	s, err = Load("testdata/full.yaml")
	require.NoError(t, err)
	r, err = s.Resolve(1)
	require.NoError(t, err)
	require.Nil(t, r.Workload.Probe)
}

func TestProbeErrors(t *testing.T) {
	base := "name: x\ncluster: {nodes: 4}\nnode: {n: 3, r: 1, w: 1, read_repair: off}\n"
	for _, c := range []struct{ src, want string }{
		{base + "workload:\n  kind: probe\n", "x.yaml:5:3: workload.probe.t_ms: a probe needs its delays"},
		{base + "workload:\n  kind: probe\n  probe:\n    t_ms: [0, 5, 2]\n", "workload.probe.t_ms[2]: delays must ascend"},
		{base + "workload:\n  kind: probe\n  probe:\n    t_ms: [0]\n    t_range_ms: {from: 0, to: 5, step: 1}\n", "workload.probe.t_range_ms: give t_ms or t_range_ms, not both"},
		{base + "workload:\n  kind: probe\n  probe:\n    t_range_ms: {from: 0, to: 5, step: 0}\n", "workload.probe.t_range_ms.step: must be a finite number > 0"},
		{base + "workload:\n  kind: probe\n  probe:\n    t_ms: [0]\n    trials_per_t: 0\n", "workload.probe.trials_per_t: must be within [1, 1000000], got 0"},
		{base + "workload:\n  kind: probe\n  probe:\n    t_ms: [0, 1]\n    trials_per_t: 600000\n", "2 delays x 600000 trials"},
		{base + "workload:\n  kind: probe\n  probe:\n    t_ms: [0]\n    family_alpha: 0.7\n", "workload.probe.family_alpha: must be within (0, 0.5)"},
		{base + "workload:\n  kind: probes\n", "workload.kind"},
		{base + "workload:\n  probe:\n    t_ms: [0]\n", "workload.probe: applies only to workload.kind: probe"},
		{base + "expect:\n  prediction_agrees: true\n", "expect.prediction_agrees: needs workload.kind: probe"},
		{"name: x\ncluster: {nodes: 4}\nnode: {n: 3, r: 1, w: 1}\nworkload:\n  kind: probe\n  probe: {t_ms: [0]}\n", "node.read_repair: a probe needs read_repair: off"},
	} {
		_, err := Parse("x.yaml", []byte(c.src))
		require.Error(t, err, c.src)
		require.Contains(t, err.Error(), c.want, c.src)
	}
}
