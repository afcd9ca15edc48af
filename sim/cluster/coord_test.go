package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node"
	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/wire"
)

func TestACoordinatorRefusesRequestsBeyondMaxPending(t *testing.T) {
	cfg := testConfig(50, 5, versions.ModeDVV)
	cfg.Node.Coordinator.MaxPending = 2
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	reps := c.Replicas([]byte("k"), 0)
	// Cut the coordinator off from the other replicas: its gets hang
	// until their timeout.
	require.NoError(t, c.World().Network().Partition("cut", []wire.Addr{reps[0]}, []wire.Addr{reps[1], reps[2]}, false))
	ids := []uint64{p.sendGet(reps[0], "k", req{}), p.sendGet(reps[0], "k", req{}), p.sendGet(reps[0], "k", req{})}
	r := p.wait(t, ids[2])
	require.Equal(t, wire.StatusFailed, r.Status)
	require.Equal(t, "overloaded: 2 requests in flight, the limit is 2", r.Error)
	require.Nil(t, p.replies[ids[0]], "the first two are still waiting for their quorum")
	require.Equal(t, wire.StatusFailed, p.wait(t, ids[0]).Status)
	require.Contains(t, p.replies[ids[0]].Error, "timeout after 500ms")
	require.Equal(t, uint64(1), c.Node(reps[0]).Stats().Coordinator.Overloaded)
}

func TestAnswersForAnEarlierIncarnationAreIgnored(t *testing.T) {
	cfg := testConfig(51, 5, versions.ModeDVV)
	cfg.World.Network.Default.LatencyMs = constMs(20)
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	reps := c.Replicas([]byte("k"), 0)
	p.sendPut(reps[0], "k", "lost", req{})
	// Let the put reach its coordinator and the write requests leave,
	// then crash the coordinator before the acknowledgements return.
	c.World().RunFor(25 * time.Millisecond)
	require.NoError(t, c.World().Crash(reps[0], disk.CrashLoseUnsynced))
	require.NoError(t, c.World().Restart(reps[0]))
	first := c.Node(reps[0])
	require.Equal(t, uint32(2), first.Epoch())
	c.World().RunFor(100 * time.Millisecond)
	st := first.Stats().Coordinator
	require.Equal(t, uint64(2), st.Stray, "both acknowledgements belonged to the dead incarnation")
	require.Zero(t, st.Replies[wire.StatusOK])

	r := p.put(t, reps[0], "k", "new", req{w: all})
	require.Equal(t, wire.StatusOK, r.Status, r.Error)
	g := p.get(t, reps[1], "k", req{r: all})
	require.Equal(t, []string{"lost", "new"}, sorted(g), "the earlier put survived on the other replicas; the new one is its sibling")
}

func TestTimeoutsFireWithinOneTickAfterTheirDeadline(t *testing.T) {
	cfg := testConfig(52, 5, versions.ModeDVV)
	cfg.Node.Coordinator.RequestTimeout = 400 * time.Millisecond
	cfg.Node.Coordinator.TimeoutTick = 40 * time.Millisecond
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	reps := c.Replicas([]byte("k"), 0)
	require.NoError(t, c.World().Crash(reps[2], disk.CrashLoseUnsynced))
	ticks := 0
	c.World().SetTrace(func(tr sim.Trace) {
		if tr.Kind == node.TimerEvent && tr.To == reps[0] && tr.Timer.Kind == 1 {
			ticks++
		}
	})
	for i := 0; i < 5; i++ {
		c.World().RunFor(time.Duration(1+i*7) * time.Millisecond) // vary the phase against the ticks
		start := c.World().Now()
		id := p.sendPut(reps[0], "k", "v", req{w: all})
		r := p.wait(t, id)
		require.Equal(t, wire.StatusUnknown, r.Status)
		took := time.Duration(p.at[id] - start)
		// 1 ms to the coordinator, the timeout, at most a tick, 1 ms back.
		require.GreaterOrEqual(t, took, 402*time.Millisecond)
		require.LessOrEqual(t, took, 442*time.Millisecond)
	}
	busy := ticks
	c.World().RunFor(5 * time.Second)
	require.Equal(t, busy, ticks, "an idle coordinator does not tick")
}
