package checker

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/history"
)

func checkLin(t *testing.T, h *history.History, m Model) *LinearizabilityResult {
	t.Helper()
	res, err := CheckLinearizability(h, LinearizabilityOptions{Model: m, TimeLimit: 10 * time.Second})
	require.NoError(t, err)
	return res
}

func TestApplyWrite(t *testing.T) {
	s := func(v ...uint32) string { return encodeSet(v) }
	require.Equal(t, s(1, 3, 5), applyWrite(s(1, 5), nil, 3, true))
	require.Equal(t, s(5, 7), applyWrite(s(1, 3, 5), []uint32{1, 3}, 7, true))
	require.Equal(t, s(0), applyWrite(s(1, 3), []uint32{1, 2, 3, 9}, 0, true))
	require.Equal(t, s(3), applyWrite(s(1, 3, 5), []uint32{1, 5}, 0, false))
	require.Equal(t, "", applyWrite("", []uint32{1}, 0, false))
	st := s(1, 5)
	_ = applyWrite(st, []uint32{1}, 2, true)
	require.Equal(t, s(1, 5), st, "the input state must not change")
}

func TestRegisterRejectsStaleRead(t *testing.T) {
	var b hb
	b.put(0, "k", "v1", nil, 0, 10).
		put(0, "k", "v2", nil, 20, 30).
		get(1, "k", ids("v1"), 40, 50) // v2 was acknowledged before the read began
	res := checkLin(t, b.history(), Register)
	require.Equal(t, LinIllegal, res.Result)
	require.Equal(t, []string{"k"}, res.IllegalKeys)
	require.Equal(t, "k", res.FailingKey)
	require.Equal(t, 3, res.FailingKeyOps)
}

func TestRegisterAcceptsConcurrentOverlap(t *testing.T) {
	var b hb
	b.put(0, "k", "v1", nil, 0, 10).
		put(1, "k", "v2", nil, 5, 30). // overlaps both reads
		get(2, "k", ids("v2"), 12, 20).
		get(2, "k", ids("v2"), 25, 35).
		del(0, "k", nil, 40, 45).
		get(1, "k", nil, 50, 55)
	require.Equal(t, LinOK, checkLin(t, b.history(), Register).Result)

	// The same reads in the other order are illegal: once v2 is seen and no
	// other write is pending, the register cannot go back to v1.
	var c hb
	c.put(0, "k", "v1", nil, 0, 10).
		put(1, "k", "v2", nil, 5, 30).
		get(2, "k", ids("v2"), 12, 20).
		get(2, "k", ids("v1"), 31, 35)
	require.Equal(t, LinIllegal, checkLin(t, c.history(), Register).Result)
}

func TestMultiValueAcceptsSiblings(t *testing.T) {
	var b hb
	b.put(0, "k", "a", nil, 0, 10).
		put(1, "k", "b", nil, 5, 15). // concurrent blind writes: siblings
		get(2, "k", ids("b", "a"), 20, 30).
		put(2, "k", "c", ids("a", "b"), 40, 50). // resolves both
		get(0, "k", ids("c"), 60, 70).
		put(1, "k", "d", nil, 80, 90). // blind write: sibling of c
		get(0, "k", ids("c", "d"), 100, 110).
		del(0, "k", ids("c"), 120, 130). // deletes only what it read
		get(1, "k", ids("d"), 140, 150)
	require.Equal(t, LinOK, checkLin(t, b.history(), MultiValue).Result)
	// The register model cannot return two values at once.
	require.Equal(t, LinIllegal, checkLin(t, b.history(), Register).Result)
}

func TestMultiValueRejectsDroppedSibling(t *testing.T) {
	// Two sequential blind writes must both survive (neither saw the other);
	// a store that returns only the second silently dropped the first, as
	// server-id vector clocks do.
	var b hb
	b.put(0, "k", "a", nil, 0, 10).
		put(0, "k", "b", nil, 20, 30).
		get(1, "k", ids("b"), 40, 50)
	res := checkLin(t, b.history(), MultiValue)
	require.Equal(t, LinIllegal, res.Result)
	// Under register semantics the same history is fine.
	require.Equal(t, LinOK, checkLin(t, b.history(), Register).Result)
}

func TestOpenUnknownPutMakesHistoryLegal(t *testing.T) {
	build := func(out history.Outcome) *history.History {
		var b hb
		b.put(0, "k", "v1", nil, 0, 10).
			putOutcome(1, "k", "v2", nil, 20, 30, out). // the client timed out at 30
			get(2, "k", ids("v1"), 40, 50).             // v2 not yet applied...
			get(2, "k", ids("v2"), 60, 70)              // ...then applied after its client gave up
		return b.history()
	}
	unknown := checkLin(t, build(history.Unknown), Register)
	require.Equal(t, LinOK, unknown.Result)
	require.Equal(t, 1, unknown.BoundedOps, "v2 is closed at the return of the get that read it")
	require.Equal(t, 0, unknown.OpenOps)
	require.Equal(t, 4, unknown.CheckedOps)

	// Had the put returned ok at 30, the read at 40 would be stale.
	require.Equal(t, LinIllegal, checkLin(t, build(history.OK), Register).Result)
	// A failed put is dropped: nobody may ever read v2.
	failed := checkLin(t, build(history.Failed), Register)
	require.Equal(t, LinIllegal, failed.Result)
	require.Equal(t, 1, failed.DroppedOps)

	// An unknown put that never shows up is fine too: it is left out.
	var b hb
	b.put(0, "k", "v1", nil, 0, 10).
		putOutcome(1, "k", "v2", nil, 20, 30, history.Unknown).
		get(2, "k", ids("v1"), 40, 50)
	unseen := checkLin(t, b.history(), Register)
	require.Equal(t, LinOK, unseen.Result)
	require.Equal(t, 1, unseen.UnobservedOps)
	require.Equal(t, 2, unseen.CheckedOps)
}

// An unknown put is closed at the first read of its value, not later: a
// read of the older value after that is stale, exactly as with the put open.
func TestBoundedUnknownPutKeepsTheVerdicts(t *testing.T) {
	for _, m := range []Model{Register, MultiValue} {
		var legal, stale hb
		legal.put(0, "k", "v1", nil, 0, 10).
			putOutcome(1, "k", "v2", ids("v1"), 20, 30, history.Unknown).
			get(2, "k", ids("v1"), 40, 50).
			get(3, "k", ids("v2"), 45, 100). // overlaps the read of v1
			get(2, "k", ids("v2"), 110, 120)
		res := checkLin(t, legal.history(), m)
		require.Equal(t, LinOK, res.Result, m)
		require.Equal(t, 1, res.BoundedOps)

		stale.put(0, "k", "v1", nil, 0, 10).
			putOutcome(1, "k", "v2", ids("v1"), 20, 30, history.Unknown).
			get(3, "k", ids("v2"), 40, 50).
			get(2, "k", ids("v1"), 60, 70) // after v2 was read: stale
		require.Equal(t, LinIllegal, checkLin(t, stale.history(), m).Result, m)
	}
}

func TestFailedAndUnknownGetsAreDropped(t *testing.T) {
	var b hb
	b.put(0, "k", "v1", nil, 0, 10).
		getOutcome(1, "k", 20, 30, history.Failed).
		getOutcome(1, "k", 40, 50, history.Unknown).
		get(1, "k", ids("v1"), 60, 70)
	res := checkLin(t, b.history(), Register)
	require.Equal(t, LinOK, res.Result)
	require.Equal(t, 2, res.DroppedOps)
	require.Equal(t, 2, res.CheckedOps)
}

func TestSmallestFailingKeyAndVisualization(t *testing.T) {
	var b hb
	// "a": illegal, 4 operations. "b": fine. "c" and "d": illegal, 3 each.
	b.put(0, "a", "a1", nil, 0, 10).put(0, "a", "a2", nil, 20, 30).get(1, "a", ids("a1"), 40, 50).get(1, "a", ids("a1"), 60, 70)
	b.put(0, "b", "b1", nil, 0, 10).get(1, "b", ids("b1"), 20, 30)
	b.put(0, "d", "d1", nil, 0, 10).put(0, "d", "d2", nil, 20, 30).get(1, "d", ids("d1"), 40, 50)
	b.put(0, "c", "c1", nil, 0, 10).put(0, "c", "c2", nil, 20, 30).get(1, "c", nil, 40, 50)
	b.h.Faults = []history.FaultWindow{{Label: "partition n1|n2", StartNs: 15, EndNs: 45}}
	path := filepath.Join(t.TempDir(), "lin.html")
	res, err := CheckLinearizability(b.history(), LinearizabilityOptions{Model: Register, VisualizationPath: path, Workers: 2})
	require.NoError(t, err)
	require.Equal(t, LinIllegal, res.Result)
	require.Equal(t, []string{"a", "c", "d"}, res.IllegalKeys)
	require.Equal(t, "c", res.FailingKey)
	require.Equal(t, 3, res.FailingKeyOps)
	require.Equal(t, 4, res.Keys)
	require.Equal(t, path, res.Visualization)
	html, err := os.ReadFile(path)
	require.NoError(t, err)
	s := string(html)
	require.Contains(t, s, "<html")
	require.Contains(t, s, "put c2")
	require.Contains(t, s, "get → ∅")
	require.Contains(t, s, "partition n1|n2")
	require.NotContains(t, s, "put a2", "only the failing key is drawn")
}

func TestVisualizationWriteErrorStillReturnsResult(t *testing.T) {
	var b hb
	b.put(0, "k", "v1", nil, 0, 10).get(1, "k", nil, 20, 30)
	res, err := CheckLinearizability(b.history(), LinearizabilityOptions{Model: Register,
		VisualizationPath: filepath.Join(t.TempDir(), "missing-dir", "x.html")})
	require.Error(t, err)
	require.NotNil(t, res)
	require.Equal(t, LinIllegal, res.Result)
	require.Empty(t, res.Visualization)
}

// pathological returns a key whose check Porcupine cannot finish: n
// mutually concurrent puts followed by a read of nothing. Proving it illegal
// means trying every subset of the puts (about n·2^(n-1) states).
func pathological(b *hb, key string, n int) {
	for i := range n {
		b.put(i, key, fmt.Sprintf("%s-%d", key, i), nil, int64(i), int64(1000+i))
	}
	b.get(n, key, nil, 2000, 2010)
}

func TestStepBudgetGivesTheSameUnknownEveryTime(t *testing.T) {
	var b hb
	pathological(&b, "slow", 40)
	// An illegal key is still reported as illegal when another key runs out
	// of budget, whatever the number of workers.
	b.put(0, "fast", "f1", nil, 0, 10).put(0, "fast", "f2", nil, 20, 30).get(1, "fast", ids("f1"), 40, 50)
	var first *LinearizabilityResult
	for _, workers := range []int{1, 2, 4, 1} {
		res, err := CheckLinearizability(b.history(), LinearizabilityOptions{Model: Register, StepBudget: 200_000, Workers: workers})
		require.NoError(t, err)
		require.Equal(t, LinIllegal, res.Result)
		require.Equal(t, []string{"fast"}, res.IllegalKeys)
		require.Equal(t, []string{"slow"}, res.UnknownKeys)
		require.Len(t, res.Inconclusive, 1)
		require.Equal(t, ReasonStepBudget, res.Inconclusive[0].Reason)
		require.Equal(t, int64(200_000), res.Inconclusive[0].Steps, "the search stops exactly at the budget")
		if first == nil {
			first = res
			continue
		}
		require.Equal(t, first, res, "the verdict and the step counts do not depend on the workers or the run")
	}

	// Without the illegal key the result is unknown, never ok.
	var slow hb
	pathological(&slow, "slow", 40)
	res, err := CheckLinearizability(slow.history(), LinearizabilityOptions{Model: Register, StepBudget: 100_000})
	require.NoError(t, err)
	require.Equal(t, LinUnknown, res.Result)
}

func TestMemoryBudgetGivesUnknown(t *testing.T) {
	var b hb
	pathological(&b, "big", 40)
	res, err := CheckLinearizability(b.history(), LinearizabilityOptions{Model: Register, MemoryBudgetBytes: 1 << 20})
	require.NoError(t, err)
	require.Equal(t, LinUnknown, res.Result)
	require.Equal(t, ReasonMemoryBudget, res.Inconclusive[0].Reason)
	// 41 operations: one bitset word per cached state, plus the overhead and
	// the 4-byte state; the budget stops the search at the first state past it.
	perState := int64(8 + cacheEntryOverhead + 4)
	require.InDelta(t, (1<<20)/perState, res.Inconclusive[0].Steps, float64((1<<20)/perState)/2)
}

func TestTimeLimitGivesUnknownNeverOK(t *testing.T) {
	var b hb
	pathological(&b, "slow", 40)
	res, err := CheckLinearizability(b.history(), LinearizabilityOptions{Model: Register, StepBudget: 1 << 62, MemoryBudgetBytes: 1 << 62, TimeLimit: 50 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, LinUnknown, res.Result)
	require.Equal(t, []string{"slow"}, res.UnknownKeys)
	require.Equal(t, ReasonTimeLimit, res.Inconclusive[0].Reason)
	require.Empty(t, res.IllegalKeys)
}

func TestLinearizabilityOptionErrors(t *testing.T) {
	h := &history.History{}
	_, err := CheckLinearizability(h, LinearizabilityOptions{Model: "sequential"})
	require.ErrorContains(t, err, `model must be "register" or "multi_value"`)
	_, err = CheckLinearizability(h, LinearizabilityOptions{Model: Register, Workers: -1})
	require.ErrorContains(t, err, "Workers must be in [1, 1024]")
	_, err = CheckLinearizability(h, LinearizabilityOptions{Model: Register, TimeLimit: -time.Second})
	require.ErrorContains(t, err, "TimeLimit must be positive")
	bad := &history.History{Ops: []history.Op{{ID: 1, Kind: history.Get, Key: "k", InvokeNs: 5, ReturnNs: 5, Outcome: history.OK}}}
	_, err = CheckLinearizability(bad, LinearizabilityOptions{Model: Register})
	require.ErrorContains(t, err, `op #0: field "return_ns"`)
	res, err := CheckLinearizability(h, LinearizabilityOptions{Model: MultiValue})
	require.NoError(t, err)
	require.Equal(t, LinOK, res.Result)
	require.Equal(t, 0, res.Keys)
}

func TestDescribeOperation(t *testing.T) {
	var b hb
	b.putOutcome(0, "k", "v1", ids("v0"), 0, 10, history.Unknown).get(1, "k", ids("v1", "v0"), 20, 30)
	table := newValueTable()
	var res LinearizabilityResult
	keys := buildKeyHistories(b.history(), table, &res)
	m := porcupineModel(MultiValue, table)
	put, get := keys[0].ops[0], keys[0].ops[1]
	require.Equal(t, "put v1 ctx {v0} (unknown outcome)", m.DescribeOperation(put.Input, put.Output))
	// Sets are shown in interning order (v1 was met first), which is
	// deterministic.
	require.Equal(t, "get → {v1, v0}", m.DescribeOperation(get.Input, get.Output))
	require.Equal(t, "{v1, v0}", m.DescribeState(get.Output.(*linOutput).values))
	require.Equal(t, "op 1, coordinator 0, outcome unknown", m.DescribeOperationMetadata(put.Metadata))
}

// The minimal history behind dvv-abd-not-linearizable: two puts over the
// same read (x) run concurrently, and two overlapping reads see one each.
// As a multi-value register it has no linearization: whichever put comes
// first, the second leaves both values live, so the read of the first put
// alone must precede the second put and the read of the second alone must
// follow both. As a register (last-write-wins) it is legal: put a, read a,
// put b, read b.
func TestConcurrentPutsReadAloneByOverlappingReadsAreNotAMultiValueRegister(t *testing.T) {
	var b hb
	b.put(0, "k", "x", nil, 0, 10).
		put(1, "k", "a", ids("x"), 20, 60).
		put(2, "k", "b", ids("x"), 20, 60).
		get(3, "k", ids("a"), 30, 50).
		get(4, "k", ids("b"), 30, 50)
	require.Equal(t, LinIllegal, checkLin(t, b.history(), MultiValue).Result)
	require.Equal(t, LinOK, checkLin(t, b.history(), Register).Result)
	// Once both are live, reading both is what the model expects.
	b.get(3, "k", ids("a", "b"), 70, 80)
	require.Equal(t, LinIllegal, checkLin(t, b.history(), MultiValue).Result)
}
