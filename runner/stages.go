package runner

import (
	"fmt"
	"path/filepath"
	"time"

	"dynasim/checker"
	"dynasim/history"
	"dynasim/reports"
	"dynasim/scenarios"
	"dynasim/sim"
	"dynasim/sim/cluster"
)

// The stages of a run, each usable on its own: Simulate a resolved scenario,
// Check what it recorded (a verdict, no files), BuildReport from both, and
// write the files (Run does all four). A fuzz campaign runs Simulate and
// Check only; `dynasim check` runs the same Check and BuildReport on a
// history read from a file (CheckHistory).

// Simulation is what the Simulate stage produced: the history — with its
// fault windows and the run's header — and what the report needs of the
// simulated cluster, which is let go (its disks and memtables are most of a
// run's memory).
type Simulation struct {
	Resolved *scenarios.Resolved
	History  *history.History
	// Fingerprint and Events identify the run; End is the virtual time it
	// ended; Finished says the workload ended before its time limit.
	Fingerprint uint64
	Events      uint64
	End         time.Duration
	Finished    bool
	// FaultErrors are faults of the schedule that could not be applied.
	FaultErrors []sim.FaultError
	// Nodes and Messages are the per-node and per-message-kind counters.
	Nodes    []reports.NodeStats
	Messages []reports.MessageStats
	// Wall is the wall-clock time the simulation took.
	Wall time.Duration
	// Facts are the membership marks and hint counters (each nil when
	// the feature is off).
	Facts RunFacts
}

// Simulate runs r in the simulated world. progress, when set, is called as
// virtual time advances.
func Simulate(r *scenarios.Resolved, progress func(now, end time.Duration)) (*Simulation, error) {
	var phases reports.PhaseSeconds
	return simulate(r, progress, &phases, time.Now())
}

func simulate(r *scenarios.Resolved, progress func(now, end time.Duration), phases *reports.PhaseSeconds, setupStart time.Time) (*Simulation, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	ccfg, err := clusterConfig(r)
	if err != nil {
		return nil, err
	}
	wcfg, err := workloadConfig(r)
	if err != nil {
		return nil, err
	}
	faults, err := faultSchedule(r)
	if err != nil {
		return nil, err
	}
	finalRead, err := r.FinalReadLevel.Need()
	if err != nil {
		return nil, fmt.Errorf("runner: final_read_level: %w", err)
	}
	c, err := cluster.New(ccfg)
	if err != nil {
		return nil, err
	}
	if a := r.Autoscale; a.Enabled {
		if err := c.Autoscale(autoscalePolicy(a), a.Nodes); err != nil {
			return nil, fmt.Errorf("runner: autoscale: %w", err)
		}
	}
	start := time.Now()
	phases.Setup = start.Sub(setupStart).Seconds()
	res, err := c.Run(cluster.RunConfig{
		Workload:  wcfg,
		Faults:    faults,
		Changes:   membershipChanges(r),
		Quiet:     time.Duration(r.QuietPeriod),
		HealAtEnd: r.HealAtEnd,
		FinalRead: &finalRead,
		// The key space's unwritten keys hold nothing; "all" reads them
		// anyway (the behaviour before final_read_keys existed).
		FinalReadAllKeys: r.FinalReadKeys == "all",
		// A probe's keys are read once each, by its trials; final reads and
		// convergence probes of every trial's key would double the run.
		NoFinalReads:    r.Workload.Probe != nil,
		NoReplicaStates: r.Workload.Probe != nil,
		Progress:        progress,
		RepairProbe:     repairProbe(r),
	})
	if err != nil {
		return nil, err
	}
	wall := time.Since(start)
	phases.Simulate = wall.Seconds()
	h := res.History
	for _, fw := range r.FaultWindows(time.Duration(res.WorkloadEnd)) {
		h.Faults = append(h.Faults, history.FaultWindow{Label: fw.Label, StartNs: int64(fw.Start), EndNs: int64(fw.End)})
	}
	h.Run = runInfo(r, res)
	return &Simulation{
		Resolved: r, History: h,
		Fingerprint: res.Fingerprint, Events: res.Events, End: time.Duration(res.End), Finished: res.Finished,
		FaultErrors: res.FaultErrors,
		Nodes:       nodeStats(res, c.Ring().Ownership()),
		Messages:    messageStats(res),
		Wall:        wall,
		Facts: RunFacts{Membership: membershipReport(r, res), Hints: hintsReport(r, res), AntiEntropy: antiEntropyReport(r, res), Ring: ringReport(res),
			Repairs: repairsReport(res)},
	}, nil
}

// Verdict is what the Check stage found: every check's result, every
// expectation measured against it, and whether all hold.
type Verdict struct {
	Results      *checker.Results
	Expectations []reports.Expectation
	Passed       bool
	// Notes are what the report should say about the checks (a
	// visualisation that could not be written).
	Notes []string
	// validated: checker.Check validated the history these results are of.
	validated *history.History
}

// Check runs the checkers on a simulation's history as its scenario asks
// and evaluates the scenario's expectations. It writes nothing unless
// visualizationPath is set (Porcupine's page for a failing key).
func Check(sim *Simulation, visualizationPath string) (*Verdict, error) {
	return CheckWorkers(sim, visualizationPath, 0)
}

// CheckWorkers is Check with the linearizability check spread over at
// most workers goroutines (0: GOMAXPROCS); a fuzz campaign, which runs a
// world per core, checks each with one. The verdict does not depend on it.
func CheckWorkers(sim *Simulation, visualizationPath string, workers int) (*Verdict, error) {
	r := sim.Resolved
	return verdict(sim.History, checker.Options{
		Model:             ModelFor(string(r.Node.VersionMode)),
		Linearizability:   r.LinearizabilityEnabled(),
		LinTimeLimit:      time.Duration(r.Checks.LinTimeLimit),
		LinStepBudget:     r.Checks.LinStepBudget,
		LinMemoryBytes:    r.Checks.LinMemoryMB << 20,
		ReplicasPerKey:    r.Workload.N,
		TVisibilityMs:     r.Checks.TVisibilityMs,
		MaxExamples:       r.Checks.MaxExamples,
		VisualizationPath: visualizationPath,
		Workers:           workers,
	}, r.Expect.List(), &sim.Facts, func(res *checker.Results) ([]string, error) { return checkProbe(r, sim.History, res) })
}

// verdict is the checking step both Check and CheckHistory take: the
// checkers with opt, then the expectations want.
// facts, when set, are the run's own (membership and hints); extra, when
// set, adds results before the expectations are measured (a probe's
// measurement and prediction) and returns notes.
func verdict(h *history.History, opt checker.Options, want []scenarios.Expectation, facts *RunFacts, extra func(*checker.Results) ([]string, error)) (*Verdict, error) {
	results, err := checker.Check(h, opt)
	if err != nil && results == nil {
		return nil, err
	}
	v := &Verdict{Results: results, validated: h}
	if err != nil {
		v.Notes = append(v.Notes, "visualisation not written: "+err.Error())
	}
	if extra != nil {
		notes, err := extra(results)
		if err != nil {
			return nil, err
		}
		v.Notes = append(v.Notes, notes...)
	}
	v.Expectations = EvaluateRun(want, h, results, facts)
	v.Passed = true
	for _, e := range v.Expectations {
		v.Passed = v.Passed && e.Pass
	}
	return v, nil
}

// ReportOptions says where the report's files come from and go.
type ReportOptions struct {
	// ScenarioPath is the file the scenario came from, for the report and
	// its reproduction command.
	ScenarioPath string
	// OutDir is where the run's files are (or will be) written; empty:
	// none.
	OutDir string
}

// BuildReport builds the report of a simulation and its verdict.
func BuildReport(sim *Simulation, v *Verdict, opt ReportOptions) (*reports.Report, error) {
	r := sim.Resolved
	meta := reports.Meta{
		Scenario:        r.Name,
		Description:     r.Description,
		ScenarioPath:    opt.ScenarioPath,
		OutDir:          opt.OutDir,
		Seed:            r.Seed,
		Fingerprint:     sim.Fingerprint,
		Events:          sim.Events,
		VirtualDuration: sim.End,
		Wall:            sim.Wall,
		Config:          configSummary(r),
	}
	if opt.OutDir != "" {
		meta.ResolvedPath = filepath.Join(opt.OutDir, "resolved.yaml")
	}
	notes := append([]string(nil), v.Notes...)
	for _, fe := range sim.FaultErrors {
		notes = append(notes, fe.Error())
	}
	if !sim.Finished {
		notes = append(notes, "the workload did not finish within its time limit")
	}
	return reports.Build(reports.Input{
		Meta:         meta,
		History:      sim.History,
		Results:      v.Results,
		Expectations: v.Expectations,
		Messages:     sim.Messages,
		Nodes:        sim.Nodes,
		Membership:   sim.Facts.Membership,
		Hints:        sim.Facts.Hints,
		AntiEntropy:  sim.Facts.AntiEntropy,
		Ring:         sim.Facts.Ring,
		Repairs:      sim.Facts.Repairs,
		Notes:        notes,
		// The checks validated this very history (and nothing changes it).
		HistoryValidated: v.validated == sim.History,
	})
}
