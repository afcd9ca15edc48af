//go:build dynasim_planted

package fuzz

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/node/planted"
)

// The planted bugs, each with the profile that should catch it, the classes
// that count as catching it, and the seed budget it must be found within.
// Run with: go test -tags dynasim_planted ./fuzz -run TestPlanted -v
// (the -v log is the measurement: seeds to find, repro sizes, shrink time).
var plantedCases = []struct {
	bug     planted.Bug
	profile Profile
	classes []Class
	budget  int
	// clients bounds the repro's clients (default 2): a bug that needs a
	// lost message needs enough traffic for the loss to hit it.
	clients int
	// faults bounds the repro's faults (default 2).
	faults int
}{
	// Anti-entropy (on for seed 6, the first to show it before anti-entropy
	// was fuzzed) repairs the replicas an early ack skipped fast enough to
	// hide it there; seed 8 shows it, and its repro needs all 6 clients:
	// with fewer, too few operations overlap the window the early ack opens.
	{planted.AckEarly, Safe, []Class{NotLinearizable, LostAckedWrite}, 40, 6, 0},
	{planted.DropSibling, Eventual, []Class{LostAckedWrite}, 40, 0, 0},
	{planted.RepairAnswersFirst, Safe, []Class{NotLinearizable}, 400, 0, 0},
	{planted.AckBeforeSync, Safe, []Class{LostAckedWrite, NotLinearizable}, 40, 0, 0},
	// A deleted hint is lost only when its handoff is lost too (message
	// loss, the target down): the rarest, and a repro keeps its clients
	// and the faults that put the targets down while hints pile up (seed
	// 803: 5 faults shrink to 4; each one removed lets every hint through).
	{planted.HintDeletedEarly, Eventual, []Class{LostAckedWrite}, 1000, 10, 4},
}

func TestPlanted(t *testing.T) {
	base := DefaultBase()
	for _, tc := range plantedCases {
		t.Run(tc.bug.String(), func(t *testing.T) {
			planted.Set(tc.bug)
			defer planted.Set(planted.None)
			var found *Outcome
			for s := uint64(1); s <= uint64(tc.budget); s++ {
				o := RunOne(base, tc.profile, s, false)
				if slices.Contains(tc.classes, o.Class) {
					found = &o
					break
				}
			}
			require.NotNil(t, found, "%s not found within %d seeds of the %s profile", tc.bug, tc.budget, tc.profile)
			start := time.Now()
			small, res, err := Shrink(found.Resolved, found.Class, ShrinkConfig{MaxRuns: 200})
			require.NoError(t, err)
			t.Logf("%s: found at seed %d (%s: %s); shrunk in %v (%d runs): %+v -> %+v",
				tc.bug, found.Seed, found.Class, firstLine(found.Detail), time.Since(start).Round(time.Millisecond), res.Runs, res.Before, res.After)
			// The repro fails the same way, and is small.
			again := Evaluate(small, false)
			require.Equal(t, found.Class, again.Class)
			maxFaults := tc.faults
			if maxFaults == 0 {
				maxFaults = 2
			}
			require.LessOrEqual(t, res.After.Faults, maxFaults)
			maxClients := tc.clients
			if maxClients == 0 {
				maxClients = 2
			}
			require.LessOrEqual(t, res.After.Clients, maxClients)
			require.Less(t, res.After.Faults+res.After.Clients+res.After.Keys, res.Before.Faults+res.Before.Clients+res.Before.Keys)
			// Without the bug the repro passes (the bug, not the scenario, fails it).
			planted.Set(planted.None)
			require.NotEqual(t, found.Class, Evaluate(small, false).Class)
		})
	}
}

// A panic inside node code is caught: every seed is reported with the
// panic class and a signature naming the node frame, and the campaign runs
// every seed (it goes on after each panic), for any --jobs.
func TestPanicInNodeCodeIsCaught(t *testing.T) {
	planted.Set(planted.PanicOnGet)
	defer planted.Set(planted.None)
	for _, jobs := range []int{1, 2} {
		s, err := Run(Config{Profile: Safe, Seeds: 4, From: 1, Jobs: jobs})
		require.NoError(t, err)
		require.Equal(t, 4, s.SeedsRun)
		require.Equal(t, 4, s.FailingSeeds)
		require.Equal(t, 4, s.ByClass[Panic])
		require.NotEmpty(t, s.Failures)
		for _, f := range s.Failures {
			require.Equal(t, Panic, f.Class)
			require.Contains(t, f.Signature, "dynasim/node/coord.(*Coordinator).HandleGet")
		}
	}
}

// A run that differs from its replay is classed replay_divergence.
func TestReplayDivergenceIsFound(t *testing.T) {
	planted.Set(planted.Nondeterminism)
	defer planted.Set(planted.None)
	s, err := Run(Config{Profile: Safe, Seeds: 3, From: 1, Jobs: 1, ReplayEvery: 1})
	require.NoError(t, err)
	require.Positive(t, s.ByClass[ReplayDivergence], "%+v", s.ByClass)
}
