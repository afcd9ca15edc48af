package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node/versions"
	"dynasim/wire"
)

// A node whose engine an I/O failure stopped reopens it from its disk once
// the disk works again, under a new epoch, and serves reads and writes
// again; what it acknowledged before is still there.
func TestANodeReopensItsStoppedEngineUnderANewEpoch(t *testing.T) {
	cfg := testConfig(42, 5, versions.ModeDVV)
	reps := newCluster(t, cfg).Replicas([]byte("k"), 0)
	bad := reps[0]
	failing := false
	failingDisk(&cfg, bad, disk.OpWrite|disk.OpSync, "node/", &failing)
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	require.Equal(t, wire.StatusOK, p.put(t, bad, "k", "a", req{w: all}).Status)
	epoch := c.Node(bad).Epoch()

	failing = true
	g := p.get(t, reps[1], "k", req{})
	// Its log write fails, which stops the engine; the other two
	// replicas acknowledge the put.
	require.Equal(t, wire.StatusOK, p.put(t, bad, "k", "b", req{ctx: g.Context}).Status)
	c.world.RunFor(2 * time.Second)
	st := c.Node(bad).Stats()
	require.Positive(t, st.ReopenFailures, "the disk still fails: the reopen waits")
	require.Equal(t, epoch, c.Node(bad).Epoch())

	failing = false
	c.world.RunFor(2 * time.Second)
	require.Greater(t, c.Node(bad).Epoch(), epoch, "reopened under a new epoch")
	require.Positive(t, c.Node(bad).Stats().Reopens)
	// It serves again: an ALL read needs its answer, an ALL write its ack.
	g = p.get(t, reps[1], "k", req{r: all})
	require.Equal(t, wire.StatusOK, g.Status, g.Error)
	require.Equal(t, []string{"b"}, values(g), "the put acknowledged while its disk failed is there")
	r := p.put(t, bad, "k", "c", req{w: all, ctx: g.Context})
	require.Equal(t, wire.StatusOK, r.Status, r.Error)
	require.Equal(t, []string{"c"}, held(t, c, bad, "k"))
}
