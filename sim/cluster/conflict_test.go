package cluster

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/wire"
)

var siblingModes = []versions.Mode{versions.ModeVClock, versions.ModeDVV}

// sorted returns a reply's values sorted.
func sorted(r *wire.ClientReply) []string {
	v := values(r)
	slices.Sort(v)
	return v
}

// keyLedBy returns a key whose preference list starts with node a.
func keyLedBy(t testing.TB, c *Cluster, a wire.Addr) string {
	t.Helper()
	for i := 0; i < 10_000; i++ {
		k := fmt.Sprint("key", i)
		if c.Replicas([]byte(k), 0)[0] == a {
			return k
		}
	}
	t.Fatalf("no key led by node %d", a)
	return ""
}

func TestConcurrentPutsBecomeSiblingsAndTheMergedContextCollapsesThem(t *testing.T) {
	for _, mode := range siblingModes {
		t.Run(mode.String(), func(t *testing.T) {
			c := newCluster(t, testConfig(5, 5, mode))
			p := addProbe(t, c, "probe")
			reps := c.Replicas([]byte("k"), 0)
			// Two blind writes at the same instant through two replicas:
			// neither saw the other.
			a := p.sendPut(reps[0], "k", "a", req{})
			b := p.sendPut(reps[1], "k", "b", req{})
			require.Equal(t, wire.StatusOK, p.wait(t, a).Status)
			require.Equal(t, wire.StatusOK, p.wait(t, b).Status)
			g := p.get(t, reps[2], "k", req{r: all})
			require.Equal(t, []string{"a", "b"}, sorted(g), "concurrent puts are siblings")

			// A put that carries the read's context resolves the conflict.
			r := p.put(t, reps[2], "k", "c", req{ctx: g.Context})
			require.Equal(t, wire.StatusOK, r.Status, r.Error)
			g = p.get(t, reps[0], "k", req{r: all})
			require.Equal(t, []string{"c"}, values(g))
			for _, a := range reps {
				require.Equal(t, []string{"c"}, held(t, c, a, "k"), "replica %d", a)
			}
		})
	}
}

func TestLastWriteWinsKeepsOneOfConcurrentPuts(t *testing.T) {
	c := newCluster(t, testConfig(5, 5, versions.ModeLWW))
	p := addProbe(t, c, "probe")
	reps := c.Replicas([]byte("k"), 0)
	a := p.sendPut(reps[0], "k", "a", req{})
	b := p.sendPut(reps[1], "k", "b", req{})
	p.wait(t, a)
	p.wait(t, b)
	g := p.get(t, reps[2], "k", req{r: all})
	require.Len(t, g.Values, 1, "last-write-wins never keeps siblings")
}

// staleContextWrites writes v0, reads it, then writes x and then y through
// the same coordinator, both with the context of that one read: the
// classic lost update of server-id vector clocks.
func staleContextWrites(t *testing.T, mode versions.Mode) []string {
	c := newCluster(t, testConfig(6, 5, mode))
	p := addProbe(t, c, "probe")
	reps := c.Replicas([]byte("k"), 0)
	require.Equal(t, wire.StatusOK, p.put(t, reps[0], "k", "v0", req{w: all}).Status)
	ctx := p.get(t, reps[0], "k", req{r: all}).Context
	require.Equal(t, wire.StatusOK, p.put(t, reps[0], "k", "x", req{ctx: ctx, w: all}).Status)
	require.Equal(t, wire.StatusOK, p.put(t, reps[0], "k", "y", req{ctx: ctx, w: all}).Status)
	return sorted(p.get(t, reps[1], "k", req{r: all}))
}

func TestStaleContextThroughOneCoordinatorLosesAnUpdateWithVectorClocksOnly(t *testing.T) {
	require.Equal(t, []string{"y"}, staleContextWrites(t, versions.ModeVClock),
		"server-id vector clocks: y's clock descends x's, so x is silently dropped")
	require.Equal(t, []string{"x", "y"}, staleContextWrites(t, versions.ModeDVV),
		"dotted version vectors keep both writes as siblings")
}

// skewedLWW writes v1 through a replica with a correct clock, then v2 —
// after v1 was acknowledged and read — through the key's first replica,
// whose clock is a second behind.
func skewedLWW(t *testing.T, twoPhase bool) []string {
	cfg := testConfig(7, 5, versions.ModeLWW)
	cfg.Members[0].Clock = sim.ClockConfig{Offset: -time.Second}
	cfg.Node.Coordinator.TwoPhaseWrites = twoPhase
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	key := keyLedBy(t, c, 0)
	reps := c.Replicas([]byte(key), 0)
	c.World().RunFor(10 * time.Millisecond)
	require.Equal(t, wire.StatusOK, p.put(t, reps[1], key, "v1", req{}).Status)
	ctx := p.get(t, reps[1], key, req{r: all}).Context
	c.World().RunFor(10 * time.Millisecond)
	r := p.put(t, reps[0], key, "v2", req{ctx: ctx})
	require.Equal(t, wire.StatusOK, r.Status, r.Error)
	return values(p.get(t, reps[2], key, req{r: all}))
}

func TestLastWriteWinsWithASkewedClockLosesTheLaterWrite(t *testing.T) {
	require.Equal(t, []string{"v1"}, skewedLWW(t, false), "v2 is later in real time but carries an earlier timestamp")
}

func TestTwoPhaseWritesKeepLastWriteWinsCorrectUnderSkew(t *testing.T) {
	require.Equal(t, []string{"v2"}, skewedLWW(t, true), "the read phase sets v2's timestamp past v1's")
}

func TestTombstoneWithTheReadContextHidesEverySibling(t *testing.T) {
	for _, mode := range []versions.Mode{versions.ModeVClock, versions.ModeDVV, versions.ModeLWW} {
		t.Run(mode.String(), func(t *testing.T) {
			c := newCluster(t, testConfig(8, 5, mode))
			p := addProbe(t, c, "probe")
			reps := c.Replicas([]byte("k"), 0)
			a := p.sendPut(reps[0], "k", "a", req{})
			b := p.sendPut(reps[1], "k", "b", req{})
			p.wait(t, a)
			p.wait(t, b)
			g := p.get(t, reps[2], "k", req{r: all})
			require.NotEmpty(t, g.Values)

			d := p.del(t, reps[2], "k", req{ctx: g.Context})
			require.Equal(t, wire.StatusOK, d.Status, d.Error)
			g = p.get(t, reps[0], "k", req{r: all})
			require.Equal(t, wire.StatusNotFound, g.Status)
			require.Empty(t, g.Values)
			require.NotEmpty(t, g.Context, "a deleted key still has a context, covering the tombstone")

			// A put with that context replaces the tombstone.
			require.Equal(t, wire.StatusOK, p.put(t, reps[1], "k", "c", req{ctx: g.Context}).Status)
			require.Equal(t, []string{"c"}, values(p.get(t, reps[2], "k", req{r: all})))
		})
	}
}

func TestAConcurrentPutSurvivesADelete(t *testing.T) {
	for _, mode := range siblingModes {
		t.Run(mode.String(), func(t *testing.T) {
			c := newCluster(t, testConfig(9, 5, mode))
			p := addProbe(t, c, "probe")
			reps := c.Replicas([]byte("k"), 0)
			require.Equal(t, wire.StatusOK, p.put(t, reps[0], "k", "a", req{w: all}).Status)
			ctx := p.get(t, reps[0], "k", req{r: all}).Context
			// One client deletes what it read while another, which read the
			// same, writes b: the delete must not take b with it.
			d := p.sendDelete(reps[0], "k", req{ctx: ctx})
			w := p.sendPut(reps[1], "k", "b", req{ctx: ctx})
			require.Equal(t, wire.StatusOK, p.wait(t, d).Status)
			require.Equal(t, wire.StatusOK, p.wait(t, w).Status)
			g := p.get(t, reps[2], "k", req{r: all})
			require.Equal(t, wire.StatusOK, g.Status)
			require.Equal(t, []string{"b"}, values(g))
		})
	}
}
