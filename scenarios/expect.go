package scenarios

import (
	"fmt"
	"slices"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Expect is `expect:`, what must hold after the run. Every field is
// optional; nil (absent) asserts nothing. Expectations take no ranges: they
// are the scenario's verdict, not a knob.
type Expect struct {
	// Linearizable asserts the linearizability result: true (ok) or false
	// (a scenario demonstrating an anomaly asserts that Porcupine finds it).
	// An inconclusive check (time limit) satisfies neither.
	Linearizable *bool `yaml:"linearizable,omitempty"`
	// LostAckedWrites is the most acknowledged writes the final reads may
	// miss (usually 0).
	LostAckedWrites *int `yaml:"lost_acked_writes,omitempty"`
	// LostAckedWritesMin is the fewest lost acknowledged writes the run must
	// show: a scenario demonstrating that a configuration loses writes (LWW
	// under clock skew) asserts at least 1.
	LostAckedWritesMin *int `yaml:"lost_acked_writes_min,omitempty"`
	// UnverifiedAckedWritesMax is how many acknowledged writes may go
	// unverified (their key's final read failed every attempt) while
	// lost_acked_writes is asserted. Default 0: a check that could not see a
	// write does not pass it. Set it only for a scenario whose network stays
	// too lossy for every final read to succeed.
	UnverifiedAckedWritesMax *int `yaml:"unverified_acked_writes_max,omitempty"`
	// Converged asserts whether every key's replicas agree after the quiet
	// period.
	Converged *bool `yaml:"converged,omitempty"`
	// AvailabilityMin is the least fraction of operations that must succeed,
	// over the whole run.
	AvailabilityMin *float64 `yaml:"availability_min,omitempty"`
	// AvailabilityInFaultsMin and AvailabilityInFaultsMax bound the fraction
	// of operations invoked inside fault windows that succeed (Max lets a
	// scenario assert that a minority side was unavailable).
	AvailabilityInFaultsMin *float64 `yaml:"availability_in_faults_min,omitempty"`
	AvailabilityInFaultsMax *float64 `yaml:"availability_in_faults_max,omitempty"`
	// AvailabilityAfterFaultsMin is the least fraction of operations that
	// must succeed among those invoked at least AfterFaultsGrace after the
	// last fault window ended (liveness: service returns once the faults
	// stop and the network heals). With no such operation it cannot be
	// measured, and fails.
	AvailabilityAfterFaultsMin *float64 `yaml:"availability_after_faults_min,omitempty"`
	// StaleFractionMax is the largest fraction of reads that may miss the
	// newest acknowledged write.
	StaleFractionMax *float64 `yaml:"stale_fraction_max,omitempty"`
	// StaleFractionMin is the least fraction of reads that must miss the
	// newest acknowledged write: a scenario demonstrating stale reads (a
	// sloppy quorum under a partition) asserts that they appear.
	StaleFractionMin *float64 `yaml:"stale_fraction_min,omitempty"`
	// P50MsMax, P99MsMax and P999MsMax bound latency quantiles of successful
	// operations, in milliseconds: a number bounds every operation kind, a
	// mapping bounds some ({get: 20, put: 30, all: 50}).
	P50MsMax  LatencyBound `yaml:"p50_ms_max,omitempty"`
	P99MsMax  LatencyBound `yaml:"p99_ms_max,omitempty"`
	P999MsMax LatencyBound `yaml:"p999_ms_max,omitempty"`
	// PredictionAgrees asserts whether a probe's measured t-visibility
	// agrees with the WARS prediction: at every delay, the two Wilson
	// intervals at the Bonferroni-adjusted confidence 1 -
	// workload.probe.family_alpha / (number of delays) overlap.
	PredictionAgrees *bool `yaml:"prediction_agrees,omitempty"`
	// DetectedDownWithinMs bounds, in milliseconds, how long after a node
	// crashed (or was paused) every node that stayed up took to mark it
	// down (gossip); a live node that never did fails it. Needs
	// membership.enabled.
	DetectedDownWithinMs *float64 `yaml:"detected_down_within_ms,omitempty"`
	// FalseDownMax is the most down marks of nodes whose process was up
	// for the whole suspicion timeout before the mark.
	FalseDownMax *int `yaml:"false_down_max,omitempty"`
	// HintsPendingMax and HintsDroppedMax bound the hints held at the end
	// (after the quiet period and final reads) and the hints dropped past
	// their window. Need node.hinted_handoff.enabled.
	HintsPendingMax *int `yaml:"hints_pending_max,omitempty"`
	HintsDroppedMax *int `yaml:"hints_dropped_max,omitempty"`
	// AntiEntropyBytesMax bounds every byte anti-entropy sent over the run
	// (trees and entries, every node). Needs node.anti_entropy.enabled.
	AntiEntropyBytesMax *Bytes `yaml:"anti_entropy_bytes_max,omitempty"`
	// RepairedWithinMs bounds, in milliseconds, how long after each wipe
	// the wiped node took to hold again every key it held just before it
	// (each key's versions back, or superseded by newer ones); a node not
	// repaired by the end of the run fails it. Needs a wipe in the fault
	// schedule.
	RepairedWithinMs *float64 `yaml:"repaired_within_ms,omitempty"`
	// MovedFractionMax bounds, for every join, the share of replica
	// placements (key, replica) of the workload's keys that move to the
	// new node: consistent hashing's ideal is 1/(n+1) for a join into n
	// members. Needs a join in the fault schedule.
	MovedFractionMax *float64 `yaml:"moved_fraction_max,omitempty"`
}

// AfterFaultsGrace is how long after the last fault window ends an
// operation must be invoked to count for availability_after_faults_min:
// operations started earlier may still wait on a request sent into the
// fault.
const AfterFaultsGrace = time.Second

// LatencyBound maps an operation kind (get, put, delete, or all for every
// operation together) to a bound in milliseconds.
type LatencyBound map[OpName]float64

func (b *LatencyBound) unmarshalNode(d *decoder, n ast.Node, path string) bool {
	if _, ok := n.(*ast.MappingNode); ok {
		return d.decodeMap(n, reflectOf((*map[OpName]float64)(b)), path)
	}
	var v float64
	if !d.decode(n, reflectOf(&v), path) {
		return false
	}
	*b = LatencyBound{"all": v}
	return true
}

// MarshalYAML writes a bound on every operation as a plain number.
func (b LatencyBound) MarshalYAML() (any, error) {
	if v, ok := b["all"]; ok && len(b) == 1 {
		return v, nil
	}
	return map[OpName]float64(b), nil
}

// Expectation is one expectation as a report lists it.
type Expectation struct {
	// Name is the expectation's field path, e.g. "availability_min" or
	// "p99_ms_max.get".
	Name string
	// Cmp is how the measured value must compare with Want: "==", "<=" or
	// ">=".
	Cmp string
	// Want is a bool for == and a float64 otherwise.
	Want any
}

func (e Expectation) String() string { return fmt.Sprintf("%s %s %v", e.Name, e.Cmp, e.Want) }

// List returns the expectations that are set, in the order of the fields
// above (latency bounds by operation name).
func (e Expect) List() []Expectation {
	var out []Expectation
	eqBool := func(name string, v *bool) {
		if v != nil {
			out = append(out, Expectation{name, "==", *v})
		}
	}
	bound := func(name, cmp string, v *float64) {
		if v != nil {
			out = append(out, Expectation{name, cmp, *v})
		}
	}
	eqBool("linearizable", e.Linearizable)
	if e.LostAckedWrites != nil {
		out = append(out, Expectation{"lost_acked_writes", "<=", float64(*e.LostAckedWrites)})
		allowed := 0
		if e.UnverifiedAckedWritesMax != nil {
			allowed = *e.UnverifiedAckedWritesMax
		}
		out = append(out, Expectation{"unverified_acked_writes", "<=", float64(allowed)})
	}
	if e.LostAckedWritesMin != nil {
		out = append(out, Expectation{"lost_acked_writes_min", ">=", float64(*e.LostAckedWritesMin)})
	}
	eqBool("converged", e.Converged)
	eqBool("prediction_agrees", e.PredictionAgrees)
	bound("availability_min", ">=", e.AvailabilityMin)
	bound("availability_in_faults_min", ">=", e.AvailabilityInFaultsMin)
	bound("availability_in_faults_max", "<=", e.AvailabilityInFaultsMax)
	bound("availability_after_faults_min", ">=", e.AvailabilityAfterFaultsMin)
	bound("stale_fraction_max", "<=", e.StaleFractionMax)
	bound("stale_fraction_min", ">=", e.StaleFractionMin)
	for _, lb := range []struct {
		name string
		b    LatencyBound
	}{{"p50_ms_max", e.P50MsMax}, {"p99_ms_max", e.P99MsMax}, {"p999_ms_max", e.P999MsMax}} {
		ops := make([]string, 0, len(lb.b))
		for op := range lb.b {
			ops = append(ops, string(op))
		}
		slices.Sort(ops)
		for _, op := range ops {
			out = append(out, Expectation{lb.name + "." + op, "<=", lb.b[OpName(op)]})
		}
	}
	bound("detected_down_within_ms", "<=", e.DetectedDownWithinMs)
	bound("moved_fraction_max", "<=", e.MovedFractionMax)
	for _, c := range []struct {
		name string
		v    *int
	}{{"false_down_max", e.FalseDownMax}, {"hints_pending_max", e.HintsPendingMax}, {"hints_dropped_max", e.HintsDroppedMax}} {
		if c.v != nil {
			out = append(out, Expectation{c.name, "<=", float64(*c.v)})
		}
	}
	bound("repaired_within_ms", "<=", e.RepairedWithinMs)
	if e.AntiEntropyBytesMax != nil {
		out = append(out, Expectation{"anti_entropy_bytes_max", "<=", float64(*e.AntiEntropyBytesMax)})
	}
	return out
}
