package reports

import "fmt"

// AntiEntropy are the nodes' Merkle-tree anti-entropy counters (absent
// when anti-entropy is disabled), in total and per node.
type AntiEntropy struct {
	AECounts
	// ExchangeToFullCopy is ExchangeBytes over FullCopyBytes (0 when
	// nothing was compared): what the exchanges cost as a fraction of
	// copying the ranges they compared whole.
	ExchangeToFullCopy float64           `json:"exchange_to_full_copy"`
	Nodes              []NodeAntiEntropy `json:"nodes"`
}

// AECounts: exchanges a node started (completed, of them in sync —
// nothing to copy —, timed out, refused by the peer), the ranges they
// compared and the buckets found differing, the keys sent and the keys
// that changed a replica (repaired), every anti-entropy byte sent, the
// bytes of the completed exchanges (both directions) beside what a full
// copy of their ranges would have sent, and the trees built with the keys
// and bytes their scans read.
type AECounts struct {
	Exchanges        uint64 `json:"exchanges"`
	Completed        uint64 `json:"completed"`
	InSync           uint64 `json:"in_sync"`
	TimedOut         uint64 `json:"timed_out"`
	Refused          uint64 `json:"refused"`
	RangesCompared   uint64 `json:"ranges_compared"`
	BucketsDiffering uint64 `json:"buckets_differing"`
	KeysSent         uint64 `json:"keys_sent"`
	KeysRepaired     uint64 `json:"keys_repaired"`
	BytesSent        uint64 `json:"bytes_sent"`
	ExchangeBytes    uint64 `json:"exchange_bytes"`
	FullCopyBytes    uint64 `json:"full_copy_bytes"`
	TreeBuilds       uint64 `json:"tree_builds"`
	TreeKeys         uint64 `json:"tree_keys"`
	TreeBytes        uint64 `json:"tree_bytes"`
}

// Add adds o's counts to c.
func (c *AECounts) Add(o AECounts) {
	c.Exchanges += o.Exchanges
	c.Completed += o.Completed
	c.InSync += o.InSync
	c.TimedOut += o.TimedOut
	c.Refused += o.Refused
	c.RangesCompared += o.RangesCompared
	c.BucketsDiffering += o.BucketsDiffering
	c.KeysSent += o.KeysSent
	c.KeysRepaired += o.KeysRepaired
	c.BytesSent += o.BytesSent
	c.ExchangeBytes += o.ExchangeBytes
	c.FullCopyBytes += o.FullCopyBytes
	c.TreeBuilds += o.TreeBuilds
	c.TreeKeys += o.TreeKeys
	c.TreeBytes += o.TreeBytes
}

// NodeAntiEntropy is one node's anti-entropy counts.
type NodeAntiEntropy struct {
	Node int    `json:"node"`
	Name string `json:"name"`
	AECounts
}

// Fraction is ExchangeBytes over FullCopyBytes (0 when nothing was
// compared).
func (c AECounts) Fraction() float64 {
	if c.FullCopyBytes == 0 {
		return 0
	}
	return float64(c.ExchangeBytes) / float64(c.FullCopyBytes)
}

// antiEntropyTable is the text and HTML table of anti-entropy per node;
// nil when the run had none.
func antiEntropyTable(r *Report) *table {
	a := r.AntiEntropy
	if a == nil {
		return nil
	}
	t := &table{Title: "Anti-entropy", Header: []string{"node", "exchanges", "in sync", "timed out", "buckets differing", "keys sent", "keys repaired", "bytes sent", "exchange bytes", "full copy"}, Right: rightFrom(10, 1)}
	row := func(name string, x AECounts) {
		t.add(c(name, fmtUint(x.Exchanges), fmtUint(x.InSync), fmtUint(x.TimedOut), fmtUint(x.BucketsDiffering), fmtUint(x.KeysSent),
			fmtUint(x.KeysRepaired), fmtBytes(float64(x.BytesSent)), fmtBytes(float64(x.ExchangeBytes)), fmtBytes(float64(x.FullCopyBytes)))...)
	}
	for _, n := range a.Nodes {
		row(n.Name, n.AECounts)
	}
	row("total", a.AECounts)
	t.Notes = append(t.Notes,
		fmt.Sprintf("completed exchanges sent %s against %s for a full copy of the ranges they compared (%.2f %%)",
			fmtBytes(float64(a.ExchangeBytes)), fmtBytes(float64(a.FullCopyBytes)), 100*a.ExchangeToFullCopy),
		fmt.Sprintf("trees built: %d over %d ranges compared, scanning %d keys (%s)", a.TreeBuilds, a.RangesCompared, a.TreeKeys, fmtBytes(float64(a.TreeBytes))))
	return t
}

// Repair is how a wiped node got its data back: it held Keys keys when
// its disk was wiped at WipedAtS; Repaired says it held every one of them
// again (each key's versions back or superseded), AfterMs after the wipe,
// to within the probe's interval; otherwise Missing were still not when
// the run ended.
type Repair struct {
	Node     string  `json:"node"`
	WipedAtS float64 `json:"wiped_at_s"`
	Keys     int     `json:"keys"`
	Repaired bool    `json:"repaired"`
	AfterMs  float64 `json:"after_ms"`
	Missing  int     `json:"missing"`
	// Kind is the fault: wipe or corrupt_table. CorruptReads and
	// Quarantined are the node's storage-table reads that failed their
	// checksum and the tables it quarantined, over the whole run.
	Kind         string `json:"kind"`
	CorruptReads uint64 `json:"corrupt_reads"`
	Quarantined  uint64 `json:"tables_quarantined"`
}

// repairsTable is the text and HTML table of the wiped nodes' repairs; nil
// when the run followed none.
func repairsTable(r *Report) *table {
	if len(r.Repairs) == 0 {
		return nil
	}
	t := &table{Title: "Repairs after wipes and corrupt tables", Header: []string{"node", "fault", "at", "keys held", "repaired", "after", "still missing", "corrupt reads", "tables quarantined"}, Right: rightFrom(9, 2)}
	for _, rp := range r.Repairs {
		after := "-"
		if rp.Repaired {
			after = fmt.Sprintf("%.0f ms", rp.AfterMs)
		}
		t.add(c(rp.Node, rp.Kind, fmt.Sprintf("%.3f s", rp.WipedAtS), fmt.Sprint(rp.Keys), fmt.Sprint(rp.Repaired), after, fmt.Sprint(rp.Missing),
			fmtUint(rp.CorruptReads), fmtUint(rp.Quarantined))...)
	}
	t.Notes = append(t.Notes, "repaired: the node holds every key it held just before the fault again, each key's versions back or superseded by newer ones (read back every 100 ms)")
	return t
}
