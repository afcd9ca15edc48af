// Package wars predicts partial-quorum staleness by the WARS Monte Carlo of
// Bailis et al., "Probabilistically Bounded Staleness for Practical Partial
// Quorums" (VLDB 2012).
//
// A trial writes a value to N replicas and reads it back t ms after the
// write committed. Each replica i draws four one-way latencies: W_i (the
// write request reaching it), A_i (its acknowledgement returning), R_i (the
// read request reaching it) and S_i (its response returning). The write
// commits when the W-th acknowledgement arrives; the read is answered by the
// R replicas whose responses arrive first, and it is consistent if one of
// them had received the write when the read request reached it.
//
// Beyond the paper, a Config can describe dynasim's real topology: the
// client-to-coordinator legs (PutPathMs, AckPathMs, GetPathMs, zero in the
// paper), a write coordinator that is itself a replica (dynasim forwards a
// write to a replica, which mints the version and stores it locally at
// once: LocalWriteReplica), a read coordinator that is that same replica
// (LocalReadReplica), and several versions written back to back
// (Versions), which gives a k-staleness prediction.
//
// Everything is drawn from one PCG stream seeded by Config.Seed, in a fixed
// order, so a prediction is a pure function of its Config.
package wars

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"dynasim/internal/dist"
)

// Limits on a Config.
const (
	MaxReplicas = 64
	MaxVersions = 64
	MaxTrials   = 100_000_000
	MaxPoints   = 1000
	MaxPathLegs = 8
)

// Config is one WARS prediction. Zero fields take the defaults documented
// on each (WithDefaults); Validate checks the result.
type Config struct {
	// N, R, W: replicas, read quorum, write quorum (1 <= R, W <= N).
	N, R, W int
	// WriteMs, AckMs, ReadMs, ResponseMs are the four replica legs, in ms:
	// write_request, write_ack, read_request and read_response.
	WriteMs, AckMs, ReadMs, ResponseMs dist.Spec
	// PutPathMs are the legs a put travels from the client to the node that
	// mints its version (dynasim with routing non_replica: client to proxy,
	// proxy to replica, both client_put); AckPathMs the legs its reply
	// travels back (client_reply); GetPathMs the legs a get travels from the
	// client to its coordinator (client_get). Empty: none (the paper).
	PutPathMs, AckPathMs, GetPathMs []dist.Spec
	// LocalWriteReplica: replica 0 is the write coordinator, which stores
	// the write at once (its W and A legs are 0).
	LocalWriteReplica bool
	// LocalReadReplica: replica 0 is also the read coordinator (its R and S
	// legs are 0). Requires LocalWriteReplica.
	LocalReadReplica bool
	// Versions is how many values each trial writes back to back (each put
	// starts when the client saw the previous one acknowledged); the read
	// follows the last. k-staleness counts the versions the read is behind.
	// Default 1.
	Versions int
	// TMs are the read delays after the last commit, in ms, ascending.
	TMs []float64
	// Trials is the number of Monte Carlo trials. Default 100,000.
	Trials int
	// MaxLatencyMs caps every draw, as the simulated network does.
	// Default 60000.
	MaxLatencyMs float64
	// Confidence is the two-sided level of the Wilson intervals. Default
	// 0.95.
	Confidence float64
	// Seed seeds the PCG stream.
	Seed uint64
}

// DefaultTrials is Config.Trials' default.
const DefaultTrials = 100_000

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	if c.Versions == 0 {
		c.Versions = 1
	}
	if c.Trials == 0 {
		c.Trials = DefaultTrials
	}
	if c.MaxLatencyMs == 0 {
		c.MaxLatencyMs = 60000
	}
	if c.Confidence == 0 {
		c.Confidence = 0.95
	}
	return c
}

// Validate checks c after defaults.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.N < 1 || c.N > MaxReplicas:
		return fmt.Errorf("wars: N %d outside [1, %d]", c.N, MaxReplicas)
	case c.R < 1 || c.R > c.N:
		return fmt.Errorf("wars: R %d outside [1, N=%d]", c.R, c.N)
	case c.W < 1 || c.W > c.N:
		return fmt.Errorf("wars: W %d outside [1, N=%d]", c.W, c.N)
	case c.Versions < 1 || c.Versions > MaxVersions:
		return fmt.Errorf("wars: Versions %d outside [1, %d]", c.Versions, MaxVersions)
	case c.Trials < 1 || c.Trials > MaxTrials:
		return fmt.Errorf("wars: Trials %d outside [1, %d]", c.Trials, MaxTrials)
	case !(c.MaxLatencyMs > 0) || math.IsInf(c.MaxLatencyMs, 0):
		return fmt.Errorf("wars: MaxLatencyMs %v must be finite and > 0", c.MaxLatencyMs)
	case !(c.Confidence > 0 && c.Confidence < 1):
		return fmt.Errorf("wars: Confidence %v outside (0, 1)", c.Confidence)
	case c.LocalReadReplica && !c.LocalWriteReplica:
		return errors.New("wars: LocalReadReplica needs LocalWriteReplica (the read coordinator is the replica that minted the write)")
	case len(c.TMs) < 1 || len(c.TMs) > MaxPoints:
		return fmt.Errorf("wars: TMs needs 1 to %d delays, got %d", MaxPoints, len(c.TMs))
	}
	for i, t := range c.TMs {
		if !(t >= 0) || math.IsInf(t, 0) || (i > 0 && t <= c.TMs[i-1]) {
			return fmt.Errorf("wars: TMs must be finite, >= 0 and strictly ascending, got %v", c.TMs)
		}
	}
	legs := []struct {
		name string
		s    dist.Spec
	}{{"WriteMs", c.WriteMs}, {"AckMs", c.AckMs}, {"ReadMs", c.ReadMs}, {"ResponseMs", c.ResponseMs}}
	for _, p := range []struct {
		name string
		l    []dist.Spec
	}{{"PutPathMs", c.PutPathMs}, {"AckPathMs", c.AckPathMs}, {"GetPathMs", c.GetPathMs}} {
		if len(p.l) > MaxPathLegs {
			return fmt.Errorf("wars: %s has %d legs, the limit is %d", p.name, len(p.l), MaxPathLegs)
		}
		for i, s := range p.l {
			legs = append(legs, struct {
				name string
				s    dist.Spec
			}{fmt.Sprintf("%s[%d]", p.name, i), s})
		}
	}
	for _, l := range legs {
		if err := l.s.Validate(); err != nil {
			return fmt.Errorf("wars: %s: %w", l.name, err)
		}
		if l.s.LowerBound() < 0 {
			return fmt.Errorf("wars: %s: %s can be negative", l.name, l.s)
		}
	}
	return nil
}

// Point is the prediction at one t.
type Point struct {
	TMs float64 `json:"t_ms"`
	// Trials and Consistent: P(consistent) = Consistent/Trials, with its
	// Wilson interval [Lo, Hi] at Confidence.
	Trials     int     `json:"trials"`
	Consistent int     `json:"consistent"`
	P          float64 `json:"p"`
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	// KStaleness[k] counts trials whose read was k versions behind
	// (k = Versions: it returned none of them).
	KStaleness []int `json:"k_staleness"`
}

// Prediction is a predicted curve.
type Prediction struct {
	Config Config  `json:"-"`
	Points []Point `json:"points"`
}

// sampler draws one leg, capped and rounded to whole nanoseconds as the
// simulated network does, returned in ms.
type sampler struct {
	s   *dist.Sampler
	cap float64
}

func (s sampler) draw(r *rand.Rand) float64 {
	ms := s.s.Sample(r)
	if !(ms <= s.cap) {
		ms = s.cap
	}
	return math.Round(max(ms, 0)*1e6) / 1e6
}

func compile(specs []dist.Spec, capMs float64) ([]sampler, error) {
	out := make([]sampler, len(specs))
	for i, s := range specs {
		c, err := s.Compile()
		if err != nil {
			return nil, err
		}
		out[i] = sampler{c, capMs}
	}
	return out, nil
}

// Predict runs the Monte Carlo. It allocates O(N + len(TMs)) memory
// whatever the number of trials.
func Predict(c Config) (*Prediction, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	legs, err := compile([]dist.Spec{c.WriteMs, c.AckMs, c.ReadMs, c.ResponseMs}, c.MaxLatencyMs)
	if err != nil {
		return nil, err
	}
	put, err := compile(c.PutPathMs, c.MaxLatencyMs)
	if err != nil {
		return nil, err
	}
	ack, err := compile(c.AckPathMs, c.MaxLatencyMs)
	if err != nil {
		return nil, err
	}
	get, err := compile(c.GetPathMs, c.MaxLatencyMs)
	if err != nil {
		return nil, err
	}
	wL, aL, rL, sL := legs[0], legs[1], legs[2], legs[3]
	r := rand.New(rand.NewPCG(c.Seed, 0x5042535741525321)) // "PBSWARS!"
	n, v := c.N, c.Versions
	// arrive[j*n+i]: when version j+1 reached replica i.
	arrive := make([]float64, v*n)
	acks := make([]float64, n)
	lat := make([]float64, n)  // read request arrival at replica i, from the read's start
	resp := make([]float64, n) // its response's arrival
	order := make([]int, n)
	// minLag[j]: over the first R responders, the least t at which one of
	// them would have held version j+1.
	minLag := make([]float64, v)
	k := make([][]int, len(c.TMs))
	for i := range k {
		k[i] = make([]int, v+1)
	}
	path := func(ls []sampler) float64 {
		var d float64
		for _, l := range ls {
			d += l.draw(r)
		}
		return d
	}
	for range c.Trials {
		now := 0.0 // the client sends the first put
		for j := range v {
			mint := now + path(put)
			for i := range n {
				var w, a float64
				if i > 0 || !c.LocalWriteReplica {
					w, a = wL.draw(r), aL.draw(r)
				}
				arrive[j*n+i] = mint + w
				acks[i] = mint + w + a
			}
			slices.Sort(acks)
			now = acks[c.W-1] + path(ack) // the client sees the commit
		}
		start := now + path(get) // the read leaves its coordinator at start + t
		for i := range n {
			var rr, ss float64
			if i > 0 || !c.LocalReadReplica {
				rr, ss = rL.draw(r), sL.draw(r)
			}
			lat[i], resp[i], order[i] = rr, rr+ss, i
		}
		slices.SortStableFunc(order, func(x, y int) int {
			switch {
			case resp[x] < resp[y]:
				return -1
			case resp[x] > resp[y]:
				return 1
			}
			return 0
		})
		for j := range v {
			m := math.Inf(1)
			for _, i := range order[:c.R] {
				// Replica i holds version j+1 at the read iff
				// arrive <= start + t + lat[i].
				m = min(m, arrive[j*n+i]-start-lat[i])
			}
			minLag[j] = m
		}
		for ti, t := range c.TMs {
			newest := 0
			for j := v - 1; j >= 0; j-- {
				if minLag[j] <= t {
					newest = j + 1
					break
				}
			}
			k[ti][v-newest]++
		}
	}
	p := &Prediction{Config: c}
	for ti, t := range c.TMs {
		ok := k[ti][0]
		lo, hi := Wilson(ok, c.Trials, c.Confidence)
		p.Points = append(p.Points, Point{TMs: t, Trials: c.Trials, Consistent: ok, P: float64(ok) / float64(c.Trials), Lo: lo, Hi: hi, KStaleness: k[ti]})
	}
	return p, nil
}
