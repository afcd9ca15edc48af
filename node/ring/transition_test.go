package ring

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/wire"
)

func members(n int) []Member {
	var out []Member
	for i := range n {
		out = append(out, Member{ID: wire.Addr(i), Addr: wire.Addr(100 + i), DC: "dc1"})
	}
	return out
}

func TestTransitionJoinGainsAndMovedFraction(t *testing.T) {
	v1, err := NewMembership(1, Config{Seed: 7}, members(5))
	require.NoError(t, err)
	joined := append(members(5), Member{ID: 5, Addr: 105, DC: "dc1"})
	t2, err := v1.Transition(joined, 105)
	require.NoError(t, err)
	require.Equal(t, uint64(2), t2.Version())
	require.Same(t, v1, t2.Prev())
	require.Equal(t, wire.Addr(105), t2.Changer())
	require.Equal(t, []wire.Addr{105}, t2.Gainers(0), "only the joining node gains")
	gains := t2.Gains(105, 0)
	require.NotEmpty(t, gains)
	r := rand.New(rand.NewPCG(1, 2))
	hashes := make([]uint64, 20000)
	for i := range hashes {
		hashes[i] = r.Uint64()
	}
	// Every hash the joiner replicates in the new ring and not in the old
	// lies in one of its gains, pulled from the one replica that lost it.
	var ob, nb [MaxReplicas]wire.Addr
	for _, h := range hashes {
		old, next := v1.PreferenceList(h, ob[:0]), t2.PreferenceList(h, nb[:0])
		in := false
		for _, g := range gains {
			if arcHas(g.Start, g.End, h) {
				in = true
				require.Len(t, g.From, 1)
				require.Contains(t, old, g.From[0])
				require.NotContains(t, next, g.From[0])
			}
		}
		require.Equal(t, slices.Contains(next, 105), in)
	}
	f := t2.MovedFraction(hashes)
	require.InDelta(t, 1.0/6, f, 0.3/6, "moved fraction %.4f against 1/(n+1)", f)

	// Reads stay on the old replicas; writes add the pending one.
	for _, h := range hashes[:200] {
		require.Equal(t, v1.PreferenceList(h, nil), t2.ReadList(h, nil))
		w, normal := t2.WriteList(h, 0, nil)
		require.Equal(t, 3, normal)
		next := t2.PreferenceList(h, nil)
		require.Equal(t, 3+len(next)-countIn(next, w[:3]), len(w))
	}

	_, err = t2.Settle()
	require.Error(t, err, "a transition settles only after its reads moved")
	m3, err := t2.MoveReads()
	require.NoError(t, err)
	require.Equal(t, uint64(3), m3.Version())
	require.True(t, m3.ReadsMoved())
	require.Same(t, v1, m3.Prev())
	require.NotEqual(t, t2.Digest(), m3.Digest())
	_, err = m3.MoveReads()
	require.Error(t, err)
	// The second step reads the new replicas and writes both, the old
	// ones that are not new now the extra ones; Gains are the same.
	require.Equal(t, t2.Gains(105, 0), m3.Gains(105, 0))
	for _, h := range hashes[:200] {
		next, old := t2.PreferenceList(h, nil), v1.PreferenceList(h, nil)
		require.Equal(t, next, m3.ReadList(h, nil))
		require.Equal(t, old, m3.OtherList(h, nil))
		w, normal := m3.WriteList(h, 0, nil)
		require.Equal(t, 3, normal)
		require.Equal(t, next, w[:3])
		require.Equal(t, 3+len(old)-countIn(old, next), len(w))
		require.ElementsMatch(t, w, mustWriteList(t2, h), "both steps write to the same replicas")
	}

	s4, err := m3.Settle()
	require.NoError(t, err)
	require.Nil(t, s4.Prev())
	require.Equal(t, uint64(4), s4.Version())
	again, _ := m3.Settle()
	require.True(t, s4.Same(again), "every node settles a transition to the same version")
	_, err = s4.Settle()
	require.Error(t, err)
	require.Nil(t, s4.OtherList(hashes[0], nil))
	_, err = t2.Transition(joined, 105)
	require.Error(t, err, "a transition starts from a settled version")
}

func TestTransitionDecommissionGains(t *testing.T) {
	v1, err := NewMembership(4, Config{Seed: 3}, members(6))
	require.NoError(t, err)
	t2, err := v1.Transition(members(5), 105) // member 5 (address 105) leaves
	require.NoError(t, err)
	require.True(t, t2.Has(105))
	require.Equal(t, "dc1", t2.DCOf(105))
	require.Equal(t, []wire.Addr{100, 101, 102, 103, 104, 105}, t2.Participants(), "the leaver takes part until it settles")
	s, _ := t2.MoveReads()
	s, _ = s.Settle()
	require.Equal(t, []wire.Addr{100, 101, 102, 103, 104}, s.Participants())
	for _, a := range t2.Gainers(0) {
		require.NotEqual(t, wire.Addr(105), a)
		for _, g := range t2.Gains(a, 0) {
			require.Equal(t, []wire.Addr{105}, g.From, "a decommission streams from the leaving node")
		}
	}
}

func TestMembershipEncodeRoundTrip(t *testing.T) {
	v1, err := NewMembership(9, Config{Seed: 3, VNodes: 16, Placement: Placement{PerDC: []DCReplicas{{"a", 2}, {"b", 1}}}},
		[]Member{{ID: 1, Addr: 10, DC: "a", Rack: "r1", Weight: 2}, {ID: 2, Addr: 11, DC: "b"}, {ID: 3, Addr: 12, DC: "a"}})
	require.NoError(t, err)
	got, err := DecodeMembership(v1.Encode())
	require.NoError(t, err)
	require.True(t, v1.Same(got))
	t2, err := v1.Transition(append(v1.Members(), Member{ID: 4, Addr: 13, DC: "b"}), 13)
	require.NoError(t, err)
	got, err = DecodeMembership(t2.Encode())
	require.NoError(t, err)
	require.True(t, t2.Same(got))
	require.True(t, v1.Same(got.Prev()))
	require.False(t, got.ReadsMoved())
	m3, err := t2.MoveReads()
	require.NoError(t, err)
	got, err = DecodeMembership(m3.Encode())
	require.NoError(t, err)
	require.True(t, m3.Same(got))
	require.True(t, got.ReadsMoved())
	require.True(t, v1.Same(got.Prev()))
	s4, err := m3.Settle()
	require.NoError(t, err)
	require.NotEqual(t, m3.Digest(), s4.Digest())
	for _, enc := range [][]byte{t2.Encode(), m3.Encode()} {
		for i := range enc {
			_, err := DecodeMembership(enc[:i]) // never panics
			require.Error(t, err)
		}
	}
	// A step number that does not fit the version numbers is refused.
	// The step flag comes before the changer (address 13) and the old
	// version (9), one byte each, and the old members.
	bad := m3.Encode()
	i := len(bad) - len(appendMembers(nil, v1.Members())) - 3
	require.Equal(t, byte(2), bad[i])
	bad[i] = 1
	_, err = DecodeMembership(bad)
	require.ErrorContains(t, err, "does not follow")
}

func mustWriteList(m *Membership, h uint64) []wire.Addr {
	w, _ := m.WriteList(h, 0, nil)
	return w
}

func arcHas(start, end, h uint64) bool {
	if start < end {
		return h > start && h <= end
	}
	return h > start || h <= end
}

func countIn(xs, in []wire.Addr) int {
	n := 0
	for _, x := range xs {
		if slices.Contains(in, x) {
			n++
		}
	}
	return n
}
