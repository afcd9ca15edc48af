package scenarios

import (
	"github.com/goccy/go-yaml/ast"

	"dynasim/internal/dist"
)

// Scenario is a scenario file as written: any knob may still be a range or
// a choice, and unset fields have not taken their defaults yet. Resolve
// turns it into a Resolved scenario for one seed. The field comments give
// the YAML names; doc.go has the defaults.
type Scenario struct {
	Name        string  `yaml:"name"`
	Description string  `yaml:"description"`
	Seed        *uint64 `yaml:"seed"`

	Cluster    ClusterSpec    `yaml:"cluster"`
	Node       NodeConfigSpec `yaml:"node"`
	Membership MembershipSpec `yaml:"membership"`
	Network    NetworkSpec    `yaml:"network"`
	Disks      DisksSpec      `yaml:"disks"`
	Clocks     ClocksSpec     `yaml:"clocks"`
	Workload   WorkloadSpec   `yaml:"workload"`
	Faults     []FaultSpec    `yaml:"faults"`
	// Autoscale is the operator's scaling policy (off unless enabled).
	Autoscale Autoscale `yaml:"autoscale"`

	QuietPeriod    Knob[Duration]      `yaml:"quiet_period"`
	FinalReadLevel Knob[Level]         `yaml:"final_read_level"`
	FinalReadKeys  Knob[FinalReadKeys] `yaml:"final_read_keys"`
	HealAtEnd      Knob[bool]          `yaml:"heal_at_end"`

	Checks ChecksSpec `yaml:"checks"`
	Expect Expect     `yaml:"expect"`
	Sim    SimSpec    `yaml:"sim"`

	file   string
	pos    map[string]Pos  // field path -> where the file gives it
	failed map[string]bool // field paths the decoder refused
}

// ClusterSpec is `cluster:`.
type ClusterSpec struct {
	// Nodes is a count (the shorthand: nodes n1..nN spread over
	// Datacenters) or a list of members.
	Nodes              NodesSpec `yaml:"nodes"`
	Datacenters        []string  `yaml:"datacenters"`
	RacksPerDatacenter Knob[int] `yaml:"racks_per_datacenter"`
	// VNodes is the default virtual nodes per unit of weight.
	VNodes Knob[int] `yaml:"vnodes"`
}

// NodesSpec is `cluster.nodes`: either Count or List is used.
type NodesSpec struct {
	Count Knob[int]
	List  []MemberSpec
}

func (s *NodesSpec) unmarshalNode(d *decoder, n ast.Node, path string) bool {
	switch v := n.(type) {
	case *ast.SequenceNode:
		return d.decode(n, reflectOf(&s.List), path)
	case *ast.IntegerNode:
		return s.Count.unmarshalNode(d, n, path)
	case *ast.MappingNode:
		if hasKey(v, "range", "choice") {
			return s.Count.unmarshalNode(d, n, path)
		}
	}
	d.fail(n, path, "expected a node count (5, or {range: [3, 7]}) or a list of nodes ([{name: a1, datacenter: east}, ...]), got %s", describe(n))
	return false
}

// MemberSpec is one entry of an explicit `cluster.nodes` list.
type MemberSpec struct {
	Name       string        `yaml:"name"`
	Datacenter string        `yaml:"datacenter"`
	Rack       string        `yaml:"rack"`
	Weight     Knob[float64] `yaml:"weight"` // scales cluster.vnodes
}

// NodeConfigSpec is `node:`, the configuration every node runs with.
type NodeConfigSpec struct {
	N                     Knob[int]            `yaml:"n"`
	R                     Knob[int]            `yaml:"r"`
	W                     Knob[int]            `yaml:"w"`
	ReplicasPerDatacenter map[string]Knob[int] `yaml:"replicas_per_datacenter"`
	VersionMode           Knob[VersionMode]    `yaml:"version_mode"`
	MaxSiblings           Knob[int]            `yaml:"max_siblings"`
	ReadRepair            Knob[ReadRepair]     `yaml:"read_repair"`
	TwoPhaseWrites        Knob[bool]           `yaml:"two_phase_writes"`
	RequestTimeout        Knob[Duration]       `yaml:"request_timeout"`
	VClockPruning         PruningSpec          `yaml:"vclock_pruning"`
	Storage               StorageSpec          `yaml:"storage"`
	Quorum                Knob[QuorumMode]     `yaml:"quorum"`
	HintedHandoff         HintedHandoffSpec    `yaml:"hinted_handoff"`
	AntiEntropy           AntiEntropySpec      `yaml:"anti_entropy"`
	Streaming             StreamingSpec        `yaml:"streaming"`
}

// StreamingSpec is `node.streaming`, range streaming on join and
// decommission.
type StreamingSpec struct {
	RateBytesPerS Knob[Bytes]    `yaml:"rate_bytes_per_s"`
	ChunkBytes    Knob[Bytes]    `yaml:"chunk_bytes"`
	StartDelay    Knob[Duration] `yaml:"start_delay"`
}

// AntiEntropySpec is `node.anti_entropy`, Merkle-tree anti-entropy.
type AntiEntropySpec struct {
	Enabled       Knob[bool]     `yaml:"enabled"`
	Interval      Knob[Duration] `yaml:"interval"`
	Buckets       Knob[int]      `yaml:"buckets"`
	RateBytesPerS Knob[Bytes]    `yaml:"rate_bytes_per_s"`
	MaxInFlight   Knob[int]      `yaml:"max_in_flight"`
}

// HintedHandoffSpec is `node.hinted_handoff`.
type HintedHandoffSpec struct {
	Enabled       Knob[bool]     `yaml:"enabled"`
	Window        Knob[Duration] `yaml:"window"`
	RateBytesPerS Knob[Bytes]    `yaml:"rate_bytes_per_s"`
	MaxInFlight   Knob[int]      `yaml:"max_in_flight"`
}

// MembershipSpec is `membership:`, gossip membership and failure
// detection.
type MembershipSpec struct {
	Enabled          Knob[bool]     `yaml:"enabled"`
	Interval         Knob[Duration] `yaml:"interval"`
	Fanout           Knob[int]      `yaml:"fanout"`
	SuspectAfter     Knob[Duration] `yaml:"suspect_after"`
	ConfirmReporters Knob[int]      `yaml:"confirm_reporters"`
	Detector         Knob[Detector] `yaml:"detector"`
	PhiThreshold     Knob[float64]  `yaml:"phi_threshold"`
}

// PruningSpec is `node.vclock_pruning` (Riak's knobs).
type PruningSpec struct {
	SmallVClock Knob[int]      `yaml:"small_vclock"`
	BigVClock   Knob[int]      `yaml:"big_vclock"`
	YoungVClock Knob[Duration] `yaml:"young_vclock"`
	OldVClock   Knob[Duration] `yaml:"old_vclock"`
}

// StorageSpec is `node.storage`.
type StorageSpec struct {
	Sync                Knob[SyncPolicy] `yaml:"sync"`
	SyncInterval        Knob[Duration]   `yaml:"sync_interval"`
	MemtableSizeBytes   Knob[Bytes]      `yaml:"memtable_size_bytes"`
	BloomBitsPerKey     Knob[int]        `yaml:"bloom_bits_per_key"`
	BlockCacheSizeBytes Knob[Bytes]      `yaml:"block_cache_size_bytes"`
}

// NetworkSpec is `network:`.
type NetworkSpec struct {
	Default      LinkSpec           `yaml:"default"`
	DCPairs      []DCPairSpec       `yaml:"dc_pairs"`
	Links        []LinkOverrideSpec `yaml:"links"`
	FIFO         Knob[bool]         `yaml:"fifo"`
	MaxLatencyMs Knob[float64]      `yaml:"max_latency_ms"`
}

// LinkSpec is a link model. In dc_pairs and links, fields left out are
// taken from network.default.
type LinkSpec struct {
	LatencyMs            Knob[dist.Spec]            `yaml:"latency_ms"`
	KindLatencyMs        map[string]Knob[dist.Spec] `yaml:"kind_latency_ms"`
	LossProb             Knob[float64]              `yaml:"loss_prob"`
	DupProb              Knob[float64]              `yaml:"dup_prob"`
	BandwidthBytesPerSec Knob[Bytes]                `yaml:"bandwidth_bytes_per_sec"`
}

// DCPairSpec is one `network.dc_pairs` entry: datacenter From to To.
type DCPairSpec struct {
	From     string   `yaml:"from"`
	To       string   `yaml:"to"`
	BothWays bool     `yaml:"both_ways"`
	Link     LinkSpec `yaml:",inline"`
}

// LinkOverrideSpec is one `network.links` entry: node From to node To.
type LinkOverrideSpec struct {
	From     string   `yaml:"from"`
	To       string   `yaml:"to"`
	BothWays bool     `yaml:"both_ways"`
	Link     LinkSpec `yaml:",inline"`
}

// DisksSpec is `disks:`: a default and per-node overrides. A node's entry
// replaces only the fields it gives (a map field is replaced whole).
type DisksSpec struct {
	Default DiskSpec            `yaml:"default"`
	Nodes   map[string]DiskSpec `yaml:"nodes"`
}

// DiskSpec is one disk model.
type DiskSpec struct {
	CapacityBytes   Knob[Bytes]                `yaml:"capacity_bytes"`
	SectorSizeBytes Knob[Bytes]                `yaml:"sector_size_bytes"`
	CrashMode       Knob[CrashMode]            `yaml:"crash_mode"`
	LatencyMs       map[DiskOp]Knob[dist.Spec] `yaml:"latency_ms"`
	ErrorProb       map[DiskOp]Knob[float64]   `yaml:"error_prob"`
	BitFlipProb     Knob[float64]              `yaml:"bit_flip_prob"`
	Full            Knob[bool]                 `yaml:"full"`
	FaultsFromStart Knob[bool]                 `yaml:"faults_from_start"`
}

// ClocksSpec is `clocks:`: a default and per-node overrides, merged field
// by field.
type ClocksSpec struct {
	Default ClockSpec            `yaml:"default"`
	Nodes   map[string]ClockSpec `yaml:"nodes"`
}

// ClockSpec is one clock's error.
type ClockSpec struct {
	Offset   Knob[Duration] `yaml:"offset"`
	DriftPPM Knob[float64]  `yaml:"drift_ppm"`
}

// WorkloadSpec is `workload:`, mirroring sim.WorkloadConfig.
type WorkloadSpec struct {
	// Kind is mixed (default) or probe; Probe configures a probe.
	Kind    Knob[WorkloadKind] `yaml:"kind"`
	Probe   ProbeSpec          `yaml:"probe"`
	Clients Knob[int]          `yaml:"clients"`
	// ClientsPerDC places that many clients in each named datacenter,
	// instead of Clients (which is then their sum).
	ClientsPerDC  map[string]Knob[int] `yaml:"clients_per_dc"`
	RatePerClient Knob[float64]        `yaml:"rate_per_client"`
	// RateProfile varies the open loop's per-client rate over time.
	RateProfile    []RatePoint      `yaml:"rate_profile"`
	ThinkTimeMs    Knob[dist.Spec]  `yaml:"think_time_ms"`
	Duration       Knob[Duration]   `yaml:"duration"`
	MaxOps         Knob[int]        `yaml:"max_ops"`
	MaxOutstanding Knob[int]        `yaml:"max_outstanding"`
	Mix            MixSpec          `yaml:"mix"`
	Keys           KeysSpec         `yaml:"keys"`
	ValueSizeBytes Knob[dist.Spec]  `yaml:"value_size_bytes"`
	N              Knob[int]        `yaml:"n"`
	ReadLevel      Knob[Level]      `yaml:"read_level"`
	WriteLevel     Knob[Level]      `yaml:"write_level"`
	Routing        Knob[Routing]    `yaml:"routing"`
	Timeout        Knob[Duration]   `yaml:"timeout"`
	Retries        Knob[int]        `yaml:"retries"`
	ClientPolicy   ClientPolicySpec `yaml:"client_policy"`
}

// ClientPolicySpec is `workload.client_policy`, mirroring sim.ClientPolicy:
// the clients' load-balancing and retry policy.
type ClientPolicySpec struct {
	Enabled             Knob[bool]     `yaml:"enabled"`
	ConnectTimeout      Knob[Duration] `yaml:"connect_timeout"`
	RetryAttempts       Knob[int]      `yaml:"retry_attempts"`
	UnhealthyBackoff    Knob[Duration] `yaml:"unhealthy_backoff"`
	MaxUnhealthyBackoff Knob[Duration] `yaml:"max_unhealthy_backoff"`
}

// MixSpec is `workload.mix`: relative weights.
type MixSpec struct {
	Get             Knob[float64] `yaml:"get"`
	Put             Knob[float64] `yaml:"put"`
	Delete          Knob[float64] `yaml:"delete"`
	ReadModifyWrite Knob[float64] `yaml:"rmw"`
}

// KeysSpec is `workload.keys`.
type KeysSpec struct {
	Count       Knob[int]     `yaml:"count"`
	Dist        Knob[KeyDist] `yaml:"dist"`
	ZipfS       Knob[float64] `yaml:"zipf_s"`
	HotspotKeys Knob[float64] `yaml:"hotspot_keys"`
	HotspotOps  Knob[float64] `yaml:"hotspot_ops"`
}

// FaultSpec is one `faults:` entry. Which fields apply depends on Action;
// see doc.go.
type FaultSpec struct {
	At          Knob[Duration]   `yaml:"at"`
	For         Knob[Duration]   `yaml:"for"`
	Action      Action           `yaml:"action"`
	Name        string           `yaml:"name"`
	Nodes       Knob[[]string]   `yaml:"nodes"`
	Sides       Knob[[][]string] `yaml:"sides"`
	Datacenters []string         `yaml:"datacenters"`
	OneWay      bool             `yaml:"one_way"`
	Mode        Knob[CrashMode]  `yaml:"mode"`
	By          Knob[Duration]   `yaml:"by"`
	Factor      Knob[float64]    `yaml:"factor"`
	Kinds       []DiskFaultKind  `yaml:"kinds"`
	DC          string           `yaml:"dc"`
	Rack        string           `yaml:"rack"`
	Weight      float64          `yaml:"weight"`
}

// ChecksSpec is `checks:`.
type ChecksSpec struct {
	Linearizability Knob[LinMode]  `yaml:"linearizability"`
	LinTimeLimit    Knob[Duration] `yaml:"lin_time_limit"`
	LinStepBudget   Knob[int64]    `yaml:"lin_step_budget"`
	LinMemoryMB     Knob[int64]    `yaml:"lin_memory_budget_mb"`
	TVisibilityMs   []float64      `yaml:"t_visibility_ms"`
	MaxExamples     Knob[int]      `yaml:"max_examples"`
}

// SimSpec is `sim:`, knobs of the simulated world itself.
type SimSpec struct {
	EventCost       Knob[Duration] `yaml:"event_cost"`
	MaxQueuedEvents Knob[int]      `yaml:"max_queued_events"`
}
