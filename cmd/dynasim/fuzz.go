package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"dynasim/fuzz"
	"dynasim/scenarios"
)

func newFuzzCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		profile string
		seeds   int
		dur     time.Duration
		from    uint64
		shard   string
		jobs    int
		outDir  string
		asJSON  bool
		shrink  bool
		replay  int
		known   string
	)
	cmd := &cobra.Command{
		Use:   "fuzz [BASE.yaml]",
		Short: "Run a fuzz campaign: one generated scenario per seed; exit 1 if a failure is found",
		Long: `Run a fuzz campaign. Each seed generates a scenario from BASE.yaml (or the
built-in base): a random subset of the fault kinds (swarm testing) with random
rates and times, a random cluster, quorums, modes and workload within the
profile's constraints (gossip, hinted handoff, sloppy quorums and Merkle
anti-entropy included; eventual seeds with anti-entropy may wipe a node's
disk), and the profile's invariants as expectations. Each
failure's scenario is saved under --out with the dynasim run command that
reproduces it. Exit 0: no failure; 1: a failure; 2: usage; 3: tool error.
Inconclusive checks are counted apart and do not fail the campaign.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := fuzz.ParseProfile(profile)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			cfg := fuzz.Config{Profile: p, Seeds: seeds, Time: dur, From: from, Jobs: jobs, OutDir: outDir, Shrink: shrink, ReplayEvery: replay}
			if shard != "" {
				if cfg.Shard, cfg.Shards, err = fuzz.ParseShard(shard); err != nil {
					return withCode(exitInvalid, err)
				}
			}
			if len(args) == 1 {
				sc, err := scenarios.Load(args[0])
				if err != nil {
					return withCode(exitInvalid, err)
				}
				if cfg.Base, err = sc.Resolve(sc.DefaultSeed()); err != nil {
					return withCode(exitInvalid, err)
				}
				cfg.BasePath = args[0]
			}
			if shrink && outDir == "" {
				cfg.OutDir = "out/fuzz"
			}
			if err := cfg.Validate(); err != nil {
				return withCode(exitInvalid, err)
			}
			var bar *progressbar.ProgressBar
			if !asJSON && isTerminal(stderr) {
				total := int64(-1)
				if seeds > 0 {
					n := max(cfg.Shards, 1)
					total = int64((seeds - cfg.Shard + n - 1) / n)
				}
				bar = progressbar.NewOptions64(total,
					progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription("fuzz "+profile+": 0 failures"),
					progressbar.OptionShowCount(),
					progressbar.OptionShowIts(),
					progressbar.OptionSetItsString("seeds"),
					progressbar.OptionSetPredictTime(true),
					progressbar.OptionSetWidth(30),
					progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionClearOnFinish(),
				)
				cfg.Progress = func(done, failures int) {
					bar.Describe(fmt.Sprintf("fuzz %s: %d failures", profile, failures))
					_ = bar.Set(done)
				}
			}
			knownSigs, err := readKnown(known)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			sum, err := fuzz.Run(cfg)
			if bar != nil {
				_ = bar.Finish()
			}
			if err != nil {
				return withCode(exitError, err)
			}
			if err := printSummary(stdout, sum, asJSON); err != nil {
				return withCode(exitError, err)
			}
			return knownCode(stdout, sum, knownSigs)
		},
	}
	cmd.Flags().StringVar(&known, "known", "", "file of known failure signatures (one a line, # comments): reported as KNOWN, not failing the exit code")
	cmd.Flags().StringVar(&profile, "profile", "safe", "safe, eventual or all (see dynasim fuzz --help)")
	cmd.Flags().IntVar(&seeds, "seeds", 0, "seeds the campaign covers (all shards together)")
	cmd.Flags().DurationVar(&dur, "time", 0, "run seeds until this much wall time has passed (instead of --seeds)")
	cmd.Flags().Uint64Var(&from, "from", 1, "first seed")
	cmd.Flags().StringVar(&shard, "shard", "", "i/n: run only the seeds from+k with k%n == i (0 <= i < n)")
	cmd.Flags().IntVar(&jobs, "jobs", 0, "worlds run at once (default: the CPUs)")
	cmd.Flags().StringVar(&outDir, "out", "", "write summary.json and each failure's scenario here")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the JSON summary on stdout")
	cmd.Flags().BoolVar(&shrink, "shrink", false, "shrink the first failure of each signature (writes repro.yaml next to it)")
	cmd.Flags().IntVar(&replay, "replay-every", 0, fmt.Sprintf("run every k-th seed twice and compare fingerprints (default %d; negative: never)", fuzz.DefaultReplayEvery))
	cmd.AddCommand(newFuzzMergeCmd(stdout))
	return cmd
}

func summaryCode(sum *fuzz.Summary) error {
	if sum.Failed() {
		return withCode(exitFailed, errFailed)
	}
	if sum.ToolErrors > 0 {
		return withCode(exitError, fmt.Errorf("%d seeds could not be run (tool errors; see the summary)", sum.ToolErrors))
	}
	return nil
}

func writeSummary(w io.Writer, sum *fuzz.Summary) {
	fmt.Fprintf(w, "fuzz %s: %d seeds (shards %v), %d ops, %d replayed, %.1f s, %.1f seeds/s\n",
		sum.Profile, sum.SeedsRun, sum.Shards, sum.Ops, sum.Replayed, sum.WallSeconds, sum.SeedsPerSecond)
	fmt.Fprintf(w, "failing seeds: %d, inconclusive: %d, tool errors: %d\n", sum.FailingSeeds, sum.Inconclusive, sum.ToolErrors)
	for _, s := range sum.Signatures {
		status := "FAIL"
		if !s.Class.IsFailure() {
			status = "note"
		}
		fmt.Fprintf(w, "%s %s: %d seeds, first %d\n", status, s.Signature, s.Count, s.FirstSeed)
		if s.Repro != "" {
			fmt.Fprintf(w, "  repro: %s\n", s.Repro)
		}
	}
	for _, f := range sum.Failures {
		if f.Shrunk != nil {
			fmt.Fprintf(w, "shrunk seed %d (%s): %s -> %s in %d runs, %.1f s\n  repro: %s\n", f.Seed, f.Class,
				sizeText(f.Shrunk.Before), sizeText(f.Shrunk.After), f.Shrunk.Runs, f.Shrunk.WallSeconds, f.Shrunk.Repro)
		}
	}
}

func sizeText(s fuzz.Size) string {
	return fmt.Sprintf("%d nodes, %d faults, %d clients, %d keys, %s, %d ops, %d knobs", s.Nodes, s.Faults, s.Clients, s.Keys, s.Duration, s.Ops, s.Knobs)
}

func newFuzzMergeCmd(stdout io.Writer) *cobra.Command {
	var asJSON bool
	var out string
	cmd := &cobra.Command{
		Use:   "merge DIR...",
		Short: "Combine the summary.json of each shard's --out directory; exit 1 if any failed",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			var parts []*fuzz.Summary
			for _, d := range dirs {
				s, err := fuzz.ReadSummary(filepath.Join(d, "summary.json"))
				if err != nil {
					return withCode(exitInvalid, err)
				}
				parts = append(parts, s)
			}
			sum, err := fuzz.Merge(parts)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			if out != "" {
				if err := sum.Write(out); err != nil {
					return withCode(exitError, err)
				}
			}
			if err := printSummary(stdout, sum, asJSON); err != nil {
				return withCode(exitError, err)
			}
			return summaryCode(sum)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the merged JSON summary")
	cmd.Flags().StringVar(&out, "out", "", "also write the merged summary to this file")
	return cmd
}

func newShrinkCmd(stdout io.Writer) *cobra.Command {
	var maxRuns int
	cmd := &cobra.Command{
		Use:   "shrink DIR",
		Short: "Shrink a failing fuzz seed (DIR/resolved.yaml) to DIR/repro.yaml that fails the same way",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := fuzz.ShrinkDir(args[0], fuzz.ShrinkConfig{MaxRuns: maxRuns})
			if err != nil {
				return withCode(exitError, err)
			}
			fmt.Fprintf(stdout, "shrunk (%s): %s -> %s in %d runs (%d kept), %.1f s\nrepro: %s\n", res.Class,
				sizeText(res.Before), sizeText(res.After), res.Runs, res.Kept, res.WallSeconds, res.Repro)
			return nil
		},
	}
	cmd.Flags().IntVar(&maxRuns, "max-runs", 400, "at most this many candidate runs")
	return cmd
}

// readKnown reads a file of known signatures ("" : none).
func readKnown(path string) (map[string]bool, error) {
	out := map[string]bool{}
	if path == "" {
		return out, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			out[line] = true
		}
	}
	return out, nil
}

// knownCode is summaryCode with the known signatures set aside.
func knownCode(w io.Writer, sum *fuzz.Summary, known map[string]bool) error {
	if len(known) == 0 {
		return summaryCode(sum)
	}
	unknown := 0
	for _, s := range sum.Signatures {
		if !s.Class.IsFailure() {
			continue
		}
		if known[s.Signature] {
			fmt.Fprintf(w, "KNOWN %s: %d seeds (listed in --known)\n", s.Signature, s.Count)
			continue
		}
		unknown++
	}
	if unknown > 0 {
		return withCode(exitFailed, errFailed)
	}
	if sum.ToolErrors > 0 {
		return withCode(exitError, fmt.Errorf("%d seeds could not be run (tool errors; see the summary)", sum.ToolErrors))
	}
	return nil
}

// printSummary writes a campaign's summary as indented JSON or as text.
func printSummary(w io.Writer, sum *fuzz.Summary, asJSON bool) error {
	if !asJSON {
		writeSummary(w, sum)
		return nil
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sum)
}
