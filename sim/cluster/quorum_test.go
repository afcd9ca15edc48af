package cluster

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/history"
	"dynasim/internal/dist"
	"dynasim/node"
	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/wire"
)

func seeds(full int) int {
	if testing.Short() {
		return max(2, full/5)
	}
	return full
}

// jittery gives every link a random latency, so messages overtake each
// other and quorums form from different replicas every time.
func jittery(cfg *Config) { cfg.World.Network.Default.LatencyMs = uniformMs(0.1, 8) }

// readsAfterWrites writes a key rounds times through random nodes, each
// write carrying the context of the previous read, and after each
// acknowledgement reads it through another random node. It returns how
// many reads missed the acknowledged value.
func readsAfterWrites(t *testing.T, seed uint64, w, r wire.Need, rounds int) (stale int) {
	cfg := testConfig(seed, 5, versions.ModeDVV)
	jittery(&cfg)
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	rng := rand.New(rand.NewPCG(seed, 99))
	var ctx []byte
	for i := 0; i < rounds; i++ {
		v := fmt.Sprint("v", i)
		pr := p.put(t, c.Addrs()[rng.IntN(5)], "key", v, req{w: w, ctx: ctx})
		require.Equal(t, wire.StatusOK, pr.Status, "put %d: %+v", i, pr)
		g := p.get(t, c.Addrs()[rng.IntN(5)], "key", req{r: r})
		require.Contains(t, []wire.Status{wire.StatusOK, wire.StatusNotFound}, g.Status, g.Error)
		if len(g.Values) != 1 || string(g.Values[0]) != v {
			stale++
		}
		ctx = g.Context
	}
	return stale
}

func TestReadAfterAcknowledgedWriteReturnsItWhenQuorumsOverlap(t *testing.T) {
	for _, q := range []struct{ w, r uint8 }{{2, 2}, {3, 1}, {1, 3}} {
		t.Run(fmt.Sprintf("W%dR%d", q.w, q.r), func(t *testing.T) {
			for seed := uint64(1); seed <= uint64(seeds(20)); seed++ {
				require.Zero(t, readsAfterWrites(t, seed, count(q.w), count(q.r), 15), "seed %d: a read after an acknowledged write missed it", seed)
			}
		})
	}
}

func TestReadsGoStaleWhenQuorumsDoNotOverlap(t *testing.T) {
	// The control for the test above: with W+R <= N the same script does
	// read stale data, so that test's check can fail.
	stale := 0
	for seed := uint64(1); seed <= uint64(seeds(20)); seed++ {
		stale += readsAfterWrites(t, seed, count(1), count(1), 15)
	}
	require.Positive(t, stale, "W=1 R=1 over N=3 never read stale data")
}

// crashPoint runs a put-only workload of fresh keys and crashes every node
// (losing unsynced writes) in the middle of it; then restarts them.
func crashPoint(t *testing.T, seed uint64, storage func(*node.StorageConfig)) (*Cluster, *history.History) {
	cfg := testConfig(seed, 5, versions.ModeDVV)
	jittery(&cfg)
	storage(&cfg.Node.Storage)
	// A small memtable, so that flushes, compactions and log recycling
	// happen during the workload and the crash can land in any of them.
	cfg.Node.Storage.Engine.MemtableSizeBytes = 16 << 10
	cfg.Node.Storage.Engine.CheckpointLogBytes = 64 << 10
	cfg.Node.Storage.MaintenanceInterval = 5 * time.Millisecond
	c := newCluster(t, cfg)
	rec, err := history.NewRecorder(history.DefaultRecorderConfig())
	require.NoError(t, err)
	crashAt := 150*time.Millisecond + time.Duration(seed%7)*13*time.Millisecond
	wl, err := c.AddWorkload(sim.WorkloadConfig{
		Clients: 16, Duration: crashAt, Mix: sim.OpMix{Put: 1},
		Keys: sim.KeyConfig{Count: 100_000, Dist: sim.KeysSequential},
		W:    count(2), Timeout: 200 * time.Millisecond,
		ValueSizeBytes: dist.Spec{Dist: dist.Constant, Value: 1000},
	}, rec)
	require.NoError(t, err)
	lose := disk.CrashLoseUnsynced
	var all []string
	for i := range cfg.Members {
		all = append(all, cfg.Members[i].Name)
	}
	require.NoError(t, c.World().ScheduleFaults([]sim.Fault{
		{At: crashAt, Kind: sim.FaultCrash, Nodes: all, CrashMode: &lose},
		{At: crashAt + 100*time.Millisecond, Kind: sim.FaultRestart, Nodes: all},
	}))
	c.World().RunFor(crashAt - time.Millisecond)
	var flushes, compactions uint64
	for _, n := range c.Stats() {
		flushes += n.Current.Engine.Flushes
		compactions += n.Current.Engine.Compactions
	}
	require.Positive(t, flushes, "the engine flushed memtables before the crash")
	require.Positive(t, compactions, "and compacted tables")
	c.World().RunFor(102 * time.Millisecond)
	require.Empty(t, c.World().FaultErrors())
	require.NoError(t, wl.Err())
	h, err := rec.Close(int64(c.World().Now()))
	require.NoError(t, err)
	return c, h
}

func TestAcknowledgedPutIsOnAtLeastWDisksAfterEveryNodeCrashes(t *testing.T) {
	for _, delay := range []time.Duration{0, 3 * time.Millisecond} {
		t.Run(fmt.Sprint("sync-delay-", delay), func(t *testing.T) {
			acked := 0
			for seed := uint64(1); seed <= uint64(seeds(10)); seed++ {
				c, h := crashPoint(t, seed, func(s *node.StorageConfig) { s.SyncDelay = delay })
				for _, op := range h.Ops {
					if op.Kind != history.Put || op.Outcome != history.OK {
						continue
					}
					acked++
					on := 0
					for _, a := range c.Replicas([]byte(op.Key), 0) {
						for _, id := range heldIDs(t, c, a, op.Key) {
							if id == op.Value {
								on++
							}
						}
					}
					require.GreaterOrEqual(t, on, 2, "seed %d: acknowledged put %s of %s is on %d disks after the crash", seed, op.Value, op.Key, on)
				}
			}
			require.Greater(t, acked, 100, "the workload acknowledged puts before the crash")
		})
	}
}

// Acknowledging before the sync (a periodic commit-log sync) loses
// acknowledged writes when every node crashes: the control for the test
// above, showing that it can fail.
func TestAckBeforeSyncLosesAcknowledgedPutsInACrash(t *testing.T) {
	lost := 0
	for seed := uint64(1); seed <= uint64(seeds(5)); seed++ {
		c, h := crashPoint(t, seed, func(s *node.StorageConfig) { s.AckBeforeSync, s.SyncPeriod = true, 50*time.Millisecond })
		for _, op := range h.Ops {
			if op.Kind != history.Put || op.Outcome != history.OK {
				continue
			}
			on := 0
			for _, a := range c.Replicas([]byte(op.Key), 0) {
				for _, id := range heldIDs(t, c, a, op.Key) {
					if id == op.Value {
						on++
					}
				}
			}
			if on < 2 {
				lost++
			}
		}
	}
	require.Positive(t, lost, "acknowledged before durable, some puts must be on fewer than W disks after the crash")
}

// heldIDs is held, as value IDs.
func heldIDs(t testing.TB, c *Cluster, a wire.Addr, key string) []string {
	set, err := c.Node(a).ReadLocal([]byte(key))
	require.NoError(t, err)
	return Live(set)
}

func TestWithOneReplicaDownW3FailsAndW2Succeeds(t *testing.T) {
	for _, mode := range []versions.Mode{versions.ModeVClock, versions.ModeDVV, versions.ModeLWW} {
		t.Run(mode.String(), func(t *testing.T) {
			c := newCluster(t, testConfig(3, 5, mode))
			p := addProbe(t, c, "probe")
			key := "k"
			reps := c.Replicas([]byte(key), 0)
			require.NoError(t, c.World().Crash(reps[1], disk.CrashLoseUnsynced))

			r := p.put(t, reps[0], key, "w3", req{w: count(3)})
			require.Equal(t, wire.StatusUnknown, r.Status, "a W=3 put with a replica down ends unknown: it was sent")
			require.Contains(t, r.Error, "timeout")

			r = p.put(t, reps[0], key, "w2", req{w: count(2)})
			require.Equal(t, wire.StatusOK, r.Status, r.Error)
			r = p.put(t, reps[0], key, "w3-all", req{w: all})
			require.Equal(t, wire.StatusUnknown, r.Status)

			// The unknown W=3 puts did reach the live replicas.
			g := p.get(t, reps[2], key, req{r: count(2)})
			require.Equal(t, wire.StatusOK, g.Status)
			require.Contains(t, values(g), "w3-all")

			// Through a node that is not a replica: forwarded to the first
			// replica, which coordinates.
			r = p.put(t, nonReplica(t, c, key, 3), key, "fwd", req{w: count(2)})
			require.Equal(t, wire.StatusOK, r.Status, r.Error)
		})
	}
}

func TestForwardingSkipsAReplicaThatMissedAReply(t *testing.T) {
	c := newCluster(t, testConfig(4, 5, versions.ModeDVV))
	p := addProbe(t, c, "probe")
	key := "k"
	reps := c.Replicas([]byte(key), 0)
	proxy := nonReplica(t, c, key, 3)
	require.NoError(t, c.World().Crash(reps[0], disk.CrashLoseUnsynced))

	// The proxy forwards to the first replica, which is down: the put ends
	// unknown when the forward times out.
	r := p.put(t, proxy, key, "a", req{})
	require.Equal(t, wire.StatusUnknown, r.Status)
	require.Contains(t, r.Error, "no answer")
	// Now the proxy suspects it and forwards to the second replica.
	r = p.put(t, proxy, key, "b", req{})
	require.Equal(t, wire.StatusOK, r.Status, r.Error)
	require.Equal(t, uint64(2), c.Node(proxy).Stats().Coordinator.Forwarded)
}
