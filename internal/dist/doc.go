// Package dist describes the probability distributions dynasim draws from —
// network latency, think time, value sizes — and samples them from seeded
// streams.
//
// A Spec is declarative, so scenario files can write it directly:
//
//	latency_ms: {dist: lognormal, median: 2, sigma: 0.6}
//	latency_ms:
//	  mixture:
//	    - {weight: 0.99, dist: normal, mean: 1, stddev: 0.2}
//	    - {weight: 0.01, dist: pareto, scale: 5, shape: 1.5}
//
// Values are unitless float64; the caller picks the unit and says so in its
// field name (LatencyMs, SizeBytes).
//
// Why a Spec is compiled into a Sampler instead of holding a gonum
// distribution: the simulator draws each value from whichever stream owns the
// event (one per link, one per disk), so the stream is an argument of every
// Sample call, never stored. Compiling once also moves validation and the
// mixture's cumulative weights out of the hot path, and Sample does not
// allocate. The draws themselves come from gonum's stat/distuv, which takes a
// math/rand/v2 Source; a *rand.Rand is one, so the given stream feeds gonum
// directly and a stream yields the same samples wherever it is replayed.
package dist
