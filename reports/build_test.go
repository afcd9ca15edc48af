package reports

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"

	"dynasim/checker"
	"dynasim/checker/synth"
	"dynasim/history"
)

const ms = int64(time.Millisecond)

// hb appends hand-written operations with the next ID.
type hb struct{ h history.History }

func (b *hb) op(kind history.OpKind, key string, inv, ret int64, out history.Outcome) *hb {
	o := history.Op{ID: uint64(len(b.h.Ops)) + 1, Kind: kind, Key: key, InvokeNs: inv, ReturnNs: ret, Outcome: out, Coordinator: 1}
	if kind == history.Put {
		o.Value = "v" + string(rune('a'+len(b.h.Ops)))
	}
	b.h.Ops = append(b.h.Ops, o)
	return b
}

func check(t *testing.T, h *history.History, opt checker.Options) *checker.Results {
	t.Helper()
	if opt.Model == "" {
		opt.Model = checker.Register
	}
	res, err := checker.Check(h, opt)
	require.NoError(t, err)
	return res
}

func build(t *testing.T, h *history.History, res *checker.Results) *Report {
	t.Helper()
	r, err := Build(Input{Meta: Meta{Scenario: "hand"}, History: h, Results: res})
	require.NoError(t, err)
	return r
}

func TestTimelineBucketsAHandBuiltHistory(t *testing.T) {
	var b hb
	b.op(history.Put, "k", 200_000, 1_500_000, history.OK)                // bucket 0, returns in 1
	b.op(history.Get, "k", 500_000, 900_000, history.Failed)              // bucket 0
	b.op(history.Put, "k", 50*ms+100_000, 52*ms+300_000, history.Unknown) // bucket 50
	b.op(history.Get, "k", 99*ms, 100*ms, history.OK)                     // bucket 99, returns in 100
	b.op(history.Get, "k", 99*ms+1, 99*ms+500_000, history.OK)            // bucket 99
	b.h.Ops = append(b.h.Ops, history.Op{ID: 6, Kind: history.Get, Key: "k", InvokeNs: 200 * ms, ReturnNs: 201 * ms,
		Outcome: history.OK, Final: true, Coordinator: 0, Values: []string{"va"}})
	r := build(t, &b.h, check(t, &b.h, checker.Options{}))
	tl := r.Timeline

	// The workload spans 100 ms: the smallest nice size giving at most 200
	// buckets is 1 ms (0.5 ms would need 201), so 101 buckets; the final read
	// at 200 ms is not workload.
	require.Equal(t, 1.0, tl.BucketMs)
	require.Equal(t, 100.0, tl.EndMs)
	require.Len(t, tl.Buckets, 101)
	for i, bk := range tl.Buckets {
		require.Equal(t, float64(i), bk.TMs)
	}
	b0 := tl.Buckets[0]
	require.Equal(t, Bucket{TMs: 0, Started: 2, OK: 1, Failed: 1, P50Ms: b0.P50Ms, P99Ms: b0.P99Ms}, b0)
	require.InDelta(t, 1.3, *b0.P50Ms, 1e-12)
	require.InDelta(t, 1.3, *b0.P99Ms, 1e-12)
	require.Equal(t, 1, tl.Buckets[1].Completed)
	require.Nil(t, tl.Buckets[1].P50Ms, "nothing was invoked in bucket 1")
	require.Equal(t, Bucket{TMs: 50, Started: 1, Unknown: 1}, tl.Buckets[50], "unknown: no latency")
	b99 := tl.Buckets[99]
	require.Equal(t, 2, b99.Started)
	require.Equal(t, 2, b99.OK)
	require.Equal(t, 1, b99.Completed, "the 0.5 ms get returned inside bucket 99")
	require.Equal(t, 0.499999, *b99.P50Ms) // of {0.499999, 1.0}, the smaller is the median
	require.InDelta(t, 1.0, *b99.P99Ms, 1e-9)
	require.Equal(t, 1, tl.Buckets[100].Completed)
	total := Bucket{}
	for _, bk := range tl.Buckets {
		total.Started += bk.Started
		total.OK += bk.OK
		total.Completed += bk.Completed
	}
	require.Equal(t, r.Ops.Total, total.Started)
	require.Equal(t, r.Ops.OK, total.OK)
	require.Equal(t, r.Ops.OK, total.Completed)
}

func TestBucketSizeGivesOneToTwoHundredBuckets(t *testing.T) {
	nice := map[int64]bool{10: true, 20: true, 25: true, 50: true}
	for _, span := range []int64{1, 999, 1_000, 100_000, 199_999_999, 200_000_000, 450 * ms, 1_300 * ms, 60_000 * ms, 3_600_000 * ms, math.MaxInt64} {
		s := bucketNs(span)
		n := span/s + 1
		require.LessOrEqualf(t, n, int64(maxBuckets), "span %d ns: size %d", span, s)
		if span >= 100*minBucketNs*2 {
			require.GreaterOrEqualf(t, n, int64(maxBuckets/2), "span %d ns: size %d gives only %d buckets", span, s, n)
		}
		m := s
		for m >= 100 && m%10 == 0 {
			m /= 10
		}
		if m < 10 {
			m *= 10
		}
		require.Truef(t, nice[m], "span %d: size %d is not 1, 2, 2.5 or 5 times a power of ten", span, s)
	}
}

func TestQuantileAgreesWithGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 7, 100, 1000, 1001} {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Round(rng.ExpFloat64()*100) / 10 // ties on purpose
		}
		slices.Sort(xs)
		for _, p := range []float64{0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1} {
			require.Equalf(t, stat.Quantile(p, stat.Empirical, xs, nil), quantile(xs, p), "n=%d p=%v", n, p)
		}
	}
}

func TestLatencyCDF(t *testing.T) {
	t.Run("small sample keeps every value", func(t *testing.T) {
		var b hb
		for i, lat := range []int64{3, 1, 2, 2} {
			b.op(history.Get, "k", int64(i)*10*ms, int64(i)*10*ms+lat*ms, history.OK)
		}
		b.op(history.Get, "k", 50*ms, 60*ms, history.Failed) // not ok: left out
		r := build(t, &b.h, check(t, &b.h, checker.Options{}))
		require.Equal(t, []CDFPoint{{1, 0.25}, {2, 0.75}, {3, 1}}, r.LatencyCDF["get"])
		require.NotContains(t, r.LatencyCDF, "put")
	})
	t.Run("large sample is a monotone grid", func(t *testing.T) {
		r := sampleReport(t, 20_000)
		pts := r.LatencyCDF["get"]
		n := r.LatencyMs.Get.Count
		require.Greater(t, n, maxCDFSamples)
		require.Less(t, len(pts), 140)
		require.Equal(t, CDFPoint{r.LatencyMs.Get.Max, 1}, pts[len(pts)-1])
		require.Equal(t, 1/float64(n), pts[0].P)
		for i := 1; i < len(pts); i++ {
			require.Greater(t, pts[i].Ms, pts[i-1].Ms)
			require.Greater(t, pts[i].P, pts[i-1].P)
		}
		// The grid point at 0.99 is the p99 the checker reports.
		i := slices.IndexFunc(pts, func(p CDFPoint) bool { return p.P == 0.99 })
		require.GreaterOrEqual(t, i, 0)
		require.Equal(t, r.LatencyMs.Get.P99, pts[i].Ms)
	})
}

func TestBuildRefusesBadInput(t *testing.T) {
	good := sampleInput(t, 300)
	other, err := synth.Generate(synth.Config{Seed: 99, Ops: 200})
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		edit func(in *Input)
		err  string
	}{
		"nil history":     {func(in *Input) { in.History = nil }, "History is nil"},
		"nil results":     {func(in *Input) { in.Results = nil }, "Results is nil"},
		"partial results": {func(in *Input) { r := *in.Results; r.Staleness = nil; in.Results = &r }, "incomplete"},
		"other history":   {func(in *Input) { in.History = other }, "not from the same run"},
		"no scenario":     {func(in *Input) { in.Meta.Scenario = " " }, "Scenario is empty"},
		"negative wall":   {func(in *Input) { in.Meta.Wall = -1 }, "Wall is negative"},
		"duplicate node":  {func(in *Input) { in.Nodes = append(in.Nodes, in.Nodes[0]) }, "appears twice"},
		"negative node":   {func(in *Input) { in.Nodes[0].Node = -3 }, "non-negative"},
		"duplicate kind":  {func(in *Input) { in.Messages = append(in.Messages, in.Messages[0]) }, `"write_request" appears twice`},
		"empty kind":      {func(in *Input) { in.Messages[1].Kind = "" }, "has no kind"},
		"NaN got":         {func(in *Input) { in.Expectations[0].Got = math.NaN() }, "not a finite number"},
		"struct want":     {func(in *Input) { in.Expectations[0].Want = struct{}{} }, "bool, number or string"},
		"unnamed":         {func(in *Input) { in.Expectations[1].Name = "" }, "has no name"},
		"too many nodes":  {func(in *Input) { in.Options.MaxNodes = 2 }, "the limit (Options.MaxNodes) is 2"},
		"bad option":      {func(in *Input) { in.Options.MaxListed = -1 }, "MaxListed"},
		"invalid history": {func(in *Input) { h := *in.History; h.Ops = slices.Clone(h.Ops); h.Ops[3].ReturnNs = 0; in.History = &h }, "return_ns"},
	} {
		t.Run(name, func(t *testing.T) {
			in := good
			in.Nodes = slices.Clone(good.Nodes)
			in.Messages = slices.Clone(good.Messages)
			in.Expectations = slices.Clone(good.Expectations)
			tc.edit(&in)
			_, err := Build(in)
			require.ErrorContains(t, err, tc.err)
		})
	}
}

// The same run in any input order gives byte-identical output.
func TestBuildIsDeterministic(t *testing.T) {
	in := sampleInput(t, 2000)
	render := func(in Input) string {
		r, err := Build(in)
		require.NoError(t, err)
		var buf bytes.Buffer
		require.NoError(t, r.WriteJSON(&buf))
		require.NoError(t, WriteText(&buf, r, TextOptions{}))
		require.NoError(t, WriteHTML(&buf, r))
		return buf.String()
	}
	want := render(in)
	rev := in
	rev.Nodes, rev.Messages, rev.Expectations = slices.Clone(in.Nodes), slices.Clone(in.Messages), slices.Clone(in.Expectations)
	slices.Reverse(rev.Nodes)
	slices.Reverse(rev.Messages)
	slices.Reverse(rev.Expectations)
	res := *in.Results
	res.Availability.Windows = slices.Clone(res.Availability.Windows)
	slices.Reverse(res.Availability.Windows)
	rev.Results = &res
	require.Equal(t, want, render(rev))
}

// Runs of one seed differ only in wall-clock figures; ZeroWallClock
// removes them.
func TestZeroWallClockMakesReplaysIdentical(t *testing.T) {
	in := sampleInput(t, 500)
	a, err := Build(in)
	require.NoError(t, err)
	in.Meta.Wall = 7 * time.Second
	b, err := Build(in)
	require.NoError(t, err)
	require.NotEqual(t, a.OpsPerWallSecond, b.OpsPerWallSecond)
	b.SetWallClock(9*time.Second, PhaseSeconds{Setup: 0.1, Simulate: 7, Check: 1, Report: 0.2, Write: 0.5})
	a.ZeroWallClock()
	b.ZeroWallClock()
	var ja, jb bytes.Buffer
	require.NoError(t, a.WriteJSON(&ja))
	require.NoError(t, b.WriteJSON(&jb))
	require.Equal(t, ja.String(), jb.String())
	require.Contains(t, ja.String(), `"wall_seconds": 0,`)
	require.Contains(t, ja.String(), `"total_wall_seconds": 0,`)
}

// SetWallClock records the total and the phases, in the JSON and in the
// run table, and the rate over the total beside the simulation's.
func TestSetWallClockReportsTotalAndPhases(t *testing.T) {
	r := sampleReport(t, 3000)
	r.SetWallClock(2*time.Second, PhaseSeconds{Setup: 0.01, Simulate: 1.5, Check: 0.3, Report: 0.05, Write: 0.1})
	require.Equal(t, 2.0, r.TotalWallSeconds)
	require.InDelta(t, float64(r.Ops.Total)/2, r.OpsPerTotalWallSecond, 1e-9)
	require.InDelta(t, float64(r.Ops.Total)/1.5, r.OpsPerWallSecond, 1e-9, "ops_per_wall_second stays over the simulation")

	var j bytes.Buffer
	require.NoError(t, r.WriteJSON(&j))
	require.Contains(t, j.String(), `"phase_seconds": {`)
	got, err := ReadJSON(&j)
	require.NoError(t, err)
	require.Equal(t, r.PhaseSeconds, got.PhaseSeconds)
	require.Equal(t, r.TotalWallSeconds, got.TotalWallSeconds)

	var txt bytes.Buffer
	require.NoError(t, WriteText(&txt, r, TextOptions{}))
	require.Contains(t, txt.String(), "1.500 s simulating; 2.000 s in all (setup 0.010 s, simulate 1.500 s, check 0.300 s, report 0.050 s, write 0.100 s)")
	require.Contains(t, txt.String(), fmtRate(r.OpsPerTotalWallSecond)+" ops/s in all")
}

func TestBuildDerivedFigures(t *testing.T) {
	in := sampleInput(t, 1000)
	// Node 7 coordinated nothing the simulator reports, but the history says
	// it did (a client routed there): it gets a row.
	h := *in.History
	h.Ops = slices.Clone(h.Ops)
	h.Ops[0].Coordinator = 7
	in.History = &h
	r, err := Build(in)
	require.NoError(t, err)

	var nodes []int
	clientOps := 0
	for _, n := range r.Nodes {
		nodes = append(nodes, n.Node)
		clientOps += n.ClientOps
	}
	require.Equal(t, []int{0, 1, 2, 3, 4, 7}, nodes)
	require.Equal(t, 1, r.Nodes[5].ClientOps)
	require.Zero(t, r.Nodes[5].EventsHandled)
	require.Equal(t, uint64(250_000), r.Nodes[2].EventsHandled)
	require.Equal(t, r.Ops.Total, clientOps, "every workload op has a coordinator in the sample")

	m := r.Messages
	require.Equal(t, []string{"gossip", "read_request", "write_request"}, []string{m.Kinds[0].Kind, m.Kinds[1].Kind, m.Kinds[2].Kind})
	require.Equal(t, len(h.Ops), m.PerOpBase)
	require.Equal(t, uint64(7000), m.Total.Sent)
	require.InDelta(t, 7000/float64(len(h.Ops)), m.Total.PerOp, 1e-12)
	require.InDelta(t, 300_000/float64(len(h.Ops)), m.Kinds[2].BytesPerOp, 1e-9)

	var kinds KindCounts
	for _, k := range r.Ops.ByKind {
		kinds.Total += k.Total
		kinds.OK += k.OK
		kinds.Failed += k.Failed
		kinds.Unknown += k.Unknown
	}
	require.Equal(t, KindCounts{Total: r.Ops.Total, OK: r.Ops.OK, Failed: r.Ops.Failed, Unknown: r.Ops.Unknown}, kinds)
	require.Equal(t, in.Results.Staleness.StaleFraction, r.Staleness.StaleFraction)
	require.Equal(t, "crash n2", r.FaultWindows[1].Label, "fault windows sorted by start")
	require.Less(t, r.FaultWindows[0].StartMs, r.FaultWindows[1].StartMs)
}

func TestLinearizabilityReasons(t *testing.T) {
	t.Run("skipped because W+R<=N", func(t *testing.T) {
		in := sampleInput(t, 300)
		res, err := checker.Check(in.History, checker.Options{Model: checker.Register})
		require.NoError(t, err)
		in.Results = res
		in.Meta.Config.R = 1
		r, err := Build(in)
		require.NoError(t, err)
		require.Equal(t, "skipped", r.Checks.Linearizability.Result)
		require.Equal(t, "not checked: W+R <= N (2+1 <= 3), read and write quorums need not intersect", r.Checks.Linearizability.Reason)
		in.Meta.LinearizabilityNote = "the scenario turned it off"
		r, err = Build(in)
		require.NoError(t, err)
		require.Equal(t, "the scenario turned it off", r.Checks.Linearizability.Reason)
	})
	t.Run("illegal names the smallest key and a relative visualisation", func(t *testing.T) {
		r, _ := illegalReport(t)
		l := r.Checks.Linearizability
		require.Equal(t, "illegal", l.Result)
		require.NotEmpty(t, l.FailingKey)
		require.Equal(t, "porcupine/lin.html", l.Visualization)
		require.Contains(t, l.Reason, `the smallest is "`+l.FailingKey+`"`)
		require.Equal(t, l.IllegalKeys, len(l.IllegalKeyList))
	})
}

// illegalReport is a run with injected stale reads: Porcupine finds no
// linearization and writes its visualisation under the report directory.
func illegalReport(t *testing.T) (*Report, string) {
	t.Helper()
	h, err := synth.Generate(synth.Config{Seed: 3, Ops: 2000, Keys: 8, Clients: 6, StaleReadFraction: 0.05, FinalReads: true, Replicas: 3})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "porcupine"), 0o755))
	res, err := checker.Check(h, checker.Options{Model: checker.Register, Linearizability: true, ReplicasPerKey: 3,
		VisualizationPath: filepath.Join(dir, "porcupine", "lin.html")})
	require.NoError(t, err)
	r, err := Build(Input{Meta: Meta{Scenario: "stale-reads", OutDir: dir, Seed: 3}, History: h, Results: res})
	require.NoError(t, err)
	return r, dir
}
