package checker

import (
	"slices"

	"gonum.org/v1/gonum/stat"

	"dynasim/history"
)

// The workload statistics below leave out final reads (Op.Final): they are
// the checker's probes, not the workload. They assume a valid history.

// OpCounts counts the workload's operations by outcome.
type OpCounts struct {
	Total   int `json:"total"`
	OK      int `json:"ok"`
	Failed  int `json:"failed"`
	Unknown int `json:"unknown"`
	// FinalReads is how many final reads were made on top.
	FinalReads int `json:"final_reads"`
	// Retried is how many operations were sent more than once (Op.Tried:
	// a client retry, with the client policy at another coordinator), and
	// RetriedOK how many of those ended ok.
	Retried   int `json:"retried,omitempty"`
	RetriedOK int `json:"retried_ok,omitempty"`
	// ByKind splits the counts per operation kind; get, put and delete are
	// always present.
	ByKind map[string]KindCounts `json:"by_kind"`
}

// KindCounts counts one operation kind's outcomes.
type KindCounts struct {
	Total   int `json:"total"`
	OK      int `json:"ok"`
	Failed  int `json:"failed"`
	Unknown int `json:"unknown"`
}

// CountOps counts the operations of h.
func CountOps(h *history.History) OpCounts {
	c := OpCounts{ByKind: map[string]KindCounts{}}
	for _, k := range []history.OpKind{history.Get, history.Put, history.Delete} {
		c.ByKind[k.String()] = KindCounts{}
	}
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Final {
			c.FinalReads++
			continue
		}
		k := c.ByKind[o.Kind.String()]
		c.Total++
		k.Total++
		switch o.Outcome {
		case history.OK:
			c.OK++
			k.OK++
		case history.Failed:
			c.Failed++
			k.Failed++
		case history.Unknown:
			c.Unknown++
			k.Unknown++
		}
		c.ByKind[o.Kind.String()] = k
		if len(o.Tried) > 0 {
			c.Retried++
			if o.Outcome == history.OK {
				c.RetriedOK++
			}
		}
	}
	return c
}

// SiblingsResult describes how many sibling values ok gets returned.
type SiblingsResult struct {
	Reads     int            `json:"reads"`
	Mean      float64        `json:"mean"`
	Max       int            `json:"max"`
	Histogram []SiblingCount `json:"histogram"`
}

// SiblingCount is how many reads returned exactly Siblings values.
type SiblingCount struct {
	Siblings int `json:"siblings"`
	Reads    int `json:"reads"`
}

// Siblings tallies the number of values each ok get returned (0 for a key
// that was absent or deleted).
func Siblings(h *history.History) SiblingsResult {
	res := SiblingsResult{Histogram: []SiblingCount{}}
	hist := make(map[int]int)
	sum := 0
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Final || o.Kind != history.Get || o.Outcome != history.OK {
			continue
		}
		n := len(o.Values)
		res.Reads++
		sum += n
		res.Max = max(res.Max, n)
		hist[n]++
	}
	if res.Reads > 0 {
		res.Mean = float64(sum) / float64(res.Reads)
	}
	for n := 0; n <= res.Max; n++ {
		if hist[n] > 0 {
			res.Histogram = append(res.Histogram, SiblingCount{Siblings: n, Reads: hist[n]})
		}
	}
	return res
}

// AvailabilityResult is the fraction of attempted operations that succeeded.
type AvailabilityResult struct {
	Attempted int `json:"attempted"`
	OK        int `json:"ok"`
	// Availability = OK / Attempted; 1 when nothing was attempted (nothing
	// was refused).
	Availability float64 `json:"availability"`
	// Windows: the same, for operations invoked inside each fault window, in
	// the history's order; Outside: for those invoked outside every window.
	Windows []WindowAvailability `json:"windows"`
	Outside WindowAvailability   `json:"outside"`
}

// WindowAvailability is availability over the operations invoked in
// [StartNs, EndNs).
type WindowAvailability struct {
	Label        string  `json:"label"`
	StartNs      int64   `json:"start_ns"`
	EndNs        int64   `json:"end_ns"`
	Attempted    int     `json:"attempted"`
	OK           int     `json:"ok"`
	Availability float64 `json:"availability"`
}

// Availability computes availability overall and per fault window of h.
// Failed and unknown operations both count as unavailable.
func Availability(h *history.History) AvailabilityResult {
	res := AvailabilityResult{Windows: make([]WindowAvailability, len(h.Faults)), Outside: WindowAvailability{Label: "outside fault windows"}}
	for i, f := range h.Faults {
		res.Windows[i] = WindowAvailability{Label: f.Label, StartNs: f.StartNs, EndNs: f.EndNs}
	}
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Final {
			continue
		}
		ok := o.Outcome == history.OK
		tally(&res.Attempted, &res.OK, ok)
		inside := false
		for w := range res.Windows {
			win := &res.Windows[w]
			if o.InvokeNs >= win.StartNs && o.InvokeNs < win.EndNs {
				tally(&win.Attempted, &win.OK, ok)
				inside = true
			}
		}
		if !inside {
			tally(&res.Outside.Attempted, &res.Outside.OK, ok)
		}
	}
	res.Availability = ratio(res.OK, res.Attempted)
	for w := range res.Windows {
		res.Windows[w].Availability = ratio(res.Windows[w].OK, res.Windows[w].Attempted)
	}
	res.Outside.Availability = ratio(res.Outside.OK, res.Outside.Attempted)
	return res
}

func tally(attempted, ok *int, success bool) {
	*attempted++
	if success {
		*ok++
	}
}

func ratio(ok, attempted int) float64 {
	if attempted == 0 {
		return 1
	}
	return float64(ok) / float64(attempted)
}

// LatencyStats are latency quantiles in milliseconds (empirical: the
// smallest observed latency with at least the given fraction at or below it).
type LatencyStats struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
}

// Latency returns the latency (return − invoke) of ok operations per kind
// ("get", "put", "delete"); kinds with no ok operation are absent. Failed and
// unknown operations are left out: an unknown one's "latency" is the client
// timeout.
func Latency(h *history.History) map[string]LatencyStats {
	byKind := make(map[history.OpKind][]float64)
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Final || o.Outcome != history.OK {
			continue
		}
		byKind[o.Kind] = append(byKind[o.Kind], nsToMs(o.ReturnNs-o.InvokeNs))
	}
	res := make(map[string]LatencyStats, len(byKind))
	for kind, xs := range byKind {
		slices.Sort(xs)
		q := func(p float64) float64 { return stat.Quantile(p, stat.Empirical, xs, nil) }
		res[kind.String()] = LatencyStats{
			Count: len(xs),
			Mean:  stat.Mean(xs, nil),
			P50:   q(0.5),
			P90:   q(0.9),
			P99:   q(0.99),
			P999:  q(0.999),
			Max:   xs[len(xs)-1],
		}
	}
	return res
}

// ThroughputResult is operations per second of virtual time, over the span
// from the first invocation to the last return.
type ThroughputResult struct {
	DurationS float64 `json:"duration_s"`
	Ops       int     `json:"ops"`
	OK        int     `json:"ok"`
	OpsPerS   float64 `json:"ops_per_s"`
	OKPerS    float64 `json:"ok_per_s"`
}

// Throughput computes the workload's throughput in virtual time.
func Throughput(h *history.History) ThroughputResult {
	var res ThroughputResult
	first, last := int64(-1), int64(-1)
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Final {
			continue
		}
		res.Ops++
		if o.Outcome == history.OK {
			res.OK++
		}
		if first < 0 || o.InvokeNs < first {
			first = o.InvokeNs
		}
		last = max(last, o.ReturnNs)
	}
	if res.Ops > 0 && last > first {
		res.DurationS = float64(last-first) / 1e9
		res.OpsPerS = float64(res.Ops) / res.DurationS
		res.OKPerS = float64(res.OK) / res.DurationS
	}
	return res
}
