package history

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
)

// RunInfo describes the run that recorded a history: what the JSON Lines
// header's "run" object holds. It is what a reader of the history alone
// (dynasim check) needs to interpret it the way the run did: the version
// mode picks the consistency model, N/W/R and the levels say which checks
// apply, the seed and fingerprint identify the run, the node names label
// the coordinators.
type RunInfo struct {
	// Scenario is the scenario's name; empty when the recorder had none.
	Scenario string `json:"scenario,omitempty"`
	// Seed is the run's master seed; Fingerprint its replay fingerprint as
	// 16 lower-case hex digits; Events the events the simulator delivered;
	// EndNs the virtual time the run ended (quiet period and final reads
	// included).
	Seed        uint64 `json:"seed"`
	Fingerprint string `json:"fingerprint"`
	Events      uint64 `json:"events"`
	EndNs       int64  `json:"end_ns"`
	// InFlightAtEnd is how many messages were still on their way when the
	// last replica states were recorded: replicas that differ then may
	// still converge ("not yet", not "diverged").
	InFlightAtEnd int `json:"in_flight_at_end,omitempty"`
	// VersionMode is how replicas versioned values: vclock, dvv or lww.
	VersionMode string `json:"version_mode"`
	// N, W and R are the node configuration's replication factor and
	// default quorums.
	N int `json:"n"`
	W int `json:"w"`
	R int `json:"r"`
	// WorkloadN is the replica count the workload's requests asked for
	// (replicas per key); ReadLevel, WriteLevel and FinalReadLevel the
	// levels of its reads, writes and final reads, as the scenario spells
	// them ("2", "QUORUM", "ALL", ...).
	WorkloadN      int    `json:"workload_n"`
	ReadLevel      string `json:"read_level"`
	WriteLevel     string `json:"write_level"`
	FinalReadLevel string `json:"final_read_level"`
	// FinalReadKeys is which keys were read back at the end: "written"
	// (every key a put or delete was issued for) or "all".
	FinalReadKeys string `json:"final_read_keys,omitempty"`
	// Linearizability: whether the run applied the linearizability check
	// (W+R>N, or forced by the scenario).
	Linearizability bool `json:"linearizability"`
	// ReadRepair (off, async, blocking) and TwoPhaseWrites complete the
	// picture of the coordinator; Clients and Keys of the workload.
	ReadRepair     string `json:"read_repair,omitempty"`
	TwoPhaseWrites bool   `json:"two_phase_writes,omitempty"`
	Clients        int    `json:"clients,omitempty"`
	Keys           int    `json:"keys,omitempty"`
	// ClientsPerDC counts the workload's clients per datacenter (the
	// scenario's workload.clients_per_dc, or all in one).
	ClientsPerDC map[string]int `json:"clients_per_dc,omitempty"`
	// Nodes names the nodes by index: Op.Coordinator and ReplicaState.Node
	// index this list.
	Nodes []NodeInfo `json:"nodes"`
	// RingVersions are the ring versions the run's nodes were given, each
	// with the virtual time it took effect, oldest first: which nodes held
	// which keys when (RingAt). Absent in histories written before they
	// were recorded.
	RingVersions []RingVersion `json:"ring_versions,omitempty"`
	// Targets, when set, are the client addresses of the real cluster the
	// workload ran against (`dynasim run --target`): times are wall-clock
	// nanoseconds since the workload started, the fingerprint is zero and
	// events 0, and the run cannot be replayed. Empty for a simulation.
	Targets []string `json:"targets,omitempty"`
}

// RingVersion is one version of the ring as the run used it: enough to
// rebuild the ring (the placement rule, the token seed and virtual nodes,
// each member's ID, datacenter, rack and weight) and to tell versions apart
// (Digest).
type RingVersion struct {
	Version uint64 `json:"version"`
	AtNs    int64  `json:"at_ns"`
	// Digest is the version's content hash as 16 lower-case hex digits.
	Digest string `json:"digest"`
	VNodes int    `json:"vnodes"`
	Seed   uint64 `json:"seed"`
	// N is the replica count, or PerDC the replicas per datacenter.
	N       int            `json:"n,omitempty"`
	PerDC   map[string]int `json:"per_dc,omitempty"`
	Members []RingMember   `json:"members"`
}

// RingMember is one member of a ring version. Node indexes the run's
// Nodes; ID (the member's identity, its tokens' seed) and Addr (its wire
// address) need not equal it or each other.
type RingMember struct {
	Node   int32   `json:"node"`
	ID     int32   `json:"id"`
	Addr   int32   `json:"addr"`
	DC     string  `json:"dc,omitempty"`
	Rack   string  `json:"rack,omitempty"`
	Weight float64 `json:"weight"`
}

// RingAt returns the ring version in force at virtual time atNs: the last
// one that took effect at or before it (the first for earlier times), or
// nil when none is recorded.
func (r *RunInfo) RingAt(atNs int64) *RingVersion {
	if len(r.RingVersions) == 0 {
		return nil
	}
	i := len(r.RingVersions) - 1
	for i > 0 && r.RingVersions[i].AtNs > atNs {
		i--
	}
	return &r.RingVersions[i]
}

// NodeInfo names one node of the run.
type NodeInfo struct {
	Name string `json:"name"`
	DC   string `json:"dc,omitempty"`
}

// MaxNodes bounds RunInfo.Nodes.
const MaxNodes = 10_000

var fingerprintRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// runRequired are the run object's fields that must be present.
var runRequired = []string{"seed", "fingerprint", "events", "end_ns", "version_mode", "n", "w", "r",
	"workload_n", "read_level", "write_level", "final_read_level", "linearizability", "nodes"}

// Validate checks the run description on its own.
func (r *RunInfo) Validate() error {
	if len(r.Scenario) > MaxKeyBytes {
		return fieldErr("run.scenario", "is %d bytes, the limit is %d", len(r.Scenario), MaxKeyBytes)
	}
	if !fingerprintRE.MatchString(r.Fingerprint) {
		return fieldErr("run.fingerprint", "must be 16 lower-case hex digits, got %q", r.Fingerprint)
	}
	if r.EndNs < 0 {
		return fieldErr("run.end_ns", "must be non-negative, got %d", r.EndNs)
	}
	switch r.VersionMode {
	case "vclock", "dvv", "lww":
	default:
		return fieldErr("run.version_mode", "must be vclock, dvv or lww, got %q", r.VersionMode)
	}
	if r.N < 1 || r.N > 1000 {
		return fieldErr("run.n", "must be in [1, 1000], got %d", r.N)
	}
	for _, q := range []struct {
		name string
		v    int
	}{{"run.w", r.W}, {"run.r", r.R}} {
		if q.v < 1 || q.v > r.N {
			return fieldErr(q.name, "must be in [1, n=%d], got %d", r.N, q.v)
		}
	}
	if r.WorkloadN < 1 || r.WorkloadN > 1000 {
		return fieldErr("run.workload_n", "must be in [1, 1000], got %d", r.WorkloadN)
	}
	for _, s := range []struct{ name, v string }{
		{"run.read_level", r.ReadLevel}, {"run.write_level", r.WriteLevel}, {"run.final_read_level", r.FinalReadLevel},
		{"run.read_repair", r.ReadRepair}, {"run.final_read_keys", r.FinalReadKeys},
	} {
		if len(s.v) > MaxIDBytes {
			return fieldErr(s.name, "is %d bytes, the limit is %d", len(s.v), MaxIDBytes)
		}
	}
	if r.Clients < 0 || r.Keys < 0 {
		return fieldErr("run.clients", "clients (%d) and keys (%d) must be non-negative", r.Clients, r.Keys)
	}
	for _, dc := range slices.Sorted(maps.Keys(r.ClientsPerDC)) { // the first problem in name order
		if n := r.ClientsPerDC[dc]; len(dc) > MaxIDBytes || n < 0 {
			return fieldErr("run.clients_per_dc", "datacenter names are limited to %d bytes and counts must be non-negative, got %q: %d", MaxIDBytes, dc, r.ClientsPerDC[dc])
		}
	}
	if r.InFlightAtEnd < 0 {
		return fieldErr("run.in_flight_at_end", "must be non-negative, got %d", r.InFlightAtEnd)
	}
	if len(r.Nodes) < 1 || len(r.Nodes) > MaxNodes {
		return fieldErr("run.nodes", "must name between 1 and %d nodes, got %d", MaxNodes, len(r.Nodes))
	}
	for i, n := range r.Nodes {
		if err := checkString(fmt.Sprintf("run.nodes[%d].name", i), n.Name, MaxIDBytes); err != nil {
			return err
		}
		if len(n.DC) > MaxIDBytes {
			return fieldErr(fmt.Sprintf("run.nodes[%d].dc", i), "is %d bytes, the limit is %d", len(n.DC), MaxIDBytes)
		}
	}
	if len(r.Targets) > MaxNodes {
		return fieldErr("run.targets", "lists %d addresses, the limit is %d", len(r.Targets), MaxNodes)
	}
	for i, a := range r.Targets {
		if a == "" || len(a) > MaxIDBytes {
			return fieldErr(fmt.Sprintf("run.targets[%d]", i), "must be a non-empty address of at most %d bytes", MaxIDBytes)
		}
	}
	return r.validateRings()
}

// MaxRingVersions bounds RunInfo.RingVersions.
const MaxRingVersions = 10_000

func (r *RunInfo) validateRings() error {
	if len(r.RingVersions) > MaxRingVersions {
		return fieldErr("run.ring_versions", "lists %d versions, the limit is %d", len(r.RingVersions), MaxRingVersions)
	}
	for i := range r.RingVersions {
		v := &r.RingVersions[i]
		path := fmt.Sprintf("run.ring_versions[%d]", i)
		if v.Version == 0 {
			return fieldErr(path+".version", "must be at least 1")
		}
		if v.AtNs < 0 {
			return fieldErr(path+".at_ns", "must be non-negative, got %d", v.AtNs)
		}
		if i > 0 {
			prev := &r.RingVersions[i-1]
			if v.Version <= prev.Version {
				return fieldErr(path+".version", "must be above the previous version %d, got %d", prev.Version, v.Version)
			}
			if v.AtNs < prev.AtNs {
				return fieldErr(path+".at_ns", "must not be before the previous version's %d, got %d", prev.AtNs, v.AtNs)
			}
		}
		if !fingerprintRE.MatchString(v.Digest) {
			return fieldErr(path+".digest", "must be 16 lower-case hex digits, got %q", v.Digest)
		}
		if len(v.Members) < 1 || len(v.Members) > MaxNodes {
			return fieldErr(path+".members", "must list between 1 and %d members, got %d", MaxNodes, len(v.Members))
		}
		for j, m := range v.Members {
			if m.Node < 0 || int(m.Node) >= len(r.Nodes) {
				return fieldErr(fmt.Sprintf("%s.members[%d].node", path, j), "must index run.nodes (0..%d), got %d", len(r.Nodes)-1, m.Node)
			}
			if len(m.DC) > MaxIDBytes || len(m.Rack) > MaxIDBytes {
				return fieldErr(fmt.Sprintf("%s.members[%d]", path, j), "dc and rack are limited to %d bytes", MaxIDBytes)
			}
		}
	}
	return nil
}
