package cluster

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/history"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/wire"
)

// Member IDs need not equal addresses nor positions: the address book maps
// between them, the ring version lists members at their addresses, and
// requests work.
func TestMemberIDsAndAddressesMayDiffer(t *testing.T) {
	cfg := testConfig(3, 5, versions.ModeDVV)
	cfg.MemberIDs = []wire.Addr{900, 17, 4000, 3, 250}
	c := newCluster(t, cfg)
	m := c.Membership()
	for i, a := range c.Addrs() {
		id, ok := c.IDOf(a)
		require.True(t, ok)
		require.Equal(t, cfg.MemberIDs[i], id)
		back, ok := c.AddrOfID(id)
		require.True(t, ok)
		require.Equal(t, a, back)
		got, ok := m.AddrOf(id)
		require.True(t, ok)
		require.Equal(t, a, got)
		idx, ok := c.Index(a)
		require.True(t, ok)
		require.Equal(t, i, idx)
	}
	p := addProbe(t, c, "probe")
	require.Equal(t, wire.StatusOK, p.put(t, c.Addrs()[1], "k", "v1", req{}).Status)
	g := p.get(t, c.Addrs()[4], "k", req{})
	require.Equal(t, []string{"v1"}, values(g))

	bad := testConfig(3, 3, versions.ModeDVV)
	bad.MemberIDs = []wire.Addr{1, 2}
	_, err := New(bad)
	require.ErrorContains(t, err, "2 MemberIDs for 3 members")
	bad.MemberIDs = []wire.Addr{1, 2, 1}
	_, err = New(bad)
	require.ErrorContains(t, err, "listed twice")
}

// The oracle of which nodes should hold a key is the ring version in force
// at the probe, from the recorded ring versions: after a new version takes
// effect, replica states list the new version's replicas, the run result
// and history record both versions with the time each took effect, and the
// nodes place new writes by the new version.
func TestOracleUsesTheRingVersionInForce(t *testing.T) {
	cfg := testConfig(5, 6, versions.ModeDVV)
	c := newCluster(t, cfg)
	p := addProbe(t, c, "probe")
	v1 := c.Membership()

	// Version 2: the same members at the same addresses with other IDs, so
	// other tokens and other preference lists.
	var ms []ring.Member
	for i, mb := range v1.Members() {
		mb.ID = wire.Addr(1000 + i)
		ms = append(ms, mb)
	}
	v2, err := v1.Next(v1.Config(), ms)
	require.NoError(t, err)
	key := ""
	for i := range 50 {
		k := fmt.Sprint("key", i)
		h := ring.HashKey([]byte(k))
		if !sameSet(v1.PreferenceList(h, nil), v2.PreferenceList(h, nil)) {
			key = k
			break
		}
	}
	require.NotEmpty(t, key)
	h := ring.HashKey([]byte(key))
	old, next := v1.PreferenceList(h, nil), v2.PreferenceList(h, nil)

	require.Equal(t, wire.StatusOK, p.put(t, old[0], key, "before", req{}).Status)
	settle(c)
	require.ElementsMatch(t, old, c.Replicas([]byte(key), 0))
	states, err := c.ReplicaStates([]string{key}, 0)
	require.NoError(t, err)
	require.ElementsMatch(t, old, stateAddrs(c, states))

	c.world.RunFor(10 * time.Millisecond)
	at := c.world.Now()
	require.NoError(t, c.SetMembership(v2))
	require.ErrorContains(t, c.SetMembership(v2), "not newer")
	for _, a := range c.Addrs() {
		require.Same(t, v2, c.Node(a).Membership(), "node %d", a)
	}
	require.Same(t, v1, c.RingAt(at-1))
	require.Same(t, v2, c.RingAt(at))
	changes := c.RingChanges()
	require.Len(t, changes, 2)
	require.Equal(t, at, changes[1].At)

	// The oracle now names the new replicas, including those that hold
	// nothing yet; the old replicas that hold the old write still appear.
	states, err = c.ReplicaStates([]string{key}, 0)
	require.NoError(t, err)
	got := stateAddrs(c, states)
	for _, a := range next {
		require.Contains(t, got, a)
	}
	require.ElementsMatch(t, next, c.Replicas([]byte(key), 0))

	// A write now lands on the new replicas.
	require.Equal(t, wire.StatusOK, p.put(t, next[0], key+"-new", "after", req{}).Status)
	settle(c)
	for _, a := range v2.PreferenceList(ring.HashKey([]byte(key+"-new")), nil) {
		require.Equal(t, []string{"after"}, held(t, c, a, key+"-new"), "node %d", a)
	}

	// A node restarted after the change comes back with the version in force.
	a := c.Addrs()[2]
	require.NoError(t, c.world.CrashDefault(a))
	require.NoError(t, c.world.Restart(a))
	require.Same(t, v2, c.Node(a).Membership())

	// The history's record of ring versions.
	rv := c.RingVersions()
	require.Len(t, rv, 2)
	require.Equal(t, uint64(1), rv[0].Version)
	require.Equal(t, int64(0), rv[0].AtNs)
	require.Equal(t, uint64(2), rv[1].Version)
	require.Equal(t, int64(at), rv[1].AtNs)
	require.Equal(t, fmt.Sprintf("%016x", v2.Digest()), rv[1].Digest)
	require.Equal(t, int32(1000), rv[1].Members[0].ID)
}

func sameSet(a, b []wire.Addr) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func stateAddrs(c *Cluster, states []history.ReplicaState) []wire.Addr {
	var out []wire.Addr
	for _, s := range states {
		out = append(out, c.Addrs()[s.Node])
	}
	return out
}

// Clients can be placed per datacenter: client0... fill the groups in
// order, the network sees each in its datacenter, and the run records the
// placement.
func TestClientsArePlacedPerDatacenter(t *testing.T) {
	cfg := testConfig(9, 4, versions.ModeDVV)
	cfg.Members[2].DC, cfg.Members[3].DC = "dc2", "dc2"
	cfg.ClientGroups = []ClientGroup{{DC: "dc1", Count: 1}, {DC: "dc2", Count: 2}}
	c := newCluster(t, cfg)
	res, err := c.Run(RunConfig{Workload: sim.WorkloadConfig{Clients: 3, MaxOps: 30}, Quiet: 100 * time.Millisecond})
	require.NoError(t, err)
	for i, want := range []string{"dc1", "dc2", "dc2"} {
		ep := c.World().Lookup(fmt.Sprint("client", i))
		require.NotNil(t, ep)
		require.Equal(t, want, ep.DC(), "client%d", i)
		dc, ok := c.World().Network().DC(ep.Addr())
		require.True(t, ok)
		require.Equal(t, want, dc)
		require.Equal(t, want, c.ClientDC(i))
	}
	require.Equal(t, map[string]int{"dc1": 1, "dc2": 2}, res.ClientsPerDC)
	require.Equal(t, "dc1", c.World().Lookup(FinalReaderName).DC(), "the final reader stays in ClientDC")

	bad := cfg
	bad.ClientGroups = []ClientGroup{{DC: "dc1", Count: 1}, {DC: "dc3", Count: 2}}
	_, err = newCluster(t, bad).Run(RunConfig{Workload: sim.WorkloadConfig{Clients: 3, MaxOps: 3}})
	require.ErrorContains(t, err, `datacenter "dc3", where no member is`)
	bad.ClientGroups = []ClientGroup{{DC: "dc1", Count: 1}}
	_, err = newCluster(t, bad).Run(RunConfig{Workload: sim.WorkloadConfig{Clients: 3, MaxOps: 3}})
	require.ErrorContains(t, err, "hold 1 clients, the workload has 3")

	// Without groups every client sits in the first member's datacenter,
	// as before.
	plain := newCluster(t, testConfig(9, 4, versions.ModeDVV))
	res, err = plain.Run(RunConfig{Workload: sim.WorkloadConfig{Clients: 2, MaxOps: 10}, Quiet: 100 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, map[string]int{"dc1": 2}, res.ClientsPerDC)
}
