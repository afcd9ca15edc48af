package runner

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"dynasim/checker"
	"dynasim/history"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/reports"
	"dynasim/scenarios"
	"dynasim/sim/cluster"
	"dynasim/wire"
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
	// Start is when the run's total wall time (the report's
	// total_wall_seconds) starts counting: the CLI passes its process's
	// start. Zero: when Run is called.
	Start time.Time
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

// Run runs a resolved scenario through every stage — Simulate, Check,
// BuildReport, and writing the files into opt.OutDir when it is set — and
// times each. The history and the resolved scenario are written while the
// checks run: neither depends on the other, and the checks only read the
// history.
func Run(r *scenarios.Resolved, opt Options) (*Outcome, error) {
	setupStart := time.Now()
	if opt.Start.IsZero() {
		opt.Start = setupStart
	}
	var phases reports.PhaseSeconds
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
	sim, err := simulate(r, opt.Progress, &phases, setupStart)
	if err != nil {
		return nil, err
	}
	var writes *pendingWrites
	if opt.OutDir != "" {
		writes = startWrites(opt.OutDir, r, sim.History)
	}
	out, err := checkAndReport(sim, opt, &phases)
	if err != nil {
		if writes != nil {
			writes.wait()
		}
		return nil, err
	}
	rep := out.Report
	if writes == nil {
		rep.SetWallClock(time.Since(opt.Start), phases)
		return out, nil
	}
	written, werr := writes.wait()
	phases.Write = writes.seconds
	rep.SetWallClock(time.Since(opt.Start), phases)
	files, err := writeReports(opt.OutDir, rep)
	out.Files = append(written, files...)
	slices.Sort(out.Files)
	if err := errors.Join(werr, err); err != nil {
		return out, err
	}
	return out, nil
}

// checkAndReport runs the Check and BuildReport stages on a simulation,
// timing both.
func checkAndReport(sim *Simulation, opt Options, phases *reports.PhaseSeconds) (*Outcome, error) {
	checkStart := time.Now()
	vis := ""
	if opt.OutDir != "" {
		vis = filepath.Join(opt.OutDir, "linearizability.html")
	}
	v, err := Check(sim, vis)
	if err != nil {
		return nil, err
	}
	reportStart := time.Now()
	phases.Check = reportStart.Sub(checkStart).Seconds()
	rep, err := BuildReport(sim, v, ReportOptions{ScenarioPath: opt.ScenarioPath, OutDir: opt.OutDir})
	if err != nil {
		return nil, err
	}
	phases.Report = time.Since(reportStart).Seconds()
	return &Outcome{Report: rep, History: sim.History, Results: v.Results, Resolved: sim.Resolved, Passed: rep.Passed}, nil
}

// ModelFor is the consistency model that fits a version mode: a register
// for last-write-wins (a key holds one value), a multi-value register for
// vclock and dvv (siblings). `dynasim run` checks with it, and `dynasim
// check` with it for the mode a history records.
func ModelFor(versionMode string) checker.Model {
	if m, err := versions.ParseMode(versionMode); err == nil && m == versions.ModeLWW {
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
		InFlightAtEnd:   res.InFlightAtEnd,
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
	for _, f := range spares(r) { // the spares, after the members (cluster order)
		info.Nodes = append(info.Nodes, history.NodeInfo{Name: f.Nodes[0], DC: f.DC})
	}
	info.RingVersions = res.RingVersions
	info.ClientsPerDC = res.ClientsPerDC
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
		Keys:           keyCount(r),
		N:              r.Node.N,
		W:              r.Node.W,
		R:              r.Node.R,
		VersionMode:    string(r.Node.VersionMode),
		ReadRepair:     string(r.Node.ReadRepair),
		TwoPhaseWrites: r.Node.TwoPhaseWrites,
		SloppyQuorum:   r.Node.Quorum == "sloppy",
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
	share := make(map[wire.Addr]ring.Share, len(own.Members))
	for _, s := range own.Members {
		share[s.ID] = s
	}
	var out []reports.NodeStats
	for i, n := range res.Nodes { // member order: i is the node's index in the history
		out = append(out, reports.NodeStats{
			RingPrimary:         share[n.ID].Primary,
			RingReplica:         share[n.ID].Replica,
			Node:                i,
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

// pendingWrites is the history and the resolved scenario being written
// in the background.
type pendingWrites struct {
	done    chan struct{}
	names   []string
	err     error
	seconds float64
}

// startWrites writes resolved.yaml and history.jsonl into dir on another
// goroutine; wait returns the names written.
func startWrites(dir string, r *scenarios.Resolved, h *history.History) *pendingWrites {
	w := &pendingWrites{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		begin := time.Now()
		var errs []error
		resolved, err := scenarios.MarshalResolved(r)
		if err != nil {
			errs = append(errs, err)
		} else {
			w.names, errs = writeFile(dir, "resolved.yaml", w.names, errs, func(w io.Writer) error { _, err := w.Write(resolved); return err })
		}
		w.names, errs = writeFile(dir, "history.jsonl", w.names, errs, func(w io.Writer) error { return history.Write(w, h) })
		w.err = errors.Join(errs...)
		w.seconds = time.Since(begin).Seconds()
	}()
	return w
}

func (w *pendingWrites) wait() ([]string, error) {
	<-w.done
	return w.names, w.err
}

// writeReports renders the report into dir as JSON, text and HTML; it
// returns the names written, with linearizability.html when the checker
// wrote one there.
func writeReports(dir string, rep *reports.Report) ([]string, error) {
	var names []string
	var errs []error
	names, errs = writeFile(dir, "report.json", names, errs, func(w io.Writer) error { return rep.WriteJSON(w) })
	names, errs = writeFile(dir, "report.txt", names, errs, func(w io.Writer) error { return reports.WriteText(w, rep, reports.TextOptions{}) })
	names, errs = writeFile(dir, "report.html", names, errs, func(w io.Writer) error { return reports.WriteHTML(w, rep) })
	if _, err := os.Stat(filepath.Join(dir, "linearizability.html")); err == nil {
		names = append(names, "linearizability.html")
	}
	return names, errors.Join(errs...)
}

// writeFile creates dir/name and fills it through a buffer, adding the name
// to names or the error to errs.
func writeFile(dir, name string, names []string, errs []error, fill func(w io.Writer) error) ([]string, []error) {
	f, err := os.Create(filepath.Join(dir, name))
	if err == nil {
		bw := bufio.NewWriterSize(f, 64<<10)
		err = fill(bw)
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return names, append(errs, fmt.Errorf("runner: writing %s: %w", name, err))
	}
	return append(names, name), errs
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
