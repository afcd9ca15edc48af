package reports

import (
	"fmt"
	"time"

	"dynasim/checker"
)

// The JSON report. Keys marked "contract" are relied on by other tools (CI
// scripts, dashboards, `dynasim replay`): never rename or remove them, and
// never change their type. Everything else may grow; bump Version only for a
// change an old reader would misread.

const (
	// Format is the value of the report's "format" key.
	Format = "dynasim-report"
	// Version is the only "version" this package writes and reads.
	Version = 1
)

// Report is one run's report: what ran, what the checks found, whether the
// scenario's expectations held, and the series the plots are drawn from. It
// is plain data; Build fills it, WriteJSON/ReadJSON serialise it, WriteText
// and WriteHTML render it.
type Report struct {
	Format  string `json:"format"`
	Version int    `json:"version"`

	Scenario    string `json:"scenario"` // contract
	Description string `json:"description,omitempty"`
	// ScenarioPath is the file the run started from; ResolvedPath the
	// resolved scenario saved for replay (every range and choice fixed).
	ScenarioPath string `json:"scenario_path,omitempty"`
	ResolvedPath string `json:"resolved_scenario,omitempty"`
	Seed         uint64 `json:"seed"` // contract
	// Fingerprint is the 64-bit replay fingerprint as 16 lower-case hex
	// digits (contract).
	Fingerprint string `json:"fingerprint"`
	// Passed: every expectation held (true when there are none).
	Passed bool `json:"passed"`
	// Repro is a one-line shell command that re-runs exactly this run.
	Repro  string        `json:"repro"`
	Config ConfigSummary `json:"config"`

	VirtualSeconds float64 `json:"virtual_seconds"`
	Events         uint64  `json:"events"` // contract
	// WallSeconds is the wall-clock time of the simulation phase alone:
	// the cluster running the workload, the quiet period and the final
	// reads (contract; it has always meant this).
	WallSeconds float64 `json:"wall_seconds"` // contract
	// OpsPerWallSecond is workload operations (ops.total) divided by
	// WallSeconds: the simulator's speed, without the checks, the report
	// and the files (contract). OpsPerTotalWallSecond is the same count over
	// TotalWallSeconds: the speed of the whole run as a user waits for it.
	OpsPerWallSecond float64 `json:"ops_per_wall_second"` // contract: workload ops / simulation wall s
	// EventsPerWallSecond is the simulator's speed in events.
	EventsPerWallSecond float64 `json:"events_per_wall_second"`
	// TotalWallSeconds is the wall-clock time of the whole run up to the
	// moment this report was rendered: from the start of the `dynasim run`
	// process (or of runner.Run, when it is called directly) through setup,
	// simulation, checks, building the report and writing history.jsonl and
	// resolved.yaml. Only rendering the report itself (report.json,
	// report.txt, report.html) and the process's exit come after it; the CLI
	// prints the process's total wall time when it is done.
	TotalWallSeconds      float64 `json:"total_wall_seconds"`
	OpsPerTotalWallSecond float64 `json:"ops_per_total_wall_second"`
	// PhaseSeconds is the wall-clock time of each phase of the run.
	PhaseSeconds PhaseSeconds `json:"phase_seconds"`

	Ops        OpCounts    `json:"ops"`        // contract
	Throughput Throughput  `json:"throughput"` // virtual time
	LatencyMs  LatencyByOp `json:"latency_ms"` // contract
	// LatencyCDF holds, per operation kind, points of the empirical CDF of
	// ok latencies: enough to redraw the CDF plot, not every sample.
	LatencyCDF   map[string][]CDFPoint `json:"latency_cdf"`
	Checks       Checks                `json:"checks"`    // contract
	Staleness    Staleness             `json:"staleness"` // contract
	Siblings     Siblings              `json:"siblings"`
	FaultWindows []FaultWindow         `json:"fault_windows"`
	Expectations []Expectation         `json:"expectations"` // contract
	Messages     Messages              `json:"messages"`
	Nodes        []NodeLoad            `json:"nodes"`
	Timeline     Timeline              `json:"timeline"`
	// Membership and Hints are present when the run's nodes gossip and
	// keep hints (runner).
	Membership *Membership `json:"membership,omitempty"`
	Hints      *Hints      `json:"hints,omitempty"`
	// AntiEntropy is present when the run's nodes ran anti-entropy.
	AntiEntropy *AntiEntropy `json:"anti_entropy,omitempty"`
	// Repairs are the wiped nodes' repairs, when the run followed them
	// (repaired_within_ms).
	Repairs []Repair `json:"repairs,omitempty"`
	// Ring is present when the run joined or decommissioned nodes.
	Ring *Ring `json:"ring,omitempty"`
	// Notes are things the run wants a reader to know that no check
	// measures: scheduled faults that could not be applied, a workload that
	// did not finish in time, a visualisation that could not be written.
	Notes []string `json:"notes,omitempty"`
	// CheckedHistory is set on the report of `dynasim check`, which has a
	// history and nothing else: see CheckedHistory for which figures it
	// cannot know. Absent from a run's report.
	CheckedHistory *CheckedHistory `json:"checked_history,omitempty"`
	// Targets are the client addresses of the real cluster the run's
	// workload ran against (`dynasim run --target`); absent from a
	// simulated run's report. With them, every time in the report is
	// wall-clock time since the workload started ("virtual_seconds" too),
	// the fingerprint is empty and events 0: the run cannot be replayed.
	Targets []string `json:"targets,omitempty"`
}

// CheckedHistory describes the history a report was built from alone (no
// simulation ran). Such a report holds what the history holds: the seed,
// fingerprint, events and virtual time come from the history's header when
// RunRecorded, and are 0 and "" otherwise; wall time, messages and the
// per-node figures other than name, dc and client_ops are not in a history
// and are left 0.
type CheckedHistory struct {
	// Path is the history file as given.
	Path string `json:"path"`
	// RunRecorded: the header records the run (version 2 histories
	// written by `dynasim run`).
	RunRecorded bool `json:"run_recorded"`
	// Incomplete says why the history may be missing records (cut short,
	// or a version 1 file without a trailer); empty when it is complete.
	Incomplete string `json:"incomplete,omitempty"`
}

// ConfigSummary is the handful of knobs a reader needs to interpret the
// results. Zero fields mean "not given" and are left out.
type ConfigSummary struct {
	Nodes       int `json:"nodes,omitempty"`
	Datacenters int `json:"datacenters,omitempty"`
	Clients     int `json:"clients,omitempty"`
	Keys        int `json:"keys,omitempty"`
	// N, W and R are the default replication factor and quorums.
	N int `json:"n,omitempty"`
	W int `json:"w,omitempty"`
	R int `json:"r,omitempty"`
	// VersionMode: vclock, dvv or lww. ReadRepair: off, async or blocking.
	VersionMode    string `json:"version_mode,omitempty"`
	ReadRepair     string `json:"read_repair,omitempty"`
	TwoPhaseWrites bool   `json:"two_phase_writes"`
	// SloppyQuorum: writes may land on the extended preference list.
	SloppyQuorum bool `json:"sloppy_quorum"`
}

// OpCounts counts workload operations by outcome (contract: total, ok,
// failed, unknown), final reads (the checker's probes after the quiet
// period) apart, and per kind (by_kind: get, put and delete always
// present). The report shows the checker's count as it is.
type OpCounts = checker.OpCounts

// KindCounts counts one operation kind's outcomes.
type KindCounts = checker.KindCounts

// Throughput is workload operations per second of virtual time, from the
// first invocation to the last return.
type Throughput struct {
	DurationS float64 `json:"duration_s"`
	OpsPerS   float64 `json:"ops_per_s"`
	OKPerS    float64 `json:"ok_per_s"`
}

// LatencyByOp holds ok-operation latency quantiles per kind (contract: get
// and put, each with p50, p99, p999, max). All three kinds are always
// present; a kind with no ok operation has Count 0 and zero quantiles.
type LatencyByOp struct {
	Get    Latency `json:"get"`
	Put    Latency `json:"put"`
	Delete Latency `json:"delete"`
}

// Latency are latency statistics in milliseconds; the quantiles are
// empirical (the smallest sample with at least that fraction at or below).
type Latency struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
}

// CDFPoint says that a fraction P of the samples were at most Ms.
type CDFPoint struct {
	Ms float64 `json:"ms"`
	P  float64 `json:"p"`
}

// Checks are the verdicts (contract: linearizability, lost_acked_writes,
// converged, availability), each followed by its details.
type Checks struct {
	Linearizability Linearizability `json:"linearizability"`
	LostAckedWrites int             `json:"lost_acked_writes"`
	LostWrites      LostWrites      `json:"lost_writes"`
	Converged       bool            `json:"converged"`
	Convergence     Convergence     `json:"convergence"`
	// Availability is the fraction of workload operations that ended ok
	// (1 when none were attempted); AvailabilityOutsideFaults the same for
	// operations invoked outside every fault window.
	Availability              float64 `json:"availability"`
	AvailabilityOutsideFaults float64 `json:"availability_outside_faults"`
	// NotChecked names the verdicts that could not be reached, with the
	// reason: "linearizability", "lost_acked_writes", "converged". A
	// verdict named here has no result: its value above (0, false,
	// "skipped") must not be read as one.
	NotChecked map[string]string `json:"not_checked,omitempty"`
}

// Linearizability is Porcupine's verdict (contract: model, result).
type Linearizability struct {
	// Model: register or multi_value. Result: ok, illegal, unknown
	// (inconclusive: a key's step or memory budget, or the wall-clock
	// safety cap, ran out; Inconclusive says which) or skipped.
	Model  string `json:"model"`
	Result string `json:"result"`
	// Reason explains the result in one sentence.
	Reason     string `json:"reason"`
	Keys       int    `json:"keys"`
	CheckedOps int    `json:"checked_ops"`
	OpenOps    int    `json:"open_ops"`
	// BoundedOps: unknown-outcome puts closed at the first read of their
	// value; UnobservedOps: unknown-outcome puts nothing read, left out.
	BoundedOps    int `json:"bounded_ops"`
	UnobservedOps int `json:"unobserved_ops"`
	// Steps is the model steps the search took over all keys, MaxKeySteps
	// the most one key took, StepBudget the per-key budget.
	Steps       int64 `json:"steps"`
	MaxKeySteps int64 `json:"max_key_steps"`
	StepBudget  int64 `json:"step_budget"`
	// Inconclusive lists (at most MaxListed) undecided keys with why.
	Inconclusive []checker.InconclusiveKey `json:"inconclusive,omitempty"`
	// IllegalKeys and UnknownKeys count the keys; the lists name at most
	// MaxListed of them, sorted.
	IllegalKeys    int      `json:"illegal_keys"`
	UnknownKeys    int      `json:"unknown_keys"`
	IllegalKeyList []string `json:"illegal_key_list,omitempty"`
	UnknownKeyList []string `json:"unknown_key_list,omitempty"`
	// FailingKey is the smallest illegal key, the easiest to read.
	FailingKey    string `json:"failing_key,omitempty"`
	FailingKeyOps int    `json:"failing_key_ops,omitempty"`
	// Visualization is the path of Porcupine's HTML visualisation of
	// FailingKey, relative to the report's directory when inside it.
	Visualization string `json:"visualization,omitempty"`
}

// LostWrites says what became of every acknowledged put
// (AckedPuts = Present + Superseded + Lost + Unverified).
type LostWrites struct {
	AckedPuts           int         `json:"acked_puts"`
	Present             int         `json:"present"`
	Superseded          int         `json:"superseded"`
	SupersededByUnknown int         `json:"superseded_by_unknown"`
	Lost                int         `json:"lost"`
	Unverified          int         `json:"unverified"`
	Examples            []LostWrite `json:"examples,omitempty"`
}

// LostWrite is one acknowledged put missing from its key's final read.
type LostWrite struct {
	OpID        uint64   `json:"op_id"`
	Key         string   `json:"key"`
	Value       string   `json:"value"`
	AckedAtMs   float64  `json:"acked_at_ms"`
	Coordinator int32    `json:"coordinator"`
	FinalValues []string `json:"final_values"`
}

// Convergence details the converged verdict.
type Convergence struct {
	Keys          int `json:"keys"`
	ConvergedKeys int `json:"converged_keys"`
	Probes        int `json:"probes"`
	// ConvergedAtMs is when the replicas last came to agree (as far as the
	// probes show), or -1.
	ConvergedAtMs float64        `json:"converged_at_ms"`
	Divergent     []DivergentKey `json:"divergent,omitempty"`
	// InFlightAtEnd: messages still in flight at the final probe; NotYet:
	// replicas differ while some are (not converged yet, not diverged).
	InFlightAtEnd int  `json:"in_flight_at_end"`
	NotYet        bool `json:"not_yet"`
}

// DivergentKey is a key whose replicas disagreed at the end.
type DivergentKey struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// Staleness measures how far behind reads were (contract: t_visibility,
// each point with t_ms and p_consistent).
type Staleness struct {
	Reads           int     `json:"reads"`
	ReadsAfterWrite int     `json:"reads_after_write"`
	Consistent      int     `json:"consistent"`
	Stale           int     `json:"stale"`
	StaleFraction   float64 `json:"stale_fraction"`
	MeanK           float64 `json:"mean_k"`
	MaxK            int     `json:"max_k"`
	// TVisibility is P(read reflects the newest acknowledged write | the
	// read began at least TMs after that write completed).
	TVisibility []TVisibilityPoint `json:"t_visibility"`
	// KStaleness is how many reads missed exactly K acknowledged versions.
	KStaleness []KCount `json:"k_staleness"`
	// TVisibilityDefinition states what TVisibility measures (at least t,
	// pooled); Probe is a probe workload's t-visibility at exactly t, and
	// Predicted the WARS prediction beside it (probe.go).
	TVisibilityDefinition string           `json:"t_visibility_definition"`
	Probe                 *ProbeStaleness  `json:"probe,omitempty"`
	Predicted             []PredictedPoint `json:"predicted,omitempty"`
}

// The report shows these checker results as the checker gives them (only
// sorted); one definition keeps their JSON keys the same in both places.
type (
	// TVisibilityPoint is one point of the t-visibility curve, estimated
	// from Reads reads.
	TVisibilityPoint = checker.TVisibilityPoint
	// KCount is one bar of the k-staleness histogram.
	KCount = checker.KCount
	// Siblings describes how many values ok gets returned.
	Siblings = checker.SiblingsResult
	// SiblingCount is how many reads returned exactly Siblings values.
	SiblingCount = checker.SiblingCount
)

// FaultWindow is a fault's active interval and the availability of the
// operations invoked inside it.
type FaultWindow struct {
	Label        string  `json:"label"`
	StartMs      float64 `json:"start_ms"`
	EndMs        float64 `json:"end_ms"`
	Attempted    int     `json:"attempted"`
	OK           int     `json:"ok"`
	Availability float64 `json:"availability"`
}

// Expectation is one assertion of the scenario and its outcome (contract:
// name, want, got, pass). Want and Got are JSON scalars: bool, number or
// string.
type Expectation struct {
	Name string `json:"name"`
	Want any    `json:"want"`
	Got  any    `json:"got"`
	Pass bool   `json:"pass"`
	// Detail optionally explains a failure.
	Detail string `json:"detail,omitempty"`
}

// Messages is network traffic per message kind, and per client operation:
// the denominator, PerOpBase, is every recorded client operation (workload
// and final reads), since all of them sent messages.
type Messages struct {
	PerOpBase int           `json:"per_op_base"`
	Total     MessageKind   `json:"total"`
	Kinds     []MessageKind `json:"kinds"`
}

// MessageKind is the traffic of one message kind.
type MessageKind struct {
	Kind       string  `json:"kind"`
	Sent       uint64  `json:"sent"`
	Bytes      uint64  `json:"bytes"`
	Lost       uint64  `json:"lost"`
	Duplicated uint64  `json:"duplicated"`
	PerOp      float64 `json:"per_op"`
	BytesPerOp float64 `json:"bytes_per_op"`
}

// NodeLoad is one node's share of the work.
type NodeLoad struct {
	Node int    `json:"node"`
	Name string `json:"name,omitempty"`
	DC   string `json:"dc,omitempty"`
	// EventsHandled, RequestsCoordinated, StorageWrites, StorageBytes and
	// QueueMax come from the simulator; ClientOps is counted from the
	// history (operations whose last coordinator was this node).
	EventsHandled       uint64 `json:"events_handled"`
	RequestsCoordinated uint64 `json:"requests_coordinated"`
	StorageWrites       uint64 `json:"storage_writes"`
	StorageBytes        uint64 `json:"storage_bytes"`
	QueueMax            int    `json:"queue_max"`
	ClientOps           int    `json:"client_ops"`
	// RingPrimary and RingReplica are the node's share of the hash space
	// as a key's first token and as one of its replicas (see NodeStats).
	RingPrimary float64 `json:"ring_primary"`
	RingReplica float64 `json:"ring_replica"`
}

// Timeline is the workload over virtual time in fixed buckets, sized so a
// run spans 100 to 200 of them (fewer for very short runs).
type Timeline struct {
	BucketMs float64 `json:"bucket_ms"`
	// EndMs is the last workload return; the last bucket ends past it.
	EndMs   float64  `json:"end_ms"`
	Buckets []Bucket `json:"buckets"`
}

// Bucket is one slice of virtual time [TMs, TMs+BucketMs). Started, OK,
// Failed, Unknown and the latencies are for the operations invoked in it
// (so OK/Started is the availability of the bucket, as in the fault windows
// and the checker); Completed counts ok operations that returned in it
// (throughput). P50Ms and P99Ms are absent when no operation invoked in the
// bucket ended ok.
type Bucket struct {
	TMs       float64  `json:"t_ms"`
	Started   int      `json:"started"`
	OK        int      `json:"ok"`
	Failed    int      `json:"failed"`
	Unknown   int      `json:"unknown"`
	Completed int      `json:"completed"`
	P50Ms     *float64 `json:"p50_ms,omitempty"`
	P99Ms     *float64 `json:"p99_ms,omitempty"`
}

// ZeroWallClock clears the figures that depend on the machine, not the
// seed (wall time and the rates derived from it), so two runs of one seed
// give byte-identical reports: what `dynasim replay` and tests compare.
func (r *Report) ZeroWallClock() {
	r.WallSeconds, r.OpsPerWallSecond, r.EventsPerWallSecond = 0, 0, 0
	r.TotalWallSeconds, r.OpsPerTotalWallSecond, r.PhaseSeconds = 0, 0, PhaseSeconds{}
}

// PhaseSeconds is the wall-clock time, in seconds, of each phase of a run:
// Setup (validating the scenario, building the cluster, preparing the
// output directory), Simulate (the same span as wall_seconds), Check (the
// checkers and the expectations), Report (building the report) and Write
// (writing history.jsonl and resolved.yaml; report.json, report.txt and
// report.html are rendered after it, with these figures in them). Stages that run
// concurrently are each timed on their own, so the phases may add up to
// more than the total.
type PhaseSeconds struct {
	Setup    float64 `json:"setup"`
	Simulate float64 `json:"simulate"`
	Check    float64 `json:"check"`
	Report   float64 `json:"report"`
	Write    float64 `json:"write"`
}

// SetWallClock records the run's total wall time and its phases, and the
// rate derived from the total. WallSeconds (the simulation) comes from
// Meta.Wall.
func (r *Report) SetWallClock(total time.Duration, phases PhaseSeconds) {
	r.TotalWallSeconds = total.Seconds()
	r.PhaseSeconds = phases
	r.OpsPerTotalWallSecond = 0
	if r.TotalWallSeconds > 0 {
		r.OpsPerTotalWallSecond = float64(r.Ops.Total) / r.TotalWallSeconds
	}
}

// Label is the node's name, or "#<index>" when it has none (the index is
// what history.Op.Coordinator holds; nodes are named from n1).
func (n NodeLoad) Label() string {
	if n.Name != "" {
		return n.Name
	}
	return fmt.Sprintf("#%d", n.Node)
}
