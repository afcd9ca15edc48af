package fuzz

import (
	"testing"

	"github.com/stretchr/testify/require"
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
