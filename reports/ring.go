package reports

import "fmt"

// Ring is the run's membership changes (absent when there were none): the
// ring versions as they took effect, each join and decommission with what
// it streamed, and the cluster size over time against the offered load.
type Ring struct {
	Versions []RingVersionPoint `json:"versions"`
	Changes  []RingChange       `json:"changes"`
	// Size is the number of ring members over time, with the operations
	// per second the clients offered in each interval (a point per ring
	// version and per second of the run).
	Size []SizePoint `json:"cluster_size"`
	// Autoscaler is the operator policy's decisions (absent without one).
	Autoscaler []ScaleDecision `json:"autoscaler,omitempty"`
	// CleanupDropped are the keys members dropped after the changes took
	// their ranges away, over the run.
	CleanupDropped uint64 `json:"cleanup_keys_dropped"`
}

// RingVersionPoint is one ring version and when the harness saw it take
// effect; Transition marks a join's or decommission's transitional
// versions (writes on the old and the new replicas), ReadsMoved the second
// of them (reads on the new replicas; the first reads the old ones).
type RingVersionPoint struct {
	AtS        float64 `json:"at_s"`
	Version    uint64  `json:"version"`
	Members    int     `json:"members"`
	Transition bool    `json:"transition"`
	ReadsMoved bool    `json:"reads_moved"`
}

// RingChange is one join or decommission.
type RingChange struct {
	Kind string `json:"kind"`
	Node string `json:"node"`
	// MembersBefore is the cluster size when it began.
	MembersBefore int     `json:"members_before"`
	Version       uint64  `json:"version"`
	Settled       uint64  `json:"settled_version"`
	StartS        float64 `json:"start_s"`
	// SettledS is when the settled version took effect (0: never);
	// StoppedS when a leaving node was stopped.
	SettledS float64 `json:"settled_s"`
	StoppedS float64 `json:"stopped_s"`
	// MovedFraction is the share of replica placements of the workload's
	// keys that changed; Ideal is 1/(n+1) for a join into n members, 1/n
	// for a decommission from n.
	MovedFraction float64 `json:"moved_fraction"`
	Ideal         float64 `json:"ideal_fraction"`
	StreamedBytes uint64  `json:"streamed_bytes"`
	StreamedKeys  uint64  `json:"streamed_keys"`
}

// SizePoint is the cluster size at a time, with the offered load.
type SizePoint struct {
	AtS       float64 `json:"at_s"`
	Members   int     `json:"members"`
	OpsPerSec float64 `json:"ops_per_s"`
}

// ScaleDecision is one autoscaler decision.
type ScaleDecision struct {
	AtS     float64 `json:"at_s"`
	Action  string  `json:"action"`
	Node    string  `json:"node"`
	Load    float64 `json:"load_per_node"`
	Members int     `json:"members"`
}

// ringTables are the text and HTML tables of the membership changes; nil
// when there were none.
func ringTables(r *Report) []*table {
	g := r.Ring
	if g == nil {
		return nil
	}
	ch := &table{Title: "Membership changes", Header: []string{"change", "node", "members", "start", "settled", "took", "moved", "ideal", "streamed", "keys"}, Right: rightFrom(10, 2)}
	for _, x := range g.Changes {
		settled, took := "never", "-"
		if x.SettledS > 0 {
			settled, took = fmt.Sprintf("%.2fs", x.SettledS), fmt.Sprintf("%.2fs", x.SettledS-x.StartS)
		}
		ch.add(c(x.Kind, x.Node, fmt.Sprintf("%d", x.MembersBefore), fmt.Sprintf("%.2fs", x.StartS), settled, took,
			fmt.Sprintf("%.4f", x.MovedFraction), fmt.Sprintf("%.4f", x.Ideal), fmtBytes(float64(x.StreamedBytes)), fmtUint(x.StreamedKeys))...)
	}
	ch.Notes = append(ch.Notes, "moved: share of replica placements of the workload's keys that changed; ideal 1/(n+1) for a join into n members, 1/n for a decommission",
		fmt.Sprintf("cleanup: the displaced replicas dropped %s keys they no longer replicate", fmtUint(g.CleanupDropped)))
	tl := &table{Title: "Ring versions", Header: []string{"at", "version", "members", "kind"}, Right: rightFrom(4, 0)}
	for _, v := range g.Versions {
		kind := "settled"
		switch {
		case v.ReadsMoved:
			kind = "transition, reads moved"
		case v.Transition:
			kind = "transition"
		}
		tl.add(c(fmt.Sprintf("%.2fs", v.AtS), fmt.Sprintf("%d", v.Version), fmt.Sprintf("%d", v.Members), kind)...)
	}
	out := []*table{ch, tl}
	if len(g.Autoscaler) > 0 {
		as := &table{Title: "Autoscaler", Header: []string{"at", "action", "node", "load/node", "members"}, Right: rightFrom(5, 3)}
		for _, d := range g.Autoscaler {
			as.add(c(fmt.Sprintf("%.2fs", d.AtS), d.Action, d.Node, fmt.Sprintf("%.1f", d.Load), fmt.Sprintf("%d", d.Members))...)
		}
		out = append(out, as)
	}
	sz := &table{Title: "Cluster size over time", Header: []string{"at", "members", "offered ops/s", ""}, Right: rightFrom(4, 0)}
	peak := 0.0
	for _, p := range g.Size {
		peak = max(peak, p.OpsPerSec)
	}
	for _, p := range g.Size {
		bar := ""
		if peak > 0 {
			for range int(20 * p.OpsPerSec / peak) {
				bar += "#"
			}
		}
		sz.add(c(fmt.Sprintf("%.0fs", p.AtS), fmt.Sprintf("%d", p.Members), fmt.Sprintf("%.0f", p.OpsPerSec), bar)...)
	}
	return append(out, sz)
}
