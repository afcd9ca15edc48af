package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/node/lsm"
	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/sim/network"
	"dynasim/wire"
)

// nothingStored checks that no node holds anything for key.
func nothingStored(t *testing.T, c *Cluster, key string) {
	t.Helper()
	for _, a := range c.Addrs() {
		set, err := c.Node(a).ReadLocal([]byte(key))
		require.NoError(t, err)
		require.Empty(t, set.Siblings, "node %d stored something for a refused request", a)
		require.Empty(t, set.Context)
	}
}

func TestOversizeKeysAndValuesAreRefusedWithSizeAndLimit(t *testing.T) {
	c := newCluster(t, testConfig(10, 5, versions.ModeDVV))
	p := addProbe(t, c, "probe")
	bigKey := strings.Repeat("k", wire.DefaultKeySizeBytes+1)
	bigValue := strings.Repeat("v", wire.DefaultValueSizeBytes+1)
	for _, a := range c.Addrs() { // replicas and non-replicas alike
		r := p.put(t, a, bigKey, "v", req{})
		require.Equal(t, wire.StatusBadRequest, r.Status)
		require.Equal(t, "key size 1025 bytes exceeds the limit of 1024 bytes", r.Error)

		r = p.put(t, a, "k", bigValue, req{})
		require.Equal(t, wire.StatusBadRequest, r.Status)
		require.Equal(t, "value size 10241 bytes exceeds the limit of 10240 bytes", r.Error)

		r = p.del(t, a, bigKey, req{})
		require.Equal(t, wire.StatusBadRequest, r.Status)
		require.Contains(t, r.Error, "exceeds the limit of 1024 bytes")

		r = p.get(t, a, bigKey, req{})
		require.Equal(t, wire.StatusBadRequest, r.Status)
		require.Contains(t, r.Error, "exceeds the limit of 1024 bytes")
	}
	nothingStored(t, c, "k")
	for _, a := range c.Addrs() {
		_, err := c.Node(a).ReadLocal([]byte(bigKey))
		require.ErrorIs(t, err, lsm.ErrTooLarge, "the engine cannot even hold such a key")
	}

	// A value exactly at the limit is accepted.
	r := p.put(t, 0, "k", bigValue[1:], req{})
	require.Equal(t, wire.StatusOK, r.Status, r.Error)
}

func TestConfiguredLimitsAreEnforced(t *testing.T) {
	cfg := testConfig(10, 3, versions.ModeDVV)
	cfg.Node.Coordinator.Limits = wire.Limits{KeySizeBytes: 8, ValueSizeBytes: 16}
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	r := p.put(t, 0, "k", strings.Repeat("v", 17), req{})
	require.Equal(t, wire.StatusBadRequest, r.Status)
	require.Equal(t, "value size 17 bytes exceeds the limit of 16 bytes", r.Error)
	require.Equal(t, wire.StatusOK, p.put(t, 0, "k", strings.Repeat("v", 16), req{}).Status)
}

func TestImpossibleQuorumsAndBadContextsAreBadRequests(t *testing.T) {
	c := newCluster(t, testConfig(11, 5, versions.ModeDVV))
	p := addProbe(t, c, "probe")
	reps := c.Replicas([]byte("k"), 0)
	for _, tc := range []struct {
		name string
		send func() uint64
		want string
	}{
		{"W above N", func() uint64 { return p.sendPut(reps[0], "k", "v", req{w: count(4)}) }, "W=4 exceeds N=3"},
		{"W above a smaller N", func() uint64 { return p.sendPut(reps[0], "k", "v", req{n: 2, w: all}) }, ""},
		{"R above N", func() uint64 { return p.sendGet(reps[0], "k", req{r: count(4)}) }, "R=4 exceeds N=3"},
		{"N above the placement", func() uint64 { return p.sendGet(reps[0], "k", req{n: 4}) }, "asks for N=4, above the 3 replicas the placement provides"},
		{"no local replicas", func() uint64 {
			return p.sendPut(reps[0], "k", "v", req{w: wire.Need{Level: wire.LevelLocalQuorum}})
		}, ""},
		{"malformed context", func() uint64 { return p.sendPut(reps[0], "k", "v", req{ctx: []byte{1, 5, 0}}) }, "context"},
		{"unknown context format", func() uint64 { return p.sendDelete(reps[0], "k", req{ctx: []byte{9}}) }, "context format 9 unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := p.wait(t, tc.send())
			if tc.want == "" {
				require.Equal(t, wire.StatusOK, r.Status, "this request is valid: %s", r.Error)
				return
			}
			require.Equal(t, wire.StatusBadRequest, r.Status)
			require.Contains(t, r.Error, tc.want)
		})
	}
}

func TestMalformedFramesAreRejected(t *testing.T) {
	frame := (&wire.ClientPut{ReqID: 7, ReplyTo: wire.None, Key: []byte("k"), Value: []byte("value")}).AppendFrame(nil)
	_, err := wire.Decode(frame)
	require.NoError(t, err)

	flipped := append([]byte(nil), frame...)
	flipped[12] ^= 0x40
	_, err = wire.Decode(flipped)
	require.ErrorIs(t, err, wire.ErrChecksum)
	require.ErrorIs(t, err, wire.ErrMalformed)

	_, err = wire.Decode(frame[:len(frame)-3])
	require.ErrorIs(t, err, wire.ErrMalformed)

	_, err = wire.Decode(append(append([]byte(nil), frame...), 0))
	require.ErrorIs(t, err, wire.ErrMalformed)
}

// busyConfig is a cluster with a lossy, duplicating, jittery network.
func busyConfig(seed uint64) Config {
	cfg := testConfig(seed, 5, versions.ModeDVV)
	cfg.World.Network.Default = network.LinkConfig{LatencyMs: uniformMs(0.2, 6), LossProb: 0.01, DupProb: 0.01}
	cfg.Node.Coordinator.RequestTimeout = 150 * time.Millisecond
	return cfg
}

func busyRun(t *testing.T, cfg Config, faults []sim.Fault) (*Cluster, *Result) {
	t.Helper()
	c := newCluster(t, cfg)
	res, err := c.Run(RunConfig{
		Workload: sim.WorkloadConfig{
			Clients: 10, Duration: 2 * time.Second, Mix: sim.OpMix{Get: 1, Put: 1, Delete: 0.1, ReadModifyWrite: 0.5},
			Keys: sim.KeyConfig{Count: 20}, Timeout: 300 * time.Millisecond, Retries: 1,
		},
		Faults: faults,
		Quiet:  time.Second,
	})
	require.NoError(t, err)
	return c, res
}

func TestEveryMessageOfABusyRunSurvivesTheWire(t *testing.T) {
	cfg := busyConfig(12)
	plain := newClusterRun(t, cfg)
	cfg.WireCheck = true
	c, checked := busyRun(t, cfg, nil)
	require.NoError(t, c.Err())
	require.Greater(t, c.WireChecked(), uint64(1000))
	// Decoded copies re-encode to the same bytes, so the run is unchanged.
	require.Equal(t, plain.Fingerprint, checked.Fingerprint)
}

func newClusterRun(t *testing.T, cfg Config) *Result {
	_, r := busyRun(t, cfg, nil)
	return r
}
