package reports

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/checker"
	"dynasim/history"
)

func text(t *testing.T, r *Report, opts TextOptions) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteText(&buf, r, opts))
	return buf.String()
}

// lineWith returns the one line containing all of parts, in order.
func lineWith(t *testing.T, out string, parts ...string) string {
	t.Helper()
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = regexp.QuoteMeta(p)
	}
	re := regexp.MustCompile(`(?m)^.*` + strings.Join(quoted, `.*`) + `.*$`)
	m := re.FindAllString(out, -1)
	require.Lenf(t, m, 1, "want exactly one line with %q in:\n%s", parts, out)
	return m[0]
}

func TestTextShowsTheKeyFigures(t *testing.T) {
	r := sampleReport(t, 3000)
	out := text(t, r, TextOptions{})

	require.True(t, strings.HasPrefix(out, "dynasim report: baseline  FAIL (1 of 3 expectations failed)\n"))
	lineWith(t, out, "| seed ", "| 42 ")
	lineWith(t, out, "fingerprint", "00abcdef01234567")
	lineWith(t, out, "| events ", "1,234,567")
	lineWith(t, out, "| wall time ", "1.500 s")
	lineWith(t, out, "sim speed", fmtRate(r.OpsPerWallSecond)+" ops/s")
	lineWith(t, out, "config", "5 nodes, N=3 W=2 R=2, vclock, read repair async")

	lineWith(t, out, "availability_min", "0.99", fmtValue(r.Checks.Availability), "FAIL")
	lineWith(t, out, "linearizable", "true", "true", "PASS")
	lineWith(t, out, "lost_acked_writes", "0", "0", "PASS")
	lineWith(t, out, "failed and unknown operations count as unavailable")

	g := r.LatencyMs.Get
	k := r.Ops.ByKind["get"]
	lineWith(t, out, "| get", fmtInt(k.Total), fmtInt(k.OK), fmtInt(k.Failed), fmtInt(k.Unknown),
		fmtSig(g.Mean), fmtSig(g.P50), fmtSig(g.P90), fmtSig(g.P99), fmtSig(g.P999), fmtSig(g.Max))
	lineWith(t, out, "| all", fmtInt(r.Ops.Total), fmtInt(r.Ops.OK))
	lineWith(t, out, "linearizability", "ok", "register model: every key has a linearization")
	lineWith(t, out, "lost acked writes", "0", "acked puts")
	lineWith(t, out, "converged", "yes", "all 20 keys agree since")
	lineWith(t, out, "| availability", fmtPct(r.Checks.Availability))
	for _, w := range r.FaultWindows {
		lineWith(t, out, "| "+w.Label+" ", fmtSeconds(w.StartMs/1000), fmtSeconds(w.EndMs/1000), fmtInt(w.Attempted), fmtPct(w.Availability))
	}
	lineWith(t, out, " 0 | ", "100.00% | ", fmtInt(r.Staleness.TVisibility[0].Reads)+" |")
	wr := r.Messages.Kinds[2]
	require.Equal(t, "write_request", wr.Kind)
	lineWith(t, out, "| write_request ", " 9,000 | ", fmtSig(wr.PerOp), "879 KiB", fmtBytes(wr.BytesPerOp), " 12 | ", " 3 |")
	lineWith(t, out, "| total ", " 19,000 | ")
	lineWith(t, out, "| #3 ", "dc1", "230,000", "950")
	require.True(t, strings.HasSuffix(out, "\nrepro: dynasim run out/baseline/resolved.yaml --seed 42\n"))

	require.NotContains(t, out, "\x1b[", "no colour unless asked")
	for _, c := range out {
		require.Less(t, c, rune(128), "ASCII only by default")
	}
	require.Equal(t, out, text(t, r, TextOptions{}), "deterministic")
}

func TestTextColourAndUnicodeOnRequest(t *testing.T) {
	r := sampleReport(t, 500)
	out := text(t, r, TextOptions{Color: true, Unicode: true})
	require.Contains(t, out, ansiGreen+"PASS"+ansiReset)
	require.Contains(t, out, ansiBold+ansiRed+"FAIL"+ansiReset)
	require.Contains(t, out, "│")
	// Colour codes do not count towards column widths: every row of a table
	// is as wide as its border once the codes are stripped.
	strip := regexp.MustCompile("\x1b\\[[0-9;]*m")
	widths := map[int]bool{}
	for _, l := range strings.Split(lineBlock(out, "EXPECTATIONS"), "\n") {
		widths[len([]rune(strip.ReplaceAllString(l, "")))] = true
	}
	require.Len(t, widths, 1, "ragged table:\n%s", lineBlock(out, "EXPECTATIONS"))
	err := WriteText(&bytes.Buffer{}, r, TextOptions{TVisibilityPoints: -1})
	require.ErrorContains(t, err, "TVisibilityPoints")
}

// lineBlock returns the table lines under a title.
func lineBlock(out, title string) string {
	var lines []string
	in := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.Contains(l, title):
			in = true
		case in && (l == "" || strings.HasPrefix(l, "  ")):
			return strings.Join(lines, "\n")
		case in:
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

func TestTextShowsAFewTVisibilityPoints(t *testing.T) {
	r := sampleReport(t, 500)
	r.Staleness.TVisibility = nil
	for i := range 14 {
		r.Staleness.TVisibility = append(r.Staleness.TVisibility, TVisibilityPoint{TMs: float64(i * 10), PConsistent: 0.9, Reads: 100 - i})
	}
	block := lineBlock(text(t, r, TextOptions{}), "T-VISIBILITY")
	require.Equal(t, 8+4, len(strings.Split(block, "\n")), "8 points, a header and 3 rules:\n%s", block)
	require.Contains(t, block, "|         0 |")
	require.Contains(t, block, "|       130 |", "the last point is always shown")
	block = lineBlock(text(t, r, TextOptions{TVisibilityPoints: 100}), "T-VISIBILITY")
	require.Equal(t, 14+4, len(strings.Split(block, "\n")))
}

func TestTextSumsTheKStalenessTail(t *testing.T) {
	r := sampleReport(t, 500)
	r.Staleness.KStaleness = nil
	for k := range 12 {
		r.Staleness.KStaleness = append(r.Staleness.KStaleness, KCount{K: k * 2, Reads: 10 + k})
	}
	r.Staleness.Reads = 1000
	block := lineBlock(text(t, r, TextOptions{}), "VERSIONS MISSED")
	require.Equal(t, 8+4, len(strings.Split(block, "\n")), block)
	require.Contains(t, block, "|    12 |    16 | 1.60% |")
	// k = 14, 16, ..., 22 with 17 + 18 + ... + 21 reads.
	require.Contains(t, block, "| >= 14 |    95 | 9.50% |")
}

// Empty and one-sided runs render and say what is missing.
func TestTextEdgeCases(t *testing.T) {
	t.Run("empty history", func(t *testing.T) {
		h := &history.History{}
		r := build(t, h, check(t, h, checker.Options{Linearizability: true}))
		out := text(t, r, TextOptions{})
		require.Contains(t, out, "PASS (the scenario states no expectations)")
		require.Contains(t, out, "no operations were recorded")
		require.Contains(t, out, "no faults were injected")
		require.Contains(t, out, "no read began after an acknowledged write")
		require.Contains(t, out, "no message statistics were given")
		require.Contains(t, out, "no per-node statistics")
		lineWith(t, out, "converged", "not checked", "the history records no replica state")
		lineWith(t, out, "lost acked writes", "no acknowledged puts to check")
		lineWith(t, out, "stale reads", "no reads were measured")
		require.Empty(t, r.Timeline.Buckets)
	})
	t.Run("no gets", func(t *testing.T) {
		var b hb
		b.op(history.Put, "k", 1*ms, 2*ms, history.OK).op(history.Put, "k", 3*ms, 4*ms, history.Failed)
		r := build(t, &b.h, check(t, &b.h, checker.Options{}))
		out := text(t, r, TextOptions{})
		require.Contains(t, out, "no get operations in this run")
		require.Contains(t, out, "no delete operations in this run")
		lineWith(t, out, "| put", "2", "1", "1", "0", "1.00")
		require.NotContains(t, out, "| get")
		require.Zero(t, r.LatencyMs.Get.Count)
	})
	t.Run("gets that all failed", func(t *testing.T) {
		var b hb
		b.op(history.Get, "k", 1*ms, 2*ms, history.Unknown)
		r := build(t, &b.h, check(t, &b.h, checker.Options{}))
		out := text(t, r, TextOptions{})
		lineWith(t, out, "| get", "1", "0", "0", "1", "-", "-")
		require.Contains(t, out, "no get ended ok: no latency to show")
		lineWith(t, out, "| availability", "0.00%")
	})
}

func TestFormatting(t *testing.T) {
	for in, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		require.Equal(t, want, fmtInt(in))
	}
	require.Equal(t, "18,446,744,073,709,551,615", fmtUint(^uint64(0)))
	for in, want := range map[float64]string{0: "0", 0.01234: "0.012", 1.234: "1.23", 12.34: "12.3", 1234.6: "1235", -2.5: "-2.50"} {
		require.Equal(t, want, fmtSig(in), "%v", in)
	}
	for in, want := range map[float64]string{1: "100.00%", 0.99999: ">99.99%", 0.5: "50.00%", 0.000001: "<0.01%", 0: "0.00%"} {
		require.Equal(t, want, fmtPct(in), "%v", in)
	}
	for in, want := range map[float64]string{100: "100 B", 2048: "2.00 KiB", 3 << 20: "3.00 MiB", 5 << 30: "5.00 GiB"} {
		require.Equal(t, want, fmtBytes(in))
	}
	for _, tc := range []struct {
		in   any
		want string
	}{{nil, "-"}, {true, "true"}, {3, "3"}, {float64(3), "3"}, {0.99, "0.99"}, {uint64(7), "7"}, {"x", "x"}, {float32(0.5), "0.5"}} {
		require.Equal(t, tc.want, fmtValue(tc.in))
	}
	require.Equal(t, "dynasim run 'my dir/x.yaml' --seed 1", repro(Meta{ScenarioPath: "my dir/x.yaml", Seed: 1}))
	require.Equal(t, `dynasim run 'it'\''s.yaml' --seed 2`, repro(Meta{Scenario: "it's.yaml", Seed: 2}))
	require.Equal(t, "custom", repro(Meta{Repro: "custom", ResolvedPath: "x"}))
}

func TestSummaryLine(t *testing.T) {
	r := sampleReport(t, 1000)
	want := "FAIL baseline seed=42 fingerprint=00abcdef01234567 ops=1000 availability=" + fmtPct(r.Checks.Availability) +
		" linearizability=ok lost_acked_writes=0 converged=true get_p99_ms=" + fmtSig(r.LatencyMs.Get.P99) +
		" put_p99_ms=" + fmtSig(r.LatencyMs.Put.P99) + " | dynasim run out/baseline/resolved.yaml --seed 42"
	require.Equal(t, want, SummaryLine(r))
	require.NotContains(t, SummaryLine(r), "\n")
}

func TestTextShowsFailureDetectionAndHints(t *testing.T) {
	r := sampleReport(t, 300)
	require.NotContains(t, text(t, r, TextOptions{}), "FAILURE DETECTION AND HINTS")
	r.Membership = &Membership{
		Nodes: []MembershipNode{
			{Node: 0, Name: "n1", Marks: []MembershipMk{{AtS: 12, Member: "n3", Kind: "down", Reporters: 2}, {AtS: 30, Member: "n3", Kind: "up"}}},
			{Node: 1, Name: "n2", Marks: []MembershipMk{{AtS: 5, Member: "n1", Kind: "down", Reporters: 2, False: true}}},
		},
		DetectionMs: DetectionQuantiles{Count: 2, P50: 5400, P99: 6100, Max: 6100},
		FalseDown:   1,
	}
	r.Hints = &Hints{HintCounts: HintCounts{Created: 10, Delivered: 9, Dropped: 1},
		Nodes: []NodeHints{{Node: 0, Name: "n1", HintCounts: HintCounts{Created: 10, Delivered: 9, Dropped: 1}}, {Node: 1, Name: "n2"}}}
	out := text(t, r, TextOptions{})
	lineWith(t, out, "FAILURE DETECTION AND HINTS")
	lineWith(t, out, "| n1   |           1 |         1 |          0 |            10 |         9 |       1 |       0 |")
	lineWith(t, out, "| n2   |           1 |         0 |          1 |             0 |")
	lineWith(t, out, "detection of downed nodes: 2, p50 5400 ms, p99 6100 ms, max 6100 ms; missed 0")
	lineWith(t, out, "false down marks", ": 1")
	lineWith(t, out, "hints: 10 created, 9 delivered, 1 dropped, 0 pending")
}
