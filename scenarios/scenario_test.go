package scenarios

import (
	"fmt"
	"io/fs"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/internal/dist"
)

var testdataFiles = []string{"testdata/full.yaml", "testdata/partition-minority.yaml", "testdata/lww-skew.yaml", "testdata/clients-per-dc.yaml", "testdata/probe.yaml", "testdata/probe-range.yaml"}

func mustParse(t *testing.T, src string) *Scenario {
	t.Helper()
	s, err := Parse("t.yaml", []byte(src))
	require.NoError(t, err)
	return s
}

func mustResolve(t *testing.T, s *Scenario, seed uint64) *Resolved {
	t.Helper()
	r, err := s.Resolve(seed)
	require.NoError(t, err)
	return r
}

// fieldPatterns lists, as regular expressions over decoded paths, every
// field a scenario file can contain: list indices and map keys match
// anything; knobs, distributions and maps are leaves.
func fieldPatterns(t reflect.Type, prefix string) []string {
	leaf := []string{prefix}
	if strings.HasPrefix(t.Name(), "Knob[") {
		return leaf
	}
	switch t {
	case reflect.TypeFor[dist.Spec](), reflect.TypeFor[LatencyBound]():
		return leaf
	case reflect.TypeFor[NodesSpec]():
		return append(leaf, fieldPatterns(reflect.TypeFor[MemberSpec](), prefix+`\[\d+\]`)...)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return fieldPatterns(t.Elem(), prefix)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return fieldPatterns(t.Elem(), prefix+`\[\d+\]`)
		}
		return leaf
	case reflect.Map:
		// Per-node disks and clocks have the fields of their defaults,
		// which are covered there.
		return []string{prefix + `\.[^.]+`}
	case reflect.Struct:
		var out []string
		for _, f := range structFields(t, nil) {
			p := f.name
			if prefix != "" {
				p = prefix + `\.` + f.name
			}
			out = append(out, fieldPatterns(t.FieldByIndex(f.index).Type, p)...)
		}
		return out
	}
	return leaf
}

// The example files together use every field of the format (full.yaml all
// but the cluster shorthand's), and each parses to what it says.
func TestReferenceFileParsesEveryField(t *testing.T) {
	var used []string
	for _, f := range testdataFiles {
		s, err := Load(f)
		require.NoError(t, err)
		for p := range s.pos {
			used = append(used, p)
		}
	}
	for _, pat := range fieldPatterns(reflect.TypeFor[Scenario](), "") {
		re := regexp.MustCompile("^" + pat + "$")
		require.True(t, slices.ContainsFunc(used, re.MatchString), "no example file uses the field %s", pat)
	}

	s, err := Load("testdata/full.yaml")
	require.NoError(t, err)

	require.Equal(t, "full-reference", s.Name)
	require.Equal(t, uint64(42), s.DefaultSeed())
	require.Contains(t, s.Description, "torn write")
	require.Len(t, s.Cluster.Nodes.List, 5)
	require.Equal(t, MemberSpec{Name: "e3", Datacenter: "east", Rack: "r3", Weight: Fixed(2.0)}, s.Cluster.Nodes.List[2])
	require.Equal(t, RangeOf(0.5, 1.5), s.Cluster.Nodes.List[4].Weight)
	require.Equal(t, ChoiceOf(128, 256), s.Cluster.VNodes)

	n := s.Node
	require.Equal(t, map[string]Knob[int]{"east": Fixed(2), "west": Fixed(1)}, n.ReplicasPerDatacenter)
	require.Equal(t, RangeOf(2, 3), n.W)
	require.Equal(t, ChoiceOf[VersionMode]("vclock", "dvv"), n.VersionMode)
	require.Equal(t, Fixed[ReadRepair]("blocking"), n.ReadRepair)
	require.Equal(t, Fixed(true), n.TwoPhaseWrites)
	require.Equal(t, Fixed(Duration(400*time.Millisecond)), n.RequestTimeout)
	require.Equal(t, PruningSpec{Fixed(10), Fixed(20), Fixed(Duration(5 * time.Second)), Fixed(Duration(time.Hour))}, n.VClockPruning)
	require.Equal(t, StorageSpec{Fixed[SyncPolicy]("group"), Fixed(Duration(2 * time.Millisecond)), Fixed(Bytes(1 << 20)), RangeOf(4, 16), Fixed(Bytes(16 << 20))}, n.Storage)

	require.Equal(t, ChoiceOf[QuorumMode]("strict", "sloppy"), n.Quorum)
	require.Equal(t, HintedHandoffSpec{Fixed(true), Fixed(Duration(time.Hour)), Fixed(Bytes(64 << 10)), RangeOf(4, 32)}, n.HintedHandoff)
	require.Equal(t, AntiEntropySpec{Fixed(true), Fixed(Duration(5 * time.Second)), ChoiceOf(16, 64), Fixed(Bytes(256 << 10)), RangeOf(1, 4)}, n.AntiEntropy)
	require.Equal(t, MembershipSpec{Fixed(true), Fixed(Duration(500 * time.Millisecond)), RangeOf(1, 3), Fixed(Duration(3 * time.Second)),
		Fixed(2), ChoiceOf[Detector]("heartbeat", "phi"), Fixed(10.0)}, s.Membership)

	nw := s.Network
	require.Equal(t, Fixed(dist.Spec{Dist: "lognormal", Median: 1, Sigma: 0.5}), nw.Default.LatencyMs)
	require.Equal(t, Fixed(dist.Spec{Dist: "uniform", Min: 0.5, Max: 2}), nw.Default.KindLatencyMs["write_request"])
	require.Equal(t, RangeOf(0.0, 0.01), nw.Default.DupProb)
	require.Equal(t, Fixed(Bytes(125e6)), nw.Default.BandwidthBytesPerSec)
	require.Equal(t, "east", nw.DCPairs[0].From)
	require.True(t, nw.DCPairs[0].BothWays)
	require.Equal(t, 1.5, nw.DCPairs[0].Link.LatencyMs.Value.Mixture[1].Shape)
	require.Equal(t, LinkOverrideSpec{From: "e1", To: "w1", Link: LinkSpec{LossProb: Fixed(0.05)}}, nw.Links[0])
	require.Equal(t, ChoiceOf(true, false), nw.FIFO)

	d := s.Disks.Default
	require.Equal(t, Fixed(Bytes(1<<30)), d.CapacityBytes)
	require.Equal(t, Fixed[CrashMode]("torn-write"), d.CrashMode)
	require.Equal(t, Fixed(dist.Spec{Dist: "constant", Value: 0.05}), d.LatencyMs["write"])
	require.Equal(t, Fixed(0.0001), d.ErrorProb["sync"])
	require.Equal(t, Fixed(false), d.FaultsFromStart)
	require.Equal(t, DiskSpec{CapacityBytes: Fixed(Bytes(64 << 20)), Full: Fixed(true)}, s.Disks.Nodes["w2"])
	require.Equal(t, RangeOf(Duration(-50*time.Millisecond), Duration(50*time.Millisecond)), s.Clocks.Default.Offset)
	require.Equal(t, ClockSpec{Offset: Fixed(Duration(2 * time.Second))}, s.Clocks.Nodes["e3"])

	w := s.Workload
	require.Equal(t, RangeOf(4, 16), w.Clients)
	require.Equal(t, MixSpec{Fixed(0.5), Fixed(0.3), Fixed(0.05), Fixed(0.15)}, w.Mix)
	require.Equal(t, KeysSpec{Fixed(1000), Fixed[KeyDist]("zipfian"), Fixed(1.1), Fixed(0.1), Fixed(0.9)}, w.Keys)
	require.Equal(t, ChoiceOf[Level]("QUORUM", "ALL"), w.ReadLevel)
	require.Equal(t, Fixed[Level]("QUORUM"), w.WriteLevel, "level names are case-insensitive, stored in upper case")
	require.Equal(t, Fixed[Routing]("first_replica"), w.Routing)

	require.Len(t, s.Faults, 16)
	require.Equal(t, FaultSpec{At: Fixed(Duration(29500 * time.Millisecond)), Action: ActWipe, Nodes: Fixed([]string{"w2"})}, s.Faults[15])
	require.Equal(t, FaultSpec{At: Fixed(Duration(28 * time.Second)), Action: ActJoin, Nodes: Fixed([]string{"e9"}), DC: "east", Rack: "r9", Weight: 2}, s.Faults[13])
	require.Equal(t, StreamingSpec{Fixed(Bytes(4 << 20)), ChoiceOf(Bytes(16<<10), Bytes(64<<10)), Fixed(Duration(500 * time.Millisecond))}, s.Node.Streaming)
	require.Equal(t, FaultSpec{At: Fixed(Duration(5 * time.Second)), For: Fixed(Duration(3 * time.Second)), Action: ActPartitionDC, Datacenters: []string{"east", "west"}, OneWay: true, Name: "wan"}, s.Faults[0])
	require.Equal(t, ActPartitionOneWay, s.Faults[1].Action)
	require.Equal(t, Fixed([][]string{{"e1"}, {"e2", "e3"}}), s.Faults[1].Sides)
	require.Equal(t, ActHealAll, s.Faults[12].Action)
	require.Equal(t, RangeOf(Duration(11*time.Second), Duration(12*time.Second)), s.Faults[4].At)
	require.Equal(t, Fixed(Duration(-2*time.Second)), s.Faults[6].By)
	require.Equal(t, []DiskFaultKind{"error", "latency"}, s.Faults[7].Kinds)
	require.Equal(t, ChoiceOf([]string{"e1"}, []string{"w1"}), s.Faults[8].Nodes)

	require.Equal(t, Fixed[LinMode]("on"), s.Checks.Linearizability)
	require.Equal(t, []float64{0, 5, 50, 500}, s.Checks.TVisibilityMs)
	require.Equal(t, LatencyBound{"all": 20}, s.Expect.P50MsMax)
	require.Equal(t, LatencyBound{"get": 100, "put": 150}, s.Expect.P99MsMax)
	require.Equal(t, Fixed(Duration(20*time.Microsecond)), s.Sim.EventCost)
}

// A scenario that gives nothing gets every default of the table in doc.go.
func TestDefaultsAreFilledIn(t *testing.T) {
	r := mustResolve(t, mustParse(t, "description: all defaults\n"), 9)
	nodes := map[string]Disk{}
	clocks := map[string]Clock{}
	for _, n := range []string{"n1", "n2", "n3"} {
		nodes[n] = Disk{SectorSizeBytes: 512, CrashMode: "lose-unsynced", FaultsFromStart: true}
		clocks[n] = Clock{}
	}
	require.Equal(t, &Resolved{
		Name:        "t",
		Description: "all defaults",
		Seed:        9,
		Cluster:     Cluster{VNodes: 256, Nodes: []Member{{"n1", "dc1", "", 1}, {"n2", "dc1", "", 1}, {"n3", "dc1", "", 1}}},
		Node: NodeConfig{
			N: 3, R: 2, W: 2, VersionMode: "dvv", MaxSiblings: 100, ReadRepair: "async",
			RequestTimeout: Duration(500 * time.Millisecond),
			VClockPruning:  Pruning{50, 50, Duration(20 * time.Second), Duration(24 * time.Hour)},
			Storage:        Storage{"every", 0, 4 << 20, 10, 8 << 20},
			Quorum:         "strict",
			HintedHandoff:  HintedHandoff{Enabled: false, Window: Duration(3 * time.Hour), RateBytesPerS: 1 << 20, MaxInFlight: 16},
			AntiEntropy:    AntiEntropy{Enabled: false, Interval: Duration(10 * time.Second), Buckets: 64, RateBytesPerS: 1 << 20, MaxInFlight: 2},
			Streaming:      Streaming{RateBytesPerS: 8 << 20, ChunkBytes: 64 << 10, StartDelay: Duration(time.Second)},
		},
		Membership: Membership{Enabled: false, Interval: Duration(time.Second), Fanout: 2, SuspectAfter: Duration(5 * time.Second),
			ConfirmReporters: 2, Detector: "heartbeat", PhiThreshold: 8},
		Network: Network{Default: Link{LatencyMs: dist.Spec{Dist: "lognormal", Median: 1, Sigma: 0.5}, KindLatencyMs: map[string]dist.Spec{}}, MaxLatencyMs: 60000},
		Disks:   Disks{Nodes: nodes},
		Clocks:  Clocks{Nodes: clocks},
		Workload: Workload{
			Clients: 1, Duration: Duration(10 * time.Second), MaxOutstanding: 10000,
			Mix:            Mix{Get: 0.5, Put: 0.5},
			Keys:           Keys{100, "uniform", 0.99, 0.2, 0.8},
			ValueSizeBytes: dist.Spec{Dist: "constant", Value: 100},
			N:              3, ReadLevel: LevelDefault, WriteLevel: LevelDefault, Routing: "random", Timeout: Duration(time.Second),
			ClientPolicy: ClientPolicy{ConnectTimeout: Duration(100 * time.Millisecond), RetryAttempts: 3,
				UnhealthyBackoff: Duration(time.Second), MaxUnhealthyBackoff: Duration(10 * time.Second)},
		},
		QuietPeriod:    Duration(5 * time.Second),
		FinalReadLevel: "ALL",
		FinalReadKeys:  "written",
		HealAtEnd:      true,
		Checks: Checks{Linearizability: "auto", LinTimeLimit: Duration(10 * time.Minute), LinStepBudget: 20_000_000, LinMemoryMB: 512,
			TVisibilityMs: []float64{0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000}, MaxExamples: 20},
		Sim: Sim{MaxQueuedEvents: 1_000_000},
	}, r)
	require.True(t, r.LinearizabilityEnabled(), "auto with R=W=2 of N=3")

	// max_ops instead of duration: no time limit; a partial mix: unset
	// weights are 0; the shorthand spreads nodes over datacenters and racks.
	r = mustResolve(t, mustParse(t, "cluster: {nodes: 5, datacenters: [a, b], racks_per_datacenter: 2}\nworkload: {max_ops: 500, mix: {put: 1}}\n"), 1)
	require.Equal(t, Duration(0), r.Workload.Duration)
	require.Equal(t, Mix{Put: 1}, r.Workload.Mix)
	require.Equal(t, []Member{{"n1", "a", "r1", 1}, {"n2", "a", "r2", 1}, {"n3", "a", "r1", 1}, {"n4", "b", "r1", 1}, {"n5", "b", "r2", 1}}, r.Cluster.Nodes)
}

// Resolve is a function of the seed: the same seed gives the same scenario;
// different seeds pick different values, each within its range or among
// its choices.
func TestResolutionIsDeterministicPerSeed(t *testing.T) {
	s, err := Load("testdata/full.yaml")
	require.NoError(t, err)
	clients, ws, fifo, modes := map[int]bool{}, map[int]bool{}, map[bool]bool{}, map[VersionMode]bool{}
	for seed := range uint64(60) {
		r := mustResolve(t, s, seed)
		require.Equal(t, r, mustResolve(t, s, seed))
		c := r.Workload.Clients
		require.True(t, c >= 4 && c <= 16, "clients %d outside [4, 16]", c)
		clients[c] = true
		ws[r.Node.W] = true
		fifo[r.Network.FIFO] = true
		modes[r.Node.VersionMode] = true
		wt := r.Cluster.Nodes[4].Weight
		require.True(t, wt >= 0.5 && wt < 1.5, "weight %v outside [0.5, 1.5)", wt)
		at := r.Faults[4].At.D()
		require.True(t, at >= 11*time.Second && at <= 12*time.Second, "crash at %v", at)
		require.Contains(t, [][]string{{"e1"}, {"w1"}}, r.Faults[8].Nodes)
		// clocks.default knobs are drawn per node; e3 overrides its offset.
		require.Equal(t, Duration(2*time.Second), r.Clocks.Nodes["e3"].Offset)
		require.NotEqual(t, r.Clocks.Nodes["e1"].Offset, r.Clocks.Nodes["e2"].Offset)
		require.LessOrEqual(t, max(r.Clocks.Nodes["e1"].Offset, -r.Clocks.Nodes["e1"].Offset), Duration(50*time.Millisecond))
	}
	require.Greater(t, len(clients), 8, "60 seeds should spread clients over [4, 16]")
	require.Len(t, ws, 2)
	require.Len(t, fifo, 2)
	require.Len(t, modes, 2)
}

// Each knob has its own stream: adding knobs to a scenario does not change
// what the existing ones pick.
func TestAddingAKnobDoesNotShiftOthers(t *testing.T) {
	base := mustParse(t, "workload:\n  clients: {range: [1, 1000]}\n")
	more := mustParse(t, "node:\n  w: {choice: [1, 2]}\n  r: {range: [1, 2]}\n"+
		"workload:\n  retries: {range: [0, 9]}\n  clients: {range: [1, 1000]}\n  timeout: {range: [1s, 2s]}\n"+
		"faults:\n  - {at: {range: [1s, 2s]}, action: pause, nodes: {choice: [[n1], [n2]]}}\n")
	distinct := map[int]bool{}
	for seed := range uint64(30) {
		a, b := mustResolve(t, base, seed), mustResolve(t, more, seed)
		require.Equal(t, a.Workload.Clients, b.Workload.Clients, "seed %d", seed)
		distinct[a.Workload.Clients] = true
	}
	require.Greater(t, len(distinct), 20)
}

// Integer and duration ranges include both ends; float ranges stay below
// the top.
func TestRangesCoverTheirBounds(t *testing.T) {
	s := mustParse(t, "workload:\n  retries: {range: [1, 3]}\n  rate_per_client: {range: [2, 2.5]}\nsim:\n  event_cost: {range: [1ns, 3ns]}\n")
	ints, durs := map[int]bool{}, map[Duration]bool{}
	for seed := range uint64(200) {
		r := mustResolve(t, s, seed)
		ints[r.Workload.Retries] = true
		durs[r.Sim.EventCost] = true
		f := r.Workload.RatePerClient
		require.True(t, f >= 2 && f < 2.5, "rate %v", f)
	}
	require.Equal(t, map[int]bool{1: true, 2: true, 3: true}, ints)
	require.Equal(t, map[Duration]bool{1: true, 2: true, 3: true}, durs)
}

// A resolved scenario written as YAML parses and resolves back to the
// identical scenario, for every shipped example and many seeds; writing it
// is deterministic.
func TestResolvedRoundTrip(t *testing.T) {
	for _, f := range testdataFiles {
		s, err := Load(f)
		require.NoError(t, err)
		for _, seed := range append(seedRange(25), math.MaxUint64) {
			r := mustResolve(t, s, seed)
			data, err := MarshalResolved(r)
			require.NoError(t, err)
			again, err := MarshalResolved(r)
			require.NoError(t, err)
			require.Equal(t, string(data), string(again))
			back, err := Parse("resolved.yaml", data)
			require.NoError(t, err, "%s seed %d:\n%s", f, seed, data)
			require.Equal(t, r, mustResolve(t, back, seed), "%s seed %d", f, seed)
			require.NoError(t, r.Validate())
		}
	}
}

func seedRange(n uint64) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i)
	}
	return out
}

func TestLoadReportsAMissingFile(t *testing.T) {
	_, err := Load("testdata/no-such-file.yaml")
	require.ErrorContains(t, err, "no-such-file.yaml")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// A resolved scenario edited in code (as a shrinker would) is checked by
// the same rules, with positions in its YAML form.
func TestResolvedValidate(t *testing.T) {
	r := mustResolve(t, mustParse(t, "workload: {duration: 10s}\n"), 1)
	r.Node.W = 4
	r.Faults = append(r.Faults, Fault{At: Duration(20 * time.Second), Action: ActCrash, Nodes: []string{"n1"}})
	err := r.Validate()
	require.Error(t, err)
	require.Contains(t, err.Error(), "t.resolved.yaml:")
	require.Contains(t, err.Error(), "node.w: w = 4 exceeds n = 3")
	require.Contains(t, err.Error(), "faults[0].at: 20s is not before the workload ends")
}

// Majority quorums overlap for every N, so expecting a linearizability
// verdict under auto is fine however N is picked.
func TestMajorityQuorumsOverlapForEveryN(t *testing.T) {
	s := mustParse(t, "cluster: {nodes: 7}\nnode: {n: {range: [1, 7]}}\nexpect: {linearizable: true}\n")
	for seed := range uint64(20) {
		require.True(t, mustResolve(t, s, seed).LinearizabilityEnabled())
	}
}

// Scenarios built in code go through the same checks, enums included.
func TestValidateScenarioBuiltInCode(t *testing.T) {
	s := &Scenario{}
	s.Node.VersionMode = Fixed[VersionMode]("vector")
	s.Workload.Routing = ChoiceOf[Routing]("random", "nearest")
	s.Faults = []FaultSpec{{At: Fixed(Duration(time.Second)), Action: ActCrash, Nodes: Fixed([]string{"n7"})}}
	err := s.Validate()
	require.EqualError(t, err, strings.Join([]string{
		`node.version_mode: unknown value "vector" (want vclock, dvv or lww)`,
		`workload.routing.choice[1]: unknown value "nearest" (want random, first_replica or non_replica)`,
		`faults[0].nodes[0]: unknown node "n7" (nodes: n1, n2, n3)`,
	}, "\n"))
	_, err = s.Resolve(1)
	require.Error(t, err, "Resolve validates first")

	s = &Scenario{}
	s.Workload.Clients = RangeOf(2, 5)
	r, err := s.Resolve(3)
	require.NoError(t, err)
	require.True(t, r.Workload.Clients >= 2 && r.Workload.Clients <= 5)
}

// Anchors, aliases and merge keys work; the expanded file means the same
// as one written out. Top-level x- fields are ignored, to hold anchors.
func TestAnchorsAndMergeKeys(t *testing.T) {
	withAnchors := mustParse(t, `
cluster: {nodes: 5}
x-crash: &crash {action: crash, for: 1s}
faults:
  - {<<: *crash, at: 1s, nodes: [n1]}
  - {<<: *crash, at: 3s, nodes: [n2], for: 2s}
  - {at: 6s, action: pause, nodes: &targets [n3, n4]}
  - {at: 8s, action: slow, nodes: *targets, factor: 2}
`[1:])
	written := mustParse(t, `
cluster: {nodes: 5}
faults:
  - {action: crash, for: 1s, at: 1s, nodes: [n1]}
  - {action: crash, at: 3s, nodes: [n2], for: 2s}
  - {at: 6s, action: pause, nodes: [n3, n4]}
  - {at: 8s, action: slow, nodes: [n3, n4], factor: 2}
`[1:])
	require.Equal(t, mustResolve(t, written, 1), mustResolve(t, withAnchors, 1))
}

// Merge keys that expand exponentially are refused, not expanded.
func TestMergeBombIsRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-m0: &m0 {clients: 1}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "x-m%d: &m%d {<<: [%s]}\n", i, i, strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 9)+fmt.Sprintf("*m%d", i-1))
	}
	b.WriteString("workload: {<<: *m9}\n")
	start := time.Now()
	got := problemsOf(t, b.String())
	require.Less(t, time.Since(start), 10*time.Second, "must stop early, not expand 10^9 merges")
	require.Len(t, got, 1)
	require.Regexp(t, `^t\.yaml:\d+:\d+: workload: the file expands to more than 1000000 values \(aliases nested too deeply\?\)$`, got[0])
}

// A file full of mistakes yields at most MaxProblems lines and says how
// many more there were.
func TestProblemsAreCapped(t *testing.T) {
	var b strings.Builder
	for i := range MaxProblems + 7 {
		fmt.Fprintf(&b, "bogus%d: 1\n", i)
	}
	got := problemsOf(t, b.String())
	require.Len(t, got, MaxProblems+1)
	require.Equal(t, "t.yaml: 7 more problems not shown", got[MaxProblems])
}

// What the reference allows, the parser accepts: a bare 0 duration, an
// integer written in float notation when it is whole, and as many clients
// as the simulated network has endpoints for.
func TestTheParserAcceptsWhatTheReferenceAllows(t *testing.T) {
	s, err := Parse("t.yaml", []byte("workload:\n  duration: 0\n  max_ops: 1e3\n  keys: {count: 2.5e3}\n  clients: 8186\ncluster: {nodes: 5}\n"))
	require.NoError(t, err)
	r, err := s.Resolve(1)
	require.NoError(t, err)
	require.Equal(t, Duration(0), r.Workload.Duration)
	require.Equal(t, 1000, r.Workload.MaxOps)
	require.Equal(t, 2500, r.Workload.Keys.Count)
	require.Equal(t, 8186, r.Workload.Clients)
	require.Equal(t, MaxEndpoints, len(r.Cluster.Nodes)+r.Workload.Clients+1)
}
