package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/reports"
)

func readReport(t *testing.T, path string) *reports.Report {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r, err := reports.ReadJSON(f)
	require.NoError(t, err)
	return r
}

func jsonReport(t *testing.T, stdout string) *reports.Report {
	t.Helper()
	r, err := reports.ReadJSON(strings.NewReader(stdout))
	require.NoError(t, err, stdout)
	return r
}

// runLWW runs the shipped lww-clock-skew scenario (last-write-wins, where the
// two models disagree) and returns its output directory.
func runLWW(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "lww")
	code, _, stderr := run(t, "run", filepath.Join("..", "..", "scenarios", "lww-clock-skew.yaml"), "--out", out)
	require.Equal(t, exitOK, code, stderr)
	return out
}

// check picks the model the run used from the history's header and comes
// to the run's verdicts; --model overrides it and says so.
func TestCheckUsesTheModelTheHistoryRecords(t *testing.T) {
	out := runLWW(t)
	hist := filepath.Join(out, "history.jsonl")
	ran := readReport(t, filepath.Join(out, "report.json"))
	require.Equal(t, "register", ran.Checks.Linearizability.Model)

	code, stdout, _ := run(t, "check", hist, "--json")
	require.Equal(t, exitFailed, code, "LWW under clock skew is not linearizable")
	got := jsonReport(t, stdout)
	require.Equal(t, "register", got.Checks.Linearizability.Model)
	ran.Checks.Linearizability.Visualization, got.Checks.Linearizability.Visualization = "", ""
	require.Equal(t, ran.Checks, got.Checks, "check reaches the run's verdicts")
	require.Equal(t, ran.Staleness, got.Staleness)
	require.Contains(t, strings.Join(got.Notes, "\n"), "model register: the model for the version mode lww the history records")

	code, stdout, _ = run(t, "check", hist, "--json", "--model", "multi_value")
	require.Equal(t, exitFailed, code)
	over := jsonReport(t, stdout)
	require.Equal(t, "multi_value", over.Checks.Linearizability.Model)
	require.NotEqual(t, ran.Checks.Linearizability.IllegalKeys, over.Checks.Linearizability.IllegalKeys, "the model matters on this history")
	require.Contains(t, strings.Join(over.Notes, "\n"), "model multi_value from --model overrides register, the model for the version mode lww the history records")
	require.Equal(t, "dynasim check "+hist+" --model multi_value", over.Repro)
}

// check's report shows the run as the history records it — seed,
// fingerprint, events, virtual time, node names as run names them — and
// nothing a history cannot hold; --out writes the JSON and HTML reports.
func TestCheckShowsOnlyWhatTheHistoryHolds(t *testing.T) {
	out := runLWW(t)
	hist := filepath.Join(out, "history.jsonl")
	ran := readReport(t, filepath.Join(out, "report.json"))
	dir := filepath.Join(t.TempDir(), "chk")
	_, stdout, _ := run(t, "check", hist, "--out", dir)

	for _, want := range []string{"| seed ", "| " + ran.Fingerprint + " ", "| scenario     | lww-clock-skew", "| events ", "| " + withCommas(ran.Events) + " "} {
		require.Contains(t, stdout, want)
	}
	for _, absent := range []string{"wall time", "sim speed", "0000000000000000", "ring primary", "| n0 ", "--seed"} {
		require.NotContains(t, stdout, absent)
	}
	for _, n := range ran.Nodes {
		require.Contains(t, stdout, "| "+n.Name+" ", "run's node names")
	}
	require.Contains(t, stdout, "repro: dynasim check "+hist+"\n")
	require.Contains(t, stdout, "files: "+dir+"/{linearizability.html,report.html,report.json,report.txt}")

	got := readReport(t, filepath.Join(dir, "report.json"))
	require.Equal(t, ran.Seed, got.Seed)
	require.Equal(t, ran.Fingerprint, got.Fingerprint)
	require.Equal(t, ran.Events, got.Events)
	require.Equal(t, ran.VirtualSeconds, got.VirtualSeconds)
	require.Equal(t, ran.Config, got.Config)
	require.Zero(t, got.WallSeconds)
	require.Equal(t, &reports.CheckedHistory{Path: hist, RunRecorded: true}, got.CheckedHistory)
	require.Nil(t, ran.CheckedHistory)
	for i, n := range got.Nodes {
		require.Equal(t, ran.Nodes[i].Name, n.Name)
		require.Equal(t, ran.Nodes[i].ClientOps, n.ClientOps)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	require.Contains(t, string(html), "dynasim check "+hist)
}

// A history cut at a line boundary is read, but its verdicts are "not
// checked" — never "0 lost" or "not converged" — and the check fails.
func TestCheckOfATruncatedHistoryChecksNothing(t *testing.T) {
	out := runLWW(t)
	data, err := os.ReadFile(filepath.Join(out, "history.jsonl"))
	require.NoError(t, err)
	lines := strings.SplitAfter(string(data), "\n")
	cut := writeFile(t, t.TempDir(), "cut.jsonl", strings.Join(lines[:2000], ""))

	code, stdout, _ := run(t, "check", cut)
	require.Equal(t, exitFailed, code)
	for _, check := range []string{"linearizability", "lost acked writes", "converged"} {
		lineWith(t, stdout, "| "+check+" ", "| not checked ", "the history is incomplete (cut short after line 2000: no trailer line)")
	}
	lineWith(t, stdout, "| lost_acked_writes ", "not checked", "FAIL")

	code, stdout, _ = run(t, "check", cut, "--json")
	require.Equal(t, exitFailed, code)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &raw))
	nc := raw["checks"].(map[string]any)["not_checked"].(map[string]any)
	require.Len(t, nc, 3)
	require.Equal(t, "cut short after line 2000: no trailer line", raw["checked_history"].(map[string]any)["incomplete"])

	// Cut inside a line: refused, saying so.
	part := writeFile(t, t.TempDir(), "part.jsonl", strings.Join(lines[:2000], "")+lines[2000][:20])
	code, _, stderr := run(t, "check", part)
	require.Equal(t, exitInvalid, code)
	require.Contains(t, stderr, "line 2001")
	require.Contains(t, stderr, "cut short")
}

// A version 1 history (no run in its header, no trailer) is read as of
// unknown completeness: no run figures are invented, and the verdicts that
// need the whole history are not checked.
func TestCheckOfAVersion1History(t *testing.T) {
	out := runLWW(t)
	data, err := os.ReadFile(filepath.Join(out, "history.jsonl"))
	require.NoError(t, err)
	lines := strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")
	v1 := `{"type":"header","format":"dynasim-history","version":1}` + "\n" + strings.Join(lines[1:len(lines)-1], "")
	path := writeFile(t, t.TempDir(), "v1.jsonl", v1)

	code, stdout, _ := run(t, "check", path)
	require.Equal(t, exitFailed, code)
	lineWith(t, stdout, "| run ", "not recorded in the history")
	lineWith(t, stdout, "| incomplete ", "version 1: no trailer line")
	lineWith(t, stdout, "| lost acked writes ", "not checked")
	require.NotContains(t, stdout, "| fingerprint ")
	require.NotContains(t, stdout, "| seed ")
	require.Contains(t, stdout, "the default, since the history does not record its version mode")
	require.Contains(t, stdout, "| #0 ")

	_, stdout, _ = run(t, "check", path, "--json")
	got := jsonReport(t, stdout)
	require.Equal(t, "", got.Fingerprint)
	require.False(t, got.CheckedHistory.RunRecorded)
}

// lineWith requires exactly one line of out to contain all of parts, in
// order, and returns it.
func lineWith(t *testing.T, out string, parts ...string) string {
	t.Helper()
	var found []string
	for _, l := range strings.Split(out, "\n") {
		rest, ok := l, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			found = append(found, l)
		}
	}
	require.Lenf(t, found, 1, "want exactly one line with %q in:\n%s", parts, out)
	return found[0]
}

// withCommas formats n as the text report does: 67054 as "67,054".
func withCommas(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
