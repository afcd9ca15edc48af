package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"dynasim/internal/dist"
	"dynasim/wire"
)

// WorkloadConfig describes what the simulated clients do. Zero fields take
// the defaults documented on each; Validate checks the result.
type WorkloadConfig struct {
	// Clients is the number of simulated clients. Default 1.
	Clients int
	// RatePerClient, when positive, runs an open loop: each client starts
	// operations as a Poisson process at this many per second, whether or not
	// earlier ones have finished. Zero runs a closed loop: each client has
	// one operation in flight and waits ThinkTimeMs between operations.
	RatePerClient float64
	// RateProfile, when set, varies the open loop's rate over time: each
	// client's rate at virtual time t is interpolated linearly between
	// the points around t (the first point's before it, the last's
	// after). RatePerClient must be positive (the loop is open); the
	// profile then replaces it.
	RateProfile []RatePoint
	// ThinkTimeMs is the closed-loop pause between operations (ms).
	// Default: no pause.
	ThinkTimeMs dist.Spec
	// Duration stops clients from starting operations after this much
	// virtual time. Zero means no time limit (then MaxOps must be set).
	Duration time.Duration
	// MaxOps stops clients after this many operations in total (a
	// read-modify-write counts once). Zero means no count limit.
	MaxOps int
	// Mix weighs the operation kinds. Default: 50 % get, 50 % put.
	Mix OpMix
	// Keys says which keys operations touch.
	Keys KeyConfig
	// ValueSizeBytes is the distribution of put value sizes, at most the
	// node's value limit. Default constant 100 bytes. A value always holds
	// at least its unique ID, a few bytes.
	ValueSizeBytes dist.Spec
	// N, R and W are the per-request replica count and quorums sent with
	// each request (wire.Need: a level or a count). Zero values mean the
	// node's configured defaults.
	N    uint8
	R, W wire.Need
	// Routing picks the node a client sends a request to. Default random.
	Routing Routing
	// Timeout is how long a client waits for a reply before giving up on an
	// attempt. Default 1 s.
	Timeout time.Duration
	// Retries is how many times a client retries an attempt that timed out
	// or failed, each time at a newly routed node. Default 0.
	Retries int
	// MaxOutstanding bounds an open-loop client's operations in flight;
	// arrivals beyond it are counted as shed and not started. Default 10,000.
	MaxOutstanding int
	// Policy is the clients' load-balancing and retry policy (see
	// ClientPolicy). Disabled by default. When enabled, Retries must be 0:
	// the policy retries only what is safe to retry.
	Policy ClientPolicy
	// Probe, when set, replaces the random mix by a staleness probe (see
	// ProbeConfig, probe.go). Default nil.
	Probe *ProbeConfig
}

// AttemptsPerOp is the most attempts one operation can make.
func (c WorkloadConfig) AttemptsPerOp() int {
	if c.Policy.Enabled {
		return c.Policy.WithDefaults().Retries() + 1
	}
	return c.Retries + 1
}

// OpMix weighs operation kinds; weights need not sum to 1.
type OpMix struct {
	Get, Put, Delete float64
	// ReadModifyWrite is a get followed by a put that carries the context
	// the get returned (two operations in the history).
	ReadModifyWrite float64
}

// KeyConfig says which keys operations touch.
type KeyConfig struct {
	// Count is the number of distinct keys. Default 100.
	Count int
	// Dist is uniform, zipfian, hotspot or sequential. Default uniform.
	Dist KeyDist
	// ZipfS is the zipfian exponent s > 0 (key of rank k is chosen with
	// probability ∝ 1/k^s). Default 0.99, YCSB's.
	ZipfS float64
	// HotspotKeys is the fraction of keys that are hot, HotspotOps the
	// fraction of operations that go to them. Defaults 0.2 and 0.8.
	HotspotKeys, HotspotOps float64
}

// KeyDist names a key distribution.
type KeyDist string

// Key distributions.
const (
	KeysUniform    KeyDist = "uniform"
	KeysZipfian    KeyDist = "zipfian"
	KeysHotspot    KeyDist = "hotspot"
	KeysSequential KeyDist = "sequential"
)

// Routing names how a client picks the node for a request.
type Routing string

// Routing policies.
const (
	// RouteRandom sends each request to a node chosen uniformly at random.
	RouteRandom Routing = "random"
	// RouteFirstReplica sends it to the first node of the key's preference
	// list (a partition-aware client).
	RouteFirstReplica Routing = "first_replica"
	// RouteNonReplica sends it to a node that is not among the key's N
	// replicas (the coordinator must proxy), or at random when every node is
	// a replica.
	RouteNonReplica Routing = "non_replica"
)

// Limits on workloads, so a typo cannot ask for a billion clients.
const (
	MaxClients = 100_000
	MaxKeys    = 10_000_000
)

// WithDefaults returns the config with zero fields set to their defaults.
func (c WorkloadConfig) WithDefaults() WorkloadConfig {
	if c.Clients == 0 {
		c.Clients = 1
	}
	if c.Mix == (OpMix{}) {
		c.Mix = OpMix{Get: 0.5, Put: 0.5}
	}
	if c.Keys.Count == 0 {
		c.Keys.Count = 100
	}
	if c.Keys.Dist == "" {
		c.Keys.Dist = KeysUniform
	}
	if c.Keys.ZipfS == 0 {
		c.Keys.ZipfS = 0.99
	}
	if c.Keys.HotspotKeys == 0 {
		c.Keys.HotspotKeys = 0.2
	}
	if c.Keys.HotspotOps == 0 {
		c.Keys.HotspotOps = 0.8
	}
	if c.ValueSizeBytes.IsZero() {
		c.ValueSizeBytes = dist.Spec{Dist: dist.Constant, Value: 100}
	}
	if c.Routing == "" {
		c.Routing = RouteRandom
	}
	if c.Timeout == 0 {
		c.Timeout = time.Second
	}
	if c.MaxOutstanding == 0 {
		c.MaxOutstanding = 10_000
	}
	c.Policy = c.Policy.WithDefaults()
	return c.probeDefaults()
}

// Validate checks a config (after WithDefaults).
func (c WorkloadConfig) Validate() error {
	for i, p := range c.RateProfile {
		if !(p.PerClient > 0) || math.IsInf(p.PerClient, 0) || (i > 0 && p.At <= c.RateProfile[i-1].At) || p.At < 0 {
			return fmt.Errorf("workload: rate profile point %d (%v, %g/s): times must increase from 0 and rates be positive", i, p.At, p.PerClient)
		}
	}
	if len(c.RateProfile) > 0 && c.RatePerClient <= 0 {
		return fmt.Errorf("workload: a rate profile needs an open loop (a positive rate per client)")
	}
	if c.Probe != nil {
		if err := c.Probe.Validate(); err != nil {
			return err
		}
	}
	switch {
	case c.Clients < 1 || c.Clients > MaxClients:
		return fmt.Errorf("workload: clients %d must be within [1, %d]", c.Clients, MaxClients)
	case c.RatePerClient < 0 || math.IsNaN(c.RatePerClient) || math.IsInf(c.RatePerClient, 0):
		return fmt.Errorf("workload: rate per client %g must be a finite number >= 0", c.RatePerClient)
	case c.Duration < 0:
		return fmt.Errorf("workload: duration %v is negative", c.Duration)
	case c.MaxOps < 0:
		return fmt.Errorf("workload: max ops %d is negative", c.MaxOps)
	case c.Duration == 0 && c.MaxOps == 0:
		return fmt.Errorf("workload: needs a duration or an operation count, or it never ends")
	case c.Keys.Count < 1 || c.Keys.Count > MaxKeys:
		return fmt.Errorf("workload: key count %d must be within [1, %d]", c.Keys.Count, MaxKeys)
	case c.Keys.ZipfS <= 0 || c.Keys.ZipfS > 10:
		return fmt.Errorf("workload: zipfian s %g must be within (0, 10]", c.Keys.ZipfS)
	case !(c.Keys.HotspotKeys > 0 && c.Keys.HotspotKeys < 1) || !(c.Keys.HotspotOps > 0 && c.Keys.HotspotOps < 1):
		return fmt.Errorf("workload: hotspot fractions (keys %g, ops %g) must be within (0, 1)", c.Keys.HotspotKeys, c.Keys.HotspotOps)
	case c.Timeout < 0:
		return fmt.Errorf("workload: timeout %v is negative", c.Timeout)
	case c.Retries < 0 || c.Retries > 100:
		return fmt.Errorf("workload: retries %d must be within [0, 100]", c.Retries)
	case c.MaxOutstanding < 1:
		return fmt.Errorf("workload: max outstanding %d must be at least 1", c.MaxOutstanding)
	}
	m := c.Mix
	for _, w := range []float64{m.Get, m.Put, m.Delete, m.ReadModifyWrite} {
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("workload: mix weights must be finite and >= 0, got %+v", m)
		}
	}
	if m.Get+m.Put+m.Delete+m.ReadModifyWrite == 0 {
		return fmt.Errorf("workload: the mix has no operations")
	}
	switch c.Keys.Dist {
	case KeysUniform, KeysZipfian, KeysHotspot, KeysSequential:
	default:
		return fmt.Errorf("workload: unknown key distribution %q (want uniform, zipfian, hotspot or sequential)", c.Keys.Dist)
	}
	switch c.Routing {
	case RouteRandom, RouteFirstReplica, RouteNonReplica:
	default:
		return fmt.Errorf("workload: unknown routing %q (want random, first_replica or non_replica)", c.Routing)
	}
	if c.Policy.Enabled {
		if c.Retries > 0 {
			return fmt.Errorf("workload: retries %d retries every request, writes of unknown outcome too; with the client policy enabled use its retry attempts instead", c.Retries)
		}
		if err := c.Policy.Validate(c.Timeout); err != nil {
			return err
		}
	}
	if err := c.ThinkTimeMs.Validate(); err != nil && !c.ThinkTimeMs.IsZero() {
		return fmt.Errorf("workload: think time: %w", err)
	}
	if err := c.ValueSizeBytes.Validate(); err != nil {
		return fmt.Errorf("workload: value size: %w", err)
	}
	if c.ValueSizeBytes.LowerBound() < 0 {
		return fmt.Errorf("workload: value size %v can be negative", c.ValueSizeBytes)
	}
	return nil
}

// keyChooser draws keys by a KeyConfig.
type keyChooser struct {
	cfg   KeyConfig
	names []string
	// bytes are the names as byte strings, which requests carry; shared by
	// every request for a key (messages are never modified).
	bytes [][]byte
	cdf   []float64 // zipfian: cumulative probabilities by rank
	hot   int       // hotspot: number of hot keys
	// clients spreads sequential clients' starting offsets.
	clients int
}

func newKeyChooser(cfg KeyConfig, clients int) *keyChooser {
	k := &keyChooser{cfg: cfg, names: make([]string, cfg.Count), clients: max(clients, 1)}
	width := len(strconv.Itoa(cfg.Count - 1))
	for i := range k.names {
		k.names[i] = fmt.Sprintf("k%0*d", width, i)
	}
	k.bytes = make([][]byte, cfg.Count)
	all := make([]byte, 0, cfg.Count*(1+width))
	for i, n := range k.names {
		all = append(all, n...)
		k.bytes[i] = all[len(all)-len(n) : len(all) : len(all)]
	}
	switch cfg.Dist {
	case KeysZipfian:
		k.cdf = make([]float64, cfg.Count)
		sum := 0.0
		for i := range k.cdf {
			sum += 1 / math.Pow(float64(i+1), cfg.ZipfS)
			k.cdf[i] = sum
		}
		for i := range k.cdf {
			k.cdf[i] /= sum
		}
	case KeysHotspot:
		k.hot = max(1, int(float64(cfg.Count)*cfg.HotspotKeys))
		if k.hot >= cfg.Count {
			k.hot = cfg.Count - 1
		}
	}
	return k
}

// choose returns the index of the next key; seq is the client's operation
// number (for sequential) and client its index.
func (k *keyChooser) choose(r *rand.Rand, client int, seq uint64) int {
	n := k.cfg.Count
	switch k.cfg.Dist {
	case KeysZipfian:
		return min(sort.SearchFloat64s(k.cdf, r.Float64()), n-1)
	case KeysHotspot:
		if k.hot == 0 || r.Float64() < k.cfg.HotspotOps {
			return r.IntN(max(k.hot, 1))
		}
		return k.hot + r.IntN(n-k.hot)
	case KeysSequential:
		// Clients start at evenly spread offsets and walk the key space.
		return int((uint64(client)*uint64(n)/uint64(k.clients) + seq) % uint64(n))
	}
	return r.IntN(n)
}

// KeyPicker draws keys exactly as the simulated clients do, for a
// workload run outside the simulator (against a real cluster).
type KeyPicker struct{ k *keyChooser }

// NewKeyPicker returns a picker for cfg (defaults applied, as
// WorkloadConfig.WithDefaults applies them) shared by clients clients.
func NewKeyPicker(cfg KeyConfig, clients int) *KeyPicker {
	return &KeyPicker{k: newKeyChooser(cfg, clients)}
}

// Pick returns the index of the next key of client (zero-based); seq is
// the client's operation number (sequential keys walk it).
func (p *KeyPicker) Pick(r *rand.Rand, client int, seq uint64) int { return p.k.choose(r, client, seq) }

// Names lists every key, in index order.
func (p *KeyPicker) Names() []string { return p.k.names }

// RatePoint is one point of a rate profile: each client's rate (per
// second) at virtual time At.
type RatePoint struct {
	At        time.Duration
	PerClient float64
}

// rateAt is each client's open-loop rate at virtual time t.
func (c *WorkloadConfig) rateAt(t time.Duration) float64 {
	p := c.RateProfile
	if len(p) == 0 {
		return c.RatePerClient
	}
	if t <= p[0].At {
		return p[0].PerClient
	}
	for i := 1; i < len(p); i++ {
		if t < p[i].At {
			f := float64(t-p[i-1].At) / float64(p[i].At-p[i-1].At)
			return p[i-1].PerClient + f*(p[i].PerClient-p[i-1].PerClient)
		}
	}
	return p[len(p)-1].PerClient
}
