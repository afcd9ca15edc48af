package scenarios

import (
	"time"

	"dynasim/internal/dist"
	"dynasim/sim/network"
)

// Resolved is a scenario for one seed: every knob picked, every default
// filled in. Its YAML form (MarshalResolved) is itself a scenario file that
// parses and resolves back to an identical Resolved, which is what `dynasim
// replay` re-runs. The runner maps it onto the simulator.
type Resolved struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	// Seed is the master seed of the run; it also picked the knobs.
	Seed uint64 `yaml:"seed"`

	Cluster    Cluster    `yaml:"cluster"`
	Node       NodeConfig `yaml:"node"`
	Membership Membership `yaml:"membership"`
	Network    Network    `yaml:"network"`
	Disks      Disks      `yaml:"disks"`
	Clocks     Clocks     `yaml:"clocks"`
	Workload   Workload   `yaml:"workload"`
	// Faults are in file order; Actions lists them in time order with the
	// reverse actions of `for:` windows.
	Faults []Fault `yaml:"faults,omitempty"`
	// Autoscale is the operator's scaling policy (Enabled false: none).
	Autoscale Autoscale `yaml:"autoscale,omitempty"`

	QuietPeriod    Duration      `yaml:"quiet_period"`
	FinalReadLevel Level         `yaml:"final_read_level"`
	FinalReadKeys  FinalReadKeys `yaml:"final_read_keys"`
	HealAtEnd      bool          `yaml:"heal_at_end"`

	Checks Checks `yaml:"checks"`
	Expect Expect `yaml:"expect,omitempty"`
	Sim    Sim    `yaml:"sim"`
}

// Cluster is the membership. A node's virtual nodes are VNodes × Weight.
type Cluster struct {
	VNodes int      `yaml:"vnodes"`
	Nodes  []Member `yaml:"nodes"`
}

// Member is one node.
type Member struct {
	Name       string  `yaml:"name"`
	Datacenter string  `yaml:"datacenter"`
	Rack       string  `yaml:"rack,omitempty"`
	Weight     float64 `yaml:"weight"`
}

// NodeConfig is what every node runs with.
type NodeConfig struct {
	N int `yaml:"n"`
	R int `yaml:"r"`
	W int `yaml:"w"`
	// ReplicasPerDatacenter, when set, places that many of each key's
	// replicas in each listed datacenter; N is their sum.
	ReplicasPerDatacenter map[string]int `yaml:"replicas_per_datacenter,omitempty"`
	VersionMode           VersionMode    `yaml:"version_mode"`
	MaxSiblings           int            `yaml:"max_siblings"`
	ReadRepair            ReadRepair     `yaml:"read_repair"`
	TwoPhaseWrites        bool           `yaml:"two_phase_writes"`
	RequestTimeout        Duration       `yaml:"request_timeout"`
	VClockPruning         Pruning        `yaml:"vclock_pruning"`
	Storage               Storage        `yaml:"storage"`
	Quorum                QuorumMode     `yaml:"quorum"`
	HintedHandoff         HintedHandoff  `yaml:"hinted_handoff"`
	AntiEntropy           AntiEntropy    `yaml:"anti_entropy"`
	Streaming             Streaming      `yaml:"streaming"`
}

// Streaming holds range streaming's knobs (node's StreamingConfig).
type Streaming struct {
	RateBytesPerS Bytes    `yaml:"rate_bytes_per_s"`
	ChunkBytes    Bytes    `yaml:"chunk_bytes"`
	StartDelay    Duration `yaml:"start_delay"`
}

// AntiEntropy holds Merkle-tree anti-entropy's knobs (node's
// AntiEntropyConfig).
type AntiEntropy struct {
	Enabled       bool     `yaml:"enabled"`
	Interval      Duration `yaml:"interval"`
	Buckets       int      `yaml:"buckets"`
	RateBytesPerS Bytes    `yaml:"rate_bytes_per_s"`
	MaxInFlight   int      `yaml:"max_in_flight"`
}

// HintedHandoff holds the hint store's and handoff's knobs.
type HintedHandoff struct {
	Enabled       bool     `yaml:"enabled"`
	Window        Duration `yaml:"window"`
	RateBytesPerS Bytes    `yaml:"rate_bytes_per_s"`
	MaxInFlight   int      `yaml:"max_in_flight"`
}

// Membership holds gossip's knobs (node/gossip's Config).
type Membership struct {
	Enabled          bool     `yaml:"enabled"`
	Interval         Duration `yaml:"interval"`
	Fanout           int      `yaml:"fanout"`
	SuspectAfter     Duration `yaml:"suspect_after"`
	ConfirmReporters int      `yaml:"confirm_reporters"`
	Detector         Detector `yaml:"detector"`
	PhiThreshold     float64  `yaml:"phi_threshold"`
}

// Pruning holds the vector-clock pruning knobs.
type Pruning struct {
	SmallVClock int      `yaml:"small_vclock"`
	BigVClock   int      `yaml:"big_vclock"`
	YoungVClock Duration `yaml:"young_vclock"`
	OldVClock   Duration `yaml:"old_vclock"`
}

// Storage holds the storage engine's knobs (node/lsm's Options).
type Storage struct {
	Sync SyncPolicy `yaml:"sync"`
	// SyncInterval is the group-commit window or the periodic sync's
	// period; 0 for sync: every.
	SyncInterval      Duration `yaml:"sync_interval,omitempty"`
	MemtableSizeBytes Bytes    `yaml:"memtable_size_bytes"`
	// BloomBitsPerKey 0 builds no filters (lsm's -1).
	BloomBitsPerKey int `yaml:"bloom_bits_per_key"`
	// BlockCacheSizeBytes 0 disables the block cache (lsm's -1).
	BlockCacheSizeBytes Bytes `yaml:"block_cache_size_bytes"`
}

// Network is the network model, ready for network.Config once node names are
// mapped to addresses. Every override carries its complete link model.
type Network struct {
	Default      Link           `yaml:"default"`
	DCPairs      []DCPair       `yaml:"dc_pairs,omitempty"`
	Links        []LinkOverride `yaml:"links,omitempty"`
	FIFO         bool           `yaml:"fifo"`
	MaxLatencyMs float64        `yaml:"max_latency_ms"`
}

// Link is one link model. Unlike network.LinkConfig it writes every field, zero
// or not, so an override that sets a field to zero stays zero when read back
// instead of inheriting network.default.
type Link struct {
	LatencyMs dist.Spec `yaml:"latency_ms"`
	// KindLatencyMs is never nil in a resolved scenario (empty: no
	// per-kind latencies).
	KindLatencyMs        map[string]dist.Spec `yaml:"kind_latency_ms"`
	LossProb             float64              `yaml:"loss_prob"`
	DupProb              float64              `yaml:"dup_prob"`
	BandwidthBytesPerSec int64                `yaml:"bandwidth_bytes_per_sec"`
}

// Net returns the link as network.Config takes it.
func (l Link) Net() network.LinkConfig {
	c := network.LinkConfig{LatencyMs: l.LatencyMs, LossProb: l.LossProb, DupProb: l.DupProb, BandwidthBytesPerSec: l.BandwidthBytesPerSec}
	if len(l.KindLatencyMs) > 0 {
		c.KindLatencyMs = l.KindLatencyMs
	}
	return c
}

// DCPair overrides the link model between two datacenters.
type DCPair struct {
	From     string `yaml:"from"`
	To       string `yaml:"to"`
	BothWays bool   `yaml:"both_ways,omitempty"`
	Link     Link   `yaml:",inline"`
}

// LinkOverride overrides the link model between two nodes, by name.
type LinkOverride struct {
	From     string `yaml:"from"`
	To       string `yaml:"to"`
	BothWays bool   `yaml:"both_ways,omitempty"`
	Link     Link   `yaml:",inline"`
}

// Disks holds every node's disk, by node name.
type Disks struct {
	Nodes map[string]Disk `yaml:"nodes"`
}

// Disk is one node's disk model.
type Disk struct {
	CapacityBytes   Bytes                `yaml:"capacity_bytes"`
	SectorSizeBytes Bytes                `yaml:"sector_size_bytes"`
	CrashMode       CrashMode            `yaml:"crash_mode"`
	LatencyMs       map[DiskOp]dist.Spec `yaml:"latency_ms,omitempty"`
	ErrorProb       map[DiskOp]float64   `yaml:"error_prob,omitempty"`
	BitFlipProb     float64              `yaml:"bit_flip_prob"`
	Full            bool                 `yaml:"full"`
	FaultsFromStart bool                 `yaml:"faults_from_start"`
}

// Clocks holds every node's clock, by node name.
type Clocks struct {
	Nodes map[string]Clock `yaml:"nodes"`
}

// Clock is one node's clock error.
type Clock struct {
	Offset   Duration `yaml:"offset"`
	DriftPPM float64  `yaml:"drift_ppm"`
}

// Workload is what the clients do, mirroring sim.WorkloadConfig. N is
// explicit; ReadLevel and WriteLevel stay DEFAULT when the scenario leaves
// them so: such requests travel as DEFAULT and each node applies its own
// configured R and W (Level.Effective says what that is).
type Workload struct {
	// Kind and Probe are set for a probe workload only (probe.go).
	Kind    WorkloadKind `yaml:"kind,omitempty"`
	Probe   *Probe       `yaml:"probe,omitempty"`
	Clients int          `yaml:"clients"`
	// ClientsPerDC, when set, places that many of the clients in each
	// datacenter (Clients is their sum): client0... fill the datacenters in
	// name order. Unset: every client sits in the first node's datacenter.
	ClientsPerDC   map[string]int `yaml:"clients_per_dc,omitempty"`
	RatePerClient  float64        `yaml:"rate_per_client"`
	RateProfile    []RatePoint    `yaml:"rate_profile,omitempty"`
	ThinkTimeMs    dist.Spec      `yaml:"think_time_ms,omitempty"`
	Duration       Duration       `yaml:"duration"`
	MaxOps         int            `yaml:"max_ops"`
	MaxOutstanding int            `yaml:"max_outstanding"`
	Mix            Mix            `yaml:"mix"`
	Keys           Keys           `yaml:"keys"`
	ValueSizeBytes dist.Spec      `yaml:"value_size_bytes"`
	N              int            `yaml:"n"`
	ReadLevel      Level          `yaml:"read_level"`
	WriteLevel     Level          `yaml:"write_level"`
	Routing        Routing        `yaml:"routing"`
	Timeout        Duration       `yaml:"timeout"`
	Retries        int            `yaml:"retries"`
	ClientPolicy   ClientPolicy   `yaml:"client_policy"`
}

// ClientPolicy is the clients' load-balancing and retry policy
// (sim.ClientPolicy). RetryAttempts 0 means no retries.
type ClientPolicy struct {
	Enabled             bool     `yaml:"enabled"`
	ConnectTimeout      Duration `yaml:"connect_timeout"`
	RetryAttempts       int      `yaml:"retry_attempts"`
	UnhealthyBackoff    Duration `yaml:"unhealthy_backoff"`
	MaxUnhealthyBackoff Duration `yaml:"max_unhealthy_backoff"`
}

// Mix weighs the operation kinds.
type Mix struct {
	Get             float64 `yaml:"get"`
	Put             float64 `yaml:"put"`
	Delete          float64 `yaml:"delete"`
	ReadModifyWrite float64 `yaml:"rmw"`
}

// Keys says which keys operations touch.
type Keys struct {
	Count       int     `yaml:"count"`
	Dist        KeyDist `yaml:"dist"`
	ZipfS       float64 `yaml:"zipf_s"`
	HotspotKeys float64 `yaml:"hotspot_keys"`
	HotspotOps  float64 `yaml:"hotspot_ops"`
}

// Fault is one scheduled fault with its targets resolved: a partition
// always has a Name and two explicit Sides, disk-fault actions list their
// Kinds. Mode empty means each crashed node's disk crash_mode. The fields
// map one to one onto sim.Fault (Sides -> SideA, SideB; Datacenters -> DCA,
// DCB; By -> ClockJump; Factor -> SlowFactor; Kinds -> DiskFaults).
type Fault struct {
	At          Duration        `yaml:"at"`
	For         Duration        `yaml:"for,omitempty"`
	Action      Action          `yaml:"action"`
	Name        string          `yaml:"name,omitempty"`
	Nodes       []string        `yaml:"nodes,omitempty"`
	Sides       [][]string      `yaml:"sides,omitempty"`
	Datacenters []string        `yaml:"datacenters,omitempty"`
	OneWay      bool            `yaml:"one_way,omitempty"`
	Mode        CrashMode       `yaml:"mode,omitempty"`
	By          Duration        `yaml:"by,omitempty"`
	Factor      float64         `yaml:"factor,omitempty"`
	Kinds       []DiskFaultKind `yaml:"kinds,omitempty"`
	// DC, Rack and Weight place a joining node (join).
	DC     string  `yaml:"dc,omitempty"`
	Rack   string  `yaml:"rack,omitempty"`
	Weight float64 `yaml:"weight,omitempty"`
}

// Checks configures the checker.
type Checks struct {
	Linearizability LinMode   `yaml:"linearizability"`
	LinTimeLimit    Duration  `yaml:"lin_time_limit"`
	LinStepBudget   int64     `yaml:"lin_step_budget"`
	LinMemoryMB     int64     `yaml:"lin_memory_budget_mb"`
	TVisibilityMs   []float64 `yaml:"t_visibility_ms"`
	MaxExamples     int       `yaml:"max_examples"`
}

// Sim configures the simulated world.
type Sim struct {
	EventCost       Duration `yaml:"event_cost"`
	MaxQueuedEvents int      `yaml:"max_queued_events"`
}

// Defaults. doc.go lists them all in one table.
const (
	DefaultSeed           = 1
	DefaultNodes          = 3
	DefaultDatacenter     = "dc1"
	DefaultVNodes         = 256
	DefaultN              = 3
	DefaultVersionMode    = VersionMode("dvv")
	DefaultMaxSiblings    = 100
	DefaultReadRepair     = ReadRepair("async")
	DefaultRequestTimeout = Duration(500 * time.Millisecond)
	DefaultSmallVClock    = 50
	DefaultBigVClock      = 50
	DefaultYoungVClock    = Duration(20 * time.Second)
	DefaultOldVClock      = Duration(24 * time.Hour)
	DefaultSync           = SyncPolicy("every")
	DefaultGroupInterval  = Duration(2 * time.Millisecond)   // sync: group
	DefaultSyncInterval   = Duration(100 * time.Millisecond) // sync: periodic (lsm's default)
	DefaultMemtableSize   = Bytes(4 << 20)
	DefaultBloomBits      = 10
	DefaultBlockCacheSize = Bytes(8 << 20)
	DefaultMaxLatencyMs   = 60000.0
	DefaultSectorSize     = Bytes(512)
	DefaultCrashMode      = CrashMode("lose-unsynced")
	DefaultClients        = 1
	DefaultDuration       = Duration(10 * time.Second)
	DefaultMaxOutstanding = 10_000
	DefaultKeyCount       = 100
	DefaultKeyDist        = KeyDist("uniform")
	DefaultZipfS          = 0.99
	DefaultHotspotKeys    = 0.2
	DefaultHotspotOps     = 0.8
	DefaultRouting        = Routing("random")
	DefaultClientTimeout  = Duration(time.Second)
	// The client policy's (sim.ClientPolicy's; runner's tests hold them
	// equal).
	DefaultConnectTimeout      = Duration(100 * time.Millisecond)
	DefaultRetryAttempts       = 3
	DefaultUnhealthyBackoff    = Duration(time.Second)
	DefaultMaxUnhealthyBackoff = Duration(10 * time.Second)
	MaxRetryAttempts           = 100
	DefaultQuietPeriod         = Duration(5 * time.Second)
	DefaultFinalReadLevel      = Level("ALL")
	DefaultFinalReadKeys       = FinalReadKeys("written")
	DefaultLinMode             = LinMode("auto")
	DefaultLinTimeLimit        = Duration(10 * time.Minute)
	// The checker's own defaults (runner's tests hold them equal).
	DefaultLinStepBudget = int64(20_000_000)
	DefaultLinMemoryMB   = int64(512)
	DefaultMaxExamples   = 20
	DefaultMaxQueued     = 1_000_000
	// Membership and sloppy quorum (the node's own defaults; runner's
	// tests hold them equal).
	DefaultGossipInterval    = Duration(time.Second)
	DefaultFanout            = 2
	DefaultSuspectAfter      = Duration(5 * time.Second)
	DefaultConfirmReporters  = 2
	DefaultDetector          = Detector("heartbeat")
	DefaultPhiThreshold      = 8.0
	DefaultQuorum            = QuorumMode("strict")
	DefaultHintWindow        = Duration(3 * time.Hour)
	DefaultHintRateBytesPerS = Bytes(1 << 20)
	DefaultHintMaxInFlight   = 16
	// Anti-entropy (the node's defaults; runner's tests hold them equal).
	DefaultAEInterval      = Duration(10 * time.Second)
	DefaultAEBuckets       = 64
	DefaultAERateBytesPerS = Bytes(1 << 20)
	DefaultAEMaxInFlight   = 2
	// Range streaming (node.StreamingConfig's defaults).
	DefaultStreamRateBytesPerS = Bytes(8 << 20)
	DefaultStreamChunkBytes    = Bytes(64 << 10)
	DefaultStreamStartDelay    = Duration(time.Second)
)

// DefaultLatencyMs is the default one-way network latency (sim/network's default).
var DefaultLatencyMs = network.DefaultLatencyMs

// DefaultValueSizeBytes is the default value size distribution.
var DefaultValueSizeBytes = dist.Spec{Dist: dist.Constant, Value: 100}

// DefaultTVisibilityMs are the default t-visibility thresholds (the
// checker's).
var DefaultTVisibilityMs = []float64{0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000}

// DefaultDiskFaultKinds are the kinds disk_faults_on/off switch when a
// fault lists none.
var DefaultDiskFaultKinds = []DiskFaultKind{"error", "bitflip"}

// RatePoint is one point of workload.rate_profile: each client's
// open-loop rate at a time, interpolated linearly between points.
type RatePoint struct {
	At            Duration `yaml:"at"`
	RatePerClient float64  `yaml:"rate_per_client"`
}

// Autoscale is `autoscale:`, the operator's scaling policy
// (sim/autoscale): every interval it measures the requests the clients
// started per ring member per second; when that stayed above
// scale_up_above for the whole window it joins the next of nodes (new
// nodes, in dc), when it stayed below scale_down_below it decommissions
// the node it added last, within [min, max] members and at most once per
// cooldown, never while a change is still in progress.
type Autoscale struct {
	Enabled        bool     `yaml:"enabled"`
	ScaleUpAbove   float64  `yaml:"scale_up_above"`
	ScaleDownBelow float64  `yaml:"scale_down_below"`
	Window         Duration `yaml:"window"`
	Interval       Duration `yaml:"interval"`
	Min            int      `yaml:"min"`
	Max            int      `yaml:"max"`
	Cooldown       Duration `yaml:"cooldown"`
	Nodes          []string `yaml:"nodes"`
	DC             string   `yaml:"dc"`
}

// Autoscale defaults (sim/autoscale's).
const (
	DefaultAutoscaleWindow   = Duration(5 * time.Second)
	DefaultAutoscaleInterval = Duration(time.Second)
	DefaultAutoscaleCooldown = Duration(10 * time.Second)
)
