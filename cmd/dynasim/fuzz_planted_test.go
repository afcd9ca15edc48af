//go:build dynasim_planted

package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/node/planted"
)

// A failure found exits 1 and prints its repro command; a panic in node
// code is one, and the campaign goes on to every seed.
func TestFuzzFailureExitsOne(t *testing.T) {
	planted.Set(planted.PanicOnGet)
	defer planted.Set(planted.None)
	code, stdout, stderr := run(t, "fuzz", "--profile", "safe", "--seeds", "3", "--out", t.TempDir())
	require.Equal(t, exitFailed, code, stderr)
	require.Contains(t, stdout+stderr, "panic:")
	require.Contains(t, stdout+stderr, "3 seeds")
	require.Contains(t, stdout+stderr, "dynasim run ")
}
