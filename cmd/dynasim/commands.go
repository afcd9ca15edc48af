package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"dynasim/checker"
	"dynasim/history"
	"dynasim/reports"
	"dynasim/runner"
	"dynasim/scenarios"
)

func newRoot(start time.Time, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "dynasim",
		Short:         "Deterministic simulation testbed for Dynamo-style key-value stores",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionText(),
	}
	root.SetVersionTemplate("{{.Version}}")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newRunCmd(start, stdout, stderr), newReplayCmd(stdout, stderr), newCheckCmd(stdout), newValidateCmd(stdout),
		newPredictCmd(stdout), newFuzzCmd(stdout, stderr), newShrinkCmd(stdout), newNodeCmd(stdout, stderr), newClusterCmd(stdout))
	return root
}

// isTerminal reports whether w is a terminal (for colour and progress).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newRunCmd(start time.Time, stdout, stderr io.Writer) *cobra.Command {
	var (
		seed       uint64
		outDir     string
		asJSON     bool
		cpuProfile string
		memProfile string
		target     string
		clusterDir string
		tlsFiles   [3]string // --tls-ca, --tls-cert, --tls-key
	)
	cmd := &cobra.Command{
		Use:   "run FILE... [--target HOST:PORT,...]",
		Short: "Run scenarios and report; exit 1 if an expectation fails",
		Long: `run simulates each scenario, checks its history and reports.

With --target, the one scenario's workload runs against a real cluster
instead, through its nodes' Redis ports: the same clients, mix, keys,
values and consistency levels, the same history, checks and report. The
scenario's node i is the i-th target. Partitions in its fault schedule are
injected with the nodes' DEBUG PARTITION and DROP commands (the cluster must have
debug_commands on: cluster up --debug-commands); crashes (kill -9),
restarts, pauses and resumes need the node processes, known from
--cluster-dir, the directory of dynasim cluster up. Time is wall time and
the run is not replayable.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if cmd.Flags().Changed("target") && len(files) != 1 {
				return withCode(exitInvalid, fmt.Errorf("--target runs one scenario, not %d", len(files)))
			}
			if (clusterDir != "" || tlsFiles != [3]string{}) && !cmd.Flags().Changed("target") {
				return withCode(exitInvalid, fmt.Errorf("--cluster-dir and --tls-* need --target"))
			}
			// Parse every file first: an invalid scenario stops the run
			// before anything is simulated.
			type job struct {
				path string
				res  *scenarios.Resolved
			}
			var jobs []job
			var invalid []error
			for _, path := range files {
				sc, err := scenarios.Load(path)
				if err != nil {
					invalid = append(invalid, err)
					continue
				}
				s := sc.DefaultSeed()
				if cmd.Flags().Changed("seed") {
					s = seed
				}
				res, err := sc.Resolve(s)
				if err != nil {
					invalid = append(invalid, err)
					continue
				}
				jobs = append(jobs, job{path, res})
			}
			if len(invalid) > 0 {
				return withCode(exitInvalid, errors.Join(invalid...))
			}
			if cmd.Flags().Changed("target") {
				targets, err := splitTargets(target)
				if err != nil {
					return withCode(exitInvalid, err)
				}
				tc, err := targetTLS(tlsFiles[0], tlsFiles[1], tlsFiles[2])
				if err != nil {
					return withCode(exitInvalid, err)
				}
				return runTarget(jobs[0].path, jobs[0].res, targets, tc, clusterDir, outDir, asJSON, start, stdout, stderr)
			}
			stop, err := startProfiles(cpuProfile, memProfile)
			if err != nil {
				return withCode(exitError, err)
			}
			defer func() {
				if err := stop(); err != nil {
					fmt.Fprintln(stderr, "dynasim:", err)
				}
			}()
			var reps []*reports.Report
			allPassed := true
			for _, j := range jobs {
				dir := outDir
				if len(jobs) > 1 || dir == "" {
					dir = filepath.Join(defaultStr(outDir, "out"), runner.DirName(j.res.Name))
				}
				// The first run's total counts from the process's start
				// (parsing included), each later one from its own start.
				opt := runner.Options{OutDir: dir, ScenarioPath: j.path}
				if len(reps) == 0 {
					opt.Start = start
				}
				var bar *progressbar.ProgressBar
				if !asJSON && isTerminal(stdout) {
					bar = newBar(stderr, j.res.Name)
					opt.Progress = func(now, end time.Duration) {
						bar.ChangeMax64(max(int64(end/time.Millisecond), 1))
						_ = bar.Set64(int64(now / time.Millisecond))
					}
				}
				out, err := runner.Run(j.res, opt)
				if bar != nil {
					_ = bar.Finish()
					_ = bar.Clear()
				}
				if err != nil {
					return withCode(exitError, fmt.Errorf("%s: %w", j.path, err))
				}
				allPassed = allPassed && out.Passed
				reps = append(reps, out.Report)
				if !asJSON {
					if err := reports.WriteText(stdout, out.Report, reports.TextOptions{Color: isTerminal(stdout)}); err != nil {
						return withCode(exitError, err)
					}
					fmt.Fprintf(stdout, "files: %s/{%s}\n\n", dir, joinNames(out.Files))
				}
			}
			if asJSON {
				if err := writeJSONReports(stdout, reps); err != nil {
					return withCode(exitError, err)
				}
			} else if len(reps) > 1 {
				for _, r := range reps {
					fmt.Fprintln(stdout, reports.SummaryLine(r))
				}
			}
			// The whole command's wall time, from the process's start to
			// here, just before it exits: on stderr with --json, where
			// stdout is the JSON alone.
			totalOut := stdout
			if asJSON {
				totalOut = stderr
			}
			if peak, ok := peakRSSBytes(); ok {
				fmt.Fprintf(totalOut, "peak memory: %d MB resident (the process's high-water mark)\n", peak/1_000_000)
			}
			fmt.Fprintf(totalOut, "total wall time: %.3f s for %d scenario(s), process start to exit\n", time.Since(start).Seconds(), len(reps))
			if !allPassed {
				return withCode(exitFailed, errFailed)
			}
			return nil
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 0, "master seed (default: the scenario's own seed)")
	cmd.Flags().StringVar(&outDir, "out", "", "output directory (default out/<scenario>; with several files, one sub-directory each)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the JSON report on stdout instead of the text summary")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the runs to this file (go tool pprof)")
	cmd.Flags().StringVar(&target, "target", "", "run against the real cluster at these client addresses (HOST:PORT,...; node i of the scenario is the i-th) instead of simulating")
	cmd.Flags().StringVar(&clusterDir, "cluster-dir", "", "with --target: the dynasim cluster up directory, whose PID files let crash/restart/pause faults act on the node processes")
	cmd.Flags().StringVar(&tlsFiles[0], "tls-ca", "", "with --target: connect with TLS (a client_tls cluster), trusting the CA certificates in this PEM file")
	cmd.Flags().StringVar(&tlsFiles[1], "tls-cert", "", "with --tls-ca: the client certificate (PEM) for a cluster with client_auth")
	cmd.Flags().StringVar(&tlsFiles[2], "tls-key", "", "with --tls-cert: its private key (PEM)")
	cmd.Flags().StringVar(&memProfile, "memprofile", "", "write a heap profile, taken after the runs, to this file (go tool pprof)")
	return cmd
}

// startProfiles starts a CPU profile (cpu != "") and returns the function
// that stops it and writes the heap profile (mem != "").
func startProfiles(cpu, mem string) (func() error, error) {
	var cpuFile *os.File
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			_ = f.Close()
			return nil, err
		}
		cpuFile = f
	}
	return func() error {
		var errs []error
		if cpuFile != nil {
			pprof.StopCPUProfile()
			errs = append(errs, cpuFile.Close())
		}
		if mem != "" {
			f, err := os.Create(mem)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				errs = append(errs, f.Close())
			}
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}, nil
}

func defaultStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func joinNames(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ","
		}
		out += n
	}
	return out
}

func newBar(w io.Writer, name string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(name+" (virtual ms)"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

// writeJSONReports prints one report as an object, several as an array.
func writeJSONReports(w io.Writer, reps []*reports.Report) error {
	if len(reps) == 1 {
		return reps[0].WriteJSON(w)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(reps)
}

func newReplayCmd(stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "replay DIR",
		Short: "Re-run a saved run (DIR/resolved.yaml) and verify its fingerprint",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			sc, err := scenarios.Load(filepath.Join(dir, "resolved.yaml"))
			if err != nil {
				return withCode(exitInvalid, err)
			}
			f, err := os.Open(filepath.Join(dir, "report.json"))
			if err != nil {
				return withCode(exitInvalid, err)
			}
			saved, err := reports.ReadJSON(f)
			_ = f.Close()
			if err != nil {
				return withCode(exitInvalid, fmt.Errorf("%s: %w", filepath.Join(dir, "report.json"), err))
			}
			res, err := sc.Resolve(saved.Seed)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			out, err := runner.Run(res, runner.Options{})
			if err != nil {
				return withCode(exitError, err)
			}
			got := out.Report
			if got.Fingerprint != saved.Fingerprint || got.Events != saved.Events {
				fmt.Fprintf(stdout, "DIVERGED %s seed=%d: fingerprint %s (%d events), saved %s (%d events)\n",
					saved.Scenario, saved.Seed, got.Fingerprint, got.Events, saved.Fingerprint, saved.Events)
				return withCode(exitFailed, errFailed)
			}
			fmt.Fprintf(stdout, "REPLAYED %s seed=%d fingerprint=%s events=%d: identical\n", saved.Scenario, saved.Seed, got.Fingerprint, got.Events)
			return nil
		},
	}
}

func newCheckCmd(stdout io.Writer) *cobra.Command {
	var (
		model  string
		lin    bool
		asJSON bool
		outDir string
	)
	cmd := &cobra.Command{
		Use:   "check HISTORY.jsonl",
		Short: "Run the checkers on a recorded history; exit 1 unless it is linearizable (when checked) and provably loses no acknowledged write",
		Long: `Run the checkers on a recorded history, with the configuration its header
records: the version mode picks the consistency model (as dynasim run does),
the run's choice decides whether Porcupine runs. --model and --lin override
them, and the report says so. A history cut short (no trailer line) or a
version 1 history (which has none) is read, but the verdicts it cannot
support — lost acked writes, converged, linearizability — are reported as
"not checked", and the check fails.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			opt := runner.CheckOptions{HistoryPath: path, OutDir: outDir}
			repro := "dynasim check " + path
			if cmd.Flags().Changed("model") {
				m := checker.Model(model)
				if m != checker.Register && m != checker.MultiValue {
					return withCode(exitInvalid, fmt.Errorf("--model %q: want register or multi_value", model))
				}
				opt.Model = m
				repro += " --model " + model
			}
			if cmd.Flags().Changed("lin") {
				opt.Linearizability = &lin
				repro += fmt.Sprintf(" --lin=%t", lin)
			}
			opt.Repro = repro
			f, err := os.Open(path)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			h, err := history.Read(f)
			_ = f.Close()
			if err != nil {
				return withCode(exitInvalid, fmt.Errorf("%s: %w", path, err))
			}
			out, err := runner.CheckHistory(h, opt)
			if err != nil {
				return withCode(exitError, fmt.Errorf("%s: %w", path, err))
			}
			rep := out.Report
			if asJSON {
				err = rep.WriteJSON(stdout)
			} else {
				err = reports.WriteText(stdout, rep, reports.TextOptions{Color: isTerminal(stdout)})
				if err == nil && outDir != "" {
					_, err = fmt.Fprintf(stdout, "files: %s/{%s}\n", outDir, joinNames(out.Files))
				}
			}
			if err != nil {
				return withCode(exitError, err)
			}
			if !out.Passed {
				return withCode(exitFailed, errFailed)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "consistency model: register (LWW, single values) or multi_value (siblings) (default: the one for the version mode the history records, else multi_value)")
	cmd.Flags().BoolVar(&lin, "lin", true, "run the Porcupine linearizability check (default: as the run did, when the history records it)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the JSON report")
	cmd.Flags().StringVar(&outDir, "out", "", "write report.json, report.txt, report.html (and linearizability.html for a failing key) to this directory")
	return cmd
}

func newValidateCmd(stdout io.Writer) *cobra.Command {
	var (
		seed     uint64
		resolved bool
	)
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Report every problem in scenario files without running them",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			bad := 0
			for _, path := range files {
				sc, err := scenarios.Load(path)
				var res *scenarios.Resolved
				if err == nil {
					s := sc.DefaultSeed()
					if cmd.Flags().Changed("seed") {
						s = seed
					}
					res, err = sc.Resolve(s)
				}
				if err != nil {
					bad++
					fmt.Fprintln(stdout, err)
					continue
				}
				if !resolved {
					fmt.Fprintf(stdout, "%s: ok\n", path)
					continue
				}
				out, err := scenarios.MarshalResolved(res)
				if err != nil {
					return withCode(exitError, err)
				}
				fmt.Fprintf(stdout, "# %s resolved with seed %d\n%s", path, res.Seed, out)
			}
			if bad > 0 {
				return withCode(exitInvalid, errFailed)
			}
			return nil
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 0, "seed that picks ranges and choices (default: the scenario's own)")
	cmd.Flags().BoolVar(&resolved, "resolved", false, "print each scenario resolved for the seed: every range, choice and default made concrete")
	return cmd
}
