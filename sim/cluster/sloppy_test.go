package cluster

import (
	"fmt"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node"
	"dynasim/node/coord"
	"dynasim/node/hints"
	"dynasim/node/ring"
	"dynasim/sim"
	"dynasim/wire"
)

// handoffTrace watches every delivered message: hinted writes (who took
// a hint for whom, for which key) and handoffs (who delivered what to
// whom), so a test can check that every handoff reached the hint's target
// and came from a node holding such a hint.
type handoffTrace struct {
	hinted    map[[2]wire.Addr]map[string]bool // (fallback, target) -> keys
	handoffs  int
	wrong     []string
	handedOff map[wire.Addr]map[string]bool // target -> keys handed over
}

func watchHandoffs(c *Cluster) *handoffTrace {
	ht := &handoffTrace{hinted: map[[2]wire.Addr]map[string]bool{}, handedOff: map[wire.Addr]map[string]bool{}}
	c.World().SetTrace(func(tr sim.Trace) {
		m, ok := tr.Msg.(*wire.WriteRequest)
		if !ok || tr.Kind != node.MessageEvent || m.HintFor == wire.None {
			return
		}
		if m.Purpose != wire.PurposeHandoff {
			k := [2]wire.Addr{tr.To, m.HintFor}
			if ht.hinted[k] == nil {
				ht.hinted[k] = map[string]bool{}
			}
			ht.hinted[k][string(m.Key)] = true
			return
		}
		ht.handoffs++
		if tr.To != m.HintFor {
			ht.wrong = append(ht.wrong, fmt.Sprintf("handoff for %d delivered to %d", m.HintFor, tr.To))
		}
		if !ht.hinted[[2]wire.Addr{tr.From, tr.To}][string(m.Key)] {
			ht.wrong = append(ht.wrong, fmt.Sprintf("node %d handed %q to %d without holding a hint for it", tr.From, m.Key, tr.To))
		}
		if ht.handedOff[tr.To] == nil {
			ht.handedOff[tr.To] = map[string]bool{}
		}
		ht.handedOff[tr.To][string(m.Key)] = true
	})
	return ht
}

// cutOff partitions the given members from every other endpoint (the
// probe included) and runs until every other node's gossip marks them
// down.
func cutOff(t *testing.T, c *Cluster, name string, cut []wire.Addr) {
	t.Helper()
	var rest []wire.Addr
	for _, ep := range c.World().Endpoints() {
		if !slices.Contains(cut, ep.Addr()) {
			rest = append(rest, ep.Addr())
		}
	}
	require.NoError(t, c.World().Network().Partition(name, cut, rest, false))
	waitMarked(t, c, cut, false)
}

// waitMarked runs until every running node outside targets believes every
// target down (up false) or up (up true).
func waitMarked(t *testing.T, c *Cluster, targets []wire.Addr, up bool) {
	t.Helper()
	end := c.World().Now() + sim.Time(time.Minute)
	for c.World().Now() < end {
		c.World().RunFor(100 * time.Millisecond)
		done := true
		for _, a := range c.Addrs() {
			n := c.Node(a)
			if n == nil || slices.Contains(targets, a) {
				continue
			}
			for _, x := range targets {
				st, _ := n.GossipStatus(x)
				if (st.String() == "down") == up {
					done = false
				}
			}
		}
		if done {
			return
		}
	}
	t.Fatalf("targets %v not all marked up=%v within a minute", targets, up)
}

func TestSloppyQuorumKeepsPutsAvailableAndHandsOffAfterHeal(t *testing.T) {
	for _, q := range []coord.Quorum{coord.QuorumStrict, coord.QuorumSloppy} {
		for seed := uint64(1); seed <= uint64(seeds(5)); seed++ {
			t.Run(fmt.Sprintf("%v/seed%d", q, seed), func(t *testing.T) {
				cfg := sloppyConfig(seed, 6, 0)
				cfg.Node.Coordinator.Quorum = q
				c := newCluster(t, cfg)
				p := addProbe(t, c, "probe")
				ht := watchHandoffs(c)
				c.World().RunFor(3 * time.Second)
				const key = "k"
				reps := c.Replicas([]byte(key), 3)
				cutOff(t, c, "cut", reps[1:])
				// Through the first replica, and through a node that is no
				// replica (which forwards to the first replica up).
				okPuts := 0
				for i, to := range []wire.Addr{reps[0], nonReplica(t, c, key, 3)} {
					r := p.put(t, to, key, fmt.Sprint("v", i), req{w: count(2)})
					if r.Status == wire.StatusOK {
						okPuts++
					}
					g := p.get(t, to, key, req{r: count(2)})
					if q == coord.QuorumSloppy {
						require.Equal(t, wire.StatusOK, r.Status, "put through %d: %s", to, r.Error)
						require.Contains(t, []wire.Status{wire.StatusOK, wire.StatusNotFound}, g.Status, g.Error)
					} else {
						require.NotEqual(t, wire.StatusOK, r.Status)
						require.Equal(t, wire.StatusFailed, g.Status)
					}
				}
				if q == coord.QuorumStrict {
					return
				}
				var created uint64
				for _, ns := range c.Stats() {
					created += ns.Hints.Created
				}
				require.Positive(t, created)
				require.NoError(t, c.World().Network().Heal("cut"))
				waitMarked(t, c, reps[1:], true)
				c.World().RunFor(5 * time.Second)
				// Both puts went without a context: two siblings, on every
				// replica.
				for _, a := range reps {
					require.ElementsMatch(t, []string{"v0", "v1"}, held(t, c, a, key), "replica %d", a)
				}
				// Every hint ever created (read repairs to fallbacks make
				// more after the puts) was delivered.
				var delivered uint64
				created = 0
				for _, ns := range c.Stats() {
					require.Zero(t, ns.Hints.Pending, "%s still holds hints", ns.Name)
					require.Zero(t, ns.Hints.WrongTarget)
					delivered += ns.Hints.Delivered
					created += ns.Hints.Created
				}
				require.Equal(t, created, delivered)
				require.Empty(t, ht.wrong)
				require.Positive(t, ht.handoffs)
				require.NoError(t, c.Err(), "a message did not survive its wire round trip")
				for _, a := range reps[1:] {
					require.True(t, ht.handedOff[a][key], "nothing handed to %d", a)
				}
			})
		}
	}
}

// Hints survive a crash and restart of the fallback holding them, in
// every crash mode, and are all delivered once the targets are back.
func TestHintsSurviveFallbackCrash(t *testing.T) {
	for _, mode := range []disk.CrashMode{disk.CrashLoseUnsynced, disk.CrashKeepPrefix, disk.CrashTornWrite} {
		for seed := uint64(1); seed <= uint64(seeds(4)); seed++ {
			t.Run(fmt.Sprintf("%v/seed%d", mode, seed), func(t *testing.T) {
				cfg := sloppyConfig(seed, 6, 0)
				c := newCluster(t, cfg)
				p := addProbe(t, c, "probe")
				ht := watchHandoffs(c)
				c.World().RunFor(3 * time.Second)
				// Keys whose first replica is the coordinator: cut two
				// nodes off and write keys through a third.
				cut := []wire.Addr{c.Addrs()[4], c.Addrs()[5]}
				cutOff(t, c, "cut", cut)
				written := map[string]string{}
				for i := 0; len(written) < 20 && i < 500; i++ {
					key := fmt.Sprint("key", i)
					reps := c.Replicas([]byte(key), 3)
					if !slices.Contains(reps, cut[0]) && !slices.Contains(reps, cut[1]) {
						continue
					}
					to := reps[0]
					if slices.Contains(cut, to) {
						to = nonReplica(t, c, key, 3)
					}
					v := fmt.Sprint("v", i)
					r := p.put(t, to, key, v, req{w: count(2)})
					require.Equal(t, wire.StatusOK, r.Status, r.Error)
					written[key] = v
				}
				require.Len(t, written, 20)
				// Crash every node holding hints, in mode, and restart it
				// while the targets are still cut off.
				var holders []wire.Addr
				for _, a := range c.Addrs() {
					if n := c.Node(a); n != nil && n.HintStats().Pending > 0 {
						holders = append(holders, a)
					}
				}
				require.NotEmpty(t, holders)
				pending := map[wire.Addr]int{}
				for _, a := range holders {
					pending[a] = c.Node(a).HintStats().Pending
					require.NoError(t, c.World().Crash(a, mode))
				}
				c.World().RunFor(2 * time.Second)
				for _, a := range holders {
					require.NoError(t, c.World().Restart(a))
					require.Equal(t, pending[a], c.Node(a).HintStats().Pending, "node %d lost hints in %v", a, mode)
					require.Equal(t, uint64(pending[a]), c.Node(a).HintStats().Recovered)
				}
				require.NoError(t, c.World().Network().Heal("cut"))
				waitMarked(t, c, cut, true)
				c.World().RunFor(10 * time.Second)
				for key, v := range written {
					for _, a := range c.Replicas([]byte(key), 3) {
						require.Equal(t, []string{v}, held(t, c, a, key), "key %s replica %d", key, a)
					}
				}
				for _, ns := range c.Stats() {
					require.Zero(t, ns.Hints.Pending, "%s", ns.Name)
				}
				require.Empty(t, ht.wrong)
			})
		}
	}
}

// The handoff keeps to its throttle: bytes handed out never exceed the
// rate times the elapsed time plus one second's burst and one hint, and
// no more than MaxInFlight hints are unacknowledged at once.
func TestHandoffThrottleRespected(t *testing.T) {
	cfg := sloppyConfig(3, 5, 0)
	const rate = 2000
	cfg.Node.HintedHandoff.RateBytesPerS = rate
	cfg.Node.HintedHandoff.MaxInFlight = 2
	cfg.World.Network.Default.LatencyMs = constMs(20)
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	c.World().RunFor(3 * time.Second)
	cut := []wire.Addr{c.Addrs()[4]}
	cutOff(t, c, "cut", cut)
	value := string(make([]byte, 400))
	n := 0
	for i := 0; n < 30; i++ {
		key := fmt.Sprint("key", i)
		reps := c.Replicas([]byte(key), 3)
		if !slices.Contains(reps, cut[0]) || reps[0] == cut[0] {
			continue
		}
		require.Equal(t, wire.StatusOK, p.put(t, reps[0], key, value, req{w: count(3)}).Status)
		n++
	}
	var total int
	for _, a := range c.Addrs() {
		if x := c.Node(a); x != nil {
			total += x.HintStats().Pending
		}
	}
	require.GreaterOrEqual(t, total, 30)
	require.NoError(t, c.World().Network().Heal("cut"))
	start := c.World().Now()
	maxHint, most := int64(0), int64(0) // most: the most bytes one fallback holds
	for _, a := range c.Addrs() {
		if x := c.Node(a); x != nil {
			sum := int64(0)
			for _, h := range x.PendingHints() {
				maxHint = max(maxHint, h.Bytes())
				sum += h.Bytes()
			}
			most = max(most, sum)
		}
	}
	var drained sim.Time
	for c.World().Now() < start+sim.Time(40*time.Second) {
		c.World().RunFor(10 * time.Millisecond)
		el := time.Duration(c.World().Now() - start).Seconds()
		for _, a := range c.Addrs() {
			x := c.Node(a)
			if x == nil {
				continue
			}
			hs := x.HintStats()
			require.LessOrEqual(t, hs.InFlight, 2, "one target, MaxInFlight 2")
			require.LessOrEqual(t, float64(hs.BytesOut), rate*el+rate+float64(maxHint), "node %d after %.2fs", a, el)
		}
		if drained == 0 && pendingHints(c) == 0 {
			drained = c.World().Now()
		}
	}
	// The throttle bound the handoff: the busiest fallback needed at
	// least (its bytes - one second's burst - one hint) / rate.
	require.NotZero(t, drained)
	require.Greater(t, most, int64(3*rate))
	require.GreaterOrEqual(t, time.Duration(drained-start).Seconds(), float64(most-rate-maxHint)/rate)
	for _, a := range c.Addrs() {
		require.Zero(t, c.Node(a).HintStats().Pending)
	}
}

func pendingHints(c *Cluster) int {
	n := 0
	for _, a := range c.Addrs() {
		if x := c.Node(a); x != nil {
			n += x.HintStats().Pending
		}
	}
	return n
}

// A fallback answers reads with the hints it holds: with every replica of
// a key down or cut off, a sloppy get still finds the value a sloppy put
// left on the fallbacks.
func TestFallbacksAnswerReadsWithTheirHints(t *testing.T) {
	for seed := uint64(1); seed <= uint64(seeds(5)); seed++ {
		c := newCluster(t, sloppyConfig(seed, 7, 0))
		p := addProbe(t, c, "probe")
		c.World().RunFor(3 * time.Second)
		const key = "k"
		reps := c.Replicas([]byte(key), 3)
		cutOff(t, c, "cut", reps[1:])
		r := p.put(t, reps[0], key, "v", req{w: count(3)})
		require.Equal(t, wire.StatusOK, r.Status, r.Error)
		require.NoError(t, c.World().CrashDefault(reps[0]))
		waitMarked(t, c, reps, false)
		g := p.get(t, nonReplica(t, c, key, 3), key, req{r: count(2)})
		require.Equal(t, wire.StatusOK, g.Status, "seed %d: %s", seed, g.Error)
		require.Equal(t, []string{"v"}, values(g))
		merged := uint64(0)
		for _, a := range c.Addrs() {
			if n := c.Node(a); n != nil {
				merged += n.Stats().Handoff.ReadsMerged
			}
		}
		require.Positive(t, merged)
	}
}

// Hints older than the window are dropped and counted, never delivered.
func TestHintsPastTheWindowAreDropped(t *testing.T) {
	cfg := sloppyConfig(2, 6, 0)
	cfg.Node.HintedHandoff.Window = 20 * time.Second
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	ht := watchHandoffs(c)
	c.World().RunFor(3 * time.Second)
	const key = "k"
	reps := c.Replicas([]byte(key), 3)
	cutOff(t, c, "cut", reps[1:])
	require.Equal(t, wire.StatusOK, p.put(t, reps[0], key, "v", req{w: count(3)}).Status)
	c.World().RunFor(30 * time.Second)
	require.NoError(t, c.World().Network().Heal("cut"))
	waitMarked(t, c, reps[1:], true)
	c.World().RunFor(5 * time.Second)
	var created, dropped, delivered uint64
	for _, ns := range c.Stats() {
		created += ns.Hints.Created
		dropped += ns.Hints.Dropped
		delivered += ns.Hints.Delivered
		require.Zero(t, ns.Hints.Pending)
	}
	require.Positive(t, created)
	require.Equal(t, created, dropped)
	require.Zero(t, delivered)
	require.Zero(t, ht.handoffs)
	for _, a := range reps[1:] {
		require.Empty(t, held(t, c, a, key), "an expired hint reached %d", a)
	}
}

// A handoff that reaches a node it does not name is refused and counted,
// and nothing is merged.
func TestHandoffToAnotherNodeIsRefused(t *testing.T) {
	c := newCluster(t, sloppyConfig(1, 5, 0))
	p := addProbe(t, c, "probe")
	a, b := c.Addrs()[0], c.Addrs()[1]
	set := wire.SiblingSet{Siblings: []wire.Sibling{{Value: []byte("x"), Dot: wire.Dot{Actor: wire.ActorOf(a, 1), Counter: 1}, Clock: wire.Clock{{Actor: wire.ActorOf(a, 1), Counter: 1}}}}}
	p.ep.Send(b, &wire.WriteRequest{OpID: 7, Key: []byte("k"), Purpose: wire.PurposeHandoff, HintFor: a, Set: set})
	settle(c)
	require.Equal(t, uint64(1), c.Node(b).Stats().Handoff.WrongTarget)
	require.Empty(t, held(t, c, b, "k"))
}

// With every replica of a key down, a sloppy put through a node that is no
// replica is coordinated by that node as a stand-in: it succeeds on N
// fallbacks, whose hints reach the replicas once they are back; a second
// put through it supersedes the first (its dots stay unique).
func TestSloppyPutWithEveryReplicaDown(t *testing.T) {
	for seed := uint64(1); seed <= uint64(seeds(5)); seed++ {
		c := newCluster(t, sloppyConfig(seed, 7, 0))
		p := addProbe(t, c, "probe")
		c.World().RunFor(3 * time.Second)
		const key = "k"
		reps := c.Replicas([]byte(key), 3)
		cutOff(t, c, "cut", reps)
		via := nonReplica(t, c, key, 3)
		r := p.put(t, via, key, "v1", req{w: count(2)})
		require.Equal(t, wire.StatusOK, r.Status, "seed %d: %s", seed, r.Error)
		g := p.get(t, via, key, req{r: count(2)})
		require.Equal(t, []string{"v1"}, values(g))
		r = p.put(t, via, key, "v2", req{w: count(2), ctx: g.Context})
		require.Equal(t, wire.StatusOK, r.Status, r.Error)
		require.Equal(t, uint64(2), c.Node(via).Stats().Coordinator.StandIn)
		// The stand-in remembers its versions apart from its data: it is
		// no holder of the key.
		require.Empty(t, held(t, c, via, key), "seed %d", seed)
		require.Positive(t, c.Node(via).Stats().Coordinator.StandInBytes)
		require.NoError(t, c.World().Network().Heal("cut"))
		waitMarked(t, c, reps, true)
		c.World().RunFor(5 * time.Second)
		for _, a := range reps {
			require.Equal(t, []string{"v2"}, held(t, c, a, key), "seed %d replica %d", seed, a)
		}
		require.Empty(t, held(t, c, via, key), "seed %d", seed)
		require.Zero(t, pendingHints(c))
	}
}

// A non-replica that believes every replica of a key down coordinates the
// put as a stand-in even when fewer healthy fallbacks than N are left: it
// writes through the nodes it reaches (W of them suffice) instead of
// forwarding the put across the failure, where it would only time out with
// an unknown outcome. Five nodes, N=3, the key's three replicas cut off:
// one fallback is left besides the stand-in.
func TestStandInWithFewerFallbacksThanN(t *testing.T) {
	for seed := uint64(1); seed <= uint64(seeds(5)); seed++ {
		c := newCluster(t, sloppyConfig(seed, 5, 0))
		p := addProbe(t, c, "probe")
		c.World().RunFor(3 * time.Second)
		const key = "k"
		reps := c.Replicas([]byte(key), 3)
		cutOff(t, c, "cut", reps)
		via := nonReplica(t, c, key, 3)
		r := p.put(t, via, key, "v1", req{w: count(1)})
		require.Equal(t, wire.StatusOK, r.Status, "seed %d: %s", seed, r.Error)
		st := c.Node(via).Stats().Coordinator
		require.Equal(t, uint64(1), st.StandIn, "seed %d", seed)
		require.Zero(t, st.Forwarded, "seed %d", seed)
		g := p.get(t, via, key, req{r: count(1)})
		require.Equal(t, []string{"v1"}, values(g), "seed %d", seed)
		require.NoError(t, c.World().Network().Heal("cut"))
		waitMarked(t, c, reps, true)
		c.World().RunFor(5 * time.Second)
		require.Zero(t, pendingHints(c))
		// The one fallback's hint reached its replica; the two replicas
		// that had no fallback missed the write (they were cut off) until
		// a read repairs them.
		holding := 0
		for _, a := range reps {
			if slices.Equal(held(t, c, a, key), []string{"v1"}) {
				holding++
			}
		}
		require.Equal(t, 1, holding, "seed %d", seed)
		require.Equal(t, []string{"v1"}, values(p.get(t, reps[0], key, req{r: all})), "seed %d", seed)
		settle(c)
		for _, a := range reps {
			require.Equal(t, []string{"v1"}, held(t, c, a, key), "seed %d replica %d", seed, a)
		}
		require.Empty(t, held(t, c, via, key), "seed %d", seed)
	}
}

// Fallbacks keep to the replica's datacenter where they can: with two
// replicas per datacenter and one cut off, its fallback is a node of the
// same datacenter.
func TestSloppyFallbackStaysInTheReplicasDatacenter(t *testing.T) {
	for seed := uint64(1); seed <= uint64(seeds(5)); seed++ {
		cfg := sloppyConfig(seed, 8, 0)
		for i := range cfg.Members {
			cfg.Members[i].DC = []string{"east", "west"}[i%2]
		}
		cfg.Node.Ring.Placement = ring.Placement{PerDC: []ring.DCReplicas{{DC: "east", N: 2}, {DC: "west", N: 2}}}
		c := newCluster(t, cfg)
		p := addProbe(t, c, "probe")
		c.World().RunFor(3 * time.Second)
		const key = "k"
		reps := c.Replicas([]byte(key), 4)
		var victim, via wire.Addr = wire.None, wire.None
		for _, a := range reps {
			if c.Node(a).Membership().DCOf(a) == "west" && victim == wire.None {
				victim = a
			} else if via == wire.None && c.Node(a).Membership().DCOf(a) == "east" {
				via = a
			}
		}
		cutOff(t, c, "cut", []wire.Addr{victim})
		ht := watchHandoffs(c)
		require.Equal(t, wire.StatusOK, p.put(t, via, key, "v", req{w: count(4)}).Status)
		var fallbacks []wire.Addr
		for k := range ht.hinted {
			if k[1] == victim {
				fallbacks = append(fallbacks, k[0])
			}
		}
		require.Len(t, fallbacks, 1, "seed %d", seed)
		require.Equal(t, "west", c.Node(fallbacks[0]).Membership().DCOf(fallbacks[0]), "seed %d: the fallback for a west replica", seed)
		require.NotContains(t, reps, fallbacks[0])
	}
}

// Before the final reads, a sloppy run waits until no running node
// suspects another: without gossip, a missed reply makes a coordinator
// suspect a replica for SuspectFor, and a final read through it then would
// skip the replica and report what it holds as lost.
func TestFinalReadsWaitForSloppyViewsToClear(t *testing.T) {
	cfg := sloppyConfig(1, 5, 0)
	cfg.Node.Membership.Enabled = false
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	const key = "k"
	reps := c.Replicas([]byte(key), 3)
	var rest []wire.Addr
	for _, ep := range c.World().Endpoints() {
		if ep.Addr() != reps[1] {
			rest = append(rest, ep.Addr())
		}
	}
	require.NoError(t, c.World().Network().Partition("cut", []wire.Addr{reps[1]}, rest, false))
	// The write times out at reps[1]: reps[0] suspects it from then on.
	p.put(t, reps[0], key, "v1", req{w: all})
	require.NoError(t, c.World().Network().Heal("cut"))
	require.False(t, c.Node(reps[0]).BelievesUp(reps[1]))
	require.False(t, c.viewsAgreeUp())
	start := c.World().Now()
	require.True(t, c.settleViews(10*time.Second))
	require.True(t, c.Node(reps[0]).BelievesUp(reps[1]))
	require.Greater(t, c.World().Now(), start)
	require.LessOrEqual(t, time.Duration(c.World().Now()-start), cfg.Node.Coordinator.WithDefaults().SuspectFor)

	// A strict quorum reads the replicas whatever it believes: no wait.
	cfg.Node.Coordinator.Quorum = coord.QuorumStrict
	c = newCluster(t, cfg)
	start = c.World().Now()
	require.True(t, c.settleViews(10*time.Second))
	require.Equal(t, start, c.World().Now())
}

// A fallback counts for the replica it stands in for, in that replica's
// datacenter: with the whole west cut off, a LOCAL_QUORUM put in the east
// needs 2 of the 2 east replicas, not 3 of the 4 east nodes that the west
// replicas' east fallbacks would make if they counted as east — so it
// succeeds although every east fallback fails to store its hint.
func TestFallbacksCountInTheirReplicasDatacenter(t *testing.T) {
	for seed := uint64(1); seed <= uint64(seeds(5)); seed++ {
		cfg := sloppyConfig(seed, 8, 0)
		failHints := false
		for i := range cfg.Members {
			cfg.Members[i].DC = []string{"east", "west"}[i%2]
			if i%2 == 0 {
				failingDisk(&cfg, wire.Addr(i), disk.OpWrite|disk.OpSync, path.Join(node.DefaultDir, hints.DefaultDir), &failHints)
			}
		}
		cfg.Node.Ring.Placement = ring.Placement{PerDC: []ring.DCReplicas{{DC: "east", N: 2}, {DC: "west", N: 2}}}
		c := newCluster(t, cfg)
		p := addProbe(t, c, "probe")
		c.World().RunFor(3 * time.Second)
		const key = "k"
		reps := c.Replicas([]byte(key), 4)
		var west []wire.Addr
		via := wire.None
		for _, a := range c.Addrs() {
			if c.Node(a).Membership().DCOf(a) == "west" {
				west = append(west, a)
			} else if via == wire.None && slices.Contains(reps, a) {
				via = a
			}
		}
		cutOff(t, c, "cut", west)
		failHints = true
		r := p.put(t, via, key, "v", req{w: wire.Need{Level: wire.LevelLocalQuorum}})
		require.Equal(t, wire.StatusOK, r.Status, "seed %d: %s", seed, r.Error)
		st := c.Node(via).Stats().Coordinator
		require.Equal(t, uint64(2), st.HintedWrites, "seed %d: both west replicas had an east fallback", seed)
		var refused uint64
		for _, a := range c.Addrs() {
			if n := c.Node(a); n != nil {
				refused += n.Stats().Handoff.StoreFailures
			}
		}
		require.Equal(t, uint64(2), refused, "seed %d: both fallbacks failed to store the hint", seed)
	}
}
