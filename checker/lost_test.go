package checker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/history"
)

func lost(t *testing.T, b *hb, m Model) *LostWritesResult {
	t.Helper()
	res, err := LostWrites(b.history(), FinalReads(b.history()), LostWritesOptions{Model: m})
	require.NoError(t, err)
	require.Equal(t, res.AckedPuts, res.Present+res.Superseded+res.Lost+res.Unverified)
	return res
}

func TestLostWriteBlindSiblingDropped(t *testing.T) {
	var b hb
	b.put(0, "k", "a", nil, 0, 10).
		put(1, "k", "b", nil, 20, 30). // blind: a must survive as a sibling
		final("k", ids("b"), 100, 110)
	res := lost(t, &b, MultiValue)
	require.Equal(t, 2, res.AckedPuts)
	require.Equal(t, 1, res.Present)
	require.Equal(t, 1, res.Lost)
	require.Equal(t, []LostWrite{{OpID: 1, Client: 0, Key: "k", Value: "a", InvokeNs: 0, ReturnNs: 10, FinalValues: ids("b")}}, res.Examples)

	// Under register semantics b overwrote a: nothing lost.
	reg := lost(t, &b, Register)
	require.Equal(t, 0, reg.Lost)
	require.Equal(t, 1, reg.Superseded)
}

func TestLostWriteSupersededByContext(t *testing.T) {
	var b hb
	b.put(0, "k", "a", nil, 0, 10).
		get(1, "k", ids("a"), 20, 30).
		put(1, "k", "b", ids("a"), 40, 50).
		get(0, "k", ids("b"), 60, 70).
		put(0, "k", "c", ids("b"), 80, 90).
		final("k", ids("c"), 100, 110)
	res := lost(t, &b, MultiValue)
	require.Equal(t, LostWritesResult{AckedPuts: 3, Present: 1, Superseded: 2}, *res)
}

func TestLostWriteSupersessionNeedsAPossiblyAppliedWrite(t *testing.T) {
	build := func(out history.Outcome) *hb {
		var b hb
		b.put(0, "k", "a", nil, 0, 10).
			get(1, "k", ids("a"), 20, 30).
			putOutcome(1, "k", "b", ids("a"), 40, 50, out).
			final("k", nil, 100, 110)
		return &b
	}
	unknown := lost(t, build(history.Unknown), MultiValue)
	require.Equal(t, 0, unknown.Lost)
	require.Equal(t, 1, unknown.Superseded)
	require.Equal(t, 1, unknown.SupersededByUnknown)

	failed := lost(t, build(history.Failed), MultiValue)
	require.Equal(t, 1, failed.Lost, "a failed write replaced nothing")
}

func TestLostWriteDeletedIsNotLost(t *testing.T) {
	var b hb
	b.put(0, "k", "a", nil, 0, 10).
		put(1, "k", "b", nil, 5, 15).
		del(2, "k", ids("a", "b"), 20, 30).
		final("k", nil, 100, 110)
	res := lost(t, &b, MultiValue)
	require.Equal(t, 0, res.Lost)
	require.Equal(t, 2, res.Superseded)

	// A delete that named only a leaves b lost when b is gone.
	var c hb
	c.put(0, "k", "a", nil, 0, 10).
		put(1, "k", "b", nil, 5, 15).
		del(2, "k", ids("a"), 20, 30).
		final("k", nil, 100, 110)
	require.Equal(t, 1, lost(t, &c, MultiValue).Lost)
}

func TestLostWriteRegisterLastWriteWinsSkew(t *testing.T) {
	// b finished before a started, yet the store kept b: with clock skew,
	// last-write-wins ordered a before b and dropped an acknowledged write.
	var b hb
	b.put(0, "k", "b", nil, 0, 10).
		put(1, "k", "a", nil, 20, 30).
		final("k", ids("b"), 100, 110)
	res := lost(t, &b, Register)
	require.Equal(t, 1, res.Lost)
	require.Equal(t, "a", res.Examples[0].Value)
	require.Equal(t, 1, res.Present)

	// Concurrent writes may land in either order.
	var c hb
	c.put(0, "k", "b", nil, 0, 25).
		put(1, "k", "a", nil, 20, 30).
		final("k", ids("b"), 100, 110)
	require.Equal(t, 0, lost(t, &c, Register).Lost)

	// A later write of unknown outcome may have overwritten a.
	var d hb
	d.put(0, "k", "b", nil, 0, 10).
		put(1, "k", "a", nil, 20, 30).
		putOutcome(0, "k", "c", nil, 40, 50, history.Unknown).
		final("k", ids("b"), 100, 110)
	res = lost(t, &d, Register)
	require.Equal(t, 0, res.Lost)
	require.Equal(t, 1, res.SupersededByUnknown)
}

func TestLostWriteUnverifiedWithoutFinalRead(t *testing.T) {
	var b hb
	b.put(0, "k1", "a", nil, 0, 10).
		put(0, "k2", "b", nil, 20, 30).
		final("k1", ids("a"), 100, 110)
	res := lost(t, &b, MultiValue)
	require.Equal(t, 1, res.Unverified)
	require.Equal(t, []string{"k2"}, res.UnverifiedKeys)
	require.Equal(t, 1, res.Present)
}

func TestFinalReadsTakesTheLastOkFinalGet(t *testing.T) {
	var b hb
	b.put(0, "k", "a", nil, 0, 10).
		get(1, "k", ids("zzz"), 20, 30). // not final
		final("k", nil, 100, 110).
		final("k", ids("a"), 120, 130).
		add(history.Op{Kind: history.Get, Key: "k", InvokeNs: 140, ReturnNs: 150, Final: true, Outcome: history.Unknown})
	require.Equal(t, map[string][]string{"k": {"a"}}, FinalReads(b.history()))
}

func TestLostWritesOptionErrors(t *testing.T) {
	_, err := LostWrites(&history.History{}, nil, LostWritesOptions{})
	require.ErrorContains(t, err, "model must be")
	_, err = LostWrites(&history.History{}, nil, LostWritesOptions{Model: Register, MaxExamples: -1})
	require.ErrorContains(t, err, "MaxExamples must be in [1, 10000]")
}
