package cluster

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node/versions"
	"dynasim/wire"
)

func TestAReplicaWhoseSyncFailsDoesNotAcknowledge(t *testing.T) {
	cfg := testConfig(40, 5, versions.ModeDVV)
	reps := newCluster(t, cfg).Replicas([]byte("k"), 0)
	bad := reps[1]
	armed := false // syncs fail once the node has started
	failingDisk(&cfg, bad, disk.OpSync, "node/engine", &armed)
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	armed = true

	r := p.put(t, reps[0], "k", "v", req{w: all})
	require.Equal(t, wire.StatusUnknown, r.Status, "one of three replicas could not make the write durable")
	require.Contains(t, r.Error, "injected")
	r = p.put(t, reps[0], "k", "v2", req{w: count(2)})
	require.Equal(t, wire.StatusOK, r.Status, r.Error)
	st := c.Node(bad).Stats()
	require.Positive(t, st.SyncFailures)
	require.Zero(t, st.Coordinator.Replies[wire.StatusOK])

	// A read the failing replica serves must not reveal its unsynced
	// writes either: with R=ALL the get fails rather than answer from it.
	g := p.get(t, reps[0], "k", req{r: all})
	require.Equal(t, wire.StatusFailed, g.Status)
	g = p.get(t, reps[0], "k", req{r: count(2)})
	require.Equal(t, wire.StatusOK, g.Status)
}
