package runner

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat"

	"dynasim/checker"
	"dynasim/history"
	"dynasim/reports"
	"dynasim/scenarios"
)

// Evaluate measures every expectation on the results. An expectation whose
// measurement is not available (linearizability skipped or inconclusive,
// no operations of a kind) fails and says why: a verdict cannot rest on a
// check that did not run.
func Evaluate(list []scenarios.Expectation, h *history.History, res *checker.Results) []reports.Expectation {
	out := make([]reports.Expectation, 0, len(list))
	for _, e := range list {
		got, detail, ok := measure(e.Name, h, res)
		re := reports.Expectation{Name: e.Name, Want: e.Want, Got: got, Detail: detail}
		if ok {
			re.Pass = compare(e.Cmp, got, e.Want)
		}
		out = append(out, re)
	}
	return out
}

func compare(cmp string, got, want any) bool {
	switch cmp {
	case "==":
		return got == want
	case "<=", ">=":
		g, ok1 := got.(float64)
		w, ok2 := want.(float64)
		if !ok1 || !ok2 {
			return false
		}
		if cmp == "<=" {
			return g <= w
		}
		return g >= w
	}
	return false
}

// measure returns the measured value for an expectation name, a detail for
// the report, and whether the value could be measured.
func measure(name string, h *history.History, res *checker.Results) (any, string, bool) {
	verdict := map[string]string{
		"linearizable":            checker.VerdictLinearizability,
		"lost_acked_writes":       checker.VerdictLostAckedWrites,
		"lost_acked_writes_min":   checker.VerdictLostAckedWrites,
		"unverified_acked_writes": checker.VerdictLostAckedWrites,
		"converged":               checker.VerdictConverged,
	}[name]
	if why, ok := res.NotChecked[verdict]; ok && verdict != "" {
		return "not checked", why, false
	}
	switch name {
	case "linearizable":
		lin := res.Linearizability
		if lin == nil {
			return "skipped", "the linearizability check did not run", false
		}
		switch lin.Result {
		case checker.LinOK:
			return true, "", true
		case checker.LinIllegal:
			return false, "", true
		}
		return string(lin.Result), "inconclusive: " + string(lin.Result), false
	case "lost_acked_writes", "lost_acked_writes_min":
		if res.LostWrites == nil {
			return "n/a", "no final reads", false
		}
		lw := res.LostWrites
		detail := ""
		if lw.Unverified > 0 {
			detail = fmt.Sprintf("%d acknowledged writes on keys without a final read were not verified", lw.Unverified)
		}
		return float64(lw.Lost), detail, true
	case "unverified_acked_writes":
		if res.LostWrites == nil {
			return "n/a", "no final reads", false
		}
		lw := res.LostWrites
		detail := ""
		if lw.Unverified > 0 {
			detail = fmt.Sprintf("%d acknowledged writes on keys whose final read failed every attempt could not be verified (e.g. %s)", lw.Unverified, strings.Join(lw.UnverifiedKeys[:min(3, len(lw.UnverifiedKeys))], ", "))
		}
		return float64(lw.Unverified), detail, true
	case "converged":
		if res.Convergence == nil {
			return "n/a", "no replica states recorded", false
		}
		if cv := res.Convergence; cv.NotYet {
			return "not yet", fmt.Sprintf("%d of %d keys differ while %d messages are still in flight", cv.Keys-cv.ConvergedKeys, cv.Keys, cv.InFlightAtEnd), true
		}
		return res.Convergence.Converged, "", true
	case "availability_min":
		return res.Availability.Availability, "", true
	case "availability_in_faults_min", "availability_in_faults_max":
		a := res.Availability
		attempted := a.Attempted - a.Outside.Attempted
		if attempted == 0 {
			return "n/a", "no operation was invoked inside a fault window", false
		}
		return float64(a.OK-a.Outside.OK) / float64(attempted), "", true
	case "availability_after_faults_min":
		return availabilityAfterFaults(h)
	case "stale_fraction_max":
		if res.Staleness == nil || res.Staleness.Reads == 0 {
			return "n/a", "no reads", false
		}
		return res.Staleness.StaleFraction, "", true
	}
	for _, q := range []struct {
		prefix string
		p      float64
	}{{"p50_ms_max.", 0.5}, {"p99_ms_max.", 0.99}, {"p999_ms_max.", 0.999}} {
		if op, ok := strings.CutPrefix(name, q.prefix); ok {
			lat := latencies(h, op)
			if len(lat) == 0 {
				return "n/a", "no successful " + op + " operations", false
			}
			return stat.Quantile(q.p, stat.Empirical, lat, nil), "", true
		}
	}
	return "n/a", "unknown expectation", false
}

// latencies are the sorted latencies (ms) of successful workload operations
// of a kind ("all" for every kind), final reads excluded — the same
// population as the checker's latency quantiles.
func latencies(h *history.History, op string) []float64 {
	var out []float64
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Final || o.Outcome != history.OK || (op != "all" && string(o.Kind) != op) {
			continue
		}
		out = append(out, float64(o.ReturnNs-o.InvokeNs)/1e6)
	}
	sort.Float64s(out)
	return out
}

// availabilityAfterFaults is the fraction of workload operations invoked at
// least scenarios.AfterFaultsGrace after the last fault window ended that
// succeeded.
func availabilityAfterFaults(h *history.History) (any, string, bool) {
	var last int64
	for _, f := range h.Faults {
		last = max(last, f.EndNs)
	}
	from := last + int64(scenarios.AfterFaultsGrace)
	ok, attempted := 0, 0
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Final || o.InvokeNs < from {
			continue
		}
		attempted++
		if o.Outcome == history.OK {
			ok++
		}
	}
	if attempted == 0 {
		return "n/a", "no operation was invoked after the faults ended", false
	}
	return float64(ok) / float64(attempted), fmt.Sprintf("%d of %d operations invoked after %s", ok, attempted, time.Duration(from)), true
}
