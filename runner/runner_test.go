package runner

import (
	"dynasim/node"
	"dynasim/node/coord"
	"dynasim/node/gossip"
	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/sim/cluster"
	"dynasim/wire"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/checker"
	"dynasim/history"
	"dynasim/reports"
	"dynasim/scenarios"
)

// shipped lists the scenario files the repository ships.
func shipped(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "scenarios", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

func load(t testing.TB, path string, seed *uint64) *scenarios.Resolved {
	t.Helper()
	sc, err := scenarios.Load(path)
	require.NoError(t, err)
	s := sc.DefaultSeed()
	if seed != nil {
		s = *seed
	}
	r, err := sc.Resolve(s)
	require.NoError(t, err)
	return r
}

// Every shipped scenario holds its expectations, and the files it writes
// replay: the saved resolved scenario runs again to the same fingerprint.
func TestShippedScenariosHoldAndReplay(t *testing.T) {
	for _, path := range shipped(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			dir := t.TempDir()
			out, err := Run(load(t, path, nil), Options{OutDir: dir, ScenarioPath: path})
			require.NoError(t, err)
			for _, e := range out.Report.Expectations {
				require.True(t, e.Pass, "%s: want %v, got %v (%s)", e.Name, e.Want, e.Got, e.Detail)
			}
			require.True(t, out.Passed)
			require.Contains(t, out.Files, "resolved.yaml")
			require.Contains(t, out.Files, "history.jsonl")
			require.Contains(t, out.Files, "report.json")
			require.Contains(t, out.Files, "report.html")

			// The saved history reads back and matches.
			f, err := os.Open(filepath.Join(dir, "history.jsonl"))
			require.NoError(t, err)
			h, err := history.Read(f)
			require.NoError(t, f.Close())
			require.NoError(t, err)
			require.Equal(t, len(out.History.Ops), len(h.Ops))

			// Replay from the resolved file.
			again, err := Run(load(t, filepath.Join(dir, "resolved.yaml"), &out.Resolved.Seed), Options{})
			require.NoError(t, err)
			require.Equal(t, out.Report.Fingerprint, again.Report.Fingerprint)
			require.Equal(t, out.Report.Events, again.Report.Events)
			require.Equal(t, out.Report.Ops, again.Report.Ops)

			// Every node's share of the ring is reported: first tokens
			// cover the hash space once, replicas N times over.
			// A node decommissioned (and not joined again) holds none of
			// the final ring.
			left := map[string]bool{}
			if g := out.Report.Ring; g != nil {
				for _, ch := range g.Changes {
					left[ch.Node] = ch.Kind == "decommission"
				}
			}
			var primary, replica float64
			for _, n := range out.Report.Nodes {
				if left[n.Label()] {
					require.Zero(t, n.RingReplica, "decommissioned node %s", n.Label())
					continue
				}
				require.Positive(t, n.RingPrimary, "node %s", n.Label())
				require.GreaterOrEqual(t, n.RingReplica, n.RingPrimary, "node %s", n.Label())
				primary += n.RingPrimary
				replica += n.RingReplica
			}
			require.InDelta(t, 1, primary, 1e-9)
			require.InDelta(t, float64(out.Resolved.Node.N), replica, 1e-9)
		})
	}
}

func TestADifferentSeedIsADifferentRun(t *testing.T) {
	path := filepath.Join("..", "scenarios", "baseline.yaml")
	a, err := Run(load(t, path, nil), Options{})
	require.NoError(t, err)
	other := uint64(12345)
	b, err := Run(load(t, path, &other), Options{})
	require.NoError(t, err)
	require.NotEqual(t, a.Report.Fingerprint, b.Report.Fingerprint)
}

// The report times every phase of the run: the simulation phase is
// wall_seconds, and the total covers every phase that ran one after the
// other (the files are written while the checks run, so they overlap).
func TestRunTimesItsPhases(t *testing.T) {
	path := filepath.Join("..", "scenarios", "lww-clock-skew.yaml")
	dir := t.TempDir()
	begin := time.Now()
	out, err := Run(load(t, path, nil), Options{OutDir: dir, Start: begin.Add(-time.Second)})
	took := time.Since(begin)
	require.NoError(t, err)
	r := out.Report
	p := r.PhaseSeconds
	require.Equal(t, r.WallSeconds, p.Simulate)
	for name, v := range map[string]float64{"setup": p.Setup, "simulate": p.Simulate, "check": p.Check, "report": p.Report, "write": p.Write} {
		require.Positive(t, v, name)
	}
	require.GreaterOrEqual(t, r.TotalWallSeconds, 1+p.Setup+p.Simulate+p.Check+p.Report, "the total counts from Options.Start")
	require.LessOrEqual(t, r.TotalWallSeconds, 1+took.Seconds())
	require.InDelta(t, float64(r.Ops.Total)/r.TotalWallSeconds, r.OpsPerTotalWallSecond, 1e-6)

	// The saved report carries the same figures.
	f, err := os.Open(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	defer f.Close()
	saved, err := reports.ReadJSON(f)
	require.NoError(t, err)
	require.Equal(t, r.PhaseSeconds, saved.PhaseSeconds)
	require.Equal(t, r.TotalWallSeconds, saved.TotalWallSeconds)
}

func TestFailedExpectationsAreReportedWithTheirMeasurement(t *testing.T) {
	src := []byte(`
name: impossible
cluster: {nodes: 3}
node: {n: 3, r: 2, w: 2}
workload: {clients: 2, duration: 2s, keys: {count: 5}}
expect:
  availability_min: 1
  p50_ms_max: 0.001
  lost_acked_writes_min: 1
`)
	sc, err := scenarios.Parse("impossible.yaml", src)
	require.NoError(t, err)
	r, err := sc.Resolve(1)
	require.NoError(t, err)
	out, err := Run(r, Options{})
	require.NoError(t, err)
	require.False(t, out.Passed)
	byName := map[string]reports.Expectation{}
	for _, e := range out.Report.Expectations {
		byName[e.Name] = e
	}
	require.True(t, byName["availability_min"].Pass)
	require.False(t, byName["p50_ms_max.all"].Pass)
	require.Greater(t, byName["p50_ms_max.all"].Got.(float64), 0.001)
	require.False(t, byName["lost_acked_writes_min"].Pass)
	require.Equal(t, 0.0, byName["lost_acked_writes_min"].Got)
}

// A verdict cannot rest on a check that did not run or was inconclusive.
func TestLinearizabilityExpectationNeedsAConclusiveCheck(t *testing.T) {
	want := []scenarios.Expectation{{Name: "linearizable", Cmp: "==", Want: true}}
	h := &history.History{}
	for _, tc := range []struct {
		lin  *checker.LinearizabilityResult
		got  any
		pass bool
	}{
		{nil, "skipped", false},
		{&checker.LinearizabilityResult{Result: checker.LinUnknown}, "unknown", false},
		{&checker.LinearizabilityResult{Result: checker.LinIllegal}, false, false},
		{&checker.LinearizabilityResult{Result: checker.LinOK}, true, true},
	} {
		got := Evaluate(want, h, &checker.Results{Linearizability: tc.lin})
		require.Equal(t, tc.got, got[0].Got)
		require.Equal(t, tc.pass, got[0].Pass)
	}
}

// The scenario layer documents the checker's budgets as its own defaults;
// they must be the checker's.
func TestScenarioCheckDefaultsAreTheCheckersDefaults(t *testing.T) {
	require.Equal(t, checker.DefaultLinStepBudget, scenarios.DefaultLinStepBudget)
	require.Equal(t, checker.DefaultLinMemoryBudgetBytes, scenarios.DefaultLinMemoryMB<<20)
}

// The simulated network's endpoint table is sized from the scenario: one
// endpoint per node and client plus the final reader, so every client count
// validation accepts fits (the default table held 4096).
func TestEndpointTableIsSizedFromTheScenario(t *testing.T) {
	sc, err := scenarios.Parse("t.yaml", []byte("cluster: {nodes: 5}\nworkload: {clients: 8186, duration: 1s}\n"))
	require.NoError(t, err)
	r, err := sc.Resolve(1)
	require.NoError(t, err)
	cfg, err := clusterConfig(r)
	require.NoError(t, err)
	require.Equal(t, 5+8186+1, cfg.World.Network.MaxEndpoints)
	require.NoError(t, cfg.World.Network.WithDefaults().Validate())
}

// A lost-write verdict rests on the final reads: when some cannot succeed
// (two of five nodes stay down, so keys with both among their replicas
// cannot gather R=2), those keys' acknowledged puts are unverified, and asserting
// lost_acked_writes: 0 fails on unverified_acked_writes instead of passing
// on a count of 0 that saw nothing — unless the scenario allows it.
func TestUnverifiedAckedWritesFailLostAckedWrites(t *testing.T) {
	run := func(allow string) map[string]reports.Expectation {
		src := []byte(`
name: blind
cluster: {nodes: 5}
node: {n: 3, r: 2, w: 2}
workload: {clients: 2, duration: 1s, keys: {count: 20}, timeout: 100ms}
faults:
  - {at: 1s, action: crash, nodes: [n1, n2]}
heal_at_end: false
quiet_period: 100ms
expect:
  lost_acked_writes: 0
` + allow)
		sc, err := scenarios.Parse("blind.yaml", src)
		require.NoError(t, err)
		r, err := sc.Resolve(1)
		require.NoError(t, err)
		out, err := Run(r, Options{})
		require.NoError(t, err)
		byName := map[string]reports.Expectation{}
		for _, e := range out.Report.Expectations {
			byName[e.Name] = e
		}
		return byName
	}
	got := run("")
	require.True(t, got["lost_acked_writes"].Pass, "nothing seen lost")
	u := got["unverified_acked_writes"]
	require.False(t, u.Pass)
	require.Greater(t, u.Got.(float64), 0.0)
	require.Contains(t, u.Detail, "could not be verified")

	allowed := run("  unverified_acked_writes_max: 100000\n")
	require.True(t, allowed["unverified_acked_writes"].Pass, "allowed explicitly")
}

// The stages on their own: Simulate and Check give the verdict with no
// file written (what a fuzz campaign needs), and it is the verdict Run
// reaches; BuildReport then gives Run's report.
func TestStagesGiveRunsVerdictWithoutFiles(t *testing.T) {
	path := filepath.Join("..", "scenarios", "lww-clock-skew.yaml")
	r := load(t, path, nil)
	cwd, err := os.Getwd()
	require.NoError(t, err)
	before, err := os.ReadDir(cwd)
	require.NoError(t, err)

	sim, err := Simulate(r, nil)
	require.NoError(t, err)
	v, err := Check(sim, "")
	require.NoError(t, err)
	after, err := os.ReadDir(cwd)
	require.NoError(t, err)
	require.Equal(t, len(before), len(after), "no file written")
	require.True(t, v.Passed, "lww-clock-skew's expectations hold")
	require.Equal(t, checker.LinIllegal, v.Results.Linearizability.Result)

	out, err := Run(load(t, path, nil), Options{})
	require.NoError(t, err)
	require.Equal(t, out.Report.Fingerprint, fmt.Sprintf("%016x", sim.Fingerprint))
	require.Equal(t, out.Results, v.Results)
	rep, err := BuildReport(sim, v, ReportOptions{ScenarioPath: path})
	require.NoError(t, err)
	require.Equal(t, out.Report.Expectations, rep.Expectations)
	require.Equal(t, out.Report.Checks, rep.Checks)
}

// Every default the scenario reference documents for a node knob is the
// engine's own default: a scenario that sets nothing maps onto the node
// configuration the node would choose by itself. (R and W are compared by
// value: the scenario spells QUORUM out as a count.)
func TestScenarioDefaultsAreTheEnginesDefaults(t *testing.T) {
	sc, err := scenarios.Parse("defaults.yaml", []byte("cluster: {nodes: 5}\n"))
	require.NoError(t, err)
	r, err := sc.Resolve(1)
	require.NoError(t, err)
	ccfg, err := clusterConfig(r)
	require.NoError(t, err)
	got := ccfg.Node.WithDefaults()
	want := node.Config{}.WithDefaults()

	require.Equal(t, want.Ring.VNodes, got.Ring.VNodes, "vnodes")
	require.Equal(t, want.Ring.Placement.N, got.Ring.Placement.N, "n")
	require.Equal(t, want.Versions, got.Versions, "versions (mode, max siblings, vclock pruning)")
	for _, q := range []struct {
		name      string
		got, want wire.Need
	}{{"r", got.Coordinator.R, want.Coordinator.R}, {"w", got.Coordinator.W, want.Coordinator.W}} {
		g, _ := q.got.Fixed(want.Ring.Placement.N)
		w, _ := q.want.Fixed(want.Ring.Placement.N)
		require.Equal(t, w, g, q.name)
	}
	require.Equal(t, want.Coordinator.ReadRepair, got.Coordinator.ReadRepair, "read repair")
	require.Equal(t, want.Coordinator.TwoPhaseWrites, got.Coordinator.TwoPhaseWrites, "two-phase writes")
	require.Equal(t, want.Coordinator.RequestTimeout, got.Coordinator.RequestTimeout, "request timeout")
	// The engine fills its own defaults when it opens.
	ge, we := got.Storage.Engine.WithDefaults(), want.Storage.Engine.WithDefaults()
	require.Equal(t, we.MemtableSizeBytes, ge.MemtableSizeBytes, "memtable size")
	require.Equal(t, we.BloomBitsPerKey, ge.BloomBitsPerKey, "bloom bits per key")
	require.Equal(t, we.BlockCacheSizeBytes, ge.BlockCacheSizeBytes, "block cache size")
	require.Equal(t, want.Storage.SyncDelay, got.Storage.SyncDelay, "sync delay")
	require.Equal(t, want.Storage.SyncPeriod, got.Storage.SyncPeriod, "sync period")
	require.Equal(t, want.Storage.AckBeforeSync, got.Storage.AckBeforeSync, "ack before sync")

	require.Equal(t, want.Coordinator.Quorum, got.Coordinator.Quorum, "quorum")
	require.Equal(t, want.Membership, got.Membership, "membership (enabled, interval, fanout, suspect_after, confirm_reporters, detector, phi_threshold)")
	require.Equal(t, want.HintedHandoff, got.HintedHandoff, "hinted handoff (enabled, window, rate, in flight)")
	// The same with the features switched on: the values a scenario
	// leaves out are still the node's.
	sc, err = scenarios.Parse("on.yaml", []byte("cluster: {nodes: 5}\nmembership: {enabled: true}\nnode: {quorum: sloppy, hinted_handoff: {enabled: true}}\n"))
	require.NoError(t, err)
	r, err = sc.Resolve(1)
	require.NoError(t, err)
	ccfg, err = clusterConfig(r)
	require.NoError(t, err)
	on := ccfg.Node.WithDefaults()
	wantOn := want
	wantOn.Membership.Enabled, wantOn.HintedHandoff.Enabled, wantOn.Coordinator.Quorum = true, true, coord.QuorumSloppy
	require.Equal(t, wantOn.Membership, on.Membership, "membership")
	require.Equal(t, wantOn.HintedHandoff, on.HintedHandoff, "hinted handoff")
	require.Equal(t, wantOn.Coordinator.Quorum, on.Coordinator.Quorum, "quorum")

	// The harness's own defaults for what a scenario also names.
	require.Equal(t, cluster.DefaultQuiet, time.Duration(scenarios.DefaultQuietPeriod), "quiet period")

	// The clients' defaults, the policy's included: a scenario that sets
	// nothing runs the clients sim would run by itself (policy off), and
	// one that only enables the policy gets sim's policy defaults.
	wcfg, err := workloadConfig(r)
	require.NoError(t, err)
	gotW, wantW := wcfg.WithDefaults(), sim.WorkloadConfig{Duration: wcfg.Duration}.WithDefaults()
	require.Equal(t, wantW.Timeout, gotW.Timeout, "client timeout")
	require.Equal(t, wantW.Retries, gotW.Retries, "retries")
	require.Equal(t, wantW.Routing, gotW.Routing, "routing")
	require.Equal(t, wantW.MaxOutstanding, gotW.MaxOutstanding, "max outstanding")
	require.False(t, gotW.Policy.Enabled, "client policy off by default")
	sc, err = scenarios.Parse("policy.yaml", []byte("cluster: {nodes: 5}\nworkload: {client_policy: {enabled: true}}\n"))
	require.NoError(t, err)
	r, err = sc.Resolve(1)
	require.NoError(t, err)
	wcfg, err = workloadConfig(r)
	require.NoError(t, err)
	require.Equal(t, sim.ClientPolicy{Enabled: true}.WithDefaults(), wcfg.WithDefaults().Policy, "client policy defaults")
	require.NoError(t, wcfg.WithDefaults().Validate())
	// retry_attempts 0 is no retries, not sim's default.
	sc, err = scenarios.Parse("policy.yaml", []byte("workload: {client_policy: {enabled: true, retry_attempts: 0}}\n"))
	require.NoError(t, err)
	r, err = sc.Resolve(1)
	require.NoError(t, err)
	wcfg, err = workloadConfig(r)
	require.NoError(t, err)
	require.Equal(t, 1, wcfg.AttemptsPerOp())
}

// The scenario's enums are the node's: a name the scenario accepts is one
// the node parses, and its default is the node's default.
func TestScenarioEnumsAreTheNodesNames(t *testing.T) {
	require.Equal(t, versions.DefaultMode.String(), string(scenarios.DefaultVersionMode))
	require.Equal(t, coord.Config{}.WithDefaults().ReadRepair.String(), string(scenarios.DefaultReadRepair))
	for _, name := range versions.ModeNames() {
		_, err := scenarios.Parse("m.yaml", []byte("node: {version_mode: "+name+"}\n"))
		require.NoError(t, err, name)
	}
	for _, name := range coord.ReadRepairNames() {
		_, err := scenarios.Parse("m.yaml", []byte("node: {read_repair: "+name+"}\n"))
		require.NoError(t, err, name)
	}
	require.Equal(t, coord.Config{}.WithDefaults().Quorum.String(), string(scenarios.DefaultQuorum))
	require.Equal(t, gossip.Config{}.WithDefaults().Detector.String(), string(scenarios.DefaultDetector))
	for _, name := range coord.QuorumNames() {
		_, err := scenarios.Parse("m.yaml", []byte("node: {quorum: "+name+", hinted_handoff: {enabled: true}}\n"))
		require.NoError(t, err, name)
	}
	for _, d := range []gossip.Detector{gossip.DetectorHeartbeat, gossip.DetectorPhi} {
		_, err := scenarios.Parse("m.yaml", []byte("membership: {detector: "+d.String()+"}\n"))
		require.NoError(t, err, d)
		_, err = gossip.ParseDetector(d.String())
		require.NoError(t, err)
	}
	_, err := scenarios.Parse("m.yaml", []byte("node: {version_mode: crdt}\n"))
	require.ErrorContains(t, err, "vclock")
	_, err = scenarios.Parse("m.yaml", []byte("node: {quorum: lax}\n"))
	require.ErrorContains(t, err, "sloppy")
	_, err = scenarios.Parse("m.yaml", []byte("membership: {detector: swim}\n"))
	require.ErrorContains(t, err, "phi")
}
