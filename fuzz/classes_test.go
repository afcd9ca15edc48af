package fuzz

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/history"
	"dynasim/reports"
	"dynasim/runner"
)

// Low availability after the faults counts as unavailable only over enough
// operations: 2 of 3 lost to message loss is no verdict, 2 of 30 failing
// is.
func TestUnavailableNeedsEnoughOperationsAfterTheFaults(t *testing.T) {
	historyWith := func(ops, ok int) *history.History {
		h := &history.History{Faults: []history.FaultWindow{{Label: "f", StartNs: 0, EndNs: 1e9}}}
		for i := range ops {
			outcome := history.Failed
			if i < ok {
				outcome = history.OK
			}
			h.Ops = append(h.Ops, history.Op{ID: uint64(i + 1), Kind: history.Get, Key: "k", InvokeNs: 3e9 + int64(i), ReturnNs: 3e9 + int64(i) + 1, Outcome: outcome})
		}
		return h
	}
	verdict := func(h *history.History) *runner.Verdict {
		ok, n, _ := runner.OpsAfterFaults(h)
		got := float64(ok) / float64(n)
		return &runner.Verdict{Expectations: []reports.Expectation{{Name: "availability_after_faults_min", Want: AfterFaultsMin, Got: got, Pass: got >= AfterFaultsMin}}}
	}
	few := historyWith(3, 1)
	require.NotContains(t, classesOf(verdict(few), few), Unavailable)
	many := historyWith(MinOpsAfterFaults+10, 2)
	require.Contains(t, classesOf(verdict(many), many), Unavailable)
}
