package checker

import (
	"fmt"
	"sync"
	"time"

	"dynasim/history"
)

// Options configures Check. Zero fields take the defaults of the check they
// belong to.
type Options struct {
	// Model is the specification for linearizability, lost writes and
	// staleness: Register for single-value reads, MultiValue for siblings.
	// Required.
	Model Model
	// Linearizability runs Porcupine. The caller decides (W+R>N); when
	// false the linearizability result says "skipped".
	Linearizability bool
	// LinTimeLimit, LinStepBudget, LinMemoryBytes, VisualizationPath and
	// Workers: see
	// LinearizabilityOptions.
	LinTimeLimit      time.Duration
	LinStepBudget     int64
	LinMemoryBytes    int64
	VisualizationPath string
	Workers           int
	// ReplicasPerKey: see ConvergenceOptions.
	ReplicasPerKey int
	// TVisibilityMs: see StalenessOptions.
	TVisibilityMs []float64
	// MaxExamples bounds every list of examples. Default 20.
	MaxExamples int
}

func (o Options) lin() LinearizabilityOptions {
	return LinearizabilityOptions{Model: o.Model, TimeLimit: o.LinTimeLimit, StepBudget: o.LinStepBudget,
		MemoryBudgetBytes: o.LinMemoryBytes, VisualizationPath: o.VisualizationPath, Workers: o.Workers}
}
func (o Options) lost() LostWritesOptions {
	return LostWritesOptions{Model: o.Model, MaxExamples: o.MaxExamples}
}
func (o Options) convergence() ConvergenceOptions {
	return ConvergenceOptions{ReplicasPerKey: o.ReplicasPerKey, MaxExamples: o.MaxExamples}
}
func (o Options) staleness() StalenessOptions {
	return StalenessOptions{Model: o.Model, TVisibilityMs: o.TVisibilityMs, MaxExamples: o.MaxExamples}
}

// Validate reports a knob out of range.
func (o Options) Validate() error {
	if err := o.lin().Validate(); err != nil {
		return err
	}
	if err := o.lost().Validate(); err != nil {
		return err
	}
	if err := o.convergence().Validate(); err != nil {
		return err
	}
	return o.staleness().Validate()
}

// LinSkipped is the linearizability result when the check was not run.
const LinSkipped LinResult = "skipped"

// Results is everything Check found.
type Results struct {
	Ops             OpCounts                `json:"ops"`
	Linearizability *LinearizabilityResult  `json:"linearizability"`
	LostWrites      *LostWritesResult       `json:"lost_writes"`
	Convergence     *ConvergenceResult      `json:"convergence"`
	Staleness       *StalenessResult        `json:"staleness"`
	Siblings        SiblingsResult          `json:"siblings"`
	Availability    AvailabilityResult      `json:"availability"`
	LatencyMs       map[string]LatencyStats `json:"latency_ms"`
	Throughput      ThroughputResult        `json:"throughput"`
	// Probe is a probe workload's measured t-visibility and its WARS
	// prediction (probe.go); nil for other workloads.
	Probe *ProbeResult `json:"probe,omitempty"`
	// NotChecked names the verdicts the history could not support, each
	// with the reason: VerdictLinearizability, VerdictLostAckedWrites and
	// VerdictConverged. Such a check's result still counts what the history
	// holds, but its verdict (Lost, Converged, the linearizability result)
	// is no result: 0 lost is not "nothing lost", false is not "diverged".
	NotChecked map[string]string `json:"not_checked,omitempty"`
}

// The names of the verdicts in Results.NotChecked.
const (
	VerdictLinearizability = "linearizability"
	VerdictLostAckedWrites = "lost_acked_writes"
	VerdictConverged       = "converged"
)

// Check validates h once and runs every check on it: linearizability (if
// asked), lost writes against the history's final reads (FinalReads),
// convergence of its replica states, staleness, and the workload
// statistics. If only the visualisation could not be written, the complete
// results are returned with the error.
//
// A verdict the history cannot support is listed in Results.NotChecked: on
// an incomplete history (h.Incomplete) all three — a read may have seen a
// write past the cut, and the final reads and replica states come last —
// and linearizability is not run; lost writes when acknowledged puts exist
// but no final read does; convergence when no replica state was recorded.
func Check(h *history.History, opt Options) (*Results, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("checker: %w", err)
	}
	// The checks only read h, so they run concurrently: linearizability
	// (the longest) beside lost writes, convergence and staleness, beside
	// the workload statistics. Each writes only its own results.
	var linRes *LinearizabilityResult
	var linErr error
	var wg sync.WaitGroup
	if opt.Linearizability && h.Incomplete == "" {
		wg.Go(func() { linRes, linErr = checkLinearizability(h, opt.lin(), true) })
	}
	res := &Results{}
	wg.Go(func() {
		res.Ops = CountOps(h)
		res.Siblings = Siblings(h)
		res.Availability = Availability(h)
		res.LatencyMs = Latency(h)
		res.Throughput = Throughput(h)
	})
	var lostErr, convErr, staleErr error
	var final map[string][]string
	wg.Go(func() {
		final = FinalReads(h)
		res.LostWrites, lostErr = lostWrites(h, final, opt.lost(), true)
	})
	wg.Go(func() { res.Convergence, convErr = convergence(h, opt.convergence(), true) })
	res.Staleness, staleErr = staleness(h, opt.staleness(), true)
	wg.Wait()
	for _, err := range []error{lostErr, convErr, staleErr} {
		if err != nil {
			return nil, err
		}
	}
	notChecked := func(check, why string) {
		if res.NotChecked == nil {
			res.NotChecked = make(map[string]string)
		}
		res.NotChecked[check] = why
	}
	if h.Incomplete != "" {
		why := "not checked: the history is incomplete (" + h.Incomplete + ")"
		if len(h.Ops) > 0 || len(h.Replicas) > 0 {
			why += ", records may be missing"
		}
		notChecked(VerdictLostAckedWrites, why)
		notChecked(VerdictConverged, why)
		if opt.Linearizability {
			notChecked(VerdictLinearizability, why)
		}
	} else {
		if len(final) == 0 && res.LostWrites.AckedPuts > 0 {
			notChecked(VerdictLostAckedWrites, fmt.Sprintf("not checked: the history has no final reads, so none of its %d acknowledged puts could be verified", res.LostWrites.AckedPuts))
		}
		if res.Convergence.Probes == 0 {
			notChecked(VerdictConverged, "not checked: the history records no replica state")
		}
	}
	if _, skip := res.NotChecked[VerdictLinearizability]; skip || !opt.Linearizability {
		res.Linearizability = &LinearizabilityResult{Model: opt.Model, Result: LinSkipped}
		return res, nil
	}
	if linErr != nil && linRes == nil {
		return nil, linErr
	}
	res.Linearizability = linRes
	return res, linErr
}
