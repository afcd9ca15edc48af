package synth

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/history"
)

func TestGenerateIsDeterministicAndValid(t *testing.T) {
	cfg := Config{Seed: 7, Ops: 2000, Keys: 5, Clients: 8, MultiValue: true, UnknownFraction: 0.05, FailedFraction: 0.05, FinalReads: true, Replicas: 3}
	a, err := Generate(cfg)
	require.NoError(t, err)
	b, err := Generate(cfg)
	require.NoError(t, err)
	require.Equal(t, a, b)
	require.NoError(t, a.Validate())
	require.Len(t, a.Ops, 2000+5)
	require.Len(t, a.Replicas, 5*3)

	counts := map[history.Outcome]int{}
	kinds := map[history.OpKind]int{}
	siblings := 0
	for i, o := range a.Ops {
		require.Equal(t, uint64(i+1), o.ID)
		if i > 0 {
			require.LessOrEqual(t, a.Ops[i-1].InvokeNs, o.InvokeNs, "ops are in invoke order")
		}
		counts[o.Outcome]++
		kinds[o.Kind]++
		if len(o.Values) > 1 {
			siblings++
		}
	}
	require.Positive(t, counts[history.Unknown])
	require.Positive(t, counts[history.Failed])
	require.Positive(t, kinds[history.Delete])
	require.Positive(t, siblings, "blind writes must create siblings")

	c, err := Generate(Config{Seed: 8, Ops: 2000, Keys: 5, Clients: 8, MultiValue: true})
	require.NoError(t, err)
	require.NotEqual(t, a.Ops[10], c.Ops[10])
}

func TestGenerateFinalReadsMatchReplicas(t *testing.T) {
	h, err := Generate(Config{Seed: 1, Ops: 300, Keys: 3, Clients: 4, FinalReads: true, Replicas: 2})
	require.NoError(t, err)
	final := map[string][]string{}
	for _, o := range h.Ops {
		if o.Final {
			final[o.Key] = o.Values
		}
	}
	require.Len(t, final, 3)
	for _, r := range h.Replicas {
		require.Equal(t, final[r.Key], r.ValueIDs)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg Config
		msg string
	}{
		{Config{}, "Ops must be in"},
		{Config{Ops: 1, GetFraction: 0.9, DeleteFraction: 0.2}, "GetFraction + DeleteFraction"},
		{Config{Ops: 1, UnknownFraction: 1.5}, "UnknownFraction must be in [0, 1]"},
		{Config{Ops: 1, Keys: -1}, "Keys must be in"},
	} {
		_, err := Generate(c.cfg)
		require.ErrorContains(t, err, c.msg)
	}
}

func TestGenerateLostWritesAreAckedButAbsent(t *testing.T) {
	h, err := Generate(Config{Seed: 2, Ops: 2000, Keys: 1, Clients: 4, MultiValue: true, BlindFraction: 1, DeleteFraction: 0.0001, LostWriteFraction: 0.5, FinalReads: true})
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, o := range h.Ops {
		for _, v := range o.Values {
			seen[v] = true
		}
	}
	acked, never := 0, 0
	for _, o := range h.Ops {
		if o.Kind == history.Put && o.Outcome == history.OK {
			acked++
			if !seen[o.Value] {
				never++
			}
		}
	}
	// All writes are blind siblings and deletes are rare, so only lost
	// writes can be missing from every read.
	require.InDelta(t, 0.5, float64(never)/float64(acked), 0.1)
}
