package scenarios

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strconv"

	"dynasim/internal/dist"
	"dynasim/internal/streams"
)

// DefaultSeed returns the seed the file gives, or DefaultSeed.
func (s *Scenario) DefaultSeed() uint64 {
	if s.Seed != nil {
		return *s.Seed
	}
	return DefaultSeed
}

// Resolve picks every knob for seed and fills in every default. Each knob
// draws from its own stream of internal/streams named "scenario/" + its
// field path (e.g. "scenario/node.w"); a knob of disks.default or
// clocks.default is drawn once per node, under that node's path
// ("scenario/clocks.nodes.n3.offset"), so a range there gives each node its
// own value. The scenario is validated first; a schedule whose times or
// targets are knobs is checked for consistency here, for this seed. The
// error is Problems.
func (s *Scenario) Resolve(seed uint64) (*Resolved, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	src := streams.New(seed)
	r := &Resolved{Name: s.Name, Description: s.Description, Seed: seed}
	s.resolveCluster(src, r)
	s.resolveNode(src, r)
	s.resolveMembership(src, r)
	s.resolveNetwork(src, r)
	s.resolveDisksAndClocks(src, r)
	s.resolveWorkload(src, r)

	names := make([]string, len(r.Cluster.Nodes))
	for i, m := range r.Cluster.Nodes {
		names[i] = m.Name
	}
	for i := range s.Faults {
		r.Faults = append(r.Faults, resolveFault(&s.Faults[i], i, src, names))
	}
	r.Autoscale = s.Autoscale
	if a := &r.Autoscale; a.Enabled {
		a.Nodes = slices.Clone(a.Nodes)
		if a.Window == 0 {
			a.Window = DefaultAutoscaleWindow
		}
		if a.Interval == 0 {
			a.Interval = DefaultAutoscaleInterval
		}
		if a.Cooldown == 0 {
			a.Cooldown = DefaultAutoscaleCooldown
		}
		if a.DC == "" {
			a.DC = r.Cluster.Nodes[0].Datacenter
		}
		if a.Min == 0 {
			a.Min = 1
		}
		if a.Max == 0 {
			a.Max = len(r.Cluster.Nodes) + len(a.Nodes)
		}
	}
	r.QuietPeriod = s.QuietPeriod.pick(src, "quiet_period", DefaultQuietPeriod)
	// DEFAULT stays DEFAULT, as a workload level does: the node applies its
	// configured R to the final reads too.
	r.FinalReadLevel = s.FinalReadLevel.pick(src, "final_read_level", DefaultFinalReadLevel)
	r.HealAtEnd = s.HealAtEnd.pick(src, "heal_at_end", true)
	r.FinalReadKeys = s.FinalReadKeys.pick(src, "final_read_keys", DefaultFinalReadKeys)
	c := &s.Checks
	r.Checks = Checks{
		Linearizability: c.Linearizability.pick(src, "checks.linearizability", DefaultLinMode),
		LinTimeLimit:    c.LinTimeLimit.pick(src, "checks.lin_time_limit", DefaultLinTimeLimit),
		LinStepBudget:   c.LinStepBudget.pick(src, "checks.lin_step_budget", DefaultLinStepBudget),
		LinMemoryMB:     c.LinMemoryMB.pick(src, "checks.lin_memory_budget_mb", DefaultLinMemoryMB),
		TVisibilityMs:   slices.Clone(c.TVisibilityMs),
		MaxExamples:     c.MaxExamples.pick(src, "checks.max_examples", DefaultMaxExamples),
	}
	if r.Checks.TVisibilityMs == nil {
		r.Checks.TVisibilityMs = slices.Clone(DefaultTVisibilityMs)
	}
	r.Expect = s.Expect.clone()
	r.Sim = Sim{
		EventCost:       s.Sim.EventCost.pick(src, "sim.event_cost", 0),
		MaxQueuedEvents: s.Sim.MaxQueuedEvents.pick(src, "sim.max_queued_events", DefaultMaxQueued),
	}

	probs := &problemList{file: s.file}
	checkSchedule(r, func(i int, reverse bool, msg string) {
		p := fmt.Sprintf("faults[%d]", i)
		if reverse {
			p += ".for"
		}
		probs.add(s.posFor(p), p, "seed %d: %s", seed, msg)
	})
	if err := probs.result(); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Scenario) resolveCluster(src streams.Source, r *Resolved) {
	c := &s.Cluster
	r.Cluster.VNodes = c.VNodes.pick(src, "cluster.vnodes", DefaultVNodes)
	if len(c.Nodes.List) == 0 {
		n := c.Nodes.Count.pick(src, "cluster.nodes", DefaultNodes)
		dcs := c.Datacenters
		if len(dcs) == 0 {
			dcs = []string{DefaultDatacenter}
		}
		r.Cluster.Nodes = shorthandMembers(n, dcs, c.RacksPerDatacenter.pick(src, "cluster.racks_per_datacenter", 0))
		return
	}
	for i, m := range c.Nodes.List {
		r.Cluster.Nodes = append(r.Cluster.Nodes, Member{
			Name:       m.Name,
			Datacenter: cmp.Or(m.Datacenter, DefaultDatacenter),
			Rack:       m.Rack,
			Weight:     m.Weight.pick(src, fmt.Sprintf("cluster.nodes[%d].weight", i), 1),
		})
	}
}

func (s *Scenario) resolveMembership(src streams.Source, r *Resolved) {
	m := &s.Membership
	r.Membership = Membership{
		Enabled:          m.Enabled.pick(src, "membership.enabled", false),
		Interval:         m.Interval.pick(src, "membership.interval", DefaultGossipInterval),
		Fanout:           m.Fanout.pick(src, "membership.fanout", DefaultFanout),
		SuspectAfter:     m.SuspectAfter.pick(src, "membership.suspect_after", DefaultSuspectAfter),
		ConfirmReporters: m.ConfirmReporters.pick(src, "membership.confirm_reporters", DefaultConfirmReporters),
		Detector:         m.Detector.pick(src, "membership.detector", DefaultDetector),
		PhiThreshold:     m.PhiThreshold.pick(src, "membership.phi_threshold", DefaultPhiThreshold),
	}
}

func (s *Scenario) resolveNode(src streams.Source, r *Resolved) {
	nc := &s.Node
	n := nc.N.pick(src, "node.n", DefaultN)
	var perDC map[string]int
	if len(nc.ReplicasPerDatacenter) > 0 {
		perDC, n = map[string]int{}, 0
		for dc, k := range nc.ReplicasPerDatacenter {
			perDC[dc] = k.pick(src, "node.replicas_per_datacenter."+dc, 0)
			n += perDC[dc]
		}
	}
	pr, st := &nc.VClockPruning, &nc.Storage
	small := pr.SmallVClock.pick(src, "node.vclock_pruning.small_vclock", DefaultSmallVClock)
	young := pr.YoungVClock.pick(src, "node.vclock_pruning.young_vclock", DefaultYoungVClock)
	sync := st.Sync.pick(src, "node.storage.sync", DefaultSync)
	var interval Duration
	switch sync {
	case "group":
		interval = st.SyncInterval.pick(src, "node.storage.sync_interval", DefaultGroupInterval)
	case "periodic":
		interval = st.SyncInterval.pick(src, "node.storage.sync_interval", DefaultSyncInterval)
	}
	r.Node = NodeConfig{
		N:                     n,
		R:                     nc.R.pick(src, "node.r", n/2+1),
		W:                     nc.W.pick(src, "node.w", n/2+1),
		ReplicasPerDatacenter: perDC,
		VersionMode:           nc.VersionMode.pick(src, "node.version_mode", DefaultVersionMode),
		MaxSiblings:           nc.MaxSiblings.pick(src, "node.max_siblings", DefaultMaxSiblings),
		ReadRepair:            nc.ReadRepair.pick(src, "node.read_repair", DefaultReadRepair),
		TwoPhaseWrites:        nc.TwoPhaseWrites.pick(src, "node.two_phase_writes", false),
		RequestTimeout:        nc.RequestTimeout.pick(src, "node.request_timeout", DefaultRequestTimeout),
		Quorum:                nc.Quorum.pick(src, "node.quorum", DefaultQuorum),
		HintedHandoff: HintedHandoff{
			Enabled:       nc.HintedHandoff.Enabled.pick(src, "node.hinted_handoff.enabled", false),
			Window:        nc.HintedHandoff.Window.pick(src, "node.hinted_handoff.window", DefaultHintWindow),
			RateBytesPerS: nc.HintedHandoff.RateBytesPerS.pick(src, "node.hinted_handoff.rate_bytes_per_s", DefaultHintRateBytesPerS),
			MaxInFlight:   nc.HintedHandoff.MaxInFlight.pick(src, "node.hinted_handoff.max_in_flight", DefaultHintMaxInFlight),
		},
		Streaming: Streaming{
			RateBytesPerS: nc.Streaming.RateBytesPerS.pick(src, "node.streaming.rate_bytes_per_s", DefaultStreamRateBytesPerS),
			ChunkBytes:    nc.Streaming.ChunkBytes.pick(src, "node.streaming.chunk_bytes", DefaultStreamChunkBytes),
			StartDelay:    nc.Streaming.StartDelay.pick(src, "node.streaming.start_delay", DefaultStreamStartDelay),
		},
		AntiEntropy: AntiEntropy{
			Enabled:       nc.AntiEntropy.Enabled.pick(src, "node.anti_entropy.enabled", false),
			Interval:      nc.AntiEntropy.Interval.pick(src, "node.anti_entropy.interval", DefaultAEInterval),
			Buckets:       nc.AntiEntropy.Buckets.pick(src, "node.anti_entropy.buckets", DefaultAEBuckets),
			RateBytesPerS: nc.AntiEntropy.RateBytesPerS.pick(src, "node.anti_entropy.rate_bytes_per_s", DefaultAERateBytesPerS),
			MaxInFlight:   nc.AntiEntropy.MaxInFlight.pick(src, "node.anti_entropy.max_in_flight", DefaultAEMaxInFlight),
		},
		VClockPruning: Pruning{
			SmallVClock: small,
			BigVClock:   pr.BigVClock.pick(src, "node.vclock_pruning.big_vclock", max(DefaultBigVClock, small)),
			YoungVClock: young,
			OldVClock:   pr.OldVClock.pick(src, "node.vclock_pruning.old_vclock", max(DefaultOldVClock, young)),
		},
		Storage: Storage{
			Sync:                sync,
			SyncInterval:        interval,
			MemtableSizeBytes:   st.MemtableSizeBytes.pick(src, "node.storage.memtable_size_bytes", DefaultMemtableSize),
			BloomBitsPerKey:     st.BloomBitsPerKey.pick(src, "node.storage.bloom_bits_per_key", DefaultBloomBits),
			BlockCacheSizeBytes: st.BlockCacheSizeBytes.pick(src, "node.storage.block_cache_size_bytes", DefaultBlockCacheSize),
		},
	}
}

func (s *Scenario) resolveNetwork(src streams.Source, r *Resolved) {
	n := &s.Network
	def := resolveLink(&n.Default, "network.default", src, Link{LatencyMs: DefaultLatencyMs})
	r.Network = Network{
		Default:      def,
		FIFO:         n.FIFO.pick(src, "network.fifo", false),
		MaxLatencyMs: n.MaxLatencyMs.pick(src, "network.max_latency_ms", DefaultMaxLatencyMs),
	}
	for i, d := range n.DCPairs {
		p := fmt.Sprintf("network.dc_pairs[%d]", i)
		r.Network.DCPairs = append(r.Network.DCPairs, DCPair{d.From, d.To, d.BothWays, resolveLink(&d.Link, p, src, def)})
	}
	for i, l := range n.Links {
		p := fmt.Sprintf("network.links[%d]", i)
		r.Network.Links = append(r.Network.Links, LinkOverride{l.From, l.To, l.BothWays, resolveLink(&l.Link, p, src, def)})
	}
}

// resolveLink picks a link's knobs; fields it leaves out come from base.
func resolveLink(l *LinkSpec, path string, src streams.Source, base Link) Link {
	out := Link{
		LatencyMs:            cloneSpec(l.LatencyMs.pick(src, path+".latency_ms", base.LatencyMs)),
		KindLatencyMs:        map[string]dist.Spec{},
		LossProb:             l.LossProb.pick(src, path+".loss_prob", base.LossProb),
		DupProb:              l.DupProb.pick(src, path+".dup_prob", base.DupProb),
		BandwidthBytesPerSec: int64(l.BandwidthBytesPerSec.pick(src, path+".bandwidth_bytes_per_sec", Bytes(base.BandwidthBytesPerSec))),
	}
	if l.KindLatencyMs == nil {
		for kind, s := range base.KindLatencyMs {
			out.KindLatencyMs[kind] = cloneSpec(s)
		}
	}
	for kind, k := range l.KindLatencyMs {
		out.KindLatencyMs[kind] = cloneSpec(k.pick(src, path+".kind_latency_ms."+kind, dist.Spec{}))
	}
	return out
}

func (s *Scenario) resolveDisksAndClocks(src streams.Source, r *Resolved) {
	r.Disks.Nodes = map[string]Disk{}
	r.Clocks.Nodes = map[string]Clock{}
	for _, m := range r.Cluster.Nodes {
		d := overlay(s.Disks.Default, s.Disks.Nodes[m.Name])
		p := "disks.nodes." + m.Name
		disk := Disk{
			CapacityBytes:   d.CapacityBytes.pick(src, p+".capacity_bytes", 0),
			SectorSizeBytes: d.SectorSizeBytes.pick(src, p+".sector_size_bytes", DefaultSectorSize),
			CrashMode:       d.CrashMode.pick(src, p+".crash_mode", DefaultCrashMode),
			BitFlipProb:     d.BitFlipProb.pick(src, p+".bit_flip_prob", 0),
			Full:            d.Full.pick(src, p+".full", false),
			FaultsFromStart: d.FaultsFromStart.pick(src, p+".faults_from_start", true),
		}
		for op, k := range d.LatencyMs {
			if disk.LatencyMs == nil {
				disk.LatencyMs = map[DiskOp]dist.Spec{}
			}
			disk.LatencyMs[op] = cloneSpec(k.pick(src, p+".latency_ms."+string(op), dist.Spec{}))
		}
		for op, k := range d.ErrorProb {
			if disk.ErrorProb == nil {
				disk.ErrorProb = map[DiskOp]float64{}
			}
			disk.ErrorProb[op] = k.pick(src, p+".error_prob."+string(op), 0)
		}
		r.Disks.Nodes[m.Name] = disk

		c := overlay(s.Clocks.Default, s.Clocks.Nodes[m.Name])
		p = "clocks.nodes." + m.Name
		r.Clocks.Nodes[m.Name] = Clock{
			Offset:   c.Offset.pick(src, p+".offset", 0),
			DriftPPM: c.DriftPPM.pick(src, p+".drift_ppm", 0),
		}
	}
}

// overlay returns base with every field that over sets (a knob that is
// Set, a non-nil map) taken from over.
func overlay[T any](base, over T) T {
	b, o := reflect.ValueOf(&base).Elem(), reflect.ValueOf(over)
	for i := range b.NumField() {
		if !o.Field(i).IsZero() {
			b.Field(i).Set(o.Field(i))
		}
	}
	return base
}

func (s *Scenario) resolveWorkload(src streams.Source, r *Resolved) {
	w := &s.Workload
	p := func(name string) string { return "workload." + name }
	out := Workload{
		Clients:        w.Clients.pick(src, p("clients"), DefaultClients),
		RatePerClient:  w.RatePerClient.pick(src, p("rate_per_client"), 0),
		RateProfile:    slices.Clone(w.RateProfile),
		ThinkTimeMs:    cloneSpec(w.ThinkTimeMs.pick(src, p("think_time_ms"), dist.Spec{})),
		Duration:       w.Duration.pick(src, p("duration"), defaultDuration(w)),
		MaxOps:         w.MaxOps.pick(src, p("max_ops"), 0),
		MaxOutstanding: w.MaxOutstanding.pick(src, p("max_outstanding"), DefaultMaxOutstanding),
		Keys: Keys{
			Count:       w.Keys.Count.pick(src, p("keys.count"), DefaultKeyCount),
			Dist:        w.Keys.Dist.pick(src, p("keys.dist"), DefaultKeyDist),
			ZipfS:       w.Keys.ZipfS.pick(src, p("keys.zipf_s"), DefaultZipfS),
			HotspotKeys: w.Keys.HotspotKeys.pick(src, p("keys.hotspot_keys"), DefaultHotspotKeys),
			HotspotOps:  w.Keys.HotspotOps.pick(src, p("keys.hotspot_ops"), DefaultHotspotOps),
		},
		ValueSizeBytes: cloneSpec(w.ValueSizeBytes.pick(src, p("value_size_bytes"), DefaultValueSizeBytes)),
		N:              w.N.pick(src, p("n"), r.Node.N),
		ReadLevel:      w.ReadLevel.pick(src, p("read_level"), LevelDefault),
		WriteLevel:     w.WriteLevel.pick(src, p("write_level"), LevelDefault),
		Routing:        w.Routing.pick(src, p("routing"), DefaultRouting),
		Timeout:        w.Timeout.pick(src, p("timeout"), DefaultClientTimeout),
		Retries:        w.Retries.pick(src, p("retries"), 0),
		ClientPolicy: ClientPolicy{
			Enabled:             w.ClientPolicy.Enabled.pick(src, p("client_policy.enabled"), false),
			ConnectTimeout:      w.ClientPolicy.ConnectTimeout.pick(src, p("client_policy.connect_timeout"), DefaultConnectTimeout),
			RetryAttempts:       w.ClientPolicy.RetryAttempts.pick(src, p("client_policy.retry_attempts"), DefaultRetryAttempts),
			UnhealthyBackoff:    w.ClientPolicy.UnhealthyBackoff.pick(src, p("client_policy.unhealthy_backoff"), DefaultUnhealthyBackoff),
			MaxUnhealthyBackoff: w.ClientPolicy.MaxUnhealthyBackoff.pick(src, p("client_policy.max_unhealthy_backoff"), DefaultMaxUnhealthyBackoff),
		},
	}
	if len(w.ClientsPerDC) > 0 {
		out.ClientsPerDC, out.Clients = map[string]int{}, 0
		for _, dc := range sortedKeys(w.ClientsPerDC) {
			k := w.ClientsPerDC[dc]
			out.ClientsPerDC[dc] = k.pick(src, p("clients_per_dc."+dc), 0)
			out.Clients += out.ClientsPerDC[dc]
		}
	}
	m := &w.Mix
	if m.Get.Set || m.Put.Set || m.Delete.Set || m.ReadModifyWrite.Set {
		out.Mix = Mix{
			Get:             m.Get.pick(src, p("mix.get"), 0),
			Put:             m.Put.pick(src, p("mix.put"), 0),
			Delete:          m.Delete.pick(src, p("mix.delete"), 0),
			ReadModifyWrite: m.ReadModifyWrite.pick(src, p("mix.rmw"), 0),
		}
	} else {
		out.Mix = Mix{Get: 0.5, Put: 0.5}
	}
	out.Kind, out.Probe = s.resolveProbe(src)
	r.Workload = out
}

// explicitLevel turns DEFAULT into the node's count, so a resolved
// scenario says exactly what each request asks for.
func explicitLevel(l Level, nodeCount int) Level {
	if l == LevelDefault {
		return Level(strconv.Itoa(nodeCount))
	}
	return l
}

// resolveFault picks a fault's knobs and makes its targets explicit: a
// partition gets its name ("faults[i]" by default) and both sides (a single
// side is cut from every other node), disk-fault actions their kinds.
func resolveFault(f *FaultSpec, i int, src streams.Source, nodes []string) Fault {
	p := fmt.Sprintf("faults[%d]", i)
	out := Fault{
		At:          f.At.pick(src, p+".at", 0),
		For:         f.For.pick(src, p+".for", 0),
		Action:      f.Action,
		Name:        f.Name,
		Nodes:       slices.Clone(f.Nodes.pick(src, p+".nodes", nil)),
		Datacenters: slices.Clone(f.Datacenters),
		OneWay:      f.OneWay,
		Mode:        f.Mode.pick(src, p+".mode", ""),
		By:          f.By.pick(src, p+".by", 0),
		Factor:      f.Factor.pick(src, p+".factor", 0),
		Kinds:       slices.Clone(f.Kinds),
		DC:          f.DC,
		Rack:        f.Rack,
		Weight:      f.Weight,
	}
	if f.Action == ActJoin && out.DC == "" {
		out.DC = DefaultDatacenter
	}
	if f.Action.isPartition() {
		out.Name = partitionName(f, i)
	}
	if sides := f.Sides.pick(src, p+".sides", nil); len(sides) > 0 {
		out.Sides = [][]string{slices.Clone(sides[0])}
		if len(sides) > 1 {
			out.Sides = append(out.Sides, slices.Clone(sides[1]))
		} else {
			var rest []string
			for _, n := range nodes {
				if !slices.Contains(sides[0], n) {
					rest = append(rest, n)
				}
			}
			out.Sides = append(out.Sides, rest)
		}
	}
	if (f.Action == ActDiskFaultsOn || f.Action == ActDiskFaultsOff) && len(out.Kinds) == 0 {
		out.Kinds = slices.Clone(DefaultDiskFaultKinds)
	}
	return out
}

func cloneSpec(s dist.Spec) dist.Spec {
	if s.Mixture != nil {
		m := make([]dist.Spec, len(s.Mixture))
		for i := range m {
			m[i] = cloneSpec(s.Mixture[i])
		}
		s.Mixture = m
	}
	return s
}

func (e Expect) clone() Expect {
	e.Linearizable, e.Converged = clonePtr(e.Linearizable), clonePtr(e.Converged)
	e.LostAckedWrites, e.LostAckedWritesMin = clonePtr(e.LostAckedWrites), clonePtr(e.LostAckedWritesMin)
	e.PredictionAgrees = clonePtr(e.PredictionAgrees)
	e.UnverifiedAckedWritesMax = clonePtr(e.UnverifiedAckedWritesMax)
	e.AvailabilityMin, e.StaleFractionMax = clonePtr(e.AvailabilityMin), clonePtr(e.StaleFractionMax)
	e.AvailabilityInFaultsMin, e.AvailabilityInFaultsMax = clonePtr(e.AvailabilityInFaultsMin), clonePtr(e.AvailabilityInFaultsMax)
	e.AvailabilityAfterFaultsMin = clonePtr(e.AvailabilityAfterFaultsMin)
	e.StaleFractionMin = clonePtr(e.StaleFractionMin)
	cp := func(b LatencyBound) LatencyBound {
		if b == nil {
			return nil
		}
		out := LatencyBound{}
		for k, v := range b {
			out[k] = v
		}
		return out
	}
	e.P50MsMax, e.P99MsMax, e.P999MsMax = cp(e.P50MsMax), cp(e.P99MsMax), cp(e.P999MsMax)
	return e
}

// LinearizabilityEnabled reports whether the linearizability check runs:
// on, or auto when every request's read and write quorums overlap
// (R+W > N, counted out of the workload's N). Levels that depend on
// datacenters (LOCAL_QUORUM, EACH_QUORUM) count as not overlapping for
// auto; set checks.linearizability: on to check them.
func (r *Resolved) LinearizabilityEnabled() bool {
	switch r.Checks.Linearizability {
	case "on":
		return true
	case "off":
		return false
	}
	n := r.Workload.N
	rc, okR := r.Workload.ReadLevel.Effective(r.Node.R).Count(n)
	wc, okW := r.Workload.WriteLevel.Effective(r.Node.W).Count(n)
	return okR && okW && rc+wc > n
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
