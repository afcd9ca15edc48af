package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

const tiny = `
name: tiny
seed: 4
cluster: {nodes: 3}
node: {n: 3, r: 2, w: 2, read_repair: blocking, two_phase_writes: true}
workload: {clients: 3, duration: 2s, keys: {count: 5}}
expect:
  lost_acked_writes: 0
  converged: true
`

func TestRunPassesAndWritesItsFiles(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "tiny.yaml", tiny)
	out := filepath.Join(dir, "out")
	code, stdout, stderr := run(t, "run", path, "--out", out)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "dynasim report: tiny")
	require.Contains(t, stdout, "PASS")
	for _, f := range []string{"resolved.yaml", "history.jsonl", "report.json", "report.txt", "report.html"} {
		require.FileExists(t, filepath.Join(out, f))
	}
	// The run table times the phases; the command's own total ends the
	// output.
	require.Regexp(t, `wall time +\| [0-9.]+ s simulating; [0-9.]+ s in all \(setup [0-9.]+ s, simulate [0-9.]+ s, check [0-9.]+ s, report [0-9.]+ s, write [0-9.]+ s\)`, stdout)
	require.Regexp(t, `total wall time: [0-9.]+ s for 1 scenario\(s\), process start to exit\n$`, stdout)
	if runtime.GOOS == "linux" {
		require.Regexp(t, `\npeak memory: [0-9]+ MB resident \(the process's high-water mark\)\ntotal wall time`, stdout)
	}

	// Replay verifies the fingerprint.
	code, stdout, _ = run(t, "replay", out)
	require.Equal(t, exitOK, code)
	require.Contains(t, stdout, "identical")

	// A tampered fingerprint is a divergence: exit 1.
	rep := filepath.Join(out, "report.json")
	data, err := os.ReadFile(rep)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	m["fingerprint"] = "0000000000000001"
	data, err = json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(rep, data, 0o644))
	code, stdout, _ = run(t, "replay", out)
	require.Equal(t, exitFailed, code)
	require.Contains(t, stdout, "DIVERGED")

	// The history can be checked on its own.
	code, stdout, _ = run(t, "check", filepath.Join(out, "history.jsonl"))
	require.Equal(t, exitOK, code)
	require.Contains(t, stdout, "linearizability")
}

func TestRunJSONHasTheContractKeys(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "tiny.yaml", tiny)
	code, stdout, stderr := run(t, "run", path, "--json", "--seed", "99", "--out", filepath.Join(dir, "o"))
	require.Equal(t, exitOK, code, stderr)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), "stdout is exactly the JSON report")
	for _, k := range []string{"scenario", "seed", "fingerprint", "ops", "latency_ms", "checks", "staleness", "expectations", "events", "wall_seconds", "ops_per_wall_second"} {
		require.Contains(t, rep, k)
	}
	require.Equal(t, 99.0, rep["seed"], "--seed overrides the file's seed")
	ops := rep["ops"].(map[string]any)
	for _, k := range []string{"total", "ok", "failed", "unknown"} {
		require.Contains(t, ops, k)
	}
	checks := rep["checks"].(map[string]any)
	for _, k := range []string{"linearizability", "lost_acked_writes", "converged", "availability"} {
		require.Contains(t, checks, k)
	}
	lin := checks["linearizability"].(map[string]any)
	require.Contains(t, lin, "model")
	require.Contains(t, []any{"ok", "illegal", "unknown", "skipped"}, lin["result"])
	lat := rep["latency_ms"].(map[string]any)
	for _, op := range []string{"get", "put"} {
		for _, q := range []string{"p50", "p99", "p999", "max"} {
			require.Contains(t, lat[op].(map[string]any), q)
		}
	}
	tv := rep["staleness"].(map[string]any)["t_visibility"].([]any)
	require.NotEmpty(t, tv)
	require.Contains(t, tv[0].(map[string]any), "t_ms")
	require.Contains(t, tv[0].(map[string]any), "p_consistent")
	for _, e := range rep["expectations"].([]any) {
		for _, k := range []string{"name", "want", "got", "pass"} {
			require.Contains(t, e.(map[string]any), k)
		}
	}
}

func TestFailedExpectationExitsOne(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "strict.yaml", tiny+"  p50_ms_max: 0.0001\n")
	code, stdout, _ := run(t, "run", path, "--out", filepath.Join(dir, "o"))
	require.Equal(t, exitFailed, code)
	require.Contains(t, stdout, "FAIL")
}

func TestInvalidScenarioExitsTwoWithEveryProblem(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "bad.yaml", `
cluster: {nodes: 3}
node: {n: 3, w: 4, version_mode: dvvv}
workload: {clinets: 2, duration: 1s}
`)
	code, stdout, _ := run(t, "validate", path)
	require.Equal(t, exitInvalid, code)
	require.Contains(t, stdout, "bad.yaml:3:")
	require.Contains(t, stdout, "node.w")
	require.Contains(t, stdout, "node.version_mode")
	require.Contains(t, stdout, "workload.clinets")

	code, _, stderr := run(t, "run", path)
	require.Equal(t, exitInvalid, code)
	require.Contains(t, stderr, "node.version_mode")

	code, stdout, _ = run(t, "validate", writeFile(t, dir, "ok.yaml", tiny))
	require.Equal(t, exitOK, code)
	require.Contains(t, stdout, "ok")
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{{"run"}, {"frobnicate"}, {"run", "--no-such-flag", "x.yaml"}, {"replay"}, {"check", "missing.jsonl"}, {"check", "--model", "quantum", "x"}} {
		code, _, _ := run(t, args...)
		require.Equal(t, exitInvalid, code, "%v", args)
	}
}

func TestCheckRejectsACorruptHistory(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "h.jsonl", `{"type":"header","format":"dynasim-history","version":1}
{"type":"op","id":1,"client":0,"op":"get","key":"k","invoke_ns":5,"return_ns":2,"coordinator":0,"outcome":"ok"}
`)
	code, _, stderr := run(t, "check", path)
	require.Equal(t, exitInvalid, code)
	require.Contains(t, stderr, "line 2")
}

func TestCheckFailsANonLinearizableHistory(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "q")
	code, _, stderr := run(t, "run", filepath.Join("..", "..", "scenarios", "quorum-no-writeback.yaml"), "--out", out)
	require.Equal(t, exitOK, code, stderr) // the scenario expects the violation
	code, stdout, _ := run(t, "check", filepath.Join(out, "history.jsonl"))
	require.Equal(t, exitFailed, code)
	require.Contains(t, stdout, "illegal")
	code, _, _ = run(t, "check", "--lin=false", filepath.Join(out, "history.jsonl"))
	require.Equal(t, exitOK, code, "without Porcupine only lost writes count, and there are none")
}

func TestValidatePrintsTheResolvedScenario(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "knobs.yaml", `
name: knobs
cluster: {nodes: 3}
node: {n: 3, r: 2, w: 2, version_mode: {choice: [vclock, dvv, lww]}}
workload: {clients: {range: [2, 9]}, duration: 1s}
`)
	outputs := map[string]bool{}
	for _, seed := range []string{"1", "2", "3", "4", "5"} {
		code, stdout, _ := run(t, "validate", path, "--resolved", "--seed", seed)
		require.Equal(t, exitOK, code)
		require.Contains(t, stdout, "resolved with seed "+seed)
		require.Contains(t, stdout, "version_mode:")
		require.NotContains(t, stdout, "choice", "every knob is concrete")
		require.NotContains(t, stdout, "range")
		_, again, _ := run(t, "validate", path, "--resolved", "--seed", seed)
		require.Equal(t, stdout, again, "the same seed resolves the same way")
		outputs[stdout] = true
	}
	require.Greater(t, len(outputs), 1, "different seeds pick differently")
}

func TestVersionPrintsTheVersionAndTheBuildInfo(t *testing.T) {
	code, stdout, stderr := run(t, "--version")
	require.Equal(t, exitOK, code, stderr)
	first, rest, _ := strings.Cut(stdout, "\n")
	require.Regexp(t, `^dynasim \S+$`, first)
	info, ok := debug.ReadBuildInfo()
	require.True(t, ok, "test binaries carry build info")
	// The build info as Go formats it: Go version, main module, the
	// dependencies with their versions.
	require.Contains(t, rest, "go\t"+info.GoVersion+"\n")
	require.Contains(t, rest, "mod\t"+info.Main.Path)
	for _, dep := range info.Deps {
		require.Contains(t, rest, "dep\t"+dep.Path+"\t"+dep.Version)
	}
	require.NotEmpty(t, info.Deps)
}
