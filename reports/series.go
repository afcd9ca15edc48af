package reports

import (
	"math"
	"slices"

	"dynasim/history"
)

// Timeline bucket sizing: the smallest "nice" size (1, 2, 2.5 or 5 times a
// power of ten nanoseconds, at least a microsecond) that covers the run in
// at most maxBuckets buckets. Consecutive nice sizes differ by at most a
// factor of 2, so a run long enough gets between maxBuckets/2 and
// maxBuckets buckets.
const (
	maxBuckets    = 200
	minBucketNs   = 1_000
	maxCDFSamples = 256 // up to this many samples, the CDF keeps each one
)

// bucketNs returns the bucket size for a run spanning [0, spanNs]. The loop
// ends by pow = 1e16 (5e16 ns covers any int64 span in 200 buckets), long
// before pow*50 could overflow.
func bucketNs(spanNs int64) int64 {
	want := spanNs/maxBuckets + 1
	for pow := int64(1); ; pow *= 10 {
		for _, m := range [...]int64{10, 20, 25, 50} { // tenths of the multiplier
			if s := pow * m / 10; s >= minBucketNs && s >= want {
				return s
			}
		}
	}
}

// timeline buckets the workload (final reads excluded) from virtual time 0
// to the last return.
func timeline(h *history.History) Timeline {
	var end int64
	n := 0
	for i := range h.Ops {
		if o := &h.Ops[i]; !o.Final {
			end = max(end, o.ReturnNs)
			n++
		}
	}
	if n == 0 {
		return Timeline{Buckets: []Bucket{}}
	}
	size := bucketNs(end)
	nb := int(end/size) + 1 // the last return falls in bucket end/size
	buckets := make([]Bucket, nb)
	for b := range buckets {
		buckets[b].TMs = nsToMs(int64(b) * size)
	}
	// Latencies grouped by invocation bucket in one flat slice: count, then
	// place (a counting sort), then sort each bucket's segment.
	start := make([]int, nb+1)
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Final {
			continue
		}
		b := &buckets[o.InvokeNs/size]
		b.Started++
		switch o.Outcome {
		case history.OK:
			b.OK++
			start[o.InvokeNs/size+1]++
			buckets[o.ReturnNs/size].Completed++
		case history.Failed:
			b.Failed++
		case history.Unknown:
			b.Unknown++
		}
	}
	for b := 1; b <= nb; b++ {
		start[b] += start[b-1]
	}
	lat := make([]float64, start[nb])
	next := slices.Clone(start[:nb])
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Final || o.Outcome != history.OK {
			continue
		}
		b := o.InvokeNs / size
		lat[next[b]] = nsToMs(o.ReturnNs - o.InvokeNs)
		next[b]++
	}
	for b := range buckets {
		xs := lat[start[b]:start[b+1]]
		if len(xs) == 0 {
			continue
		}
		slices.Sort(xs)
		p50, p99 := quantile(xs, 0.5), quantile(xs, 0.99)
		buckets[b].P50Ms, buckets[b].P99Ms = &p50, &p99
	}
	return Timeline{BucketMs: nsToMs(size), EndMs: nsToMs(end), Buckets: buckets}
}

// quantile is the empirical quantile of sorted xs: the smallest sample with
// at least a fraction p of the samples at or below it. It agrees with
// gonum's stat.Quantile(p, stat.Empirical, xs, nil), which the checker's
// latency statistics use, without its linear scan.
func quantile(xs []float64, p float64) float64 {
	i := int(math.Ceil(p*float64(len(xs)))) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}

// cdfGrid are the probabilities at which a large sample's CDF is kept:
// every percent, then finer into the tail (the part a log-x CDF is read
// for).
var cdfGrid = func() []float64 {
	var ps []float64
	for i := 1; i < 100; i++ {
		ps = append(ps, float64(i)/100)
	}
	for _, tail := range []float64{1e-3, 1e-4, 1e-5, 1e-6} {
		for i := 9; i >= 1; i-- {
			ps = append(ps, 1-float64(i)*tail)
		}
	}
	return ps
}()

// latencyCDF returns, per operation kind with ok workload operations, points
// of the empirical CDF of their latency in milliseconds: every sample for a
// small sample, else the grid (down to tail probabilities the sample can
// resolve) plus the minimum and the maximum.
func latencyCDF(h *history.History) map[string][]CDFPoint {
	byKind := make(map[string][]float64)
	for i := range h.Ops {
		o := &h.Ops[i]
		if !o.Final && o.Outcome == history.OK {
			byKind[o.Kind.String()] = append(byKind[o.Kind.String()], nsToMs(o.ReturnNs-o.InvokeNs))
		}
	}
	out := make(map[string][]CDFPoint, len(byKind))
	for kind, xs := range byKind {
		slices.Sort(xs)
		n := float64(len(xs))
		var pts []CDFPoint
		add := func(ms, p float64) {
			if k := len(pts); k > 0 && pts[k-1].Ms == ms {
				pts[k-1].P = p // keep the highest probability per latency
				return
			}
			pts = append(pts, CDFPoint{Ms: ms, P: p})
		}
		if len(xs) <= maxCDFSamples {
			for i, x := range xs {
				add(x, float64(i+1)/n)
			}
		} else {
			add(xs[0], 1/n)
			for _, p := range cdfGrid {
				if 1-p < 1/n {
					break // finer than one sample
				}
				if p > 1/n {
					add(quantile(xs, p), p)
				}
			}
			add(xs[len(xs)-1], 1)
		}
		out[kind] = pts
	}
	return out
}
