package ring

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/wire"
)

func TestMembershipNamesMembersByAddress(t *testing.T) {
	cfg := Config{VNodes: 32, Placement: Placement{N: 3}}
	var ms []Member
	for i := range 6 {
		ms = append(ms, Member{ID: wire.Addr(i), Addr: wire.Addr(1000 + 7*i), DC: "a"})
	}
	m, err := NewMembership(1, cfg, ms)
	require.NoError(t, err)
	r, err := New(cfg, ms)
	require.NoError(t, err)
	for _, k := range []string{"a", "b", "c", "user:42"} {
		h := HashKey([]byte(k))
		ids := r.PreferenceList(h, nil)
		addrs := m.PreferenceList(h, nil)
		require.Len(t, addrs, len(ids))
		for i := range ids {
			a, ok := m.AddrOf(ids[i])
			require.True(t, ok)
			require.Equal(t, a, addrs[i], "the same walk, named by address")
		}
		ext, n := m.ExtendedList(h, 10, nil)
		require.Equal(t, 3, n)
		require.Equal(t, addrs, ext[:3])
		require.Len(t, ext, 6)
		require.Equal(t, addrs[0], m.Owner(h))
	}
	i, ok := m.Index(1014)
	require.True(t, ok)
	require.Equal(t, wire.Addr(2), m.At(i).ID)
	_, ok = m.Index(2)
	require.False(t, ok, "IDs are not addresses")
	require.Equal(t, "a", m.DCOf(1035))
	require.Equal(t, "", m.DCOf(3))
}

func TestMembershipVersionsCompareByNumberAndDigest(t *testing.T) {
	cfg := Config{VNodes: 8}
	ms := []Member{{ID: 1, Addr: 10}, {ID: 2, Addr: 20}, {ID: 3, Addr: 30, Rack: "r"}}
	a, err := NewMembership(4, cfg, ms)
	require.NoError(t, err)
	rev := slices.Clone(ms)
	slices.Reverse(rev)
	b, err := NewMembership(4, cfg, rev)
	require.NoError(t, err)
	require.Equal(t, a.Digest(), b.Digest(), "member order does not matter")
	require.True(t, a.Same(b))

	// Rebuilt from what it says, a version is the same version.
	c, err := NewMembership(a.Version(), a.Config(), a.Members())
	require.NoError(t, err)
	require.True(t, c.Same(a))

	moved := slices.Clone(ms)
	moved[1].Addr = 21
	d, err := NewMembership(4, cfg, moved)
	require.NoError(t, err)
	require.NotEqual(t, a.Digest(), d.Digest(), "an address is part of the version")
	require.False(t, d.Same(a), "same number, other content: a conflict")

	next, err := a.Next(cfg, moved)
	require.NoError(t, err)
	require.Equal(t, uint64(5), next.Version())
	require.True(t, next.Newer(a))
	require.False(t, a.Newer(next))
	require.False(t, a.Newer(b))
	require.True(t, a.Newer(nil))

	_, err = NewMembership(0, cfg, ms)
	require.ErrorContains(t, err, "version 0 is reserved")
	dup := slices.Clone(ms)
	dup[2].Addr = 10
	_, err = NewMembership(1, cfg, dup)
	require.ErrorContains(t, err, "share address 10")
	neg := slices.Clone(ms)
	neg[0].Addr = -4
	_, err = NewMembership(1, cfg, neg)
	require.ErrorContains(t, err, "negative address")
}
