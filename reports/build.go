package reports

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"dynasim/checker"
	"dynasim/history"
)

// Meta is what the runner knows about a run that the history does not.
type Meta struct {
	// Scenario is the scenario's name. Required.
	Scenario    string
	Description string
	// ScenarioPath is the file the run started from; ResolvedPath where the
	// resolved scenario was saved. Either makes the repro command.
	ScenarioPath string
	ResolvedPath string
	// OutDir is the directory the report is written to; a visualisation
	// path inside it is recorded relative to it, so the HTML link works
	// wherever the directory is moved.
	OutDir      string
	Seed        uint64
	Fingerprint uint64
	// Events is how many events the simulator delivered.
	Events uint64
	// VirtualDuration is the virtual time the run covered, quiet period
	// included; Wall the wall-clock time it took.
	VirtualDuration time.Duration
	Wall            time.Duration
	Config          ConfigSummary
	// LinearizabilityNote says why the linearizability check was skipped;
	// when empty, Build derives a reason from Config (W+R <= N).
	LinearizabilityNote string
	// Repro overrides the one-line reproduction command; default
	// "dynasim run PATH --seed SEED" with ResolvedPath, else ScenarioPath.
	Repro string
	// HistoryPath, when set, makes this the report of a history checked on
	// its own (`dynasim check`): Report.CheckedHistory is filled from it
	// and the history, and the renderings leave out what a history cannot
	// know.
	HistoryPath string
	// Targets, when set, makes this the report of a run against a real
	// cluster at these client addresses (`dynasim run --target`): times
	// are wall-clock, and there is no fingerprint or event count.
	Targets []string
}

// MessageStats is the network's traffic of one message kind, as the
// simulated network counted it.
type MessageStats struct {
	Kind       string
	Sent       uint64
	Bytes      uint64
	Lost       uint64
	Duplicated uint64
}

// NodeStats is one node's load as the simulator counted it. Node is the
// node's index, the number history.Op.Coordinator uses.
type NodeStats struct {
	Node int
	// Name is the node's name ("n1"); empty prints its index.
	Name                string
	DC                  string
	EventsHandled       uint64
	RequestsCoordinated uint64
	StorageWrites       uint64
	StorageBytes        uint64
	QueueMax            int
	// RingPrimary and RingReplica are the node's share of the hash space:
	// as the first token clockwise of a key, and as one of its replicas
	// (over all nodes the replica shares sum to about N). Zero when
	// unknown.
	RingPrimary float64
	RingReplica float64
}

// Input is everything Build needs: one call for the runner.
type Input struct {
	Meta Meta
	// History is the run's history and Results what checker.Check found in
	// it. Both required.
	History *history.History
	Results *checker.Results
	// Expectations are the scenario's assertions, already evaluated.
	Expectations []Expectation
	// Messages and Nodes are optional; without them the report has no
	// traffic table and only history-derived node load.
	Messages []MessageStats
	Nodes    []NodeStats
	// Membership and Hints are copied into the report when set.
	Membership *Membership
	Hints      *Hints
	// AntiEntropy and Repairs are copied into the report when set.
	AntiEntropy *AntiEntropy
	Repairs     []Repair
	// Ring is copied into the report when set.
	Ring *Ring
	// Notes are copied into the report (see Report.Notes).
	Notes   []string
	Options Options
	// HistoryValidated says History has passed history.Validate already
	// (checker.Check validates it), so Build does not validate it again.
	HistoryValidated bool
}

// Options bounds what a report holds. Zero fields take the defaults.
type Options struct {
	// MaxListed bounds every list of examples and keys copied from the
	// results. Default 20.
	MaxListed int
	// MaxNodes and MaxMessageKinds refuse absurd inputs. Defaults 10,000
	// and 256.
	MaxNodes        int
	MaxMessageKinds int
}

// DefaultOptions returns the defaults documented on Options.
func DefaultOptions() Options { return Options{MaxListed: 20, MaxNodes: 10_000, MaxMessageKinds: 256} }

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	o.MaxListed = cmp.Or(o.MaxListed, d.MaxListed)
	o.MaxNodes = cmp.Or(o.MaxNodes, d.MaxNodes)
	o.MaxMessageKinds = cmp.Or(o.MaxMessageKinds, d.MaxMessageKinds)
	return o
}

// Validate reports a knob out of range (after defaults are applied).
func (o Options) Validate() error {
	o = o.withDefaults()
	switch {
	case o.MaxListed < 1 || o.MaxListed > 10_000:
		return fmt.Errorf("reports: Options.MaxListed must be in [1, 10000], got %d", o.MaxListed)
	case o.MaxNodes < 1 || o.MaxNodes > 1_000_000:
		return fmt.Errorf("reports: Options.MaxNodes must be in [1, 1000000], got %d", o.MaxNodes)
	case o.MaxMessageKinds < 1 || o.MaxMessageKinds > 65_536:
		return fmt.Errorf("reports: Options.MaxMessageKinds must be in [1, 65536], got %d", o.MaxMessageKinds)
	}
	return nil
}

// Build assembles the report of one run. It validates its input and
// refuses results that do not belong to the history (different operation
// counts). Everything in the report is sorted, so the same input gives the
// same report.
func Build(in Input) (*Report, error) {
	opt := in.Options.withDefaults()
	if err := in.Options.Validate(); err != nil {
		return nil, err
	}
	if err := validateInput(&in, opt); err != nil {
		return nil, err
	}
	h, res, m := in.History, in.Results, in.Meta
	r := &Report{
		Format:       Format,
		Version:      Version,
		Scenario:     m.Scenario,
		Description:  m.Description,
		ScenarioPath: m.ScenarioPath,
		ResolvedPath: m.ResolvedPath,
		Seed:         m.Seed,
		Fingerprint:  fmt.Sprintf("%016x", m.Fingerprint),
		Repro:        repro(m),
		Config:       m.Config,

		VirtualSeconds: m.VirtualDuration.Seconds(),
		Events:         m.Events,
		WallSeconds:    m.Wall.Seconds(),

		// Counted from the history itself, so the check below can tell
		// whether the results came from this run.
		Ops: checker.CountOps(h),
		Throughput: Throughput{
			DurationS: res.Throughput.DurationS,
			OpsPerS:   res.Throughput.OpsPerS,
			OKPerS:    res.Throughput.OKPerS,
		},
		LatencyMs:  latencyByOp(res.LatencyMs),
		LatencyCDF: latencyCDF(h),
		Staleness:  staleness(res.Staleness, res.Probe),
		Siblings:   siblings(res.Siblings),
		Timeline:   timeline(h),
		Notes:      slices.Clone(in.Notes),
		Membership: in.Membership,
		Hints:      in.Hints,

		AntiEntropy: in.AntiEntropy,
		Repairs:     slices.Clone(in.Repairs),
		Ring:        in.Ring,
	}
	if c := res.Ops; c.Total != r.Ops.Total || c.OK != r.Ops.OK || c.Failed != r.Ops.Failed || c.Unknown != r.Ops.Unknown || c.FinalReads != r.Ops.FinalReads {
		return nil, fmt.Errorf("reports: the results count %d operations (%d ok, %d final reads) but the history has %d (%d ok, %d final reads): they are not from the same run",
			c.Total, c.OK, c.FinalReads, r.Ops.Total, r.Ops.OK, r.Ops.FinalReads)
	}
	if r.WallSeconds > 0 {
		r.OpsPerWallSecond = float64(r.Ops.Total) / r.WallSeconds
		r.EventsPerWallSecond = float64(r.Events) / r.WallSeconds
	}
	r.Checks = checks(m, res, opt)
	r.FaultWindows = faultWindows(res.Availability.Windows)
	r.Expectations = slices.Clone(in.Expectations)
	slices.SortStableFunc(r.Expectations, func(a, b Expectation) int { return cmp.Compare(a.Name, b.Name) })
	if r.Expectations == nil {
		r.Expectations = []Expectation{}
	}
	r.Passed = true
	for _, e := range r.Expectations {
		r.Passed = r.Passed && e.Pass
	}
	r.Messages = messages(in.Messages, len(h.Ops))
	r.Nodes = nodeLoad(in.Nodes, h)
	if len(m.Targets) > 0 {
		r.Targets = slices.Clone(m.Targets)
		r.Fingerprint = ""
	}
	if m.HistoryPath != "" {
		r.CheckedHistory = &CheckedHistory{Path: m.HistoryPath, RunRecorded: h.Run != nil, Incomplete: h.Incomplete}
		if h.Run == nil {
			r.Fingerprint = ""
		}
	}
	return r, nil
}

func validateInput(in *Input, opt Options) error {
	m := &in.Meta
	switch {
	case in.History == nil:
		return fmt.Errorf("reports: Input.History is nil")
	case in.Results == nil:
		return fmt.Errorf("reports: Input.Results is nil; run checker.Check on the history first")
	case in.Results.Linearizability == nil || in.Results.LostWrites == nil || in.Results.Convergence == nil || in.Results.Staleness == nil:
		return fmt.Errorf("reports: Input.Results is incomplete (a check's result is nil); use the value checker.Check returns")
	case strings.TrimSpace(m.Scenario) == "":
		return fmt.Errorf("reports: Meta.Scenario is empty")
	case m.VirtualDuration < 0:
		return fmt.Errorf("reports: Meta.VirtualDuration is negative (%v)", m.VirtualDuration)
	case m.Wall < 0:
		return fmt.Errorf("reports: Meta.Wall is negative (%v)", m.Wall)
	case len(in.Nodes) > opt.MaxNodes:
		return fmt.Errorf("reports: %d node stats, the limit (Options.MaxNodes) is %d", len(in.Nodes), opt.MaxNodes)
	case len(in.Messages) > opt.MaxMessageKinds:
		return fmt.Errorf("reports: %d message kinds, the limit (Options.MaxMessageKinds) is %d", len(in.Messages), opt.MaxMessageKinds)
	}
	if !in.HistoryValidated {
		if err := in.History.Validate(); err != nil {
			return fmt.Errorf("reports: %w", err)
		}
	}
	kinds := make(map[string]bool, len(in.Messages))
	for i, s := range in.Messages {
		if s.Kind == "" {
			return fmt.Errorf("reports: message stats #%d has no kind", i)
		}
		if kinds[s.Kind] {
			return fmt.Errorf("reports: message kind %q appears twice", s.Kind)
		}
		kinds[s.Kind] = true
	}
	nodes := make(map[int]bool, len(in.Nodes))
	for i, n := range in.Nodes {
		if n.Node < 0 || n.QueueMax < 0 {
			return fmt.Errorf("reports: node stats #%d: node %d, queue max %d: both must be non-negative", i, n.Node, n.QueueMax)
		}
		if nodes[n.Node] {
			return fmt.Errorf("reports: node %d appears twice in the node stats", n.Node)
		}
		nodes[n.Node] = true
	}
	for i, e := range in.Expectations {
		if e.Name == "" {
			return fmt.Errorf("reports: expectation #%d has no name", i)
		}
		for _, v := range []struct {
			what string
			x    any
		}{{"want", e.Want}, {"got", e.Got}} {
			if err := checkScalar(v.x); err != nil {
				return fmt.Errorf("reports: expectation %q: %s: %w", e.Name, v.what, err)
			}
		}
	}
	return nil
}

// checkScalar accepts what JSON can hold as a scalar and WriteText can
// print: nil, bool, string and finite numbers.
func checkScalar(x any) error {
	switch v := x.(type) {
	case nil, bool, string, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return nil
	case float32:
		return checkScalar(float64(v))
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%v is not a finite number", v)
		}
		return nil
	default:
		return fmt.Errorf("must be a bool, number or string, got %T", x)
	}
}

func repro(m Meta) string {
	if m.Repro != "" {
		return m.Repro
	}
	path := cmp.Or(m.ResolvedPath, m.ScenarioPath, m.Scenario)
	return "dynasim run " + shellQuote(path) + " --seed " + strconv.FormatUint(m.Seed, 10)
}

// shellQuote quotes s for a POSIX shell unless it is plainly safe.
func shellQuote(s string) string {
	safe := s != ""
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./+=:,@%", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// opKinds are the operation kinds in the order reports list them.
var opKinds = []string{history.Get.String(), history.Put.String(), history.Delete.String()}

func latencyByOp(m map[string]checker.LatencyStats) LatencyByOp {
	conv := func(s checker.LatencyStats) Latency {
		return Latency{Count: s.Count, Mean: s.Mean, P50: s.P50, P90: s.P90, P99: s.P99, P999: s.P999, Max: s.Max}
	}
	return LatencyByOp{Get: conv(m["get"]), Put: conv(m["put"]), Delete: conv(m["delete"])}
}

// byKind returns the latency of one kind by name.
func (l *LatencyByOp) byKind(kind string) Latency {
	switch kind {
	case "get":
		return l.Get
	case "put":
		return l.Put
	default:
		return l.Delete
	}
}

func checks(m Meta, res *checker.Results, opt Options) Checks {
	lw := res.LostWrites
	c := Checks{
		Linearizability: linearizability(m, res.Linearizability, opt),
		LostAckedWrites: lw.Lost,
		LostWrites: LostWrites{
			AckedPuts: lw.AckedPuts, Present: lw.Present, Superseded: lw.Superseded,
			SupersededByUnknown: lw.SupersededByUnknown, Lost: lw.Lost, Unverified: lw.Unverified,
		},
		Converged:                 res.Convergence.Converged,
		Availability:              res.Availability.Availability,
		AvailabilityOutsideFaults: res.Availability.Outside.Availability,
	}
	if len(res.NotChecked) > 0 {
		c.NotChecked = maps.Clone(res.NotChecked)
	}
	if why, ok := res.NotChecked[checker.VerdictLinearizability]; ok {
		c.Linearizability.Reason = why
	}
	for _, e := range lw.Examples[:min(len(lw.Examples), opt.MaxListed)] {
		c.LostWrites.Examples = append(c.LostWrites.Examples, LostWrite{
			OpID: e.OpID, Key: e.Key, Value: e.Value, AckedAtMs: nsToMs(e.ReturnNs),
			Coordinator: e.Coordinator, FinalValues: slices.Clone(e.FinalValues),
		})
	}
	cv := res.Convergence
	c.Convergence = Convergence{Keys: cv.Keys, ConvergedKeys: cv.ConvergedKeys, Probes: cv.Probes, ConvergedAtMs: -1,
		InFlightAtEnd: cv.InFlightAtEnd, NotYet: cv.NotYet}
	if cv.Converged {
		c.Convergence.ConvergedAtMs = nsToMs(cv.ConvergedAtNs)
	}
	for _, d := range cv.NonConverged[:min(len(cv.NonConverged), opt.MaxListed)] {
		c.Convergence.Divergent = append(c.Convergence.Divergent, DivergentKey{Key: d.Key, Reason: d.Reason})
	}
	return c
}

func linearizability(m Meta, l *checker.LinearizabilityResult, opt Options) Linearizability {
	out := Linearizability{
		Model: string(l.Model), Result: string(l.Result), Keys: l.Keys,
		CheckedOps: l.CheckedOps, OpenOps: l.OpenOps,
		BoundedOps: l.BoundedOps, UnobservedOps: l.UnobservedOps,
		Steps: l.Steps, MaxKeySteps: l.MaxKeySteps, StepBudget: l.StepBudget,
		Inconclusive: slices.Clone(l.Inconclusive[:min(len(l.Inconclusive), opt.MaxListed)]),
		IllegalKeys:  len(l.IllegalKeys), UnknownKeys: len(l.UnknownKeys),
		IllegalKeyList: slices.Clone(l.IllegalKeys[:min(len(l.IllegalKeys), opt.MaxListed)]),
		UnknownKeyList: slices.Clone(l.UnknownKeys[:min(len(l.UnknownKeys), opt.MaxListed)]),
		FailingKey:     l.FailingKey, FailingKeyOps: l.FailingKeyOps,
		Visualization: relativeTo(m.OutDir, l.Visualization),
	}
	switch l.Result {
	case checker.LinOK:
		out.Reason = fmt.Sprintf("every key has a linearization (%d keys, %d operations, %d left open; %d search steps, at most %d on a key of the %d allowed)",
			l.Keys, l.CheckedOps, l.OpenOps, l.Steps, l.MaxKeySteps, l.StepBudget)
	case checker.LinIllegal:
		out.Reason = fmt.Sprintf("%d of %d keys have no linearization; the smallest is %q with %d operations", len(l.IllegalKeys), l.Keys, l.FailingKey, l.FailingKeyOps)
	case checker.LinUnknown:
		out.Reason = fmt.Sprintf("inconclusive on %d of %d keys (no key was found illegal): %s", len(l.UnknownKeys), l.Keys, inconclusiveReasons(l))
	case checker.LinSkipped:
		c := m.Config
		switch {
		case m.LinearizabilityNote != "":
			out.Reason = m.LinearizabilityNote
		case c.N > 0 && c.W > 0 && c.R > 0 && c.W+c.R <= c.N:
			out.Reason = fmt.Sprintf("not checked: W+R <= N (%d+%d <= %d), read and write quorums need not intersect", c.W, c.R, c.N)
		default:
			out.Reason = "not checked: the run did not ask for it"
		}
	default:
		out.Reason = fmt.Sprintf("unrecognised result %q", l.Result)
	}
	return out
}

// inconclusiveReasons says why keys were undecided, e.g. "2 over the step
// budget of 20000000, 1 at the wall-clock safety cap (machine-dependent)".
func inconclusiveReasons(l *checker.LinearizabilityResult) string {
	counts := map[checker.InconclusiveReason]int{}
	for _, k := range l.Inconclusive {
		counts[k.Reason]++
	}
	var parts []string
	if n := counts[checker.ReasonStepBudget]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d over the step budget of %d", n, l.StepBudget))
	}
	if n := counts[checker.ReasonMemoryBudget]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d over the memory budget", n))
	}
	if n := counts[checker.ReasonTimeLimit]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d at the wall-clock safety cap (this one depends on the machine)", n))
	}
	return strings.Join(parts, ", ")
}

// relativeTo makes path relative to dir when it lies inside dir, with
// forward slashes (for a URL).
func relativeTo(dir, path string) string {
	if dir == "" || path == "" {
		return filepath.ToSlash(path)
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}

func staleness(s *checker.StalenessResult, probe *checker.ProbeResult) Staleness {
	out := Staleness{
		Reads: s.Reads, ReadsAfterWrite: s.ReadsAfterWrite, Consistent: s.Consistent,
		Stale: s.Stale, StaleFraction: s.StaleFraction, MeanK: s.MeanK, MaxK: s.MaxK,
		TVisibility: sortedClone(s.TVisibility, func(a, b TVisibilityPoint) int { return cmp.Compare(a.TMs, b.TMs) }),
		KStaleness:  sortedClone(s.KStaleness, func(a, b KCount) int { return cmp.Compare(a.K, b.K) }),
	}
	addProbe(&out, probe)
	return out
}

func siblings(s checker.SiblingsResult) Siblings {
	s.Histogram = sortedClone(s.Histogram, func(a, b SiblingCount) int { return cmp.Compare(a.Siblings, b.Siblings) })
	return s
}

// sortedClone returns a sorted copy of xs (never nil, so an empty list is
// written as [] in JSON), leaving the checker's result as it was.
func sortedClone[T any](xs []T, cmp func(a, b T) int) []T {
	out := append(make([]T, 0, len(xs)), xs...)
	slices.SortFunc(out, cmp)
	return out
}

func faultWindows(ws []checker.WindowAvailability) []FaultWindow {
	out := make([]FaultWindow, 0, len(ws))
	for _, w := range ws {
		out = append(out, FaultWindow{Label: w.Label, StartMs: nsToMs(w.StartNs), EndMs: nsToMs(w.EndNs),
			Attempted: w.Attempted, OK: w.OK, Availability: w.Availability})
	}
	slices.SortStableFunc(out, func(a, b FaultWindow) int {
		return cmp.Or(cmp.Compare(a.StartMs, b.StartMs), cmp.Compare(a.EndMs, b.EndMs), cmp.Compare(a.Label, b.Label))
	})
	return out
}

func messages(in []MessageStats, ops int) Messages {
	out := Messages{PerOpBase: ops, Total: MessageKind{Kind: "total"}, Kinds: make([]MessageKind, 0, len(in))}
	perOp := func(k *MessageKind) {
		if ops > 0 {
			k.PerOp = float64(k.Sent) / float64(ops)
			k.BytesPerOp = float64(k.Bytes) / float64(ops)
		}
	}
	for _, s := range in {
		k := MessageKind{Kind: s.Kind, Sent: s.Sent, Bytes: s.Bytes, Lost: s.Lost, Duplicated: s.Duplicated}
		perOp(&k)
		out.Kinds = append(out.Kinds, k)
		out.Total.Sent += s.Sent
		out.Total.Bytes += s.Bytes
		out.Total.Lost += s.Lost
		out.Total.Duplicated += s.Duplicated
	}
	perOp(&out.Total)
	slices.SortFunc(out.Kinds, func(a, b MessageKind) int { return cmp.Compare(a.Kind, b.Kind) })
	return out
}

// nodeLoad merges the simulator's node stats with the operations each node
// coordinated according to the history; a node seen in only one of them
// still gets a row.
func nodeLoad(in []NodeStats, h *history.History) []NodeLoad {
	byNode := make(map[int]*NodeLoad, len(in))
	for _, n := range in {
		byNode[n.Node] = &NodeLoad{Node: n.Node, Name: n.Name, DC: n.DC, EventsHandled: n.EventsHandled,
			RequestsCoordinated: n.RequestsCoordinated, StorageWrites: n.StorageWrites,
			StorageBytes: n.StorageBytes, QueueMax: n.QueueMax, RingPrimary: n.RingPrimary, RingReplica: n.RingReplica}
	}
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Final || o.Coordinator < 0 {
			continue
		}
		n := byNode[int(o.Coordinator)]
		if n == nil {
			n = &NodeLoad{Node: int(o.Coordinator)}
			byNode[n.Node] = n
		}
		n.ClientOps++
	}
	out := make([]NodeLoad, 0, len(byNode))
	for _, n := range byNode {
		out = append(out, *n)
	}
	slices.SortFunc(out, func(a, b NodeLoad) int { return cmp.Compare(a.Node, b.Node) })
	return out
}

func nsToMs(ns int64) float64 { return float64(ns) / 1e6 }
