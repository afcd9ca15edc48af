package fuzz

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/runner"
	"dynasim/scenarios"
)

// Results do not depend on --jobs, and shards cover the seed space exactly
// once; merging them gives the unsharded campaign's fingerprints.
func TestCampaignJobsAndShards(t *testing.T) {
	one, err := Run(Config{Profile: All, Seeds: 12, From: 100, Jobs: 1})
	require.NoError(t, err)
	two, err := Run(Config{Profile: All, Seeds: 12, From: 100, Jobs: 2})
	require.NoError(t, err)
	require.Equal(t, one.Fingerprints, two.Fingerprints)
	require.Equal(t, one.Failures, two.Failures)
	require.Len(t, one.Fingerprints, 12)
	var parts []*Summary
	for i := 0; i < 3; i++ {
		s, err := Run(Config{Profile: All, Seeds: 12, From: 100, Jobs: 2, Shard: i, Shards: 3})
		require.NoError(t, err)
		require.Equal(t, 4, s.SeedsRun)
		parts = append(parts, s)
	}
	m, err := Merge(parts)
	require.NoError(t, err)
	require.Equal(t, one.Fingerprints, m.Fingerprints)
	require.Equal(t, one.FailingSeeds, m.FailingSeeds)
	_, err = Merge([]*Summary{parts[0], parts[0]})
	require.Error(t, err, "overlapping shards")
}

// Every generated scenario is an ordinary resolved scenario: it validates
// and its file reads back to the same scenario.
func TestGenerateRoundTrip(t *testing.T) {
	for _, p := range []Profile{Safe, Eventual} {
		for s := uint64(1); s <= 50; s++ {
			r, _, err := Generate(DefaultBase(), p, s)
			require.NoError(t, err)
			again, err := clone(r)
			require.NoError(t, err)
			require.Equal(t, r, again)
			r2, _, err := Generate(DefaultBase(), p, s)
			require.NoError(t, err)
			require.Equal(t, r, r2, "a seed generates one scenario")
		}
	}
}

// Anti-entropy is fuzzed: about half the seeds turn it on, with the
// knobs drawn, and a generated run with it exchanges and repairs.
func TestGeneratedRunsExerciseAntiEntropy(t *testing.T) {
	for _, p := range []Profile{Safe, Eventual} {
		on := 0
		var first *scenarios.Resolved
		for s := uint64(1); s <= 60; s++ {
			r, _, err := Generate(DefaultBase(), p, s)
			require.NoError(t, err)
			if ae := r.Node.AntiEntropy; ae.Enabled {
				on++
				require.LessOrEqual(t, ae.Interval.D(), 1500*time.Millisecond, "seed %d", s)
				if first == nil {
					first = r
				}
			}
		}
		require.InDelta(t, 30, on, 12, "%s: seeds with anti-entropy", p)
		sim, err := runner.Simulate(first, nil)
		require.NoError(t, err)
		ae := sim.Facts.AntiEntropy
		require.NotNil(t, ae, "%s seed %d", p, first.Seed)
		require.Positive(t, ae.Completed, "%s seed %d: exchanges completed", p, first.Seed)
	}
}

// Eventual seeds with anti-entropy sometimes wipe one node, never while it
// is crashed or paused, and never with W < 2; safe seeds never wipe. A
// generated run with a wipe, and one with a corrupt table, loses no
// acknowledged write (the other replicas and anti-entropy bring its data
// back).
func TestGeneratedWipes(t *testing.T) {
	first := map[scenarios.Action]*scenarios.Resolved{}
	for s := uint64(1); s <= 160; s++ {
		for _, p := range []Profile{Safe, Eventual} {
			r, _, err := Generate(DefaultBase(), p, s)
			require.NoError(t, err)
			for _, f := range r.Faults {
				if f.Action != scenarios.ActWipe && f.Action != scenarios.ActCorruptTable {
					continue
				}
				require.Equal(t, Eventual, p, "seed %d", s)
				require.True(t, r.Node.AntiEntropy.Enabled)
				require.GreaterOrEqual(t, r.Node.W, 2)
				if first[f.Action] == nil {
					first[f.Action] = r
				}
			}
		}
	}
	for _, act := range []scenarios.Action{scenarios.ActWipe, scenarios.ActCorruptTable} {
		r := first[act]
		require.NotNil(t, r, act)
		o := Evaluate(r, false)
		require.Empty(t, o.Class, "%s seed %d: %s", act, r.Seed, o.Detail)
		require.Positive(t, o.Ops)
	}
}

// A third of the seeds with membership join a server or decommission one,
// in both profiles (see join in gen.go). A generated run with a join, and
// one with a decommission, holds every invariant, in each profile.
func TestGeneratedJoins(t *testing.T) {
	first, firstDecommission := map[Profile]*scenarios.Resolved{}, map[Profile]*scenarios.Resolved{}
	joins, decommissions := map[Profile]int{}, map[Profile]int{}
	for s := uint64(1); s <= 120; s++ {
		for _, p := range []Profile{Safe, Eventual} {
			r, _, err := Generate(DefaultBase(), p, s)
			require.NoError(t, err)
			for _, f := range r.Faults {
				if f.Action == scenarios.ActJoin || f.Action == scenarios.ActDecommission {
					require.True(t, r.Membership.Enabled)
					joins[p]++
					if first[p] == nil && f.Action == scenarios.ActJoin {
						first[p] = r
					}
					if f.Action == scenarios.ActDecommission {
						require.Greater(t, len(r.Cluster.Nodes), r.Node.N)
						decommissions[p]++
						if firstDecommission[p] == nil {
							firstDecommission[p] = r
						}
					}
				}
			}
		}
	}
	for _, p := range []Profile{Safe, Eventual} {
		require.Positive(t, joins[p], p)
		require.Positive(t, decommissions[p], p)
		for _, r := range []*scenarios.Resolved{first[p], firstDecommission[p]} {
			o := Evaluate(r, false)
			require.Empty(t, o.Class, "%s seed %d: %s", p, r.Seed, o.Detail)
		}
	}
}

// Every scenario in testdata is a fuzz finding that was fixed: it must
// hold every expectation it states now.
func TestRegressions(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		r, err := parseResolved(f, data)
		require.NoError(t, err, f)
		o := Evaluate(r, false)
		require.Empty(t, o.Class, "%s: %s", f, o.Detail)
	}
}
