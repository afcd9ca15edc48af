package gossip

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/wire"
)

func iterations(full int) int {
	if testing.Short() {
		return full / 10
	}
	return full
}

// randList draws a membership list over a small member space, with few
// distinct versions so that equal versions (and equal-version conflicts)
// occur often.
func randList(r *rand.Rand) []wire.GossipEntry {
	var out []wire.GossipEntry
	for m := range MemberID(6) {
		if r.IntN(3) == 0 {
			continue
		}
		e := wire.GossipEntry{Member: m, Generation: uint64(r.IntN(3)), Heartbeat: uint64(r.IntN(4)),
			Status: wire.MemberStatus(1 + r.IntN(2)), RingVersion: uint64(r.IntN(2))}
		if r.IntN(3) == 0 {
			e.RingPayload = []byte{byte(r.IntN(3))}
		}
		for s := range MemberID(4) {
			if r.IntN(4) == 0 {
				e.Suspects = append(e.Suspects, wire.GossipSuspect{Member: s, Generation: uint64(r.IntN(2)), Heartbeat: uint64(r.IntN(3))})
			}
		}
		out = append(out, e)
	}
	return out
}

func TestMergeIsAJoin(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range iterations(20_000) {
		a, b, c := randList(r), randList(r), randList(r)
		ab := Merge(a, b)
		require.Equal(t, ab, Merge(b, a), "commutative")
		require.Equal(t, Merge(ab, c), Merge(a, Merge(b, c)), "associative")
		require.Equal(t, Merge(a, nil), Merge(a, a), "idempotent")
		require.Equal(t, ab, Merge(ab, a), "absorbs its inputs")
		// Monotone: every member of each input is in the result at a
		// version at least as great.
		for _, in := range [][]wire.GossipEntry{a, b} {
			for i := range in {
				var found bool
				for j := range ab {
					if ab[j].Member == in[i].Member {
						found = true
						require.GreaterOrEqual(t, compareEntries(&ab[j], &in[i]), 0)
					}
				}
				require.True(t, found)
			}
		}
	}
}

// A node folding entries in as messages arrive ends in the state Merge
// computes, whatever the order and duplication of the messages.
func TestNodeMergeMatchesMergeInAnyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const self = MemberID(100)
	for range iterations(2000) {
		lists := make([][]wire.GossipEntry, 1+r.IntN(5))
		var want []wire.GossipEntry
		for i := range lists {
			lists[i] = randList(r)
			want = Merge(want, lists[i])
		}
		var views [][]wire.GossipEntry
		for range 2 {
			g, err := New(Config{}, self, 1, nil, rand.New(rand.NewPCG(1, 1)), epoch)
			require.NoError(t, err)
			for _, k := range r.Perm(len(lists)) {
				g.Step(epoch, 0, &wire.GossipPush{Entries: lists[k]})
				if r.IntN(3) == 0 {
					g.Step(epoch, 0, &wire.GossipReply{Entries: lists[k]}) // a duplicate
				}
			}
			var got []wire.GossipEntry
			for _, e := range g.Entries() {
				if e.Member != self {
					got = append(got, e)
				}
			}
			views = append(views, got)
		}
		// Version (0, 0) entries are "never heard of" and are not kept.
		var nonzero []wire.GossipEntry
		for _, e := range want {
			if e.Generation != 0 || e.Heartbeat != 0 {
				nonzero = append(nonzero, e)
			}
		}
		require.Equal(t, nonzero, views[0])
		require.Equal(t, views[0], views[1])
	}
}

// propagation is the bound used for one update to reach every live member:
// ceil(log2 n) + 3 rounds of push-pull (an epidemic at least doubles the
// informed set per round with fanout >= 1 and push-pull; three rounds of
// slack cover message loss, delays and unlucky draws).
func propagation(cfg Config, n int) time.Duration {
	return time.Duration(bits.Len(uint(n-1))+3) * cfg.GossipInterval
}

// detectionBound: the crashed member's last heartbeat reaches every live
// member within P; each suspects it SuspectAfter later, noticed at its
// next evaluation (at most one GossipInterval: every Tick evaluates); it
// publishes the suspicion at that tick and the report reaches every other
// live member within P, which then counts ConfirmReporters = 2 and marks it
// down. So SuspectAfter + GossipInterval + 2P.
func detectionBound(cfg Config, n int) time.Duration {
	cfg = cfg.WithDefaults()
	return cfg.SuspectAfter + cfg.GossipInterval + 2*propagation(cfg, n)
}

func TestCrashedMemberIsMarkedDownByEveryLiveMemberWithinTheBound(t *testing.T) {
	for _, n := range []int{8, 32} {
		bound := detectionBound(Config{}, n)
		var worst time.Duration
		for seed := range uint64(iterations(20)) {
			c := newCluster(t, Config{}, n, seed, 0.01)
			c.run(epoch.Add(30 * time.Second))
			require.Zero(t, c.downMarks(), "no down marks before the crash")
			victim := MemberID(seed % uint64(n))
			crashAt := c.now
			c.crash(victim)
			c.run(crashAt.Add(bound + 5*time.Second))
			for obs, at := range c.marks(victim, MarkedDown, crashAt) {
				require.False(t, at.IsZero(), "n=%d seed %d: member %d never marked %d down", n, seed, obs, victim)
				lag := at.Sub(crashAt)
				require.LessOrEqual(t, lag, bound, "n=%d seed %d observer %d", n, seed, obs)
				worst = max(worst, lag)
				tr := c.nodes[obs].Transitions()
				require.GreaterOrEqual(t, tr[len(tr)-1].Reporters, 2)
				st, _ := c.nodes[obs].Status(victim)
				require.Equal(t, StatusDown, st)
				require.False(t, c.nodes[obs].Up(victim))
			}
		}
		t.Logf("n=%d: worst detection %v, bound %v (SuspectAfter %v)", n, worst, bound, DefaultSuspectAfter)
	}
}

func TestNoFalseDownInAHealthyGroupWithLoss(t *testing.T) {
	hours := time.Hour
	if testing.Short() {
		hours = 10 * time.Minute
	}
	for _, det := range []Detector{DetectorHeartbeat, DetectorPhi} {
		c := newCluster(t, Config{Detector: det}, 8, 7, 0.01)
		c.run(epoch.Add(hours))
		require.Zero(t, c.downMarks(), "%v: false down marks", det)
		for _, id := range c.ids {
			for _, other := range c.ids {
				require.True(t, c.nodes[id].Up(other))
			}
		}
	}
}

func TestPhiDetectorMarksACrashedMemberDown(t *testing.T) {
	cfg := Config{Detector: DetectorPhi}
	c := newCluster(t, cfg, 8, 3, 0.01)
	c.run(epoch.Add(time.Minute))
	crashAt := c.now
	c.crash(5)
	c.run(crashAt.Add(time.Minute))
	for obs, at := range c.marks(5, MarkedDown, crashAt) {
		require.False(t, at.IsZero(), "observer %d", obs)
		tr := c.nodes[obs].Transitions()
		require.Greater(t, tr[len(tr)-1].Phi, DefaultPhiThreshold)
		// Marked down after ~18.4 mean inter-arrival times of silence
		// (the mean is about one interval), not much later.
		require.Less(t, at.Sub(crashAt), 40*time.Second)
	}
}

// A restarted member takes a new generation: its heartbeat counter starts
// again at 1, and yet every member takes the new entry over the old one
// (with its far larger counter) and marks it up again.
func TestRestartWithANewGenerationSupersedesTheOldEntry(t *testing.T) {
	c := newCluster(t, Config{}, 8, 11, 0.01)
	c.run(epoch.Add(time.Minute))
	oldHB := c.nodes[0].Members()[3].Heartbeat
	require.Greater(t, oldHB, uint64(40))
	crashAt := c.now
	c.crash(3)
	c.run(crashAt.Add(40 * time.Second))
	restartAt := c.now
	c.start(3)
	c.run(restartAt.Add(20 * time.Second))
	for obs, at := range c.marks(3, MarkedUp, restartAt) {
		require.False(t, at.IsZero(), "observer %d never marked the restarted member up", obs)
		require.True(t, c.nodes[obs].Up(3))
		info := c.nodes[obs].Members()[3]
		require.Equal(t, uint64(2), info.Generation)
		require.Less(t, info.Heartbeat, oldHB, "the new generation's counter is lower, and still wins")
	}
	// The restarted member's own view: everyone alive, itself on gen 2.
	for _, id := range c.ids {
		require.True(t, c.nodes[3].Up(id))
	}
	// A stale copy of the old generation arriving late changes nothing.
	stale := wire.GossipEntry{Member: 3, Generation: 1, Heartbeat: oldHB + 1000, Status: wire.MemberAlive}
	c.nodes[0].Step(c.now, 1, &wire.GossipReply{Entries: []wire.GossipEntry{stale}})
	require.Equal(t, uint64(2), c.nodes[0].Members()[3].Generation)
}

// Phi on a hand-made arrival sequence: heartbeat advances at 0, 1 s, 3 s
// and 4 s. The first advance of a generation seeds the window with the
// bootstrap interval (2 s) and has no predecessor to measure from; the
// others give inter-arrival times 1, 2, 1 s. So μ = (2+1+2+1)/4 = 1.5 s,
// and two seconds after the last advance phi = 2 / (1.5 · ln 10) =
// 0.5790593...
func TestPhiOnASyntheticArrivalSequence(t *testing.T) {
	g, err := New(Config{Detector: DetectorPhi}, 0, 1, []MemberID{1}, rand.New(rand.NewPCG(1, 1)), epoch)
	require.NoError(t, err)
	for i, at := range []time.Duration{0, time.Second, 3 * time.Second, 4 * time.Second} {
		e := wire.GossipEntry{Member: 1, Generation: 1, Heartbeat: uint64(i + 1), Status: wire.MemberAlive}
		g.Step(epoch.Add(at), 1, &wire.GossipPush{Entries: []wire.GossipEntry{e}})
	}
	now := epoch.Add(6 * time.Second)
	require.InDelta(t, 0.5790593, g.Phi(1, now), 1e-6)
	require.InDelta(t, 2/(1.5*math.Ln10), g.Phi(1, now), 1e-12)
	// Threshold 8 is crossed after 8 · ln 10 · 1.5 s = 27.63 s of silence.
	require.Equal(t, StatusSuspect, statusAt(g, epoch.Add(4*time.Second+27*time.Second)))
	require.Equal(t, StatusDown, statusAt(g, epoch.Add(4*time.Second+28*time.Second)))
	// A new generation starts a new window: just the 2 s seed.
	e := wire.GossipEntry{Member: 1, Generation: 2, Heartbeat: 1, Status: wire.MemberAlive}
	g.Step(epoch.Add(40*time.Second), 1, &wire.GossipPush{Entries: []wire.GossipEntry{e}})
	require.True(t, g.Up(1))
	require.InDelta(t, 1/math.Ln10, g.Phi(1, epoch.Add(42*time.Second)), 1e-12)
}

func statusAt(g *Gossip, now time.Time) Status {
	g.evaluate(now)
	s, _ := g.Status(1)
	return s
}

// Suspicion alone does not mark down: ConfirmReporters = 2 needs a second
// reporter, and stale reports (about an older heartbeat than this node
// knows) or reports from members this node does not believe alive do not
// count.
func TestDownNeedsConfirmingReporters(t *testing.T) {
	g, err := New(Config{}, 0, 1, []MemberID{1, 2, 3}, rand.New(rand.NewPCG(1, 1)), epoch)
	require.NoError(t, err)
	at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
	entry := func(m MemberID, hb uint64, sus ...wire.GossipSuspect) wire.GossipEntry {
		return wire.GossipEntry{Member: m, Generation: 1, Heartbeat: hb, Status: wire.MemberAlive, Suspects: sus}
	}
	g.Step(at(0), 1, &wire.GossipPush{Entries: []wire.GossipEntry{entry(1, 1), entry(2, 1), entry(3, 10)}})
	// Members 1 and 2 keep heartbeating; 3 goes quiet at heartbeat 10.
	for s := 1; s <= 8; s++ {
		g.Step(at(s), 1, &wire.GossipPush{Entries: []wire.GossipEntry{entry(1, uint64(1+s)), entry(2, uint64(1+s))}})
	}
	st, _ := g.Status(3)
	require.Equal(t, StatusSuspect, st, "suspected after 5 s of silence, but alone")
	// Member 1 reports 3 at an older heartbeat than we know: stale.
	g.Step(at(9), 1, &wire.GossipPush{Entries: []wire.GossipEntry{entry(1, 20, wire.GossipSuspect{Member: 3, Generation: 1, Heartbeat: 9}), entry(2, 20)}})
	st, _ = g.Status(3)
	require.Equal(t, StatusSuspect, st)
	// A current report from member 2 confirms.
	g.Step(at(10), 1, &wire.GossipPush{Entries: []wire.GossipEntry{entry(2, 21, wire.GossipSuspect{Member: 3, Generation: 1, Heartbeat: 10})}})
	st, _ = g.Status(3)
	require.Equal(t, StatusDown, st)
	tr := g.Transitions()
	require.Len(t, tr, 1)
	require.Equal(t, Transition{At: at(10), Member: 3, Kind: MarkedDown, Reporters: 2, Phi: tr[0].Phi, Generation: 1, Heartbeat: 10}, tr[0])
	require.Equal(t, []MemberID{0, 2}, g.Members()[3].Reporters)
	// Heartbeat 11 brings it back.
	g.Step(at(11), 2, &wire.GossipReply{Entries: []wire.GossipEntry{entry(3, 11)}})
	require.True(t, g.Up(3))
	require.Equal(t, MarkedUp, g.Transitions()[1].Kind)
}

func TestLeaveAndRing(t *testing.T) {
	c := newCluster(t, Config{}, 4, 5, 0)
	c.run(epoch.Add(10 * time.Second))
	require.NoError(t, c.nodes[2].SetRing(7, []byte("ring-v7")))
	require.Error(t, c.nodes[2].SetRing(8, make([]byte, DefaultMaxRingPayloadBytes+1)))
	c.nodes[1].Leave()
	c.run(c.now.Add(10 * time.Second))
	for _, id := range []MemberID{0, 2, 3} {
		st, _ := c.nodes[id].Status(1)
		require.Equal(t, StatusLeft, st)
		require.False(t, c.nodes[id].Up(1))
		m, v, p := c.nodes[id].HighestRing()
		require.Equal(t, MemberID(2), m)
		require.Equal(t, uint64(7), v)
		require.Equal(t, []byte("ring-v7"), p)
	}
	// Left members are not gossiped to and never marked down.
	c.crash(1)
	c.run(c.now.Add(time.Minute))
	require.Zero(t, c.downMarks())
}

func TestMessagesStayWithinMaxMessageBytes(t *testing.T) {
	cfg := Config{MaxMessageBytes: MinMaxMessageBytes}
	c := newCluster(t, cfg, 64, 9, 0)
	for _, id := range c.ids {
		// 64 entries of ~210 B: about 13 KiB, three times the limit.
		require.NoError(t, c.nodes[id].SetRing(1, make([]byte, 200)))
	}
	c.run(epoch.Add(2 * time.Minute))
	var max int
	for _, id := range c.ids {
		out := c.nodes[id].Tick(c.now)
		for _, o := range out {
			max = maxInt(max, o.Msg.Size())
			require.LessOrEqual(t, o.Msg.Size(), MinMaxMessageBytes)
		}
	}
	require.Greater(t, max, MinMaxMessageBytes*3/4)
	// Partial lists still spread every entry: every node learned every
	// member's ring. (They spread heartbeats more slowly — each message
	// carries a third of the list — so with the default SuspectAfter this
	// cluster does see false suspicions: MaxMessageBytes is a safety cap,
	// to be sized for the whole list; see doc.go.)
	for _, id := range c.ids {
		for _, info := range c.nodes[id].Members() {
			require.Equal(t, uint64(1), info.RingVersion, "node %d about %d", id, info.Member)
		}
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func TestConfigValidate(t *testing.T) {
	require.NoError(t, Config{}.Validate())
	d := Config{}.WithDefaults()
	require.Equal(t, time.Second, d.GossipInterval)
	require.Equal(t, 2, d.Fanout)
	require.Equal(t, 2, d.ConfirmReporters)
	require.Equal(t, DetectorHeartbeat, d.Detector)
	for want, c := range map[string]Config{
		"Fanout":           {Fanout: MaxFanout + 1},
		"SuspectAfter":     {SuspectAfter: time.Second},
		"ConfirmReporters": {ConfirmReporters: -1},
		"detector":         {Detector: 9},
		"PhiThreshold":     {PhiThreshold: -1},
		"MaxMembers":       {MaxMembers: wire.MaxGossipEntries + 1},
		"MaxMessageBytes":  {MaxMessageBytes: 100},
		"GossipInterval":   {GossipInterval: time.Microsecond},
	} {
		require.ErrorContains(t, c.Validate(), want)
	}
	d2, err := ParseDetector("phi")
	require.NoError(t, err)
	require.Equal(t, DetectorPhi, d2)
	_, err = ParseDetector("x")
	require.Error(t, err)
}

func TestMembersBeyondMaxMembersAreRejected(t *testing.T) {
	g, err := New(Config{MaxMembers: 3}, 0, 1, []MemberID{1}, rand.New(rand.NewPCG(1, 1)), epoch)
	require.NoError(t, err)
	var es []wire.GossipEntry
	for m := MemberID(1); m <= 5; m++ {
		es = append(es, wire.GossipEntry{Member: m, Generation: 1, Heartbeat: 1, Status: wire.MemberAlive})
	}
	es = append(es, wire.GossipEntry{Member: 9, Generation: 1, Heartbeat: 1, Status: wire.MemberAlive,
		RingPayload: make([]byte, DefaultMaxRingPayloadBytes+1)})
	g.Step(epoch, 1, &wire.GossipPush{Entries: es})
	require.Len(t, g.Members(), 3)
	require.Equal(t, uint64(4), g.Stats().EntriesRejected)
	_, err = New(Config{MaxMembers: 2}, 0, 1, []MemberID{1, 2, 3}, rand.New(rand.NewPCG(1, 1)), epoch)
	require.ErrorContains(t, err, "MaxMembers")
}

// A round pushes to Fanout members not marked down, and to one marked down
// only now and then (probability down/(live+1), Cassandra's rule): pushes
// into a partition or to a crashed node are lost, and spending the fanout
// on them slows the live members' view of each other.
func TestPeersArePickedAmongLiveMembers(t *testing.T) {
	const n = 8
	c := newCluster(t, Config{}, n, 3, 0)
	c.run(epoch.Add(30 * time.Second))
	victim := MemberID(5)
	c.crash(victim)
	c.run(c.now.Add(detectionBound(Config{}, n) + 5*time.Second))
	g := c.nodes[0]
	require.False(t, g.Up(victim))
	const rounds = 7000
	toVictim := 0
	for range rounds {
		out := g.Tick(c.now) // time stands still: nobody's status changes
		live := 0
		seen := map[MemberID]bool{}
		for _, o := range out {
			require.False(t, seen[o.To], "peer %d twice in a round", o.To)
			seen[o.To] = true
			if o.To == victim {
				toVictim++
			} else {
				require.True(t, g.Up(o.To))
				live++
			}
		}
		require.Equal(t, g.Config().Fanout, live)
	}
	// 1 down of 6 live others: 1/7 of the rounds, about 1,000 ± 3 sigma.
	require.InDelta(t, rounds/7, toVictim, 3*30)
}
