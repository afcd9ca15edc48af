package fuzz

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"dynasim/scenarios"
)

// Config configures a campaign. Zero fields take the defaults below;
// Validate reports a knob out of range.
type Config struct {
	// Base is the scenario every seed starts from; nil: DefaultBase.
	// BasePath is where it came from, for the summary.
	Base     *scenarios.Resolved
	BasePath string
	// Profile is safe, eventual or all. Default safe.
	Profile Profile
	// Seeds is how many seeds the whole campaign covers (all shards
	// together), starting at From. Time, if set instead, runs seeds until it
	// runs out. One of the two is required.
	Seeds int
	Time  time.Duration
	From  uint64
	// Shard and Shards split the seed space: this process runs the seeds
	// From+k with k % Shards == Shard. Default 0 of 1.
	Shard, Shards int
	// Jobs is how many worlds run at once. Default: the CPUs.
	Jobs int
	// ReplayEvery runs every ReplayEvery-th seed twice and compares the
	// fingerprints (replay divergence). 0: the default 16; negative: never.
	ReplayEvery int
	// OutDir, when set, receives summary.json and one directory per failing
	// seed (resolved.yaml, failure.json, repro.txt).
	OutDir string
	// Shrink shrinks the first failure of each signature.
	Shrink bool
	// Progress, when set, is called after each seed, in seed order.
	Progress func(done int, failures int)
}

// Default replay sampling.
const DefaultReplayEvery = 16

// Validate reports a knob out of range.
func (c *Config) Validate() error {
	if _, err := ParseProfile(string(c.Profile)); err != nil && c.Profile != "" {
		return err
	}
	if (c.Seeds > 0) == (c.Time > 0) {
		return errors.New("fuzz: give exactly one of --seeds N (> 0) and --time D (> 0)")
	}
	if c.Seeds < 0 || c.Time < 0 {
		return errors.New("fuzz: --seeds and --time must be positive")
	}
	if c.Shards < 0 || c.Shard < 0 || (c.Shards > 0 && c.Shard >= c.Shards) {
		return fmt.Errorf("fuzz: shard %d/%d: want 0 <= i < n", c.Shard, c.Shards)
	}
	if c.Jobs < 0 || c.Jobs > 1024 {
		return fmt.Errorf("fuzz: jobs %d: want 1..1024", c.Jobs)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Profile == "" {
		c.Profile = Safe
	}
	if c.Shards == 0 {
		c.Shards = 1
	}
	if c.Jobs == 0 {
		c.Jobs = runtime.NumCPU()
	}
	if c.ReplayEvery == 0 {
		c.ReplayEvery = DefaultReplayEvery
	}
	if c.Base == nil {
		c.Base = DefaultBase()
	}
	return c
}

// ParseShard reads "i/n" (0 <= i < n).
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if ok {
		i, err = strconv.Atoi(a)
		if err == nil {
			n, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 0 <= i < n, e.g. 0/4", s)
	}
	return i, n, nil
}

// Failure is one failing (or inconclusive) seed in a summary.
type Failure struct {
	Seed      uint64  `json:"seed"`
	Profile   Profile `json:"profile"`
	Class     Class   `json:"class"`
	Classes   []Class `json:"classes"`
	Signature string  `json:"signature"`
	Detail    string  `json:"detail"`
	// Dir holds resolved.yaml; Repro is the command that reproduces it.
	Dir   string `json:"dir,omitempty"`
	Repro string `json:"repro,omitempty"`
	// Shrunk is the shrunk repro, when shrinking ran.
	Shrunk *ShrinkResult `json:"shrunk,omitempty"`
}

// Signature is one deduplicated cause.
type Signature struct {
	Signature string   `json:"signature"`
	Class     Class    `json:"class"`
	Count     int      `json:"count"`
	FirstSeed uint64   `json:"first_seed"`
	Seeds     []uint64 `json:"seeds"`
	Repro     string   `json:"repro,omitempty"`
}

// Summary is a campaign's result (summary.json).
type Summary struct {
	Profile  Profile  `json:"profile"`
	Base     string   `json:"base,omitempty"`
	From     uint64   `json:"from"`
	Shards   []string `json:"shards"`
	SeedsRun int      `json:"seeds_run"`
	// Seeds lists the seeds run as ranges (a sharded campaign's are strided).
	Ops            int     `json:"ops"`
	Replayed       int     `json:"replayed"`
	FailingSeeds   int     `json:"failing_seeds"`
	Inconclusive   int     `json:"inconclusive"`
	ToolErrors     int     `json:"tool_errors"`
	WallSeconds    float64 `json:"wall_seconds"`
	SeedsPerSecond float64 `json:"seeds_per_second"`
	// ByClass counts seeds by primary class; Signatures deduplicates them.
	ByClass    map[Class]int `json:"by_class"`
	Signatures []Signature   `json:"signatures"`
	Failures   []Failure     `json:"failures"`
	// Fingerprints holds every seed's fingerprint (hex), for comparing
	// campaigns run with different --jobs or shardings.
	Fingerprints map[string]string `json:"fingerprints,omitempty"`
}

// Failed reports whether the summary holds a failure (exit 1).
func (s *Summary) Failed() bool { return s.FailingSeeds > 0 }

// Run runs a campaign.
func Run(cfg Config) (*Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	start := time.Now()
	deadline := time.Time{}
	if cfg.Time > 0 {
		deadline = start.Add(cfg.Time)
	}
	// The seeds of this shard, in order: From+Shard, From+Shard+Shards, ...
	next := func(k int) (uint64, bool) {
		off := uint64(cfg.Shard) + uint64(k)*uint64(cfg.Shards)
		if cfg.Seeds > 0 && off >= uint64(cfg.Seeds) {
			return 0, false
		}
		return cfg.From + off, true
	}
	type job struct {
		k    int
		seed uint64
	}
	jobs := make(chan job)
	var mu sync.Mutex
	results := map[int]Outcome{}
	doneUpTo := 0 // results[0:doneUpTo] reported
	failures := 0
	var wg sync.WaitGroup
	for w := 0; w < cfg.Jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				replay := cfg.ReplayEvery > 0 && j.seed%uint64(cfg.ReplayEvery) == 0
				o := RunOne(cfg.Base, cfg.Profile, j.seed, replay)
				if o.Class == "" {
					o.Resolved = nil // free it; failures keep theirs to save
				}
				mu.Lock()
				results[j.k] = o
				for {
					r, ok := results[doneUpTo]
					if !ok {
						break
					}
					doneUpTo++
					if r.Class.IsFailure() {
						failures++
					}
					if cfg.Progress != nil {
						cfg.Progress(doneUpTo, failures)
					}
				}
				mu.Unlock()
			}
		}()
	}
	for k := 0; ; k++ {
		seed, ok := next(k)
		if !ok || (!deadline.IsZero() && time.Now().After(deadline)) {
			break
		}
		jobs <- job{k, seed}
	}
	close(jobs)
	wg.Wait()
	wall := time.Since(start)

	outs := make([]Outcome, 0, len(results))
	for k := 0; k < len(results); k++ {
		outs = append(outs, results[k])
	}
	sum := &Summary{Profile: cfg.Profile, Base: cfg.BasePath, From: cfg.From,
		Shards: []string{fmt.Sprintf("%d/%d", cfg.Shard, cfg.Shards)}, ByClass: map[Class]int{},
		Fingerprints: map[string]string{}}
	for _, o := range outs {
		sum.SeedsRun++
		sum.Ops += o.Ops
		if cfg.ReplayEvery > 0 && o.Seed%uint64(cfg.ReplayEvery) == 0 {
			sum.Replayed++
		}
		sum.Fingerprints[strconv.FormatUint(o.Seed, 10)] = fmt.Sprintf("%016x/%d", o.Fingerprint, o.Events)
		if o.Class == "" {
			continue
		}
		f := Failure{Seed: o.Seed, Profile: o.Profile, Class: o.Class, Classes: o.Classes, Signature: o.Signature, Detail: o.Detail}
		if cfg.OutDir != "" && o.Resolved != nil {
			dir, err := saveFailure(cfg.OutDir, &f, o.Resolved)
			if err != nil {
				return nil, err
			}
			f.Dir, f.Repro = dir, ReproCommand(filepath.Join(dir, "resolved.yaml"))
		}
		sum.Failures = append(sum.Failures, f)
	}
	sum.WallSeconds = wall.Seconds()
	if wall > 0 {
		sum.SeedsPerSecond = float64(sum.SeedsRun) / wall.Seconds()
	}
	sum.tally()
	if cfg.Shrink {
		if err := shrinkFirsts(sum, cfg.OutDir); err != nil {
			return nil, err
		}
	}
	if cfg.OutDir != "" {
		if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
			return nil, err
		}
		if err := sum.Write(filepath.Join(cfg.OutDir, "summary.json")); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

// ReproCommand is the command that reproduces a saved scenario.
func ReproCommand(path string) string { return "dynasim run " + path }

// tally recomputes the counts and signatures from Failures.
func (s *Summary) tally() {
	slices.SortFunc(s.Failures, func(a, b Failure) int {
		if a.Seed != b.Seed {
			if a.Seed < b.Seed {
				return -1
			}
			return 1
		}
		return strings.Compare(string(a.Profile), string(b.Profile))
	})
	s.ByClass = map[Class]int{}
	s.FailingSeeds, s.Inconclusive, s.ToolErrors = 0, 0, 0
	s.Signatures = nil
	idx := map[string]int{}
	for _, f := range s.Failures {
		s.ByClass[f.Class]++
		switch {
		case f.Class.IsFailure():
			s.FailingSeeds++
		case f.Class == Inconclusive:
			s.Inconclusive++
		default:
			s.ToolErrors++
		}
		i, ok := idx[f.Signature]
		if !ok {
			i = len(s.Signatures)
			idx[f.Signature] = i
			s.Signatures = append(s.Signatures, Signature{Signature: f.Signature, Class: f.Class, FirstSeed: f.Seed, Repro: f.Repro})
		}
		s.Signatures[i].Count++
		s.Signatures[i].Seeds = append(s.Signatures[i].Seeds, f.Seed)
	}
}

// saveFailure writes a failing seed's scenario (resolved.yaml, the file
// `dynasim run` reproduces it from), failure.json and repro.txt under
// out/failures/.
func saveFailure(out string, f *Failure, r *scenarios.Resolved) (string, error) {
	dir := filepath.Join(out, "failures", fmt.Sprintf("%s-%d-%s", f.Profile, f.Seed, f.Class))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	data, err := scenarios.MarshalResolved(r)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "resolved.yaml"), data, 0o644); err != nil {
		return "", err
	}
	f.Dir, f.Repro = dir, ReproCommand(filepath.Join(dir, "resolved.yaml"))
	if err := writeJSON(filepath.Join(dir, "failure.json"), f); err != nil {
		return "", err
	}
	repro := fmt.Sprintf("# seed %d, profile %s: %s\n# %s\n%s\n", f.Seed, f.Profile, f.Class, firstLine(f.Detail), f.Repro)
	return dir, os.WriteFile(filepath.Join(dir, "repro.txt"), []byte(repro), 0o644)
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// Write writes the summary as JSON.
func (s *Summary) Write(path string) error { return writeJSON(path, s) }

// ReadSummary reads a summary.json.
func ReadSummary(path string) (*Summary, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// Merge combines the summaries of a sharded campaign: seeds, operations
// and failures add up, the wall time is the longest shard's (they ran at
// once), seeds per second the sum. A seed present in two summaries is an
// error (overlapping shards).
func Merge(parts []*Summary) (*Summary, error) {
	if len(parts) == 0 {
		return nil, errors.New("fuzz: nothing to merge")
	}
	out := &Summary{Profile: parts[0].Profile, Base: parts[0].Base, From: parts[0].From, Fingerprints: map[string]string{}}
	for _, p := range parts {
		if p.Profile != out.Profile {
			return nil, fmt.Errorf("fuzz: cannot merge profile %s with %s", p.Profile, out.Profile)
		}
		out.From = min(out.From, p.From)
		out.Shards = append(out.Shards, p.Shards...)
		out.SeedsRun += p.SeedsRun
		out.Ops += p.Ops
		out.Replayed += p.Replayed
		out.WallSeconds = max(out.WallSeconds, p.WallSeconds)
		out.SeedsPerSecond += p.SeedsPerSecond
		for s, fp := range p.Fingerprints {
			if _, dup := out.Fingerprints[s]; dup {
				return nil, fmt.Errorf("fuzz: seed %s is in two summaries (overlapping shards)", s)
			}
			out.Fingerprints[s] = fp
		}
		out.Failures = append(out.Failures, p.Failures...)
	}
	slices.Sort(out.Shards)
	out.tally()
	return out, nil
}
