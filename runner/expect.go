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
	return EvaluateRun(list, h, res, nil)
}

// RunFacts are what a simulation knows beyond its history: the membership
// marks and hint counters (nil when the nodes did not gossip or keep
// hints, and for a history checked on its own).
type RunFacts struct {
	Membership *reports.Membership
	Hints      *reports.Hints
	// AntiEntropy is the anti-entropy section (nil when disabled).
	AntiEntropy *reports.AntiEntropy
	// Repairs are the wiped nodes' repairs (only when repaired_within_ms
	// is expected: the probe reads the nodes' stores).
	Repairs []reports.Repair
	// Ring is the membership changes (nil when there were none).
	Ring *reports.Ring
}

// EvaluateRun is Evaluate with the run's facts, which the membership and
// hint expectations measure (without them they cannot be measured, and
// fail).
func EvaluateRun(list []scenarios.Expectation, h *history.History, res *checker.Results, facts *RunFacts) []reports.Expectation {
	out := make([]reports.Expectation, 0, len(list))
	for _, e := range list {
		got, detail, ok := measure(e.Name, h, res)
		if f, handled := measureRun(e.Name, list, facts); handled {
			got, detail, ok = f.got, f.detail, f.ok
		}
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
	case "prediction_agrees":
		pr := res.Probe
		if pr == nil || pr.Agreement == nil {
			return "n/a", "no probe prediction (see the notes)", false
		}
		a := pr.Agreement
		detail := fmt.Sprintf("Wilson intervals at %.4g%% (family-wise alpha %g over %d delays) overlap at every delay", 100*a.PointConfidence, a.FamilyAlpha, len(pr.Points))
		if a.FirstDisagreementMs != nil {
			detail = fmt.Sprintf("at t = %g ms the measured and predicted Wilson intervals at %.4g%% (family-wise alpha %g) do not overlap", *a.FirstDisagreementMs, 100*a.PointConfidence, a.FamilyAlpha)
		}
		return a.Agrees, detail, true
	case "availability_after_faults_min":
		return availabilityAfterFaults(h)
	case "stale_fraction_max", "stale_fraction_min":
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
		if o.Final || o.Outcome != history.OK || (op != "all" && o.Kind.String() != op) {
			continue
		}
		out = append(out, float64(o.ReturnNs-o.InvokeNs)/1e6)
	}
	sort.Float64s(out)
	return out
}

type measured struct {
	got    any
	detail string
	ok     bool
}

// measureRun measures the expectations on the run's facts; handled is
// false for the others.
func measureRun(name string, list []scenarios.Expectation, facts *RunFacts) (m measured, handled bool) {
	switch name {
	case "moved_fraction_max":
		if facts == nil || facts.Ring == nil {
			return measured{"n/a", "no node joined, or the run's ring changes are not known", false}, true
		}
		worst, joins, detail := 0.0, 0, ""
		for _, ch := range facts.Ring.Changes {
			if ch.Kind != "join" {
				continue
			}
			joins++
			if ch.MovedFraction >= worst {
				worst = ch.MovedFraction
				detail = fmt.Sprintf("%s joining %d members moved %.4f of the replica placements (ideal 1/(n+1) = %.4f)", ch.Node, ch.MembersBefore, ch.MovedFraction, ch.Ideal)
			}
		}
		if joins == 0 {
			return measured{"n/a", "no node joined", false}, true
		}
		return measured{worst, detail, true}, true
	case "detected_down_within_ms", "false_down_max":
		if facts == nil || facts.Membership == nil {
			return measured{"n/a", "membership (gossip) is not enabled, or the run's marks are not known", false}, true
		}
		mb := facts.Membership
		if name == "false_down_max" {
			return measured{float64(mb.FalseDown), "", true}, true
		}
		if len(mb.Detections) == 0 {
			return measured{"n/a", "no node crashed or paused while others stayed up", false}, true
		}
		// A node down for less than the bound need not have been marked
		// down at all; any other miss fails the expectation.
		bound := 0.0
		for _, e := range list {
			if e.Name == name {
				bound, _ = e.Want.(float64)
			}
		}
		worst, count, short := 0.0, 0, 0
		for _, d := range mb.Detections {
			switch {
			case !d.Missed:
				worst = max(worst, d.AfterMs)
				count++
			case d.DownForS*1000 < bound:
				short++
			default:
				return measured{"missed", fmt.Sprintf("%s never marked %s down (down at %.3fs for %.3fs)", d.Observer, d.Member, d.CrashS, d.DownForS), true}, true
			}
		}
		if count == 0 {
			return measured{"n/a", fmt.Sprintf("every downed node came back within the bound, before %d detections", short), false}, true
		}
		detail := fmt.Sprintf("%d detections, p50 %.0f ms", mb.DetectionMs.Count, mb.DetectionMs.P50)
		if short > 0 {
			detail += fmt.Sprintf("; %d not made while the node was down for less than the bound", short)
		}
		return measured{worst, detail, true}, true
	case "hints_pending_max", "hints_dropped_max":
		if facts == nil || facts.Hints == nil {
			return measured{"n/a", "hinted handoff is not enabled, or the run's hint counters are not known", false}, true
		}
		if name == "hints_pending_max" {
			return measured{float64(facts.Hints.Pending), "", true}, true
		}
		return measured{float64(facts.Hints.Dropped), "", true}, true
	case "repaired_within_ms":
		if facts == nil || len(facts.Repairs) == 0 {
			return measured{"n/a", "no node was wiped, or the repairs were not followed", false}, true
		}
		worst, detail := 0.0, ""
		for _, rp := range facts.Repairs {
			if !rp.Repaired {
				return measured{"not repaired", fmt.Sprintf("%s (wiped at %.3fs) still lacked %d of the %d keys it held when the run ended", rp.Node, rp.WipedAtS, rp.Missing, rp.Keys), true}, true
			}
			if rp.AfterMs >= worst {
				worst, detail = rp.AfterMs, fmt.Sprintf("%s: %d keys back %.0f ms after its wipe", rp.Node, rp.Keys, rp.AfterMs)
			}
		}
		return measured{worst, detail, true}, true
	case "anti_entropy_bytes_max":
		if facts == nil || facts.AntiEntropy == nil {
			return measured{"n/a", "anti-entropy is not enabled, or the run's counters are not known", false}, true
		}
		a := facts.AntiEntropy
		detail := fmt.Sprintf("%d exchanges; the completed ones %.1f %% of a full copy of the ranges compared", a.Exchanges, 100*a.ExchangeToFullCopy)
		return measured{float64(a.BytesSent), detail, true}, true
	}
	return measured{}, false
}

// availabilityAfterFaults is the fraction of workload operations invoked at
// least scenarios.AfterFaultsGrace after the last fault window ended that
// succeeded.
func availabilityAfterFaults(h *history.History) (any, string, bool) {
	ok, attempted, from := OpsAfterFaults(h)
	if attempted == 0 {
		return "n/a", "no operation was invoked after the faults ended", false
	}
	return float64(ok) / float64(attempted), fmt.Sprintf("%d of %d operations invoked after %s", ok, attempted, from), true
}

// OpsAfterFaults counts the workload operations invoked at least
// scenarios.AfterFaultsGrace after the last fault window of h ended (from),
// and those of them that succeeded: what availability_after_faults_min
// measures.
func OpsAfterFaults(h *history.History) (ok, attempted int, from time.Duration) {
	var last int64
	for _, f := range h.Faults {
		last = max(last, f.EndNs)
	}
	start := last + int64(scenarios.AfterFaultsGrace)
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Final || o.InvokeNs < start {
			continue
		}
		attempted++
		if o.Outcome == history.OK {
			ok++
		}
	}
	return ok, attempted, time.Duration(start)
}
