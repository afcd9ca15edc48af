package scenarios

import (
	"cmp"
	"fmt"
	"slices"

	"dynasim/wire"
)

// cluster checks the membership and records what later checks need: the
// node names that exist for every seed, the datacenters and their sizes.
func (v *validator) cluster() {
	c := &v.s.Cluster
	v.names, v.someNames, v.dcNodes = map[string]bool{}, map[string]bool{}, map[string]int{}
	if list := c.Nodes.List; len(list) > 0 {
		if len(list) > MaxNodes {
			v.bad("cluster.nodes", "%d nodes, the limit is %d", len(list), MaxNodes)
		}
		seen := map[string]int{}
		for i, m := range list {
			p := fmt.Sprintf("cluster.nodes[%d]", i)
			switch j, dup := seen[m.Name]; {
			case m.Name == "":
				v.bad(p+".name", "every node needs a name")
			case dup:
				v.bad(p+".name", "node %q is already defined by cluster.nodes[%d]", m.Name, j)
			case v.name(p+".name", "node name", m.Name):
				seen[m.Name] = i
				v.names[m.Name], v.someNames[m.Name] = true, true
			}
			dc := cmp.Or(m.Datacenter, DefaultDatacenter)
			if v.name(p+".datacenter", "datacenter", dc) && !slices.Contains(v.dcs, dc) {
				v.dcs = append(v.dcs, dc)
			}
			v.dcNodes[dc]++
			if m.Rack != "" {
				v.name(p+".rack", "rack", m.Rack)
			}
			eachValue(m.Weight, p+".weight", func(w float64, p string) {
				if !(w > 0 && w <= MaxWeight) {
					v.bad(p, "must be within (0, %d], got %v", MaxWeight, w)
				}
			})
		}
		v.minNodes, v.maxNodes = len(list), len(list)
		if len(c.Datacenters) > 0 {
			v.bad("cluster.datacenters", "applies only to the `nodes: <count>` shorthand; with a list of nodes, give each node its datacenter")
		}
		if c.RacksPerDatacenter.Set {
			v.bad("cluster.racks_per_datacenter", "applies only to the `nodes: <count>` shorthand; with a list of nodes, give each node its rack")
		}
	} else {
		within(v, c.Nodes.Count, "cluster.nodes", 1, MaxNodes)
		lo, hi := lohi(c.Nodes.Count, DefaultNodes)
		lo, hi = min(max(lo, 1), MaxNodes), min(max(hi, 1), MaxNodes)
		dcs := c.Datacenters
		if len(dcs) == 0 {
			dcs = []string{DefaultDatacenter}
		}
		for i, dc := range dcs {
			p := fmt.Sprintf("cluster.datacenters[%d]", i)
			if v.name(p, "datacenter", dc) {
				if slices.Contains(v.dcs, dc) {
					v.bad(p, "datacenter %q is listed twice", dc)
					continue
				}
				v.dcs = append(v.dcs, dc)
			}
		}
		if lo < len(dcs) && !v.failed("cluster.nodes") {
			v.bad("cluster.nodes", "%d datacenters need at least %d nodes, got %d", len(dcs), len(dcs), lo)
		}
		for _, m := range shorthandMembers(lo, dcs, 0) {
			v.names[m.Name] = true
			v.dcNodes[m.Datacenter]++
		}
		for i := range hi {
			v.someNames[fmt.Sprintf("n%d", i+1)] = true
		}
		v.minNodes, v.maxNodes = lo, hi
		within(v, c.RacksPerDatacenter, "cluster.racks_per_datacenter", 0, MaxRacks)
	}
	within(v, c.VNodes, "cluster.vnodes", 1, MaxVNodes)
	_, vhi := lohi(c.VNodes, DefaultVNodes)
	for i, m := range c.Nodes.List {
		if _, w := lohi(m.Weight, 1); float64(vhi)*w > MaxVNodes && !v.failed("cluster.vnodes") {
			v.bad(fmt.Sprintf("cluster.nodes[%d].weight", i), "weight %v gives %v virtual nodes (cluster.vnodes %d × weight), the limit is %d", w, float64(vhi)*w, vhi, MaxVNodes)
		}
	}
}

// shorthandMembers spreads n nodes named n1..nN over the datacenters in
// contiguous blocks whose sizes differ by at most one (earlier datacenters
// get the extra nodes), and, with racks > 0, over that many racks per
// datacenter (r1, r2, ... in turn).
func shorthandMembers(n int, dcs []string, racks int) []Member {
	out := make([]Member, n)
	inDC := map[string]int{}
	for i := range out {
		dc := dcs[i*len(dcs)/n]
		out[i] = Member{Name: fmt.Sprintf("n%d", i+1), Datacenter: dc, Weight: 1}
		if racks > 0 {
			out[i].Rack = fmt.Sprintf("r%d", inDC[dc]%racks+1)
		}
		inDC[dc]++
	}
	return out
}

// nodeConfig checks the replica count against the cluster, the quorums
// against the replica count, and the versioning and storage knobs.
func (v *validator) nodeConfig() {
	nc := &v.s.Node
	v.nLo, v.nHi = lohi(nc.N, DefaultN)
	if rp := nc.ReplicasPerDatacenter; len(rp) > 0 {
		sumLo, sumHi := 0, 0
		for _, dc := range sortedKeys(rp) {
			p := "node.replicas_per_datacenter." + dc
			k := rp[dc]
			within(v, k, p, 1, MaxReplicas)
			lo, hi := lohi(k, 0)
			sumLo, sumHi = sumLo+lo, sumHi+hi
			if v.datacenter(p, dc) && hi > v.dcNodes[dc] && !v.failed("cluster") {
				v.bad(p, "%d replicas in %s, which has only %d nodes", hi, dc, v.dcNodes[dc])
			}
		}
		if nLo, nHi := lohi(nc.N, 0); nc.N.Set && !(nLo == sumLo && nHi == sumHi && sumLo == sumHi) {
			v.bad("node.n", "n is the sum of replicas_per_datacenter (%s); leave it out", span(sumLo, sumHi))
		}
		v.nLo, v.nHi = sumLo, sumHi
		if sumHi > MaxReplicas {
			v.bad("node.replicas_per_datacenter", "%d replicas in total, the limit is %d", sumHi, MaxReplicas)
		}
	} else {
		within(v, nc.N, "node.n", 1, MaxReplicas)
		if v.nHi > v.minNodes && !v.failed("cluster.nodes", "node.n") {
			if nc.N.Set {
				v.bad("node.n", "n = %d replicas need at least %d nodes; the cluster has %d", v.nHi, v.nHi, v.minNodes)
			} else {
				v.bad("cluster.nodes", "%d nodes are fewer than the default n = %d replicas; add nodes or set node.n", v.minNodes, v.nHi)
			}
		}
	}
	for _, q := range []struct {
		name string
		k    Knob[int]
		what string
	}{{"r", nc.R, "a read"}, {"w", nc.W, "a write"}} {
		p := "node." + q.name
		within(v, q.k, p, 1, MaxReplicas)
		if _, hi := lohi(q.k, 0); q.k.Set && hi > v.nLo && !v.failed(p, "node.n", "node.replicas_per_datacenter") {
			v.bad(p, "%s = %d exceeds n = %d: %s cannot wait for more replicas than a key has", q.name, hi, v.nLo, q.what)
		}
	}
	within(v, nc.MaxSiblings, "node.max_siblings", 1, wire.MaxSiblings)
	pr := &nc.VClockPruning
	within(v, pr.SmallVClock, "node.vclock_pruning.small_vclock", 1, wire.MaxClockEntries)
	within(v, pr.BigVClock, "node.vclock_pruning.big_vclock", 1, wire.MaxClockEntries)
	_, smallHi := lohi(pr.SmallVClock, DefaultSmallVClock)
	if bigLo, _ := lohi(pr.BigVClock, 0); pr.BigVClock.Set && bigLo < smallHi {
		v.bad("node.vclock_pruning.big_vclock", "must be at least small_vclock (%d), got %d", smallHi, bigLo)
	}
	within(v, pr.YoungVClock, "node.vclock_pruning.young_vclock", 0, Duration(365*24*3600e9))
	_, youngHi := lohi(pr.YoungVClock, DefaultYoungVClock)
	if oldLo, _ := lohi(pr.OldVClock, 0); pr.OldVClock.Set && oldLo < youngHi {
		v.bad("node.vclock_pruning.old_vclock", "must be at least young_vclock (%v), got %v", youngHi, oldLo)
	}
	within(v, nc.RequestTimeout, "node.request_timeout", Duration(1e6), Duration(3600e9))
	st := &nc.Storage
	within(v, st.SyncInterval, "node.storage.sync_interval", Duration(1e3), Duration(60e9))
	if st.SyncInterval.Set && st.Sync.Set && st.Sync.IsFixed() && st.Sync.Value == "every" {
		v.bad("node.storage.sync_interval", "applies only to sync: group or periodic")
	}
	within(v, st.MemtableSizeBytes, "node.storage.memtable_size_bytes", 16<<10, 1<<30) // lsm's bounds
	within(v, st.BloomBitsPerKey, "node.storage.bloom_bits_per_key", 0, 64)
	within(v, st.BlockCacheSizeBytes, "node.storage.block_cache_size_bytes", 0, 64<<30)

	hh := &nc.HintedHandoff
	within(v, hh.Window, "node.hinted_handoff.window", Duration(1e6), Duration(30*24*3600e9))
	within(v, hh.RateBytesPerS, "node.hinted_handoff.rate_bytes_per_s", 1, 1<<40)
	within(v, hh.MaxInFlight, "node.hinted_handoff.max_in_flight", 1, 1<<16) // node.MaxHintMaxInFlight
	ae := &nc.AntiEntropy
	sm := &v.s.Node.Streaming
	within(v, sm.RateBytesPerS, "node.streaming.rate_bytes_per_s", 1<<10, 1<<34) // node.MinStreamRate, MaxStreamRate
	within(v, sm.ChunkBytes, "node.streaming.chunk_bytes", 1<<10, 4<<20)
	within(v, sm.StartDelay, "node.streaming.start_delay", 0, Duration(3600e9))
	within(v, ae.Interval, "node.anti_entropy.interval", Duration(1e6), Duration(24*3600e9))
	within(v, ae.Buckets, "node.anti_entropy.buckets", 1, 1<<9) // node.AntiEntropy: 256 arcs × buckets ≤ 2^17
	eachValue(ae.Buckets, "node.anti_entropy.buckets", func(b int, p string) {
		if b&(b-1) != 0 {
			v.bad(p, "must be a power of two, got %d", b)
		}
	})
	within(v, ae.RateBytesPerS, "node.anti_entropy.rate_bytes_per_s", 1, 1<<33)
	within(v, ae.MaxInFlight, "node.anti_entropy.max_in_flight", 1, 1<<10) // node.MaxAEMaxInFlight
	if slices.Contains(nc.Quorum.Possible(DefaultQuorum), "sloppy") && slices.Contains(hh.Enabled.Possible(false), false) && !v.failed("node.quorum", "node.hinted_handoff.enabled") {
		v.bad("node.quorum", "quorum: sloppy needs node.hinted_handoff.enabled: true (its fallbacks keep the writes they take as hints)")
	}
}

// membership checks the gossip knobs (node/gossip's bounds).
func (v *validator) membership() {
	m := &v.s.Membership
	within(v, m.Interval, "membership.interval", Duration(1e6), Duration(3600e9))
	within(v, m.Fanout, "membership.fanout", 1, 64)
	within(v, m.SuspectAfter, "membership.suspect_after", Duration(2e6), Duration(24*3600e9))
	within(v, m.ConfirmReporters, "membership.confirm_reporters", 1, 64)
	within(v, m.PhiThreshold, "membership.phi_threshold", 1e-9, 1000)
	_, ivHi := lohi(m.Interval, DefaultGossipInterval)
	if saLo, _ := lohi(m.SuspectAfter, DefaultSuspectAfter); saLo < 2*ivHi && !v.failed("membership.interval", "membership.suspect_after") {
		p := "membership.suspect_after"
		if !m.SuspectAfter.Set {
			p = "membership.interval"
		}
		v.bad(p, "suspect_after (%v) must be at least two intervals (%v): every member would be suspected between rounds", saLo, 2*ivHi)
	}
}
