package cluster

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/checker"
	"dynasim/history"
	"dynasim/node"
	"dynasim/node/coord"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/sim/network"
	"dynasim/wire"
)

// joinConfig is n members and spares spare nodes in one datacenter, gossip
// on, N=3, QUORUM.
func joinConfig(seed uint64, n, spares int) Config {
	cfg := Config{
		World: sim.Config{Seed: seed, Network: network.Config{Default: network.LinkConfig{LatencyMs: uniformMs(0.5, 2)}}},
		Node: node.Config{
			Ring:        ring.Config{VNodes: 64},
			Versions:    versions.Config{Mode: versions.ModeDVV},
			Coordinator: coord.Config{RequestTimeout: 500 * time.Millisecond},
			Membership:  node.MembershipConfig{Enabled: true},
			Streaming:   node.StreamingConfig{StartDelay: 300 * time.Millisecond, RateBytesPerSec: 4 << 20},
		},
	}
	for i := 0; i < n+spares; i++ {
		cfg.Members = append(cfg.Members, Member{Name: fmt.Sprint("n", i), DC: "dc1", Spare: i >= n})
	}
	return cfg
}

// checkRun asserts no acknowledged write was lost and the replicas
// converged.
func checkRun(t *testing.T, res *Result, label string) {
	t.Helper()
	lost, err := checker.LostWrites(res.History, checker.FinalReads(res.History), checker.LostWritesOptions{Model: checker.MultiValue})
	require.NoError(t, err)
	require.Zero(t, lost.Lost, "%s: lost acknowledged writes: %+v", label, lost.Examples)
	require.Zero(t, lost.Unverified, "%s: unverified keys %v", label, lost.UnverifiedKeys)
	conv, err := checker.Convergence(res.History, checker.ConvergenceOptions{})
	require.NoError(t, err)
	require.True(t, conv.Converged, "%s: not converged: %+v", label, conv)
}

func TestJoinUnderLoad(t *testing.T) {
	c := newCluster(t, joinConfig(3, 5, 1))
	res, err := c.Run(RunConfig{
		Workload: sim.WorkloadConfig{Clients: 8, Duration: 6 * time.Second, Keys: sim.KeyConfig{Count: 2000}},
		Changes:  []MembershipChange{{At: 2 * time.Second, Kind: ChangeJoin, Node: "n5"}},
		Quiet:    2 * time.Second,
	})
	require.NoError(t, err)
	require.Empty(t, res.FaultErrors)
	checkRun(t, res, "join")
	chs := c.Changes()
	require.Len(t, chs, 1)
	ch := chs[0]
	require.NotZero(t, ch.Settled, "the join settled: %+v", ch)
	require.Greater(t, ch.StreamedKeys, uint64(0))
	require.InDelta(t, ch.Ideal, ch.MovedFraction, 0.3*ch.Ideal)
	require.Equal(t, 6, c.Membership().Len())
	require.Nil(t, c.Membership().Prev())
	t.Logf("join: %+v", ch)
	failed := 0
	for _, op := range res.History.Ops {
		if op.Outcome == history.Failed {
			failed++
		}
	}
	require.Zero(t, failed, "failed operations")
	_ = wire.None
}

// Random joins and decommissions, interleaved with a workload and crashes
// (of old members, joining and leaving nodes alike), over many seeds: no
// acknowledged write is lost, the replicas converge, and every change
// that started settles.
func TestStreamingRandomChangesWithCrashes(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 40
	}
	settled, decommissioned := 0, 0
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		cfg := joinConfig(seed, 4, 2)
		// A crashed replica misses the writes made while it was down;
		// anti-entropy brings it back in line.
		cfg.Node.AntiEntropy = node.AntiEntropyConfig{Enabled: true, Interval: time.Second}
		c := newCluster(t, cfg)
		var changes []MembershipChange
		var faults []sim.Fault
		at := time.Duration(300+r.IntN(700)) * time.Millisecond
		spares := []string{"n4", "n5"}
		members := []string{"n0", "n1", "n2", "n3"}
		for k := 0; k < 2; k++ {
			if r.IntN(3) > 0 || len(members) <= 3 {
				j := spares[0]
				spares = spares[1:]
				changes = append(changes, MembershipChange{At: at, Kind: ChangeJoin, Node: j})
				members = append(members, j)
			} else {
				i := r.IntN(len(members))
				changes = append(changes, MembershipChange{At: at, Kind: ChangeDecommission, Node: members[i]})
				members = append(members[:i:i], members[i+1:]...)
			}
			at += time.Duration(1500+r.IntN(1000)) * time.Millisecond
		}
		for k := 0; k < 1+r.IntN(2); k++ {
			name := fmt.Sprint("n", r.IntN(6))
			when := time.Duration(200+r.IntN(3500)) * time.Millisecond
			if name == "n4" || name == "n5" {
				when = changes[len(changes)-1].At + 200*time.Millisecond
			}
			faults = append(faults,
				sim.Fault{At: when, Kind: sim.FaultCrash, Nodes: []string{name}},
				sim.Fault{At: when + time.Duration(200+r.IntN(500))*time.Millisecond, Kind: sim.FaultRestart, Nodes: []string{name}})
		}
		res, err := c.Run(RunConfig{
			Workload:  sim.WorkloadConfig{Clients: 4, Duration: 5 * time.Second, Keys: sim.KeyConfig{Count: 300}},
			Changes:   changes,
			Faults:    faults,
			Quiet:     3 * time.Second,
			HealAtEnd: true,
		})
		require.NoError(t, err, "seed %d", seed)
		label := fmt.Sprintf("seed %d changes %v faults %v", seed, changes, faults)
		checkRun(t, res, label)
		require.True(t, c.Settled(), "%s: a change is still in progress: %+v", label, c.Changes())
		for _, ch := range c.Changes() {
			require.NotZero(t, ch.Settled, "%s: %+v", label, ch)
			settled++
			if ch.Kind == ChangeDecommission {
				decommissioned++
				require.NotZero(t, ch.StoppedAt, "%s: the leaving node was stopped: %+v", label, ch)
			}
		}
	}
	require.Greater(t, settled, seeds, "most seeds ran both changes")
	require.Greater(t, decommissioned, seeds/10, "decommissions ran too")
}

// replicaProbe sends replica reads and keeps the answers.
type replicaProbe struct {
	ep      *sim.Endpoint
	answers map[uint64]*wire.ReadResponse
}

func (p *replicaProbe) Handle(ev node.Event) {
	if r, ok := ev.Msg.(*wire.ReadResponse); ok {
		p.answers[r.OpID] = r
	}
}

// A joining node refuses replica reads of the arcs it gains until it has
// received them, and answers them with the streamed data after; no
// coordinator reads it before the reads move to the new replicas.
func TestJoinNeverServesUnreceivedRange(t *testing.T) {
	cfg := joinConfig(5, 4, 1)
	cfg.Node.Streaming.StartDelay = 3 * time.Second
	c := newCluster(t, cfg)
	p := addProbe(t, c, "client")
	rp := &replicaProbe{answers: map[uint64]*wire.ReadResponse{}}
	ep, err := c.world.AddEndpoint(sim.EndpointSpec{Name: "reader", DC: "dc1",
		Factory: func(wire.Addr, node.Env) (node.Process, error) { return rp, nil }})
	require.NoError(t, err)
	rp.ep = ep
	keys := putKeys(t, p, wire.None, "j", 200, req{w: wire.Need{Level: wire.LevelAll}})
	require.NoError(t, c.Join("n4"))
	x, _ := c.Addr("n4")
	c.World().RunFor(500 * time.Millisecond)
	require.True(t, c.Node(x).InTransition())

	var gained []string
	for _, k := range keys {
		if slices.Contains(c.Membership().PreferenceList(ring.HashString(k), nil), x) {
			gained = append(gained, k)
		}
	}
	require.NotEmpty(t, gained)
	ask := func(base uint64) {
		for i, k := range gained {
			ep.Send(x, &wire.ReadRequest{OpID: base + uint64(i), Key: []byte(k), Purpose: wire.PurposeClient})
		}
		c.World().RunFor(100 * time.Millisecond)
	}
	ask(1000)
	for i, k := range gained {
		a := rp.answers[1000+uint64(i)]
		require.NotNil(t, a, k)
		require.Equal(t, wire.StatusFailed, a.Status, "%s served before it was received", k)
	}
	require.EqualValues(t, len(gained), c.Node(x).StreamStats().ReadsRefused)
	readsBefore := c.Node(x).Stats().ReplicaReads

	moved := false
	for i := 0; i < 1000 && !c.Settled(); i++ {
		// While the joining node runs the transition's first step (it
		// issues the second itself, so no coordinator is ahead of it),
		// reads through coordinators never reach it.
		if m := c.Node(x).Membership(); m.Prev() != nil && !m.ReadsMoved() {
			require.NotContains(t, m.ReadList(ring.HashString(gained[0]), nil), x)
			require.Equal(t, readsBefore, c.Node(x).Stats().ReplicaReads, "no replica read reached the joining node before it had received its ranges")
		} else {
			moved = true
		}
		c.World().RunFor(10 * time.Millisecond)
	}
	require.True(t, c.Settled())
	require.True(t, moved)
	ask(5000)
	for i, k := range gained {
		a := rp.answers[5000+uint64(i)]
		require.NotNil(t, a, k)
		require.Equal(t, wire.StatusOK, a.Status, k)
		require.NotEmpty(t, a.Set.Siblings, "%s: the joined node holds it", k)
	}
}

// After a join settles, every member a key's replicas moved away from
// drops its copy (once the change delay has passed), keeps every key it
// still replicates, and the cluster still holds every write.
func TestJoinCleansUpDisplacedReplicas(t *testing.T) {
	c := newCluster(t, joinConfig(7, 5, 1))
	p := addProbe(t, c, "client")
	keys := putKeys(t, p, wire.None, "c", 300, req{w: wire.Need{Level: wire.LevelAll}})
	before := c.Membership()
	require.NoError(t, c.Join("n5"))
	old := slices.DeleteFunc(c.Addrs(), func(a wire.Addr) bool { return !before.Has(a) })
	require.Len(t, old, 5)
	done := func() bool {
		for _, a := range old {
			if c.Node(a).Stats().Cleanup.Done == 0 {
				return false
			}
		}
		return true
	}
	for i := 0; i < 200 && !(c.Settled() && done()); i++ {
		c.World().RunFor(100 * time.Millisecond)
	}
	require.True(t, c.Settled())
	require.True(t, done(), "every old member finished its cleanup")
	after := c.Membership()
	require.Nil(t, after.Prev())
	dropped := uint64(0)
	for _, a := range old {
		n := c.Node(a)
		dropped += n.Stats().Cleanup.KeysDropped
		for _, k := range keys {
			h := ring.HashString(k)
			set, err := n.ReadLocal([]byte(k))
			require.NoError(t, err)
			switch {
			case slices.Contains(after.PreferenceList(h, nil), a):
				require.NotEmpty(t, set.Siblings, "%s on node %d: a replica keeps it", k, a)
			case slices.Contains(before.PreferenceList(h, nil), a):
				require.Empty(t, set.Siblings, "%s on node %d: displaced, dropped", k, a)
			}
		}
	}
	require.Positive(t, dropped)
	for _, k := range keys {
		r := p.get(t, old[0], k, req{})
		require.Equal(t, wire.StatusOK, r.Status, "%s: %s", k, r.Error)
	}
}
