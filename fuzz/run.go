package fuzz

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"dynasim/history"
	"dynasim/runner"
	"dynasim/scenarios"
)

// Class is a kind of failure.
type Class string

// The failure classes, in the order a run with several is classified by
// (its primary class is the first that applies).
const (
	Panic            Class = "panic"                  // a panic inside the simulation (node code, the harness)
	ReplayDivergence Class = "replay_divergence"      // the same seed ran twice to different fingerprints
	LostAckedWrite   Class = "lost_acked_write"       // an acknowledged write missing from the final reads
	NotLinearizable  Class = "not_linearizable"       // Porcupine found no linearization
	NotConverged     Class = "not_converged"          // replicas differ after the quiet period
	Unavailable      Class = "unavailable_after_heal" // service did not return after the faults ended
	Inconclusive     Class = "inconclusive"           // a checker could not decide: never a pass, never a failure
	ToolError        Class = "tool_error"             // the run could not be set up or checked
)

var classOrder = []Class{Panic, ReplayDivergence, LostAckedWrite, NotLinearizable, NotConverged, Unavailable, Inconclusive, ToolError}

// IsFailure reports whether the class is a failure of the system under test
// (inconclusive and tool errors are reported apart).
func (c Class) IsFailure() bool { return c != "" && c != Inconclusive && c != ToolError }

// Outcome is what one seed's run found.
type Outcome struct {
	Seed    uint64
	Profile Profile
	// Class is the primary class ("" when every invariant held); Classes
	// every class the run showed, in classOrder.
	Class   Class
	Classes []Class
	// Signature deduplicates failures: the class and what distinguishes
	// one cause from another (a panic's location, the configuration).
	Signature string
	// Detail is a one-line description of the failure.
	Detail      string
	Fingerprint uint64
	Events      uint64
	Ops         int
	Resolved    *scenarios.Resolved
	Wall        time.Duration
}

// RunOne generates seed's scenario from base and runs it: simulate, check,
// and (replay) simulate again and compare the fingerprints. A panic is
// recovered and becomes the outcome's class.
func RunOne(base *scenarios.Resolved, profile Profile, seed uint64, replay bool) Outcome {
	start := time.Now()
	r, p, err := Generate(base, profile, seed)
	if err != nil {
		return Outcome{Seed: seed, Profile: profile, Class: ToolError, Classes: []Class{ToolError},
			Signature: string(ToolError) + ":generate", Detail: err.Error(), Wall: time.Since(start)}
	}
	o := Evaluate(r, replay)
	o.Seed, o.Profile, o.Wall = seed, p, time.Since(start)
	o.Signature = signature(o, r)
	return o
}

// Evaluate runs a resolved scenario and classifies what it found against
// the invariants its expectations state (a generated scenario states its
// profile's). replay runs it a second time and compares fingerprints.
func Evaluate(r *scenarios.Resolved, replay bool) (o Outcome) {
	o = Outcome{Seed: r.Seed, Resolved: r}
	sim, stack, err := simulate(r)
	if stack != "" {
		return classify(o, map[Class]string{Panic: err.Error() + "\n" + stack})
	}
	if err != nil {
		return classify(o, map[Class]string{ToolError: err.Error()})
	}
	o.Fingerprint, o.Events, o.Ops = sim.Fingerprint, sim.Events, len(sim.History.Ops)
	found := map[Class]string{}
	if replay {
		again, stack, err := simulate(r)
		switch {
		case stack != "":
			found[Panic] = err.Error() + "\n" + stack
		case err != nil:
			found[ToolError] = err.Error()
		case again.Fingerprint != sim.Fingerprint || again.Events != sim.Events:
			found[ReplayDivergence] = fmt.Sprintf("fingerprint %016x (%d events), then %016x (%d events)",
				sim.Fingerprint, sim.Events, again.Fingerprint, again.Events)
		}
	}
	v, stack, err := check(sim)
	switch {
	case stack != "":
		found[Panic] = "in the checker: " + err.Error() + "\n" + stack
	case err != nil:
		found[ToolError] = err.Error()
	default:
		for c, d := range classesOf(v, sim.History) {
			found[c] = d
		}
	}
	return classify(o, found)
}

func classify(o Outcome, found map[Class]string) Outcome {
	for _, c := range classOrder {
		if d, ok := found[c]; ok {
			o.Classes = append(o.Classes, c)
			if o.Class == "" {
				o.Class, o.Detail = c, d
			}
		}
	}
	return o
}

// classesOf maps the failed expectations of a verdict on history h to
// classes.
func classesOf(v *runner.Verdict, h *history.History) map[Class]string {
	out := map[Class]string{}
	note := func(c Class, format string, args ...any) {
		if _, ok := out[c]; !ok {
			out[c] = fmt.Sprintf(format, args...)
		}
	}
	for _, e := range v.Expectations {
		if e.Pass {
			continue
		}
		if _, measured := e.Got.(string); measured && e.Name != "converged" {
			// "not checked", "unknown", "n/a": no verdict.
			if e.Name == "availability_after_faults_min" {
				continue // no operation after the faults: nothing to judge
			}
			note(Inconclusive, "%s: %v (%s)", e.Name, e.Got, e.Detail)
			continue
		}
		switch e.Name {
		case "linearizable":
			lin := v.Results.Linearizability
			note(NotLinearizable, "not linearizable: key %s (%d ops)", lin.FailingKey, lin.FailingKeyOps)
		case "lost_acked_writes":
			lw := v.Results.LostWrites
			ex := ""
			if len(lw.Examples) > 0 {
				ex = fmt.Sprintf(", e.g. key %s", lw.Examples[0].Key)
			}
			note(LostAckedWrite, "%d of %d acknowledged writes lost%s", lw.Lost, lw.AckedPuts, ex)
		case "unverified_acked_writes":
			note(Unavailable, "final reads failed: %d acknowledged writes unverified", v.Results.LostWrites.Unverified)
		case "converged":
			cv := v.Results.Convergence
			note(NotConverged, "%d of %d keys not converged (got %v; %s)", cv.Keys-cv.ConvergedKeys, cv.Keys, e.Got, e.Detail)
		case "availability_after_faults_min":
			if _, attempted, _ := runner.OpsAfterFaults(h); attempted < MinOpsAfterFaults {
				// Too few operations to tell a store that stays down from
				// message loss without retries (3 operations, 2 lost).
				continue
			}
			note(Unavailable, "availability after the faults %.3f < %v (%s)", e.Got, e.Want, e.Detail)
		default:
			note(Inconclusive, "expectation %s failed: got %v", e.Name, e.Got)
		}
	}
	return out
}

// signature is what deduplicates failures: the class, the profile's version
// mode and read repair (and /sloppy under a sloppy quorum), and for a panic the first frame in the module's
// code below the recovery.
func signature(o Outcome, r *scenarios.Resolved) string {
	if o.Class == "" {
		return ""
	}
	if o.Class == Panic {
		return string(Panic) + ":" + panicSite(o.Detail)
	}
	if o.Class == ToolError {
		return string(ToolError) + ":" + firstLine(o.Detail)
	}
	sig := fmt.Sprintf("%s:%s/%s", o.Class, r.Node.VersionMode, r.Node.ReadRepair)
	if r.Node.Quorum == "sloppy" {
		// A sloppy quorum's failures (hints, stand-ins) are apart from a
		// strict one's.
		sig += "/sloppy"
	}
	if r.Node.AntiEntropy.Enabled {
		// So are failures with anti-entropy spreading data on its own.
		sig += "/ae"
	}
	return sig
}

// panicSite is the first dynasim frame (function and file:line) of a
// panic's stack below runtime's and this package's frames.
func panicSite(detail string) string {
	lines := strings.Split(detail, "\n")
	for i := 0; i+1 < len(lines); i++ {
		fn := strings.TrimSpace(lines[i])
		if strings.HasPrefix(fn, "dynasim/") && !strings.HasPrefix(fn, "dynasim/fuzz.") {
			if j := strings.LastIndexByte(fn, '('); j > 0 {
				fn = fn[:j]
			}
			loc := strings.TrimSpace(lines[i+1])
			if j := strings.LastIndex(loc, "/dynasim/"); j >= 0 {
				loc = loc[j+1:]
			}
			if j := strings.IndexByte(loc, ' '); j > 0 {
				loc = loc[:j]
			}
			return fn + " " + loc
		}
	}
	return firstLine(detail)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// simulate runs the Simulate stage, recovering a panic (stack non-empty).
func simulate(r *scenarios.Resolved) (sim *runner.Simulation, stack string, err error) {
	defer func() {
		if p := recover(); p != nil {
			sim, stack, err = nil, string(debug.Stack()), fmt.Errorf("panic: %v", p)
		}
	}()
	sim, err = runner.Simulate(r, nil)
	return sim, "", err
}

// check runs the Check stage with one worker (the campaign runs a world
// per job), recovering a panic.
func check(sim *runner.Simulation) (v *runner.Verdict, stack string, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, stack, err = nil, string(debug.Stack()), fmt.Errorf("panic: %v", p)
		}
	}()
	v, err = runner.CheckWorkers(sim, "", 1)
	return v, "", err
}
