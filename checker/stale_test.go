package checker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/checker/synth"
	"dynasim/history"
)

func stale(t *testing.T, b *hb, m Model, thresholds ...float64) *StalenessResult {
	t.Helper()
	res, err := Staleness(b.history(), StalenessOptions{Model: m, TVisibilityMs: thresholds})
	require.NoError(t, err)
	return res
}

func TestStaleReadMissingTwoVersions(t *testing.T) {
	var b hb
	b.put(0, "k", "a", nil, 0, 10).
		get(0, "k", ids("a"), 11, 12).
		put(0, "k", "b", ids("a"), 20, 30).
		get(0, "k", ids("b"), 31, 32).
		put(0, "k", "c", ids("b"), 40, 50).
		get(1, "k", ids("a"), 1_000_050, 1_000_060) // 1 ms after c was acknowledged
	for _, m := range []Model{MultiValue, Register} {
		res := stale(t, &b, m)
		require.Equal(t, 3, res.Reads, m)
		require.Equal(t, 3, res.ReadsAfterWrite, m)
		require.Equal(t, 2, res.Consistent, m)
		require.Equal(t, 1, res.Stale, m)
		require.InDelta(t, 1.0/3, res.StaleFraction, 1e-12, m)
		require.Equal(t, []KCount{{0, 2}, {2, 1}}, res.KStaleness, m)
		require.Equal(t, 2, res.MaxK, m)
		require.Equal(t, []StaleRead{{OpID: 6, Key: "k", InvokeNs: 1_000_050, Values: ids("a"), K: 2, TMs: 1}}, res.Examples, m)
	}
}

func TestStalenessSiblingsAndModels(t *testing.T) {
	// Two acknowledged blind writes; the read sees only the newer one.
	var b hb
	b.put(0, "k", "a", nil, 0, 10).
		put(1, "k", "b", nil, 20, 30).
		get(2, "k", ids("b"), 40, 50)
	mv := stale(t, &b, MultiValue)
	require.Equal(t, []KCount{{1, 1}}, mv.KStaleness, "the sibling a was missed")
	require.Equal(t, 1, mv.Consistent, "but the newest write b was seen")
	reg := stale(t, &b, Register)
	require.Equal(t, []KCount{{0, 1}}, reg.KStaleness, "a register keeps only b")
	require.Equal(t, 1, reg.Consistent)
}

func TestStalenessDeletes(t *testing.T) {
	// A delete concurrent with the read excuses the missing value.
	var b hb
	b.put(0, "k", "a", nil, 0, 10).
		del(1, "k", ids("a"), 20, 60).
		get(2, "k", nil, 30, 40)
	for _, m := range []Model{MultiValue, Register} {
		res := stale(t, &b, m)
		require.Equal(t, 0, res.Stale, m)
		require.Equal(t, 1, res.Consistent, m)
	}
	// Without the delete the empty read missed a.
	var c hb
	c.put(0, "k", "a", nil, 0, 10).get(2, "k", nil, 30, 40)
	for _, m := range []Model{MultiValue, Register} {
		res := stale(t, &c, m)
		require.Equal(t, 1, res.Stale, m)
		require.Equal(t, 0, res.Consistent, m)
	}
	// A read that still returns a value an acknowledged delete removed is
	// inconsistent (k counts missed puts only, so k = 0).
	var d hb
	d.put(0, "k", "a", nil, 0, 10).
		del(1, "k", ids("a"), 20, 30).
		get(2, "k", ids("a"), 40, 50)
	for _, m := range []Model{MultiValue, Register} {
		res := stale(t, &d, m)
		require.Equal(t, 0, res.Stale, m)
		require.Equal(t, 1, res.ReadsAfterWrite, m)
		require.Equal(t, 0, res.Consistent, m)
		require.Len(t, res.Examples, 1, m)
	}
}

func TestTVisibilityCurve(t *testing.T) {
	const ms = 1_000_000
	var b hb
	b.put(0, "k", "a", nil, 0, 10).
		put(0, "k", "b", ids("a"), 20, 30).
		get(1, "k", ids("a"), 30+ms/2, 30+ms/2+5). // t = 0.5 ms, stale
		get(2, "k", ids("b"), 30+3*ms/2, 30+2*ms). // t = 1.5 ms
		get(3, "k", ids("b"), 30+3*ms, 30+4*ms).   // t = 3 ms
		get(4, "other", nil, 0, 5)                 // no write before: no t
	res := stale(t, &b, MultiValue, 0, 1, 2, 5)
	require.Equal(t, 4, res.Reads)
	require.Equal(t, 3, res.ReadsAfterWrite)
	require.Equal(t, []TVisibilityPoint{
		{TMs: 0, PConsistent: 2.0 / 3, Reads: 3},
		{TMs: 1, PConsistent: 1, Reads: 2},
		{TMs: 2, PConsistent: 1, Reads: 1},
	}, res.TVisibility)
}

func TestStalenessIgnoresFinalAndUnsuccessfulReads(t *testing.T) {
	var b hb
	b.put(0, "k", "a", nil, 0, 10).
		getOutcome(1, "k", 20, 30, history.Unknown).
		getOutcome(1, "k", 40, 50, history.Failed).
		final("k", nil, 60, 70) // stale, but final reads are not workload
	res := stale(t, &b, MultiValue)
	require.Equal(t, 0, res.Reads)
	require.Equal(t, 0.0, res.StaleFraction)
	require.Empty(t, res.TVisibility)
}

func TestStalenessUnknownWriterMayComeLater(t *testing.T) {
	var b hb
	b.putOutcome(0, "k", "a", nil, 0, 10, history.Unknown).
		put(1, "k", "b", nil, 20, 30).
		get(2, "k", ids("a"), 40, 50) // a may have landed after b
	require.Equal(t, 0, stale(t, &b, Register).Stale)
	require.Equal(t, 1, stale(t, &b, MultiValue).Stale, "a blind b must survive as a sibling")
}

type bruteSample struct {
	k          int
	consistent bool
}

// brute computes k and consistency for every measured read straight from
// the definitions, in O(n²) or worse.
func brute(h *history.History, m Model) map[uint64]bruteSample {
	writer := map[string]*history.Op{}
	for i := range h.Ops {
		if h.Ops[i].Kind == history.Put {
			writer[h.Ops[i].Value] = &h.Ops[i]
		}
	}
	// closure: every value in the transitive context of a set of values.
	closure := func(vals []string) map[string]bool {
		seen := map[string]bool{}
		stack := append([]string(nil), vals...)
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[v] {
				continue
			}
			seen[v] = true
			if p := writer[v]; p != nil {
				stack = append(stack, p.Context...)
			}
		}
		return seen
	}
	eff := func(o *history.Op) int64 {
		if o.Outcome == history.Unknown {
			return never
		}
		return o.ReturnNs
	}
	out := map[uint64]bruteSample{}
	for i := range h.Ops {
		r := &h.Ops[i]
		if r.Kind != history.Get || r.Outcome != history.OK || r.Final {
			continue
		}
		refl := closure(r.Values)
		missed := func(w *history.Op) bool {
			ok := false
			if m == MultiValue {
				ok = refl[w.Value]
			} else {
				for _, v := range r.Values {
					if p := writer[v]; p != nil && p.Key == r.Key && eff(p) >= w.InvokeNs {
						ok = true
					}
				}
			}
			for d := range h.Ops {
				del := &h.Ops[d]
				if ok || del.Key != r.Key || del.Kind != history.Delete || del.Outcome == history.Failed || del.InvokeNs > r.ReturnNs {
					continue
				}
				if m == MultiValue {
					ok = closure(del.Context)[w.Value]
				} else {
					ok = len(r.Values) == 0 && eff(del) >= w.InvokeNs
				}
			}
			return !ok
		}
		var s bruteSample
		var wn *history.Op
		for j := range h.Ops {
			w := &h.Ops[j]
			if w.Key != r.Key || w.Kind == history.Get || w.Outcome != history.OK || w.ReturnNs >= r.InvokeNs {
				continue
			}
			if wn == nil || w.ReturnNs > wn.ReturnNs || (w.ReturnNs == wn.ReturnNs && w.ID > wn.ID) {
				wn = w
			}
			if w.Kind == history.Put && missed(w) {
				s.k++
			}
		}
		switch {
		case wn == nil:
		case wn.Kind == history.Put:
			s.consistent = !missed(wn)
		case m == MultiValue:
			s.consistent = true
			gone := closure(wn.Context)
			for _, v := range r.Values {
				if gone[v] {
					s.consistent = false
				}
			}
		default:
			s.consistent = len(r.Values) == 0
			for _, v := range r.Values {
				if p := writer[v]; p != nil && eff(p) >= wn.InvokeNs {
					s.consistent = true
				}
			}
		}
		out[r.ID] = s
	}
	return out
}

func TestStalenessMatchesBruteForce(t *testing.T) {
	for i, mv := range []bool{false, true, false, true} {
		m := Register
		if mv {
			m = MultiValue
		}
		h, err := synth.Generate(synth.Config{Seed: 11 + uint64(i), Ops: 1500, Keys: 4, Clients: 12, MultiValue: mv, DeleteFraction: 0.1,
			StaleReadFraction: 0.3, LostWriteFraction: 0.1 * float64(i/2), UnknownFraction: 0.05, FailedFraction: 0.05, LatencyMaxNs: 3_000_000})
		require.NoError(t, err)
		want := brute(h, m)
		keys, groups := byKey(h)
		got := map[uint64]bruteSample{}
		for _, k := range keys {
			for _, s := range measureKey(groups[k], m) {
				got[s.op.ID] = bruteSample{k: s.k, consistent: s.consistent}
			}
		}
		require.Equal(t, want, got, "model %s", m)
		stale, inconsistent := 0, 0
		for _, s := range got {
			if s.k > 0 {
				stale++
			}
			if !s.consistent {
				inconsistent++
			}
		}
		require.Positive(t, stale, "the injected stale reads must show")
		require.Positive(t, inconsistent)
	}
}

// A read may return one value twice (a blindly retried put minted twice
// keeps two siblings with the same value): it reflects that put once.
// Counting it twice made k negative, or hid a missed put.
func TestStalenessDuplicateValueCountsOnce(t *testing.T) {
	var b hb
	b.put(0, "k", "a", nil, 0, 10).
		put(1, "k", "b", nil, 20, 30).
		get(2, "k", ids("a", "a"), 40, 50).
		get(2, "k", ids("a", "b", "b"), 60, 70)
	mv := stale(t, &b, MultiValue)
	require.Equal(t, []KCount{{0, 1}, {1, 1}}, mv.KStaleness, "the first read missed b; the second missed nothing")
	require.Equal(t, 1, mv.Stale)
	require.InDelta(t, 0.5, mv.MeanK, 1e-12)
}
