package runner

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"dynasim/disk"
	"dynasim/internal/dist"
	"dynasim/internal/streams"
	"dynasim/node"
	"dynasim/node/coord"
	"dynasim/node/gossip"
	"dynasim/node/merkle"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/scenarios"
	"dynasim/sim"
	"dynasim/sim/autoscale"
	"dynasim/sim/cluster"
	"dynasim/sim/network"
	"dynasim/wire"
)

// clusterConfig maps a resolved scenario onto the simulated cluster.
func clusterConfig(r *scenarios.Resolved) (cluster.Config, error) {
	nw := network.Config{
		Default:      r.Network.Default.Net(),
		FIFO:         r.Network.FIFO,
		MaxLatencyMs: r.Network.MaxLatencyMs,
		// One endpoint per node and client, plus the final reader; the
		// scenario's validation keeps this within network.HardMaxEndpoints.
		MaxEndpoints: len(r.Cluster.Nodes) + len(spares(r)) + r.Workload.Clients + 1,
	}
	for _, p := range r.Network.DCPairs {
		nw.DCPairs = append(nw.DCPairs, network.DCPairConfig{From: p.From, To: p.To, BothWays: p.BothWays, Link: p.Link.Net()})
	}
	cfg := cluster.Config{
		World: sim.Config{
			Seed:            r.Seed,
			Network:         nw,
			EventCost:       time.Duration(r.Sim.EventCost),
			MaxQueuedEvents: r.Sim.MaxQueuedEvents,
		},
	}
	for _, dc := range slices.Sorted(maps.Keys(r.Workload.ClientsPerDC)) {
		cfg.ClientGroups = append(cfg.ClientGroups, cluster.ClientGroup{DC: dc, Count: r.Workload.ClientsPerDC[dc]})
	}
	// Link overrides name nodes; the cluster resolves them through its
	// address book.
	for _, l := range r.Network.Links {
		cfg.Links = append(cfg.Links, cluster.Link{From: l.From, To: l.To, BothWays: l.BothWays, Link: l.Link.Net()})
	}
	for _, m := range r.Cluster.Nodes {
		d, ok := r.Disks.Nodes[m.Name]
		if !ok {
			return cluster.Config{}, fmt.Errorf("runner: node %s has no resolved disk", m.Name)
		}
		dc, err := diskConfig(d)
		if err != nil {
			return cluster.Config{}, fmt.Errorf("runner: node %s disk: %w", m.Name, err)
		}
		clk := r.Clocks.Nodes[m.Name]
		cfg.Members = append(cfg.Members, cluster.Member{
			Name:   m.Name,
			DC:     m.Datacenter,
			Rack:   m.Rack,
			Weight: m.Weight,
			Clock:  sim.ClockConfig{Offset: time.Duration(clk.Offset), DriftPPM: clk.DriftPPM},
			Disk:   dc,
		})
	}
	// A node that joins later is a spare from the start, on the first
	// node's kind of disk.
	for _, f := range spares(r) {
		spare := cfg.Members[0]
		spare.Name, spare.DC, spare.Rack, spare.Weight, spare.Clock, spare.Spare = f.Nodes[0], f.DC, f.Rack, f.Weight, sim.ClockConfig{}, true
		if d := spare.Disk; d != nil {
			dd := *d
			spare.Disk = &dd
		}
		cfg.Members = append(cfg.Members, spare)
	}
	nc, err := nodeConfig(r)
	if err != nil {
		return cluster.Config{}, err
	}
	cfg.Node = nc
	return cfg, nil
}

// spares are the nodes that join later: the scenario's join faults, in
// schedule order, then the autoscaler's nodes (as joins into its dc).
func spares(r *scenarios.Resolved) []scenarios.Fault {
	var out []scenarios.Fault
	for _, st := range r.Steps() {
		if st.Do.Action == scenarios.ActJoin {
			out = append(out, st.Do)
		}
	}
	if a := r.Autoscale; a.Enabled {
		for _, n := range a.Nodes {
			out = append(out, scenarios.Fault{Action: scenarios.ActJoin, Nodes: []string{n}, DC: a.DC})
		}
	}
	return out
}

// autoscalePolicy maps the scenario's autoscaler onto sim/autoscale's.
func autoscalePolicy(a scenarios.Autoscale) autoscale.Policy {
	return autoscale.Policy{ScaleUpAbove: a.ScaleUpAbove, ScaleDownBelow: a.ScaleDownBelow, Window: time.Duration(a.Window),
		Interval: time.Duration(a.Interval), Min: a.Min, Max: a.Max, Cooldown: time.Duration(a.Cooldown)}
}

// membershipChanges maps the scenario's joins and decommissions onto the
// cluster's.
func membershipChanges(r *scenarios.Resolved) []cluster.MembershipChange {
	var out []cluster.MembershipChange
	for _, st := range r.Steps() {
		switch st.Do.Action {
		case scenarios.ActJoin:
			out = append(out, cluster.MembershipChange{At: st.At, Kind: cluster.ChangeJoin, Node: st.Do.Nodes[0]})
		case scenarios.ActDecommission:
			out = append(out, cluster.MembershipChange{At: st.At, Kind: cluster.ChangeDecommission, Node: st.Do.Nodes[0]})
		}
	}
	return out
}

// nodeConfig maps the scenario's node section onto node.Config.
func nodeConfig(r *scenarios.Resolved) (node.Config, error) {
	n := r.Node
	mode, err := versions.ParseMode(string(n.VersionMode))
	if err != nil {
		return node.Config{}, err
	}
	rr, err := coord.ParseReadRepair(string(n.ReadRepair))
	if err != nil {
		return node.Config{}, err
	}
	placement := ring.Placement{N: n.N}
	dcs := make([]string, 0, len(n.ReplicasPerDatacenter))
	for dc := range n.ReplicasPerDatacenter {
		dcs = append(dcs, dc)
	}
	sort.Strings(dcs)
	for _, dc := range dcs {
		placement.PerDC = append(placement.PerDC, ring.DCReplicas{DC: dc, N: n.ReplicasPerDatacenter[dc]})
	}
	storage, err := storageConfig(n.Storage)
	if err != nil {
		return node.Config{}, err
	}
	quorum, err := coord.ParseQuorum(string(n.Quorum))
	if err != nil {
		return node.Config{}, err
	}
	membership, err := membershipConfig(r.Membership)
	if err != nil {
		return node.Config{}, err
	}
	return node.Config{
		Ring: ring.Config{
			VNodes: r.Cluster.VNodes,
			// The ring's token seed derives from the master seed, so a
			// scenario's seed also varies where keys land.
			Seed:      streams.New(r.Seed).Stream("ring").Uint64(),
			Placement: placement,
		},
		Versions: versions.Config{
			Mode:        mode,
			MaxSiblings: n.MaxSiblings,
			Prune: versions.PruneConfig{
				SmallVClock: n.VClockPruning.SmallVClock,
				BigVClock:   n.VClockPruning.BigVClock,
				YoungVClock: time.Duration(n.VClockPruning.YoungVClock),
				OldVClock:   time.Duration(n.VClockPruning.OldVClock),
			},
		},
		Coordinator: coord.Config{
			R:              wire.Need{Level: wire.LevelCount, Count: uint8(n.R)},
			W:              wire.Need{Level: wire.LevelCount, Count: uint8(n.W)},
			ReadRepair:     rr,
			TwoPhaseWrites: n.TwoPhaseWrites,
			RequestTimeout: time.Duration(n.RequestTimeout),
			Quorum:         quorum,
		},
		Storage:    storage,
		Membership: membership,
		HintedHandoff: node.HintedHandoffConfig{
			Enabled:       n.HintedHandoff.Enabled,
			Window:        time.Duration(n.HintedHandoff.Window),
			RateBytesPerS: int64(n.HintedHandoff.RateBytesPerS),
			MaxInFlight:   n.HintedHandoff.MaxInFlight,
		},
		AntiEntropy: node.AntiEntropyConfig{
			Enabled:       n.AntiEntropy.Enabled,
			Interval:      time.Duration(n.AntiEntropy.Interval),
			Tree:          merkle.Config{Buckets: n.AntiEntropy.Buckets},
			RateBytesPerS: int64(n.AntiEntropy.RateBytesPerS),
			MaxInFlight:   n.AntiEntropy.MaxInFlight,
		},
		Streaming: node.StreamingConfig{
			RateBytesPerSec: int64(n.Streaming.RateBytesPerS),
			ChunkBytes:      int(n.Streaming.ChunkBytes),
			StartDelay:      time.Duration(n.Streaming.StartDelay),
		},
	}, nil
}

// membershipConfig maps the scenario's membership section onto the node's
// gossip.
func membershipConfig(m scenarios.Membership) (node.MembershipConfig, error) {
	d, err := gossip.ParseDetector(string(m.Detector))
	if err != nil {
		return node.MembershipConfig{}, err
	}
	return node.MembershipConfig{
		Enabled: m.Enabled,
		Gossip: gossip.Config{
			GossipInterval:   time.Duration(m.Interval),
			Fanout:           m.Fanout,
			SuspectAfter:     time.Duration(m.SuspectAfter),
			ConfirmReporters: m.ConfirmReporters,
			Detector:         d,
			PhiThreshold:     m.PhiThreshold,
		},
	}, nil
}

// diskConfig maps one node's disk model onto the simulated disk.
func diskConfig(d scenarios.Disk) (*sim.DiskConfig, error) {
	mode, err := disk.ParseCrashMode(string(d.CrashMode))
	if err != nil {
		return nil, err
	}
	dc := &sim.DiskConfig{
		Mem:       disk.MemFSConfig{CapacityBytes: int64(d.CapacityBytes), SectorSize: int(d.SectorSizeBytes)},
		CrashMode: mode,
		Faults:    disk.ErrorFSConfig{DiskFull: d.Full},
	}
	for _, op := range sortedOps(d.LatencyMs) {
		s, err := d.LatencyMs[op].Compile()
		if err != nil {
			return nil, fmt.Errorf("latency_ms.%s: %w", op, err)
		}
		dc.Faults.Latency = append(dc.Faults.Latency, disk.LatencyFault{Target: disk.Target{Ops: op.Disk()}, Sample: msSampler(s)})
	}
	for _, op := range sortedOps(d.ErrorProb) {
		if p := d.ErrorProb[op]; p > 0 {
			dc.Faults.Errors = append(dc.Faults.Errors, disk.ErrorFault{Target: disk.Target{Ops: op.Disk()}, Probability: p})
		}
	}
	if d.BitFlipProb > 0 {
		dc.Faults.BitFlips = []disk.BitFlipFault{{Target: disk.Target{Ops: disk.OpRead}, Probability: d.BitFlipProb}}
	}
	dc.FaultsOff = !d.FaultsFromStart
	return dc, nil
}

func sortedOps[V any](m map[scenarios.DiskOp]V) []scenarios.DiskOp {
	ops := make([]scenarios.DiskOp, 0, len(m))
	for op := range m {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i] < ops[j] })
	return ops
}

// msSampler turns a distribution in milliseconds into a latency sampler.
func msSampler(s *dist.Sampler) func(*rand.Rand) time.Duration {
	return func(r *rand.Rand) time.Duration { return time.Duration(s.Sample(r) * float64(time.Millisecond)) }
}

// workloadConfig maps the scenario's workload onto the simulated clients.
func workloadConfig(r *scenarios.Resolved) (sim.WorkloadConfig, error) {
	w := r.Workload
	rn, err := w.ReadLevel.Need()
	if err != nil {
		return sim.WorkloadConfig{}, fmt.Errorf("runner: workload.read_level: %w", err)
	}
	wn, err := w.WriteLevel.Need()
	if err != nil {
		return sim.WorkloadConfig{}, fmt.Errorf("runner: workload.write_level: %w", err)
	}
	// A rate profile makes the loop open.
	var profile []sim.RatePoint
	rate := w.RatePerClient
	for _, p := range w.RateProfile {
		profile = append(profile, sim.RatePoint{At: time.Duration(p.At), PerClient: p.RatePerClient})
	}
	if len(profile) > 0 && rate == 0 {
		rate = profile[0].PerClient
	}
	return sim.WorkloadConfig{
		RateProfile:    profile,
		Clients:        w.Clients,
		RatePerClient:  rate,
		ThinkTimeMs:    w.ThinkTimeMs,
		Duration:       time.Duration(w.Duration),
		MaxOps:         w.MaxOps,
		Mix:            sim.OpMix{Get: w.Mix.Get, Put: w.Mix.Put, Delete: w.Mix.Delete, ReadModifyWrite: w.Mix.ReadModifyWrite},
		Keys:           sim.KeyConfig{Count: w.Keys.Count, Dist: sim.KeyDist(w.Keys.Dist), ZipfS: w.Keys.ZipfS, HotspotKeys: w.Keys.HotspotKeys, HotspotOps: w.Keys.HotspotOps},
		ValueSizeBytes: w.ValueSizeBytes,
		N:              uint8(w.N),
		R:              rn,
		W:              wn,
		Routing:        sim.Routing(w.Routing),
		Timeout:        time.Duration(w.Timeout),
		Retries:        w.Retries,
		MaxOutstanding: w.MaxOutstanding,
		Probe:          probeConfig(r),
		Policy:         clientPolicy(w.ClientPolicy),
	}, nil
}

// clientPolicy maps workload.client_policy onto the clients' policy; the
// scenario's retry_attempts 0 is sim.NoRetries (sim's 0 is its default).
func clientPolicy(p scenarios.ClientPolicy) sim.ClientPolicy {
	retries := p.RetryAttempts
	if retries == 0 {
		retries = sim.NoRetries
	}
	return sim.ClientPolicy{
		Enabled:             p.Enabled,
		ConnectTimeout:      time.Duration(p.ConnectTimeout),
		RetryAttempts:       retries,
		UnhealthyBackoff:    time.Duration(p.UnhealthyBackoff),
		MaxUnhealthyBackoff: time.Duration(p.MaxUnhealthyBackoff),
	}
}

// faultSchedule maps the scenario's steps (faults and the reverse actions
// of their windows, in time order) onto simulator faults.
func faultSchedule(r *scenarios.Resolved) ([]sim.Fault, error) {
	var out []sim.Fault
	for _, st := range r.Steps() {
		f := st.Do
		if f.Action == scenarios.ActJoin || f.Action == scenarios.ActDecommission {
			continue // the cluster's membership changes (membershipChanges)
		}
		sf := sim.Fault{
			At:         st.At,
			Kind:       sim.FaultKind(f.Action),
			Name:       f.Name,
			Nodes:      f.Nodes,
			OneWay:     f.OneWay,
			ClockJump:  time.Duration(f.By),
			SlowFactor: f.Factor,
		}
		if len(f.Sides) == 2 {
			sf.SideA, sf.SideB = f.Sides[0], f.Sides[1]
		}
		if len(f.Datacenters) == 2 {
			sf.DCA, sf.DCB = f.Datacenters[0], f.Datacenters[1]
		}
		if f.Mode != "" {
			m, err := disk.ParseCrashMode(string(f.Mode))
			if err != nil {
				return nil, err
			}
			sf.CrashMode = &m
		}
		for _, k := range f.Kinds {
			sf.DiskFaults = append(sf.DiskFaults, k.Disk())
		}
		out = append(out, sf)
	}
	return out, nil
}

// storageConfig maps the scenario's storage knobs onto the node's storage.
// "every" syncs at the end of each event that wrote, before anything is
// acknowledged; "group" lets the writes of a sync_interval window share one
// sync, still before acknowledging; "periodic" acknowledges at once and
// syncs every sync_interval, so a crash can lose acknowledged writes.
func storageConfig(s scenarios.Storage) (node.StorageConfig, error) {
	var sc node.StorageConfig
	switch s.Sync {
	case "every":
	case "group":
		sc.SyncDelay = time.Duration(s.SyncInterval)
	case "periodic":
		sc.AckBeforeSync = true
		sc.SyncPeriod = time.Duration(s.SyncInterval)
	default:
		return sc, fmt.Errorf("runner: unknown storage.sync %q (want every, group or periodic)", s.Sync)
	}
	sc.Engine.MemtableSizeBytes = int(s.MemtableSizeBytes)
	sc.Engine.BloomBitsPerKey = s.BloomBitsPerKey
	if s.BloomBitsPerKey == 0 {
		sc.Engine.BloomBitsPerKey = -1
	}
	sc.Engine.BlockCacheSizeBytes = int64(s.BlockCacheSizeBytes)
	if s.BlockCacheSizeBytes == 0 {
		sc.Engine.BlockCacheSizeBytes = -1
	}
	return sc, nil
}

// NodeConfig is the node configuration dynasim run gives every simulated
// node of the resolved scenario r: what a real cluster whose cluster file
// names the scenario (host.ClusterFile.Scenario) runs with, so that a real
// node and a simulated one of the same scenario are configured alike.
// Members are the scenario's; a real cluster replaces them with its own.
func NodeConfig(r *scenarios.Resolved) (node.Config, error) { return nodeConfig(r) }
