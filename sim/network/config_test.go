package network

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"dynasim/internal/dist"
	"dynasim/internal/streams"
	"dynasim/wire"
)

func TestDefaultConfigIsValid(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
	require.NoError(t, Config{}.Validate(), "zero fields take the defaults")
	require.Equal(t, DefaultConfig(), Config{}.WithDefaults())
	c := Config{MaxEndpoints: 7, Default: LinkConfig{LatencyMs: constMs(2)}}.WithDefaults()
	require.Equal(t, 7, c.MaxEndpoints)
	require.Equal(t, constMs(2), c.Default.LatencyMs)
}

func TestConfigValidateRejects(t *testing.T) {
	ks := testKinds(t, 1)
	link := func(f func(*LinkConfig)) Config {
		c := DefaultConfig()
		f(&c.Default)
		return c
	}
	ok := LinkConfig{LatencyMs: constMs(1)}
	cases := []struct {
		cfg  Config
		want string
	}{
		{link(func(l *LinkConfig) { l.LossProb = 1.5 }), "default.loss_prob: must be a probability in [0, 1], got 1.5"},
		{link(func(l *LinkConfig) { l.DupProb = -0.1 }), "default.dup_prob: must be a probability in [0, 1], got -0.1"},
		{link(func(l *LinkConfig) { l.LossProb = math.NaN() }), "default.loss_prob: must be a probability in [0, 1], got NaN"},
		{link(func(l *LinkConfig) { l.BandwidthBytesPerSec = -1 }), "default.bandwidth_bytes_per_sec: must be >= 0"},
		{link(func(l *LinkConfig) { l.LatencyMs = dist.Spec{Dist: dist.Pareto, Scale: 1} }), "default.latency_ms: shape: must be > 0 for pareto"},
		{link(func(l *LinkConfig) { l.LatencyMs = dist.Spec{Dist: dist.Uniform, Min: -1, Max: 1} }), "default.latency_ms: uniform(min=-1, max=1) can be negative"},
		{link(func(l *LinkConfig) { l.KindLatencyMs = map[string]dist.Spec{"nope": constMs(1)} }), `default.kind_latency_ms[nope]: unknown message kind "nope" (known: `},
		{link(func(l *LinkConfig) { l.KindLatencyMs = map[string]dist.Spec{ks[0].String(): {Dist: dist.Exponential}} }), "default.kind_latency_ms[" + ks[0].String() + "]: mean: must be > 0"},
		{Config{MaxLatencyMs: -5}, "max_latency_ms: must be a finite number > 0, got -5"},
		{Config{MaxEndpoints: HardMaxEndpoints + 1}, "max_endpoints: must be in [1, 8192], got 8193"},
		{Config{MaxPartitions: -1}, "max_partitions: must be in [1, 65535], got -1"},
		{Config{DCPairs: []DCPairConfig{{From: "us", Link: ok}}}, `dc_pairs[0]: from and to must name datacenters, got "us" and ""`},
		{Config{DCPairs: []DCPairConfig{{From: "us", To: "eu"}}}, "dc_pairs[0].link.latency_ms: dist: is required (one of constant, uniform, normal, exponential, lognormal, pareto, mixture); an override replaces the whole default link, so it needs its own latency"},
		{Config{DCPairs: []DCPairConfig{{From: "us", To: "eu", Link: ok}, {From: "eu", To: "us", BothWays: true, Link: ok}}}, "dc_pairs[1]: datacenter pair us->eu is already configured by dc_pairs[0]"},
		{Config{Links: []LinkOverride{{From: 0, To: 4096, Link: ok}}}, "links[0]: address 4096 is outside [0, max_endpoints=4096)"},
		{Config{Links: []LinkOverride{{From: 1, To: 2, BothWays: true, Link: ok}, {From: 2, To: 1, Link: ok}}}, "links[1]: link 2->1 is already configured by links[0]"},
		{Config{Links: []LinkOverride{{From: 1, To: 2, Link: LinkConfig{LatencyMs: constMs(1), DupProb: 2}}}}, "links[0].link.dup_prob: must be a probability in [0, 1], got 2"},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		require.Error(t, err, c.want)
		require.Contains(t, err.Error(), c.want)
		_, err = New(c.cfg, streams.New(1).Stream)
		require.ErrorContains(t, err, c.want, "New must validate")
	}
}

func TestUnknownKindNamesTheRegisteredOnes(t *testing.T) {
	ks := testKinds(t, 2)
	err := Config{Default: LinkConfig{LatencyMs: constMs(1), KindLatencyMs: map[string]dist.Spec{"gossip": constMs(1)}}}.Validate()
	require.ErrorContains(t, err, "known: "+wire.Kinds()[0].String())
	require.ErrorContains(t, err, ks[0].String())
	require.ErrorContains(t, err, ks[1].String())
}

func TestNewNeedsStreams(t *testing.T) {
	_, err := New(DefaultConfig(), nil)
	require.ErrorContains(t, err, "needs a streams function")
}

func TestConfigFromYAML(t *testing.T) {
	k := testKinds(t, 1)[0].String()
	src := `
default:
  latency_ms: {dist: lognormal, median: 2, sigma: 0.6}
  kind_latency_ms:
    ` + k + `: {dist: constant, value: 0.5}
  loss_prob: 0.01
dc_pairs:
  - from: us
    to: eu
    both_ways: true
    link:
      latency_ms:
        mixture:
          - {weight: 0.99, dist: normal, mean: 40, stddev: 5}
          - {weight: 0.01, dist: pareto, scale: 50, shape: 1.5}
      bandwidth_bytes_per_sec: 125000000
links:
  - {from: 0, to: 1, link: {latency_ms: {dist: constant, value: 3}, dup_prob: 0.1}}
fifo: true
`
	var c Config
	require.NoError(t, yaml.Unmarshal([]byte(src), &c))
	require.NoError(t, c.Validate())
	require.True(t, c.FIFO)
	require.Equal(t, dist.Spec{Dist: dist.LogNormal, Median: 2, Sigma: 0.6}, c.Default.LatencyMs)
	require.Equal(t, constMs(0.5), c.Default.KindLatencyMs[k])
	require.Equal(t, int64(125000000), c.DCPairs[0].Link.BandwidthBytesPerSec)
	require.Len(t, c.DCPairs[0].Link.LatencyMs.Mixture, 2)
	require.Equal(t, LinkOverride{From: 0, To: 1, Link: LinkConfig{LatencyMs: constMs(3), DupProb: 0.1}}, c.Links[0])
}
