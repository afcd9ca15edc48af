package runner

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"dynasim/checker"
	"dynasim/history"
	"dynasim/reports"
	"dynasim/scenarios"
)

// CheckOptions configures CheckHistory.
type CheckOptions struct {
	// HistoryPath is the file the history was read from, for the report.
	// Required.
	HistoryPath string
	// Model overrides the model the history's version mode calls for
	// (ModelFor); empty: that model, or MultiValue when the history does
	// not record its mode.
	Model checker.Model
	// Linearizability overrides whether Porcupine runs; nil: as the run
	// did (recorded in the history), or yes when the history does not say.
	Linearizability *bool
	// OutDir, when set, receives report.json, report.txt, report.html and,
	// for a history that is not linearizable, linearizability.html.
	OutDir string
	// Repro is the report's reproduction command (the check command line).
	Repro string
}

// CheckOutcome is what CheckHistory found.
type CheckOutcome struct {
	Report  *reports.Report
	Results *checker.Results
	// Model is the model the checks used.
	Model checker.Model
	// Passed: linearizable (when checked) and no acknowledged write lost
	// — both verdicts actually reached.
	Passed bool
	// Files written to OutDir, sorted.
	Files []string
}

// CheckHistory checks a history on its own, as `dynasim check` does. It
// reads the run's configuration from the history's header — the version
// mode picks the model with ModelFor, the same rule `dynasim run` follows,
// and the run's choice of linearizability check is kept — unless the
// options override them; every choice made is explained in the report's
// notes. The verdict is linearizable (when Porcupine runs) and no lost
// acknowledged write: a verdict that could not be reached (an incomplete
// history, no final reads) fails, it never passes as 0 lost.
func CheckHistory(h *history.History, opt CheckOptions) (*CheckOutcome, error) {
	if opt.HistoryPath == "" {
		return nil, fmt.Errorf("runner: CheckOptions.HistoryPath is empty")
	}
	if opt.Model != "" {
		if err := opt.Model.Validate(); err != nil {
			return nil, err
		}
	}
	var notes []string
	run := h.Run
	model := checker.MultiValue
	switch {
	case run != nil && opt.Model != "" && opt.Model != ModelFor(run.VersionMode):
		model = opt.Model
		notes = append(notes, fmt.Sprintf("model %s from --model overrides %s, the model for the version mode %s the history records", model, ModelFor(run.VersionMode), run.VersionMode))
	case run != nil:
		model = ModelFor(run.VersionMode)
		notes = append(notes, fmt.Sprintf("model %s: the model for the version mode %s the history records", model, run.VersionMode))
	case opt.Model != "":
		model = opt.Model
		notes = append(notes, fmt.Sprintf("model %s from --model; the history does not record its version mode", model))
	default:
		notes = append(notes, fmt.Sprintf("model %s: the default, since the history does not record its version mode (--model chooses)", model))
	}
	lin := true
	switch {
	case opt.Linearizability != nil:
		lin = *opt.Linearizability
	case run != nil:
		lin = run.Linearizability
	}

	copt := checker.Options{Model: model, Linearizability: lin}
	if run != nil {
		copt.ReplicasPerKey = run.WorkloadN
	}
	if opt.OutDir != "" {
		if err := os.MkdirAll(opt.OutDir, 0o755); err != nil {
			return nil, err
		}
		vis := filepath.Join(opt.OutDir, "linearizability.html")
		if err := os.Remove(vis); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		copt.VisualizationPath = vis
	}
	// What a check asserts, as a scenario would write it: no acknowledged
	// write lost (or unverified), and linearizable when Porcupine runs.
	noneLost := 0
	expect := scenarios.Expect{LostAckedWrites: &noneLost}
	if lin {
		expect.Linearizable = &lin
	}
	v, err := verdict(h, copt, expect.List(), nil, nil)
	if err != nil {
		return nil, err
	}
	notes = append(notes, v.Notes...)
	res := v.Results

	meta := reports.Meta{
		Scenario:    filepath.Base(opt.HistoryPath),
		HistoryPath: opt.HistoryPath,
		OutDir:      opt.OutDir,
		Repro:       opt.Repro,
	}
	var nodes []reports.NodeStats
	if run != nil {
		meta.Scenario = cmp.Or(run.Scenario, meta.Scenario)
		meta.Seed = run.Seed
		fp, err := strconv.ParseUint(run.Fingerprint, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("runner: the history's fingerprint %q: %w", run.Fingerprint, err)
		}
		meta.Fingerprint = fp
		meta.Events = run.Events
		meta.VirtualDuration = time.Duration(run.EndNs)
		dcs := map[string]bool{}
		for i, n := range run.Nodes {
			dcs[n.DC] = true
			nodes = append(nodes, reports.NodeStats{Node: i, Name: n.Name, DC: n.DC})
		}
		if len(run.Targets) > 0 {
			meta.Targets = run.Targets
			notes = append(notes, "the history was recorded against a real cluster (dynasim run --target): wall-clock times, not replayable")
		}
		meta.Config = reports.ConfigSummary{
			Nodes: len(run.Nodes), Datacenters: len(dcs), Clients: run.Clients, Keys: run.Keys,
			N: run.N, W: run.W, R: run.R, VersionMode: run.VersionMode, ReadRepair: run.ReadRepair,
			TwoPhaseWrites: run.TwoPhaseWrites,
		}
	}
	rep, err := reports.Build(reports.Input{
		Meta: meta, History: h, Results: res, Expectations: v.Expectations, Nodes: nodes, Notes: notes,
		HistoryValidated: v.validated == h,
	})
	if err != nil {
		return nil, err
	}
	out := &CheckOutcome{Report: rep, Results: res, Model: model, Passed: rep.Passed}
	if opt.OutDir != "" {
		files, err := writeReports(opt.OutDir, rep)
		slices.Sort(files)
		out.Files = files
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
