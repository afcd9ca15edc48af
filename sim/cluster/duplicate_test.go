package cluster

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node/versions"
	"dynasim/wire"
)

// A put delivered twice is executed once. Without that, the late copy of an
// overwritten put mints a new version of the old value — with
// last-write-wins a newer timestamp, so the old value wins — and reads after
// an acknowledged newer put return the older value (abd-harsh-lww, seed 2).
func TestADuplicatedPutArrivingLateIsNotExecutedAgain(t *testing.T) {
	for _, mode := range []versions.Mode{versions.ModeLWW, versions.ModeDVV} {
		c := newCluster(t, testConfig(7, 5, mode))
		p := addProbe(t, c, "probe")
		coord := c.Replicas([]byte("k"), 0)[0]
		first := &wire.ClientPut{ReqID: 1, ReplyTo: wire.None, Key: []byte("k"), Value: []byte("old")}
		p.next = 1
		p.ep.Send(coord, first)
		require.Equal(t, wire.StatusOK, p.wait(t, 1).Status)
		g := p.get(t, coord, "k", req{})
		r := p.put(t, coord, "k", "new", req{ctx: g.Context})
		require.Equal(t, wire.StatusOK, r.Status, r.Error)

		// The network delivers the first put again.
		p.ep.Send(coord, &wire.ClientPut{ReqID: 1, ReplyTo: wire.None, Key: []byte("k"), Value: []byte("old")})
		settle(c)
		require.Equal(t, []string{"new"}, values(p.get(t, coord, "k", req{r: all})), "mode %v", mode)
		require.Equal(t, uint64(1), c.Node(coord).Stats().Coordinator.DuplicateRequests)
	}
}

// A coordinator whose own replica refuses the new version sends it nowhere
// and answers failed (definitely not applied). Had it sent it, its replica
// would not remember the dot, and its next put of the key would mint the
// same dot for another value: replicas merging the two keep one, so an
// acknowledged write is lost (abd-harsh-dvv, seed 5).
func TestACoordinatorWhoseReplicaRefusesTheWriteSendsNothing(t *testing.T) {
	cfg := testConfig(41, 5, versions.ModeDVV)
	reps := newCluster(t, cfg).Replicas([]byte("k"), 0)
	bad := reps[0]
	armed := false // log writes fail once the node has started
	failingDisk(&cfg, bad, disk.OpWrite, "node/engine", &armed)
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	require.Equal(t, wire.StatusOK, p.put(t, reps[1], "k", "a", req{}).Status)
	settle(c)
	armed = true

	// The first write through it reaches its memtable (so its dot is
	// remembered) and fails at the log's sync, which stops the engine; the
	// other two replicas acknowledge it.
	g := p.get(t, reps[1], "k", req{})
	r := p.put(t, bad, "k", "b", req{ctx: g.Context})
	require.Equal(t, wire.StatusOK, r.Status, r.Error)
	settle(c)
	for i := range 3 {
		r := p.put(t, bad, "k", "never", req{})
		require.Equal(t, wire.StatusFailed, r.Status, "attempt %d: %s", i, r.Error)
		require.Contains(t, r.Error, "local replica", "refused, or closed after a failed reopen")
	}
	settle(c)
	for _, other := range reps[1:] {
		require.Equal(t, []string{"b"}, held(t, c, other, "k"), "nothing more reached node %d", other)
	}
	// Writes through a healthy replica keep working, and none is lost.
	g = p.get(t, reps[1], "k", req{})
	require.Equal(t, wire.StatusOK, p.put(t, reps[1], "k", "c", req{ctx: g.Context}).Status)
	require.Equal(t, wire.StatusOK, p.put(t, reps[2], "k", "d", req{ctx: g.Context}).Status)
	require.ElementsMatch(t, []string{"c", "d"}, values(p.get(t, reps[1], "k", req{r: count(2)})))
}
