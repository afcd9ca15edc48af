package network

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"dynasim/internal/dist"
	"dynasim/wire"
)

// Limits that no configuration may exceed.
const (
	// HardMaxEndpoints caps Config.MaxEndpoints. The network keeps two
	// dense matrices indexed by (from, to) — a pointer and a cut count, 10
	// bytes per directed pair — so n endpoints cost 10*n^2 bytes: 640 MiB at
	// this cap.
	HardMaxEndpoints = 8192
	// HardMaxPartitions caps Config.MaxPartitions: every active partition
	// may cut a link once, and cut counts are 16 bits wide.
	HardMaxPartitions = math.MaxUint16
	// MaxTransmitSizeBytes is the largest message Transmit accepts; it keeps
	// the serialisation-delay arithmetic (size * 1e9 / bandwidth) in int64.
	MaxTransmitSizeBytes = 1 << 32
)

// Config configures a Network. Zero fields take the defaults of
// DefaultConfig (see WithDefaults).
//
// Which LinkConfig a directed link from->to uses: the Links entry for
// (from, to) if any, else the DCPairs entry for (from's datacenter, to's
// datacenter) if any, else Default. Within that LinkConfig, a message kind's
// KindLatencyMs entry, if any, replaces LatencyMs. An override replaces the
// whole LinkConfig — nothing is inherited from Default — so it must give its
// own latency.
type Config struct {
	// Default applies to every link without an override. Its LatencyMs
	// defaults to DefaultLatencyMs.
	Default LinkConfig `json:"default" yaml:"default"`
	// DCPairs override Default for traffic between datacenters (or within
	// one, with From == To). Each entry is directional unless BothWays.
	DCPairs []DCPairConfig `json:"dc_pairs,omitempty" yaml:"dc_pairs,omitempty"`
	// Links override both for single directed links.
	Links []LinkOverride `json:"links,omitempty" yaml:"links,omitempty"`
	// FIFO makes every link deliver in send order, like a TCP connection: a
	// message's arrival is clamped to be no earlier than the previous
	// arrival on the same directed link. Messages that arrive at the same
	// nanosecond keep their order only if the scheduler breaks ties by
	// insertion order (sim's does). Without FIFO, random latency reorders.
	FIFO bool `json:"fifo,omitempty" yaml:"fifo,omitempty"`
	// MaxLatencyMs caps one latency draw, so a heavy-tailed distribution
	// (Pareto) cannot push a message past the end of any run or overflow
	// virtual time. Default 60000 (one minute).
	MaxLatencyMs float64 `json:"max_latency_ms,omitempty" yaml:"max_latency_ms,omitempty"`
	// MaxEndpoints bounds the addresses AddEndpoint accepts: 0 <= Addr <
	// MaxEndpoints. Default 4096, at most HardMaxEndpoints.
	MaxEndpoints int `json:"max_endpoints,omitempty" yaml:"max_endpoints,omitempty"`
	// MaxPartitions bounds the partitions active at once. Default 1024, at
	// most HardMaxPartitions.
	MaxPartitions int `json:"max_partitions,omitempty" yaml:"max_partitions,omitempty"`
}

// LinkConfig models one directed link.
type LinkConfig struct {
	// LatencyMs is the one-way latency in milliseconds, drawn per message
	// (and per copy of a duplicated message). Its values must be >= 0.
	LatencyMs dist.Spec `json:"latency_ms" yaml:"latency_ms"`
	// KindLatencyMs overrides LatencyMs for some message kinds, by name
	// (wire.Kind.String()). Names are checked against the kinds package wire
	// registers; an unknown name is an error.
	KindLatencyMs map[string]dist.Spec `json:"kind_latency_ms,omitempty" yaml:"kind_latency_ms,omitempty"`
	// LossProb is the probability that a message is lost in flight.
	LossProb float64 `json:"loss_prob,omitempty" yaml:"loss_prob,omitempty"`
	// DupProb is the probability that a message not lost arrives twice; the
	// copies draw independent latencies.
	DupProb float64 `json:"dup_prob,omitempty" yaml:"dup_prob,omitempty"`
	// BandwidthBytesPerSec, if > 0, makes the link serialise messages: each
	// occupies the link for ceil(size*1e9/bandwidth) ns, starting when the
	// link is free, and its latency counts from the end of that. Messages
	// lost in flight use the link too; messages cut by a partition do not.
	// 0 means unlimited.
	BandwidthBytesPerSec int64 `json:"bandwidth_bytes_per_sec,omitempty" yaml:"bandwidth_bytes_per_sec,omitempty"`
}

// DCPairConfig overrides the link model for traffic from datacenter From to
// datacenter To (and To to From if BothWays).
type DCPairConfig struct {
	From     string     `json:"from" yaml:"from"`
	To       string     `json:"to" yaml:"to"`
	BothWays bool       `json:"both_ways,omitempty" yaml:"both_ways,omitempty"`
	Link     LinkConfig `json:"link" yaml:"link"`
}

// LinkOverride overrides the link model for the link From->To (and To->From
// if BothWays).
type LinkOverride struct {
	From     wire.Addr  `json:"from" yaml:"from"`
	To       wire.Addr  `json:"to" yaml:"to"`
	BothWays bool       `json:"both_ways,omitempty" yaml:"both_ways,omitempty"`
	Link     LinkConfig `json:"link" yaml:"link"`
}

// DefaultLatencyMs is the default one-way latency: a log-normal with median
// 1 ms, roughly a busy datacenter network with a moderate tail (p99 about
// 3.2 ms).
var DefaultLatencyMs = dist.Spec{Dist: dist.LogNormal, Median: 1, Sigma: 0.5}

// DefaultConfig returns the defaults: DefaultLatencyMs on every link, no
// loss, no duplication, unlimited bandwidth, no FIFO.
func DefaultConfig() Config {
	return Config{
		Default:       LinkConfig{LatencyMs: DefaultLatencyMs},
		MaxLatencyMs:  60000,
		MaxEndpoints:  4096,
		MaxPartitions: 1024,
	}
}

// WithDefaults returns c with its zero fields set from DefaultConfig.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.Default.LatencyMs.IsZero() {
		c.Default.LatencyMs = d.Default.LatencyMs
	}
	if c.MaxLatencyMs == 0 {
		c.MaxLatencyMs = d.MaxLatencyMs
	}
	if c.MaxEndpoints == 0 {
		c.MaxEndpoints = d.MaxEndpoints
	}
	if c.MaxPartitions == 0 {
		c.MaxPartitions = d.MaxPartitions
	}
	return c
}

// Validate reports the first problem with c (after WithDefaults), naming the
// field by its path in a scenario file.
func (c Config) Validate() error {
	c = c.WithDefaults()
	if !(c.MaxLatencyMs > 0) || math.IsInf(c.MaxLatencyMs, 0) {
		return fmt.Errorf("max_latency_ms: must be a finite number > 0, got %v", c.MaxLatencyMs)
	}
	if c.MaxEndpoints < 1 || c.MaxEndpoints > HardMaxEndpoints {
		return fmt.Errorf("max_endpoints: must be in [1, %d], got %d", HardMaxEndpoints, c.MaxEndpoints)
	}
	if c.MaxPartitions < 1 || c.MaxPartitions > HardMaxPartitions {
		return fmt.Errorf("max_partitions: must be in [1, %d], got %d", HardMaxPartitions, c.MaxPartitions)
	}
	if err := c.Default.validate("default"); err != nil {
		return err
	}
	seenDC := map[[2]string]int{}
	for i, p := range c.DCPairs {
		path := fmt.Sprintf("dc_pairs[%d]", i)
		if p.From == "" || p.To == "" {
			return fmt.Errorf("%s: from and to must name datacenters, got %q and %q", path, p.From, p.To)
		}
		for _, k := range directions(p.From, p.To, p.BothWays) {
			if j, dup := seenDC[k]; dup {
				return fmt.Errorf("%s: datacenter pair %s->%s is already configured by dc_pairs[%d]", path, k[0], k[1], j)
			}
			seenDC[k] = i
		}
		if err := p.Link.validate(path + ".link"); err != nil {
			return err
		}
	}
	seenLink := map[[2]wire.Addr]int{}
	for i, l := range c.Links {
		path := fmt.Sprintf("links[%d]", i)
		for _, a := range []wire.Addr{l.From, l.To} {
			if a < 0 || int(a) >= c.MaxEndpoints {
				return fmt.Errorf("%s: address %d is outside [0, max_endpoints=%d)", path, a, c.MaxEndpoints)
			}
		}
		for _, k := range directions(l.From, l.To, l.BothWays) {
			if j, dup := seenLink[k]; dup {
				return fmt.Errorf("%s: link %d->%d is already configured by links[%d]", path, k[0], k[1], j)
			}
			seenLink[k] = i
		}
		if err := l.Link.validate(path + ".link"); err != nil {
			return err
		}
	}
	return nil
}

// directions lists the directed pairs an entry configures.
func directions[T comparable](from, to T, bothWays bool) [][2]T {
	if bothWays && from != to {
		return [][2]T{{from, to}, {to, from}}
	}
	return [][2]T{{from, to}}
}

func (l *LinkConfig) validate(path string) error {
	if err := validateLatency(path+".latency_ms", l.LatencyMs); err != nil {
		if l.LatencyMs.IsZero() && path != "default" {
			return fmt.Errorf("%w; an override replaces the whole default link, so it needs its own latency", err)
		}
		return err
	}
	names := make([]string, 0, len(l.KindLatencyMs))
	for name := range l.KindLatencyMs {
		names = append(names, name)
	}
	sort.Strings(names) // report the same first error every time
	for _, name := range names {
		p := fmt.Sprintf("%s.kind_latency_ms[%s]", path, name)
		if _, ok := wire.KindByName(name); !ok {
			return fmt.Errorf("%s: unknown message kind %q (%s)", p, name, knownKinds())
		}
		if err := validateLatency(p, l.KindLatencyMs[name]); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"loss_prob", l.LossProb}, {"dup_prob", l.DupProb}} {
		if !(f.v >= 0 && f.v <= 1) {
			return fmt.Errorf("%s.%s: must be a probability in [0, 1], got %v", path, f.name, f.v)
		}
	}
	if l.BandwidthBytesPerSec < 0 {
		return fmt.Errorf("%s.bandwidth_bytes_per_sec: must be >= 0 (0 = unlimited), got %d", path, l.BandwidthBytesPerSec)
	}
	return nil
}

func validateLatency(path string, s dist.Spec) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if lo := s.LowerBound(); lo < 0 {
		return fmt.Errorf("%s: %s can be negative (down to %v); a latency must be >= 0", path, s, lo)
	}
	return nil
}

func knownKinds() string {
	ks := wire.Kinds()
	if len(ks) == 0 {
		return "no kinds are registered"
	}
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.String()
	}
	return "known: " + strings.Join(names, ", ")
}
