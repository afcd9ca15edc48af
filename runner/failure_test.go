package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/checker"
	"dynasim/reports"
	"dynasim/scenarios"
)

// A partition that cuts two nodes off and a crash of a third, on a
// 6-node cluster with gossip, a sloppy quorum and hinted handoff: the new
// expectations are measured from the run and hold, and the JSON report
// carries the membership and hints sections.
const failureScenario = `
cluster: {nodes: 6}
membership: {enabled: true}
node:
  n: 3
  quorum: sloppy
  hinted_handoff: {enabled: true}
network:
  default: {loss_prob: 0.01}
workload:
  clients: 4
  duration: 60s
  think_time_ms: {dist: constant, value: 20}
  keys: {count: 50}
  retries: 2
faults:
  - {at: 10s, for: 25s, action: partition, sides: [[n5, n6]]}
  - {at: 40s, for: 15s, action: crash, nodes: [n4]}
quiet_period: 20s
expect:
  lost_acked_writes: 0
  converged: true
  detected_down_within_ms: 25000
  hints_pending_max: 0
  hints_dropped_max: 0
`

func TestFailureExpectationsHoldEndToEnd(t *testing.T) {
	sc, err := scenarios.Parse("failure.yaml", []byte(failureScenario))
	require.NoError(t, err)
	for seed := uint64(1); seed <= 2; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r, err := sc.Resolve(seed)
			require.NoError(t, err)
			out, err := Run(r, Options{})
			require.NoError(t, err)
			for _, e := range out.Report.Expectations {
				require.True(t, e.Pass, "%s: want %v, got %v (%s)", e.Name, e.Want, e.Got, e.Detail)
			}
			rep := out.Report
			require.NotNil(t, rep.Membership)
			require.NotNil(t, rep.Hints)
			require.True(t, rep.Config.SloppyQuorum)
			// n4's crash was seen by the five others; the partition made
			// the sides mark each other down: false downs (the nodes were
			// up), which the report counts.
			require.Equal(t, 5, rep.Membership.DetectionMs.Count)
			require.Zero(t, rep.Membership.MissedDetections)
			require.Positive(t, rep.Membership.FalseDown)
			require.Positive(t, rep.Hints.Created)
			require.Equal(t, rep.Hints.Created, rep.Hints.Delivered+rep.Hints.Dropped+uint64(rep.Hints.Pending))
			b, err := json.Marshal(rep)
			require.NoError(t, err)
			require.Contains(t, string(b), `"membership":{"nodes":[`)
			require.Contains(t, string(b), `"hints":{"created":`)
			t.Logf("detection p50 %.0f ms max %.0f ms; false downs %d; hints created %d delivered %d; availability %.4f",
				rep.Membership.DetectionMs.P50, rep.Membership.DetectionMs.Max, rep.Membership.FalseDown, rep.Hints.Created, rep.Hints.Delivered, rep.Checks.Availability)
		})
	}
}

// Without membership the report has no membership or hints section, and
// the JSON is what it was.
func TestNoMembershipSectionsWhenOff(t *testing.T) {
	sc, err := scenarios.Parse("plain.yaml", []byte("cluster: {nodes: 3}\nworkload: {duration: 1s}\n"))
	require.NoError(t, err)
	r, err := sc.Resolve(1)
	require.NoError(t, err)
	out, err := Run(r, Options{})
	require.NoError(t, err)
	require.Nil(t, out.Report.Membership)
	require.Nil(t, out.Report.Hints)
	b, err := json.Marshal(out.Report)
	require.NoError(t, err)
	require.NotContains(t, string(b), `"membership"`)
	require.NotContains(t, string(b), `"hints"`)
}

// The partition-and-heal campaign of issue 15 in sloppy mode with DVV:
// for every seed (the partition's time, length and sides are knobs), no
// acknowledged write is lost, every key converges after the quiet period,
// and every hint is delivered.
const campaignScenario = `
cluster: {nodes: 5}
membership: {enabled: true}
node:
  version_mode: dvv
  quorum: sloppy
  hinted_handoff: {enabled: true}
network:
  default: {loss_prob: {range: [0, 0.01]}}
workload:
  clients: 3
  duration: 30s
  think_time_ms: {dist: constant, value: 20}
  keys: {count: 30}
  mix: {get: 1, put: 1, rmw: 1}
  retries: 1
faults:
  - at: {range: [2s, 10s]}
    for: {range: [5s, 15s]}
    action: partition
    sides: {choice: [[[n1]], [[n4, n5]], [[n1, n2], [n3, n4, n5]], [[n2, n5]]]}
quiet_period: 20s
expect:
  lost_acked_writes: 0
  converged: true
  hints_pending_max: 0
  hints_dropped_max: 0
`

func TestSloppyPartitionHealCampaign(t *testing.T) {
	sc, err := scenarios.Parse("campaign.yaml", []byte(campaignScenario))
	require.NoError(t, err)
	n := uint64(200)
	if testing.Short() {
		n = 20
	}
	for seed := uint64(1); seed <= n; seed++ {
		r, err := sc.Resolve(seed)
		require.NoError(t, err)
		sim, err := Simulate(r, nil)
		require.NoError(t, err)
		v, err := Check(sim, "")
		require.NoError(t, err)
		for _, e := range v.Expectations {
			require.True(t, e.Pass, "seed %d: %s: want %v, got %v (%s)", seed, e.Name, e.Want, e.Got, e.Detail)
		}
	}
}

// A run with gossip, a sloppy quorum and hints replays: the same seed
// gives the same fingerprint, and so does the resolved scenario written
// out and read back (what `dynasim replay` runs).
func TestFailureScenarioReplays(t *testing.T) {
	sc, err := scenarios.Parse("failure.yaml", []byte(failureScenario))
	require.NoError(t, err)
	r, err := sc.Resolve(3)
	require.NoError(t, err)
	a, err := Simulate(r, nil)
	require.NoError(t, err)
	b, err := Simulate(r, nil)
	require.NoError(t, err)
	require.Equal(t, a.Fingerprint, b.Fingerprint)
	data, err := scenarios.MarshalResolved(r)
	require.NoError(t, err)
	require.Contains(t, string(data), "quorum: sloppy")
	sc2, err := scenarios.Parse("resolved.yaml", data)
	require.NoError(t, err)
	r2, err := sc2.Resolve(r.Seed)
	require.NoError(t, err)
	require.Equal(t, r, r2)
	c, err := Simulate(r2, nil)
	require.NoError(t, err)
	require.Equal(t, a.Fingerprint, c.Fingerprint)
	require.Equal(t, a.Facts, c.Facts)
}

func TestMembershipAndHintExpectations(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	i := func(v int) *int { return &v }
	want := scenarios.Expect{DetectedDownWithinMs: f(10000), FalseDownMax: i(0), HintsPendingMax: i(0), HintsDroppedMax: i(1)}.List()
	facts := &RunFacts{
		Membership: &reports.Membership{
			Detections: []reports.Detection{
				{Member: "n3", Observer: "n1", CrashS: 10, DownForS: 30, AfterMs: 6000},
				{Member: "n3", Observer: "n2", CrashS: 10, DownForS: 30, AfterMs: 7000},
				// Down for 2 s: not marked, and need not be.
				{Member: "n4", Observer: "n1", CrashS: 50, DownForS: 2, Missed: true},
			},
			DetectionMs: reports.DetectionQuantiles{Count: 2, P50: 6000, Max: 7000},
			FalseDown:   1,
		},
		Hints: &reports.Hints{HintCounts: reports.HintCounts{Pending: 0, Dropped: 1}},
	}
	got := EvaluateRun(want, nil, &checker.Results{}, facts)
	byName := map[string]reports.Expectation{}
	for _, e := range got {
		byName[e.Name] = e
	}
	require.True(t, byName["detected_down_within_ms"].Pass, "%+v", byName["detected_down_within_ms"])
	require.Equal(t, 7000.0, byName["detected_down_within_ms"].Got)
	require.Contains(t, byName["detected_down_within_ms"].Detail, "1 not made while the node was down for less than the bound")
	require.False(t, byName["false_down_max"].Pass)
	require.True(t, byName["hints_pending_max"].Pass)
	require.True(t, byName["hints_dropped_max"].Pass)

	// A node down for longer than the bound that a live node never marked
	// fails it; so does a run without the facts.
	facts.Membership.Detections[2].DownForS = 60
	got = EvaluateRun(want, nil, &checker.Results{}, facts)
	require.False(t, got[0].Pass)
	require.Equal(t, "missed", got[0].Got)
	for _, e := range EvaluateRun(want, nil, &checker.Results{}, nil) {
		require.False(t, e.Pass, e.Name)
		require.Equal(t, "n/a", e.Got)
	}
}

// stale_fraction_min holds when at least that fraction of reads was
// stale, fails below it, and cannot be measured without reads.
func TestStaleFractionMin(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	want := scenarios.Expect{StaleFractionMin: f(0.05)}.List()
	require.Equal(t, []scenarios.Expectation{{Name: "stale_fraction_min", Cmp: ">=", Want: 0.05}}, want)
	got := Evaluate(want, nil, &checker.Results{Staleness: &checker.StalenessResult{Reads: 100, Stale: 20, StaleFraction: 0.2}})
	require.True(t, got[0].Pass, "%+v", got[0])
	got = Evaluate(want, nil, &checker.Results{Staleness: &checker.StalenessResult{Reads: 100, Stale: 1, StaleFraction: 0.01}})
	require.False(t, got[0].Pass, "%+v", got[0])
	got = Evaluate(want, nil, &checker.Results{Staleness: &checker.StalenessResult{}})
	require.False(t, got[0].Pass)
	require.Equal(t, "n/a", got[0].Got)
}

// The HTML report of a gossip run draws the membership timeline; that of
// a run without membership does not.
func TestHTMLMembershipTimeline(t *testing.T) {
	for _, c := range []struct {
		yaml string
		want bool
	}{
		{failureScenario, true},
		{"cluster: {nodes: 3}\nworkload: {duration: 1s}\n", false},
	} {
		sc, err := scenarios.Parse("x.yaml", []byte(c.yaml))
		require.NoError(t, err)
		r, err := sc.Resolve(1)
		require.NoError(t, err)
		out, err := Run(r, Options{})
		require.NoError(t, err)
		var buf bytes.Buffer
		require.NoError(t, reports.WriteHTML(&buf, out.Report))
		require.Equal(t, c.want, strings.Contains(buf.String(), `<figure id="membership-timeline"><svg`))
	}
}
