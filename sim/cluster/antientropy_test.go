package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/node"
	"dynasim/node/merkle"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/wire"
)

func aeConfig(seed uint64, ae node.AntiEntropyConfig) Config {
	cfg := testConfig(seed, 5, versions.ModeDVV)
	ae.Enabled = true
	cfg.Node.AntiEntropy = ae
	return cfg
}

// divergent returns the keys whose replicas (the preference list now) do
// not all hold the same versions.
func divergent(t *testing.T, c *Cluster, keys []string) []string {
	t.Helper()
	states, err := c.ReplicaStates(keys, 0)
	require.NoError(t, err)
	byKey := map[string][]string{}
	for _, s := range states {
		byKey[s.Key] = append(byKey[s.Key], strings.Join(s.Versions, ","))
	}
	var out []string
	for _, k := range keys {
		vs := byKey[k]
		require.GreaterOrEqual(t, len(vs), 3, "key %s: %d replica states", k, len(vs))
		for _, v := range vs[1:] {
			if v != vs[0] {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

func aeTotals(c *Cluster) node.AntiEntropyStats {
	var s node.AntiEntropyStats
	for _, ns := range c.Stats() {
		s.Add(ns.AntiEntropy)
	}
	return s
}

// putKeys writes count keys (prefix-i), each through a replica of the key
// other than avoid (so that it coordinates the put itself), and requires
// every put to succeed.
func putKeys(t *testing.T, p *probe, avoid wire.Addr, prefix string, count int, o req) []string {
	t.Helper()
	keys := make([]string, count)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s-%04d", prefix, i)
		to := wire.None
		for _, a := range p.c.Membership().PreferenceList(ring.HashKey([]byte(keys[i])), nil) {
			if a != avoid {
				to = a
				break
			}
		}
		r := p.put(t, to, keys[i], fmt.Sprintf("v-%s-%d-%s", prefix, i, strings.Repeat("x", 64)), o)
		require.Equal(t, wire.StatusOK, r.Status, "put %s: %s", keys[i], r.Error)
	}
	return keys
}

// A replica partitioned away (hinted handoff off, so nothing else repairs
// it) misses writes; after the partition heals anti-entropy alone brings
// every replica of every key to the same versions, and the exchanges that
// follow find the replicas in sync.
func TestAntiEntropyRepairsAPartitionedReplica(t *testing.T) {
	c := newCluster(t, aeConfig(11, node.AntiEntropyConfig{Interval: 2 * time.Second, Tree: merkle.Config{Buckets: 16}}))
	p := addProbe(t, c, "client")
	n4, _ := c.Addr("n4")
	rest := []wire.Addr{}
	for _, a := range c.Addrs() {
		if a != n4 {
			rest = append(rest, a)
		}
	}
	require.NoError(t, c.World().Network().Partition("cut", []wire.Addr{n4}, rest, false))
	keys := putKeys(t, p, n4, "k", 300, req{})
	settle(c)
	missed := divergent(t, c, keys)
	require.NotEmpty(t, missed, "n4 should have missed the writes of its keys")
	for _, k := range missed {
		require.Empty(t, held(t, c, n4, k), "n4 holds %s across the partition", k)
	}

	require.NoError(t, c.World().Network().Heal("cut"))
	c.World().RunFor(30 * time.Second)
	require.Empty(t, divergent(t, c, keys), "replicas still differ after anti-entropy")
	n4stats := c.Stats()[c.byAddr[n4]].AntiEntropy
	require.GreaterOrEqual(t, n4stats.KeysRepaired, uint64(len(missed)), "n4 took its missed keys from anti-entropy")

	// Once converged, a round finds everything in sync and copies nothing.
	before := aeTotals(c)
	c.World().RunFor(10 * time.Second)
	after := aeTotals(c)
	require.Greater(t, after.Completed, before.Completed)
	require.Equal(t, after.Completed-before.Completed, after.InSync-before.InSync, "exchanges after convergence copied keys")
	require.Equal(t, before.KeysSent, after.KeysSent)
	require.Zero(t, after.MergeErrors)
}

// With many keys and few differences the exchanges send a small fraction
// of what copying the compared ranges would.
func TestAntiEntropyBytesFarBelowAFullCopy(t *testing.T) {
	c := newCluster(t, aeConfig(12, node.AntiEntropyConfig{Interval: 2 * time.Second, Tree: merkle.Config{Buckets: 64}}))
	p := addProbe(t, c, "client")
	n4, _ := c.Addr("n4")
	all := wire.Need{Level: wire.LevelAll}
	keys := putKeys(t, p, n4, "base", 1500, req{w: all})
	var rest []wire.Addr
	for _, a := range c.Addrs() {
		if a != n4 {
			rest = append(rest, a)
		}
	}
	require.NoError(t, c.World().Network().Partition("cut", []wire.Addr{n4}, rest, false))
	few := putKeys(t, p, n4, "few", 15, req{})
	before := aeTotals(c)
	require.NoError(t, c.World().Network().Heal("cut"))
	c.World().RunFor(20 * time.Second)
	after := aeTotals(c)
	require.Empty(t, divergent(t, c, append(keys, few...)))
	sent, full := after.ExchangeBytes-before.ExchangeBytes, after.FullCopyBytes-before.FullCopyBytes
	t.Logf("exchange bytes %d, full copy %d (%.2f %%), keys sent %d, buckets differing %d, tree keys scanned %d",
		sent, full, 100*float64(sent)/float64(full), after.KeysSent-before.KeysSent,
		after.BucketsDiffering-before.BucketsDiffering, after.TreeKeys-before.TreeKeys)
	require.Greater(t, full, uint64(0))
	require.Greater(t, after.KeysRepaired, before.KeysRepaired)
	require.Less(t, float64(sent), 0.25*float64(full), "anti-entropy sent more than a quarter of a full copy")
}

// The byte rate bounds what each node sends, and the repair still
// completes, later.
func TestAntiEntropyThrottleRespected(t *testing.T) {
	const rate = 16 << 10
	c := newCluster(t, aeConfig(13, node.AntiEntropyConfig{Interval: time.Second, Tree: merkle.Config{Buckets: 16},
		RateBytesPerS: rate, MaxMessageBytes: 8 << 10}))
	p := addProbe(t, c, "client")
	n4, _ := c.Addr("n4")
	var rest []wire.Addr
	for _, a := range c.Addrs() {
		if a != n4 {
			rest = append(rest, a)
		}
	}
	require.NoError(t, c.World().Network().Partition("cut", []wire.Addr{n4}, rest, false))
	keys := putKeys(t, p, n4, "t", 600, req{})
	require.NoError(t, c.World().Network().Heal("cut"))
	start := c.World().Now()
	base := c.Stats()
	window := 10 * time.Second
	c.World().RunFor(window)
	waited := uint64(0)
	for i, ns := range c.Stats() {
		sent := ns.AntiEntropy.BytesSent - base[i].AntiEntropy.BytesSent
		elapsed := float64(c.World().Now()-start) / float64(time.Second)
		// rate·t, plus the one-second burst, plus one message of debt.
		limit := uint64(rate*elapsed) + rate + 8<<10 + 1<<10
		require.LessOrEqual(t, sent, limit, "%s sent %d anti-entropy bytes in %.1f s", ns.Name, sent, elapsed)
		waited += ns.AntiEntropy.ThrottleWaits - base[i].AntiEntropy.ThrottleWaits
	}
	require.Greater(t, waited, uint64(0), "the throttle never held anything back")
	c.World().RunFor(90 * time.Second)
	require.Empty(t, divergent(t, c, keys), "throttled anti-entropy did not finish the repair")
}

func TestAntiEntropyConfigValidate(t *testing.T) {
	base := testConfig(1, 3, versions.ModeDVV).Node
	base.Members = nil
	for _, bad := range []node.AntiEntropyConfig{
		{Enabled: true, Tree: merkle.Config{Buckets: 3}},
		{Enabled: true, Interval: -time.Second},
		{Enabled: true, RateBytesPerS: -2},
		{Enabled: true, MaxInFlight: -1},
		{Enabled: true, MaxArcsPerExchange: wire.MaxAEArcs + 1},
		{Enabled: true, MaxArcsPerExchange: 4096, Tree: merkle.Config{Buckets: 1 << 16}},
		{Enabled: true, MaxMessageBytes: 10},
		{Enabled: true, ExchangeTimeout: -1},
	} {
		cfg := aeConfig(1, bad)
		cfg.Node.AntiEntropy = bad
		_, err := New(cfg)
		require.Error(t, err, "%+v", bad)
		require.Contains(t, err.Error(), "AntiEntropy")
	}
}

// With gossip on, a member marked up again is compared at once, without
// waiting for a round: here rounds are an hour apart and none runs, yet a
// node that was down while writes went on is repaired within seconds of
// its return. Every message travels as its decoded wire frame.
func TestAntiEntropyOnDemandWhenGossipMarksAPeerUp(t *testing.T) {
	cfg := aeConfig(14, node.AntiEntropyConfig{Interval: time.Hour, Tree: merkle.Config{Buckets: 16}})
	cfg.Node.Membership.Enabled = true
	cfg.WireCheck = true
	c := newCluster(t, cfg)
	p := addProbe(t, c, "client")
	n4, _ := c.Addr("n4")
	c.World().RunFor(3 * time.Second)
	require.NoError(t, c.World().CrashDefault(n4))
	c.World().RunFor(10 * time.Second) // gossip marks n4 down
	keys := putKeys(t, p, n4, "od", 200, req{})
	require.NotEmpty(t, divergent(t, c, keys))
	require.NoError(t, c.World().Restart(n4))
	c.World().RunFor(15 * time.Second)
	require.Empty(t, divergent(t, c, keys), "n4 not repaired after gossip marked it up")
	tot := aeTotals(c)
	require.Zero(t, tot.Rounds, "a periodic round ran; the repair must come from the on-demand exchanges")
	require.Greater(t, tot.KeysRepaired, uint64(0))
}
