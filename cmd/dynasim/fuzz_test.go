package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// dynasim fuzz exits 0 without a failure (and writes the JSON summary with
// its keys), 2 on usage errors and 3 when it cannot write its output.
// Exit 1 (a failure found) is tested with a planted bug
// (fuzz_planted_test.go, build tag dynasim_planted).
func TestFuzzExitCodes(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	code, _, stderr := run(t, "fuzz", "--profile", "safe", "--seeds", "2", "--jobs", "2", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	require.NoError(t, err)
	var sum map[string]any
	require.NoError(t, json.Unmarshal(data, &sum))
	for _, k := range []string{"seeds_run", "failures", "by_class", "wall_seconds", "seeds_per_second", "fingerprints"} {
		require.Contains(t, sum, k)
	}
	require.EqualValues(t, 2, sum["seeds_run"])

	for _, args := range [][]string{
		{"fuzz", "--profile", "nope", "--seeds", "1"},
		{"fuzz", "--shard", "3/2", "--seeds", "1"},
		{"fuzz", "--no-such-flag"},
	} {
		code, _, _ := run(t, args...)
		require.Equal(t, exitInvalid, code, "%v", args)
	}

	file := writeFile(t, dir, "file", "x")
	code, _, _ = run(t, "fuzz", "--profile", "safe", "--seeds", "1", "--out", filepath.Join(file, "sub"))
	require.Equal(t, exitError, code)
}
