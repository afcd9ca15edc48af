package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"dynasim/checker"
	"dynasim/checker/history"
	"dynasim/net"
	"dynasim/node/ring"
	"dynasim/reports"
	"dynasim/scenarios"
	"dynasim/sim/cluster"
)

// Options configures a run.
type Options struct {
	// OutDir receives the run's files (see the package doc). Empty: write
	// nothing.
	OutDir string
	// ScenarioPath is the file the scenario came from, for the report and
	// its reproduction command.
	ScenarioPath string
	// Progress, when set, is called as virtual time advances, with the
	// time reached and the time the run is expected to end.
	Progress func(now, end time.Duration)
}

// Outcome is what a run produced.
type Outcome struct {
	Report   *reports.Report
	History  *history.History
	Results  *checker.Results
	Resolved *scenarios.Resolved
	// Passed: every expectation holds.
	Passed bool
	// Files written to OutDir, by role ("report.json", ...), relative to
	// OutDir.
	Files []string
}

// Run runs a resolved scenario and checks it.
func Run(r *scenarios.Resolved, opt Options) (*Outcome, error) {
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
	if opt.OutDir != "" {
		if err := os.MkdirAll(opt.OutDir, 0o755); err != nil {
			return nil, err
		}
		// A visualisation left by an earlier run in this directory must
		// not pass for this run's.
		if err := os.Remove(filepath.Join(opt.OutDir, "linearizability.html")); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}

	start := time.Now()
	res, err := c.Run(cluster.RunConfig{
		Workload:  wcfg,
		Faults:    faults,
		Quiet:     time.Duration(r.QuietPeriod),
		HealAtEnd: r.HealAtEnd,
		FinalRead: finalRead,
		// The key space's unwritten keys hold nothing; "all" reads them
		// anyway (the behaviour before final_read_keys existed).
		FinalReadAllKeys: r.FinalReadKeys == "all",
		Progress:         opt.Progress,
	})
	if err != nil {
		return nil, err
	}
	wall := time.Since(start)

	h := res.History
	for _, fw := range r.FaultWindows(time.Duration(res.WorkloadEnd)) {
		h.Faults = append(h.Faults, history.FaultWindow{Label: fw.Label, StartNs: int64(fw.Start), EndNs: int64(fw.End)})
	}

	h.Run = runInfo(r, res)

	out := &Outcome{History: h, Resolved: r}
	copt := checker.Options{
		Model:           ModelFor(string(r.Node.VersionMode)),
		Linearizability: r.LinearizabilityEnabled(),
		LinTimeLimit:    time.Duration(r.Checks.LinTimeLimit),
		LinStepBudget:   r.Checks.LinStepBudget,
		LinMemoryBytes:  r.Checks.LinMemoryMB << 20,
		ReplicasPerKey:  r.Workload.N,
		TVisibilityMs:   r.Checks.TVisibilityMs,
		MaxExamples:     r.Checks.MaxExamples,
	}
	if opt.OutDir != "" {
		copt.VisualizationPath = filepath.Join(opt.OutDir, "linearizability.html")
	}
	results, err := checker.Check(h, copt)
	if err != nil && results == nil {
		return nil, err
	}
	var notes []string
	if err != nil {
		notes = append(notes, "visualisation not written: "+err.Error())
	}
	out.Results = results

	expectations := Evaluate(r.Expect.List(), h, results)

	meta := reports.Meta{
		Scenario:        r.Name,
		Description:     r.Description,
		ScenarioPath:    opt.ScenarioPath,
		OutDir:          opt.OutDir,
		Seed:            r.Seed,
		Fingerprint:     res.Fingerprint,
		Events:          res.Events,
		VirtualDuration: time.Duration(res.End),
		Wall:            wall,
		Config:          configSummary(r),
	}
	if opt.OutDir != "" {
		meta.ResolvedPath = filepath.Join(opt.OutDir, "resolved.yaml")
	}
	for _, fe := range res.FaultErrors {
		notes = append(notes, fe.Error())
	}
	if !res.Finished {
		notes = append(notes, "the workload did not finish within its time limit")
	}
	rep, err := reports.Build(reports.Input{
		Meta:         meta,
		History:      h,
		Results:      results,
		Expectations: expectations,
		Messages:     messageStats(res),
		Nodes:        nodeStats(res, c.Ring().Ownership()),
		Notes:        notes,
	})
	if err != nil {
		return nil, err
	}
	out.Report, out.Passed = rep, rep.Passed
	if opt.OutDir != "" {
		files, err := writeFiles(opt.OutDir, r, h, rep)
		out.Files = files
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// ModelFor is the consistency model that fits a version mode: a register
// for last-write-wins (a key holds one value), a multi-value register for
// vclock and dvv (siblings). `dynasim run` checks with it, and `dynasim
// check` with it for the mode a history records.
func ModelFor(versionMode string) checker.Model {
	if versionMode == "lww" {
		return checker.Register
	}
	return checker.MultiValue
}

// runInfo is what the history's header records about the run.
func runInfo(r *scenarios.Resolved, res *cluster.Result) *history.RunInfo {
	info := &history.RunInfo{
		Scenario:        r.Name,
		Seed:            r.Seed,
		Fingerprint:     fmt.Sprintf("%016x", res.Fingerprint),
		Events:          res.Events,
		EndNs:           int64(res.End),
		VersionMode:     string(r.Node.VersionMode),
		N:               r.Node.N,
		W:               r.Node.W,
		R:               r.Node.R,
		WorkloadN:       r.Workload.N,
		ReadLevel:       string(r.Workload.ReadLevel),
		WriteLevel:      string(r.Workload.WriteLevel),
		FinalReadLevel:  string(r.FinalReadLevel),
		FinalReadKeys:   string(r.FinalReadKeys),
		Linearizability: r.LinearizabilityEnabled(),
		ReadRepair:      string(r.Node.ReadRepair),
		TwoPhaseWrites:  r.Node.TwoPhaseWrites,
		Clients:         r.Workload.Clients,
		Keys:            r.Workload.Keys.Count,
	}
	for _, m := range r.Cluster.Nodes {
		info.Nodes = append(info.Nodes, history.NodeInfo{Name: m.Name, DC: m.Datacenter})
	}
	return info
}

func configSummary(r *scenarios.Resolved) reports.ConfigSummary {
	dcs := map[string]bool{}
	for _, m := range r.Cluster.Nodes {
		dcs[m.Datacenter] = true
	}
	return reports.ConfigSummary{
		Nodes:          len(r.Cluster.Nodes),
		Datacenters:    len(dcs),
		Clients:        r.Workload.Clients,
		Keys:           r.Workload.Keys.Count,
		N:              r.Node.N,
		W:              r.Node.W,
		R:              r.Node.R,
		VersionMode:    string(r.Node.VersionMode),
		ReadRepair:     string(r.Node.ReadRepair),
		TwoPhaseWrites: r.Node.TwoPhaseWrites,
	}
}

func messageStats(res *cluster.Result) []reports.MessageStats {
	var out []reports.MessageStats
	for _, k := range res.Network.Kinds {
		out = append(out, reports.MessageStats{Kind: k.Name, Sent: k.Sent, Bytes: k.SentBytes, Lost: k.Lost, Duplicated: k.Duplicated})
	}
	return out
}

// nodeStats joins the simulator's per-node counters with each node's share
// of the ring.
func nodeStats(res *cluster.Result, own ring.Ownership) []reports.NodeStats {
	share := make(map[net.Addr]ring.Share, len(own.Members))
	for _, s := range own.Members {
		share[s.ID] = s
	}
	var out []reports.NodeStats
	for _, n := range res.Nodes {
		out = append(out, reports.NodeStats{
			RingPrimary:         share[n.Addr].Primary,
			RingReplica:         share[n.Addr].Replica,
			Node:                int(n.Addr),
			Name:                n.Name,
			DC:                  n.DC,
			EventsHandled:       n.Total.Events,
			RequestsCoordinated: n.Total.Coordinated(),
			StorageWrites:       n.Total.StoreWrites,
			StorageBytes:        n.Total.StoreBytes,
			QueueMax:            n.MaxQueued,
		})
	}
	return out
}

// writeFiles saves the run's files; it returns the names written.
func writeFiles(dir string, r *scenarios.Resolved, h *history.History, rep *reports.Report) ([]string, error) {
	var written []string
	var errs []error
	write := func(name string, fill func(f *os.File) error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err == nil {
			err = fill(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("runner: writing %s: %w", name, err))
			return
		}
		written = append(written, name)
	}
	resolved, err := scenarios.MarshalResolved(r)
	if err != nil {
		return nil, err
	}
	write("resolved.yaml", func(f *os.File) error { _, err := f.Write(resolved); return err })
	write("history.jsonl", func(f *os.File) error { return history.Write(f, h) })
	write("report.json", func(f *os.File) error { return rep.WriteJSON(f) })
	write("report.txt", func(f *os.File) error { return reports.WriteText(f, rep, reports.TextOptions{}) })
	write("report.html", func(f *os.File) error { return reports.WriteHTML(f, rep) })
	if _, err := os.Stat(filepath.Join(dir, "linearizability.html")); err == nil {
		written = append(written, "linearizability.html")
	}
	slices.Sort(written)
	return written, errors.Join(errs...)
}

// DirName is a file-safe directory name for a scenario run.
func DirName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, name)
}
