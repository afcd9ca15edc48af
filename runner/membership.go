package runner

import (
	"sort"
	"time"

	"gonum.org/v1/gonum/stat"

	"dynasim/node/gossip"
	"dynasim/reports"
	"dynasim/scenarios"
	"dynasim/sim/cluster"
)

// downWindows are, per node name, the virtual-time intervals its process
// was down (crashed) or frozen (paused), from the resolved schedule: a
// crash or pause opens one, a restart or resume closes it, and so does
// heal_at_end at the end of the workload; one still open closes at end.
func downWindows(r *scenarios.Resolved, workloadEnd, end time.Duration) map[string][][2]time.Duration {
	out := map[string][][2]time.Duration{}
	open := map[string]time.Duration{}
	isOpen := map[string]bool{}
	closeAt := func(n string, at time.Duration) {
		if isOpen[n] {
			out[n] = append(out[n], [2]time.Duration{open[n], at})
			isOpen[n] = false
		}
	}
	for _, st := range r.Steps() {
		for _, n := range st.Do.Nodes {
			switch st.Do.Action {
			case scenarios.ActCrash, scenarios.ActPause:
				if !isOpen[n] {
					open[n], isOpen[n] = st.At, true
				}
			case scenarios.ActRestart, scenarios.ActResume:
				closeAt(n, st.At)
			}
		}
	}
	names := make([]string, 0, len(isOpen))
	for n := range isOpen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if r.HealAtEnd {
			closeAt(n, workloadEnd)
		}
		closeAt(n, end)
	}
	return out
}

// upThroughout reports whether node name's process was up for all of
// [from, to].
func upThroughout(w [][2]time.Duration, from, to time.Duration) bool {
	for _, iv := range w {
		if iv[0] <= to && iv[1] >= from {
			return false
		}
	}
	return true
}

// membershipReport builds the report's membership section from the
// nodes' marks (nil with membership disabled).
func membershipReport(r *scenarios.Resolved, res *cluster.Result) *reports.Membership {
	if !r.Membership.Enabled {
		return nil
	}
	windows := downWindows(r, time.Duration(res.WorkloadEnd), time.Duration(res.End))
	suspect := time.Duration(r.Membership.SuspectAfter)
	m := &reports.Membership{Nodes: []reports.MembershipNode{}, Detections: []reports.Detection{}}
	for i, ns := range res.Nodes {
		mn := reports.MembershipNode{Node: i, Name: ns.Name, Marks: []reports.MembershipMk{}}
		for _, mk := range ns.Transitions {
			at := time.Duration(mk.At)
			e := reports.MembershipMk{AtS: at.Seconds(), Member: mk.Member, Kind: mk.Kind.String(), Reporters: mk.Reporters, Phi: mk.Phi}
			if mk.Kind == gossip.MarkedDown && upThroughout(windows[mk.Member], at-suspect, at) {
				e.False = true
				m.FalseDown++
			}
			mn.Marks = append(mn.Marks, e)
		}
		m.Nodes = append(m.Nodes, mn)
	}
	// Detections: for every crash window of a member, every observer up
	// for the whole window (a live node) must mark it down within it.
	var lat []float64
	for _, target := range res.Nodes {
		for _, iv := range windows[target.Name] {
			for _, obs := range res.Nodes {
				if obs.Name == target.Name || !upThroughout(windows[obs.Name], iv[0], iv[1]) {
					continue
				}
				d := reports.Detection{Member: target.Name, Observer: obs.Name, CrashS: iv[0].Seconds(), DownForS: (iv[1] - iv[0]).Seconds(), Missed: true}
				for _, mk := range obs.Transitions {
					at := time.Duration(mk.At)
					if mk.Member == target.Name && mk.Kind == gossip.MarkedDown && at >= iv[0] && at <= iv[1] {
						d.Missed, d.AfterMs = false, float64(at-iv[0])/1e6
						lat = append(lat, d.AfterMs)
						break
					}
				}
				if d.Missed {
					m.MissedDetections++
				}
				m.Detections = append(m.Detections, d)
			}
		}
	}
	if len(lat) > 0 {
		sort.Float64s(lat)
		m.DetectionMs = reports.DetectionQuantiles{Count: len(lat), P50: stat.Quantile(0.5, stat.Empirical, lat, nil),
			P99: stat.Quantile(0.99, stat.Empirical, lat, nil), Max: lat[len(lat)-1]}
	}
	return m
}

// hintsReport builds the report's hints section (nil with hinted handoff
// disabled).
func hintsReport(r *scenarios.Resolved, res *cluster.Result) *reports.Hints {
	if !r.Node.HintedHandoff.Enabled {
		return nil
	}
	h := &reports.Hints{Nodes: []reports.NodeHints{}}
	for i, ns := range res.Nodes {
		t := ns.Hints
		c := reports.HintCounts{Created: t.Created, Delivered: t.Delivered, Dropped: t.Dropped, Pending: t.Pending,
			PendingBytes: t.PendingBytes, BytesSent: t.BytesSent, WrongTarget: t.WrongTarget}
		h.Nodes = append(h.Nodes, reports.NodeHints{Node: i, Name: ns.Name, HintCounts: c})
		h.Add(c)
	}
	return h
}

// antiEntropyReport builds the report's anti-entropy section (nil with
// anti-entropy disabled).
func antiEntropyReport(r *scenarios.Resolved, res *cluster.Result) *reports.AntiEntropy {
	if !r.Node.AntiEntropy.Enabled {
		return nil
	}
	a := &reports.AntiEntropy{Nodes: []reports.NodeAntiEntropy{}}
	for i, ns := range res.Nodes {
		s := ns.AntiEntropy
		c := reports.AECounts{Exchanges: s.Exchanges, Completed: s.Completed, InSync: s.InSync, TimedOut: s.TimedOut, Refused: s.Refused,
			RangesCompared: s.ArcsCompared, BucketsDiffering: s.BucketsDiffering, KeysSent: s.KeysSent, KeysRepaired: s.KeysRepaired,
			BytesSent: s.BytesSent, ExchangeBytes: s.ExchangeBytes, FullCopyBytes: s.FullCopyBytes,
			TreeBuilds: s.TreeBuilds, TreeKeys: s.TreeKeys, TreeBytes: s.TreeBytes}
		a.Nodes = append(a.Nodes, reports.NodeAntiEntropy{Node: i, Name: ns.Name, AECounts: c})
		a.Add(c)
	}
	a.ExchangeToFullCopy = a.Fraction()
	return a
}

// ringReport is the membership changes section (nil without joins or
// decommissions): the ring versions, the changes, and the cluster size
// per second beside the operations the clients invoked in that second.
func ringReport(res *cluster.Result) *reports.Ring {
	if len(res.Changes) == 0 {
		return nil
	}
	g := &reports.Ring{}
	for _, rc := range res.Rings {
		g.Versions = append(g.Versions, reports.RingVersionPoint{AtS: float64(rc.At) / 1e9, Version: rc.Membership.Version(),
			Members: rc.Membership.Len(), Transition: rc.Membership.Prev() != nil, ReadsMoved: rc.Membership.ReadsMoved()})
	}
	for _, ch := range res.Changes {
		g.Changes = append(g.Changes, reports.RingChange{Kind: string(ch.Kind), Node: ch.Node, MembersBefore: ch.Members,
			Version: ch.Version, Settled: ch.Settled, StartS: float64(ch.StartAt) / 1e9, SettledS: float64(ch.SettledAt) / 1e9,
			StoppedS: float64(ch.StoppedAt) / 1e9, MovedFraction: ch.MovedFraction, Ideal: ch.Ideal,
			StreamedBytes: ch.StreamedBytes, StreamedKeys: ch.StreamedKeys})
	}
	for _, n := range res.Nodes {
		g.CleanupDropped += n.Total.CleanupDropped
	}
	for _, d := range res.Scaling {
		g.Autoscaler = append(g.Autoscaler, reports.ScaleDecision{AtS: float64(d.At) / 1e9, Action: string(d.Kind), Node: d.Node, Load: d.Load, Members: d.Members})
	}
	secs := int(res.WorkloadEnd/1e9) + 1
	ops := make([]int, secs)
	for _, op := range res.History.Ops {
		if !op.Final {
			if s := int(op.InvokeNs / 1e9); s >= 0 && s < secs {
				ops[s]++
			}
		}
	}
	members := func(t int64) int {
		m := res.Rings[0].Membership
		for _, rc := range res.Rings {
			if int64(rc.At) <= t {
				m = rc.Membership
			}
		}
		return m.Len()
	}
	for s := range secs {
		g.Size = append(g.Size, reports.SizePoint{AtS: float64(s), Members: members(int64(s) * 1e9), OpsPerSec: float64(ops[s])})
	}
	return g
}

// RepairProbeInterval is how often a wiped node's keys are read back when
// repaired_within_ms is expected: the resolution of the measured repair
// time.
const RepairProbeInterval = 100 * time.Millisecond

// repairProbe is the cluster's repair probe interval: on only when the
// scenario expects repaired_within_ms, since the probe reads the wiped
// node's store (which warms its caches) and folds into the fingerprint.
func repairProbe(r *scenarios.Resolved) time.Duration {
	if r.Expect.RepairedWithinMs == nil {
		return 0
	}
	return RepairProbeInterval
}

// repairsReport is the report's repairs section (nil without a probe).
func repairsReport(res *cluster.Result) []reports.Repair {
	var out []reports.Repair
	for _, rp := range res.Repairs {
		x := reports.Repair{Node: rp.Node, Kind: string(rp.Kind), WipedAtS: time.Duration(rp.WipedAt).Seconds(), Keys: rp.Keys,
			Repaired: rp.Repaired, AfterMs: float64(rp.After) / float64(time.Millisecond), Missing: rp.Missing}
		for _, n := range res.Nodes {
			if n.Name == rp.Node {
				x.CorruptReads, x.Quarantined = n.Total.CorruptReads, n.Total.TablesQuarantined
			}
		}
		out = append(out, x)
	}
	return out
}
