package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/internal/dist"
	"dynasim/node/coord"
	"dynasim/node/gossip"
	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/wire"
)

// gossipConfig is testConfig with gossip enabled at the defaults and the
// given message loss on every link.
func gossipConfig(seed uint64, n int, loss float64) Config {
	cfg := testConfig(seed, n, versions.ModeDVV)
	cfg.World.Network.Default.LossProb = loss
	cfg.Node.Membership.Enabled = true
	return cfg
}

// sloppyConfig is gossipConfig with a sloppy quorum and hinted handoff,
// every message travelling as its decoded wire frame (WireCheck), so the
// tests also prove that gossip, hinted writes and handoffs round-trip.
func sloppyConfig(seed uint64, n int, loss float64) Config {
	cfg := gossipConfig(seed, n, loss)
	cfg.WireCheck = true
	cfg.Node.Coordinator.Quorum = coord.QuorumSloppy
	cfg.Node.HintedHandoff.Enabled = true
	return cfg
}

// marksAbout returns, per observing node index, the marks it made about
// member idx.
func marksAbout(c *Cluster, idx int) map[int][]Mark {
	out := map[int][]Mark{}
	for i, ns := range c.Stats() {
		for _, m := range ns.Transitions {
			if m.MemberIndex == idx {
				out[i] = append(out[i], m)
			}
		}
	}
	return out
}

// The detection bound of node/gossip's doc: SuspectAfter + one interval +
// two propagation times of (ceil(log2 N) + 3) intervals.
func detectionBound(n int) time.Duration {
	lg := 0
	for 1<<lg < n {
		lg++
	}
	return gossip.DefaultSuspectAfter + gossip.DefaultGossipInterval + 2*time.Duration(lg+3)*gossip.DefaultGossipInterval
}

func TestGossipDetectsCrashAndRestart(t *testing.T) {
	for _, n := range []int{5, 8} {
		for seed := uint64(1); seed <= uint64(seeds(5)); seed++ {
			t.Run(fmt.Sprintf("nodes%d/seed%d", n, seed), func(t *testing.T) {
				cfg := gossipConfig(seed, n, 0.01)
				// Skewed clocks: marks are made on the nodes' clocks and
				// reported in virtual time.
				cfg.Members[0].Clock = sim.ClockConfig{Offset: -30 * time.Second, DriftPPM: 200}
				cfg.Members[1].Clock = sim.ClockConfig{Offset: 30 * time.Second, DriftPPM: -200}
				c := newCluster(t, cfg)
				w := c.World()
				w.RunFor(20 * time.Second)
				victim := n - 1
				a := c.Addrs()[victim]
				crashAt := w.Now()
				require.NoError(t, w.Crash(a, disk.CrashLoseUnsynced))
				bound := detectionBound(n)
				w.RunFor(bound)
				marks := marksAbout(c, victim)
				for i := 0; i < n-1; i++ {
					require.NotEmpty(t, marks[i], "node %d never marked the crashed node down within %v", i, bound)
					m := marks[i][0]
					require.Equal(t, gossip.MarkedDown, m.Kind)
					require.Greater(t, m.At, crashAt, "node %d marked it down before the crash", i)
					require.Less(t, time.Duration(m.At-crashAt), bound)
					require.GreaterOrEqual(t, m.Reporters, gossip.DefaultConfirmReporters)
					st, ok := c.Node(c.Addrs()[i]).GossipStatus(a)
					require.True(t, ok)
					require.Equal(t, gossip.StatusDown, st)
				}
				restartAt := w.Now()
				require.NoError(t, w.Restart(a))
				w.RunFor(bound)
				marks = marksAbout(c, victim)
				for i := 0; i < n-1; i++ {
					last := marks[i][len(marks[i])-1]
					require.Equal(t, gossip.MarkedUp, last.Kind, "node %d did not mark the restarted node up", i)
					require.Greater(t, last.At, restartAt)
					require.True(t, c.Node(c.Addrs()[i]).Membership() != nil)
				}
				// The restarted node took a new generation (its epoch).
				require.Equal(t, uint32(2), c.Node(a).Epoch())
				// Nobody marked anyone else down.
				for i, ns := range c.Stats() {
					for _, m := range ns.Transitions {
						require.Equal(t, victim, m.MemberIndex, "node %d marked %s %v", i, m.Member, m.Kind)
					}
				}
			})
		}
	}
}

func TestGossipNoFalseDownOnHealthyCluster(t *testing.T) {
	for seed := uint64(1); seed <= uint64(seeds(3)); seed++ {
		c := newCluster(t, gossipConfig(seed, 8, 0.01))
		c.World().RunFor(10 * time.Minute)
		for i, ns := range c.Stats() {
			require.Empty(t, ns.Transitions, "seed %d: node %d made marks on a healthy cluster", seed, i)
			require.Greater(t, ns.Current.Gossip.Rounds, uint64(590))
		}
	}
}

// gossipCost measures gossip alone on an idle cluster of n nodes: events
// and bytes per virtual second, from the network's per-kind counts.
func gossipCost(t testing.TB, n int) (msgsPerS, bytesPerS float64) {
	c := newCluster(t, gossipConfig(1, n, 0))
	const d = 60 * time.Second
	c.World().RunFor(d)
	var msgs, bytes uint64
	for _, k := range c.World().Network().Stats().Kinds {
		if k.Kind == wire.KindGossipPush || k.Kind == wire.KindGossipReply {
			msgs += k.Sent
			bytes += k.SentBytes
		}
	}
	return float64(msgs) / d.Seconds(), float64(bytes) / d.Seconds()
}

func TestGossipCostIsBounded(t *testing.T) {
	for _, n := range []int{5, 8} {
		msgs, bytes := gossipCost(t, n)
		t.Logf("%d nodes: %.1f gossip messages/s, %.0f bytes/s", n, msgs, bytes)
		// Fanout 2 pushes per node per second, at most as many replies.
		require.LessOrEqual(t, msgs, float64(4*n)+1)
		require.GreaterOrEqual(t, msgs, float64(2*n)-1)
	}
}

// The phi-accrual detector marks a crashed node down once its phi passes
// the threshold: with the exponential model that is after about
// PhiThreshold/log10(e) mean inter-arrival times of silence (the mean is
// below one interval: a heartbeat's advances arrive by several paths, so
// measured lags are 10-16 s at the defaults over five seeds), plus the propagation.
func TestGossipPhiDetectorDetectsCrash(t *testing.T) {
	for seed := uint64(1); seed <= uint64(seeds(5)); seed++ {
		cfg := gossipConfig(seed, 5, 0.01)
		cfg.Node.Membership.Gossip.Detector = gossip.DetectorPhi
		c := newCluster(t, cfg)
		w := c.World()
		w.RunFor(60 * time.Second)
		victim := 2
		require.NoError(t, w.CrashDefault(c.Addrs()[victim]))
		crashAt := w.Now()
		w.RunFor(35 * time.Second)
		marks := marksAbout(c, victim)
		for i := 0; i < 5; i++ {
			if i == victim {
				continue
			}
			require.NotEmpty(t, marks[i], "seed %d: node %d did not mark it down", seed, i)
			m := marks[i][0]
			require.Equal(t, gossip.MarkedDown, m.Kind)
			require.Greater(t, m.Phi, gossip.DefaultPhiThreshold)
			lag := time.Duration(m.At - crashAt)
			require.Greater(t, lag, gossip.DefaultSuspectAfter, "phi passed 8 too early")
			require.Less(t, lag, 35*time.Second)
		}
		for i, ns := range c.Stats() {
			for _, m := range ns.Transitions {
				require.Equal(t, victim, m.MemberIndex, "node %d marked %s", i, m.Member)
			}
		}
	}
}

// Gossip never drains, so the end-of-run wait for the network leaves it
// out: a run with gossip ends a quiet period after its workload, like one
// without, and reports no message in flight.
func TestRunWithGossipSettlesWithoutWaitingForGossip(t *testing.T) {
	cfg := gossipConfig(1, 5, 0)
	// Slow gossip: a push and its reply take two seconds, longer than a
	// round, so some gossip is always on its way.
	cfg.World.Network.Default.KindLatencyMs = map[string]dist.Spec{"gossip_push": constMs(1000), "gossip_reply": constMs(1000)}
	c := newCluster(t, cfg)
	res, err := c.Run(RunConfig{Workload: sim.WorkloadConfig{Clients: 2, Duration: 5 * time.Second, Mix: sim.OpMix{Get: 1, Put: 1}}})
	require.NoError(t, err)
	require.Zero(t, res.InFlightAtEnd)
	require.Positive(t, c.World().InFlight(), "gossip is still on its way")
	require.Less(t, time.Duration(res.End-res.WorkloadEnd), DefaultQuiet+2*time.Second)
}
