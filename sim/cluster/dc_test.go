package cluster

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/wire"
)

// twoDCs is three nodes in each of dc1 and dc2, two replicas per
// datacenter (N=4), with the probe in dc1.
func twoDCs(t *testing.T) (*Cluster, *probe) {
	cfg := testConfig(30, 0, versions.ModeDVV)
	for i := 0; i < 6; i++ {
		dc := "dc1"
		if i >= 3 {
			dc = "dc2"
		}
		cfg.Members = append(cfg.Members, Member{Name: fmt.Sprint("n", i), DC: dc, Rack: fmt.Sprint("r", i)})
	}
	cfg.Node.Ring.Placement = ring.Placement{PerDC: []ring.DCReplicas{{DC: "dc1", N: 2}, {DC: "dc2", N: 2}}}
	c := newCluster(t, cfg)
	return c, addProbe(t, c, "probe")
}

func TestDatacenterQuorumsUnderADatacenterPartition(t *testing.T) {
	c, p := twoDCs(t)
	key := keyLedBy(t, c, 0)
	reps := c.Replicas([]byte(key), 0)
	require.Len(t, reps, 4)
	require.NoError(t, c.World().Network().PartitionDC("wan", "dc1", "dc2", false))
	local, each, quorum := wire.Need{Level: wire.LevelLocalQuorum}, wire.Need{Level: wire.LevelEachQuorum}, wire.Need{Level: wire.LevelQuorum}

	r := p.put(t, 0, key, "local", req{w: local})
	require.Equal(t, wire.StatusOK, r.Status, "LOCAL_QUORUM needs only dc1's two replicas: %s", r.Error)
	r = p.put(t, 0, key, "each", req{w: each})
	require.Equal(t, wire.StatusUnknown, r.Status, "EACH_QUORUM needs dc2 too")
	require.Contains(t, r.Error, `EACH_QUORUM (2 in "dc1", 2 in "dc2")`)
	r = p.put(t, 0, key, "quorum", req{w: quorum})
	require.Equal(t, wire.StatusUnknown, r.Status, "QUORUM needs 3 of 4")
	g := p.get(t, 0, key, req{r: local})
	require.Equal(t, wire.StatusOK, g.Status)
	require.Contains(t, values(g), "local")

	require.NoError(t, c.World().Network().Heal("wan"))
	r = p.put(t, 0, key, "each-healed", req{w: each, ctx: g.Context})
	require.Equal(t, wire.StatusOK, r.Status, r.Error)
	g = p.get(t, 0, key, req{r: each})
	require.Equal(t, wire.StatusOK, g.Status)
	require.Contains(t, values(g), "each-healed")
}

func TestRoutingPolicies(t *testing.T) {
	c := newCluster(t, testConfig(31, 6, versions.ModeDVV))
	r := c.World().Stream("routing-test")
	seen := map[wire.Addr]bool{}
	for i := 0; i < 200; i++ {
		key := []byte(fmt.Sprint("k", i))
		reps := c.Replicas(key, 0)
		require.Equal(t, reps[0], c.Route(key, sim.RouteFirstReplica, r))
		nr := c.Route(key, sim.RouteNonReplica, r)
		require.NotContains(t, reps, nr)
		seen[c.Route(key, sim.RouteRandom, r)] = true
	}
	require.Len(t, seen, 6, "random routing reaches every node")
}
