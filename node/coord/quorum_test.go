package coord

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/node/ring"
	"dynasim/wire"
)

var dcs = map[wire.Addr]string{1: "a", 2: "a", 3: "b", 4: "b", 5: "b", 6: "c"}

func dcOf(a wire.Addr) string { return dcs[a] }

func TestCountLevelsResolveAgainstN(t *testing.T) {
	reps := []wire.Addr{1, 2, 3, 4, 5}
	for _, tc := range []struct {
		need wire.Need
		want int
	}{
		{wire.Need{Level: wire.LevelOne}, 1},
		{wire.Need{Level: wire.LevelTwo}, 2},
		{wire.Need{Level: wire.LevelQuorum}, 3},
		{wire.Need{Level: wire.LevelAll}, 5},
		{wire.Need{Level: wire.LevelCount, Count: 4}, 4},
	} {
		q, err := resolveQuorum("W", tc.need, wire.Need{}, reps, dcOf, "a")
		require.NoError(t, err)
		require.Equal(t, tc.want, q.total, "%v", tc.need)
		st := make([]uint8, 5)
		for i := 0; i < tc.want; i++ {
			require.False(t, q.met(st))
			st[i] = stOK
		}
		require.True(t, q.met(st))
	}
	q, err := resolveQuorum("R", wire.Need{}, wire.Need{Level: wire.LevelTwo}, reps, dcOf, "a")
	require.NoError(t, err)
	require.Equal(t, 2, q.total, "the default applies to LevelDefault")

	_, err = resolveQuorum("W", wire.Need{Level: wire.LevelCount, Count: 6}, wire.Need{}, reps, dcOf, "a")
	require.EqualError(t, err, "W=6 exceeds N=5")
}

func TestLocalQuorumCountsOnlyTheLocalDatacenter(t *testing.T) {
	reps := []wire.Addr{1, 3, 4, 5, 2} // a, b, b, b, a
	q, err := resolveQuorum("W", wire.Need{Level: wire.LevelLocalQuorum}, wire.Need{}, reps, dcOf, "b")
	require.NoError(t, err)
	st := []uint8{stOK, stOK, stFailed, stPending, stOK}
	require.False(t, q.met(st), "only one of b's three replicas succeeded")
	require.True(t, q.reachable(st))
	st[3] = stOK
	require.True(t, q.met(st), "two of three in b")
	st[3] = stFailed
	require.False(t, q.reachable(st))
	require.Equal(t, `LOCAL_QUORUM (2 in "b")`, q.describe(5))

	_, err = resolveQuorum("W", wire.Need{Level: wire.LevelLocalQuorum}, wire.Need{}, reps, dcOf, "c")
	require.ErrorContains(t, err, `none of the N=5 replicas is in datacenter "c"`)
}

func TestEachQuorumNeedsAMajorityInEveryDatacenter(t *testing.T) {
	reps := []wire.Addr{1, 3, 6, 4, 2, 5} // a, b, c, b, a, b
	q, err := resolveQuorum("R", wire.Need{Level: wire.LevelEachQuorum}, wire.Need{}, reps, dcOf, "a")
	require.NoError(t, err)
	require.Equal(t, `EACH_QUORUM (2 in "a", 2 in "b", 1 in "c")`, q.describe(6))
	st := []uint8{stOK, stOK, stPending, stOK, stOK, stPending}
	require.False(t, q.met(st), "c has not answered")
	st[2] = stOK
	require.True(t, q.met(st))
	st[4] = stFailed
	require.False(t, q.met(st), "a lost its majority")
	require.False(t, q.reachable(st))
}

func membership(t *testing.T, version uint64, ids, addrs []wire.Addr) *ring.Membership {
	t.Helper()
	var ms []ring.Member
	for i := range ids {
		ms = append(ms, ring.Member{ID: ids[i], Addr: addrs[i], DC: "a"})
	}
	m, err := ring.NewMembership(version, ring.Config{VNodes: 8}, ms)
	require.NoError(t, err)
	return m
}

func TestSuspicionForgetsAfterAnAnswerOrTheTimeout(t *testing.T) {
	s := NewSuspicion(membership(t, 1, []wire.Addr{0, 1, 2}, []wire.Addr{0, 1, 2}), time.Second)
	t0 := time.Unix(100, 0)
	require.True(t, s.Up(2, t0), "members never heard of are believed up")
	s.Missed(2, t0)
	require.False(t, s.Up(2, t0.Add(500*time.Millisecond)))
	require.True(t, s.Up(2, t0.Add(time.Second)), "suspicion expires")
	s.Missed(2, t0.Add(2*time.Second))
	s.Answered(2, t0.Add(2100*time.Millisecond))
	require.True(t, s.Up(2, t0.Add(2200*time.Millisecond)), "an answer clears it")
	s.Missed(9, t0)
	require.True(t, s.Up(9, t0), "an address outside the ring version is not tracked")
}

// Suspicion is kept per member, not per address: members at large, sparse
// addresses (far above the member count) are tracked like any other, and
// a new ring version keeps what was known of the members it keeps.
func TestSuspicionIsKeyedByMemberWhateverTheAddresses(t *testing.T) {
	ids := []wire.Addr{7, 3, 500}
	addrs := []wire.Addr{1 << 30, 40_000, 2}
	s := NewSuspicion(membership(t, 1, ids, addrs), time.Second)
	t0 := time.Unix(100, 0)
	for _, a := range addrs {
		s.Missed(a, t0)
		require.False(t, s.Up(a, t0.Add(time.Millisecond)), "address %d", a)
	}
	s.Answered(40_000, t0.Add(2*time.Millisecond))
	require.True(t, s.Up(40_000, t0.Add(3*time.Millisecond)))
	require.Len(t, s.missed, 3, "one entry per member, not per address")

	// Version 2: member 500 leaves, member 9 joins at address 1<<20, and
	// member 7 moves to a new address. Suspicion follows the member IDs.
	m2 := membership(t, 2, []wire.Addr{7, 3, 9}, []wire.Addr{5, 40_000, 1 << 20})
	s.SetMembership(m2)
	require.Same(t, m2, s.Membership())
	require.False(t, s.Up(5, t0.Add(time.Millisecond)), "member 7 is still suspected at its new address")
	require.True(t, s.Up(1<<30, t0.Add(time.Millisecond)), "its old address is no member any more")
	require.True(t, s.Up(1<<20, t0.Add(time.Millisecond)), "a new member starts unsuspected")
	s.Missed(1<<20, t0)
	require.False(t, s.Up(1<<20, t0.Add(time.Millisecond)), "and is tracked")
	require.True(t, s.Up(2, t0.Add(time.Millisecond)), "the address of the member that left is not tracked")
	require.Len(t, s.missed, 3)
}

func TestConfigValidation(t *testing.T) {
	require.NoError(t, Config{}.Validate())
	c := Config{}.WithDefaults()
	require.Equal(t, DefaultRequestTimeout+DefaultForwardSlack, c.ForwardTimeout)
	require.Equal(t, ReadRepairAsync, c.ReadRepair)
	for name, bad := range map[string]Config{
		"forward below request": {RequestTimeout: time.Second, ForwardTimeout: time.Millisecond},
		"negative timeout":      {RequestTimeout: -1},
		"read repair":           {ReadRepair: 9},
		"pending":               {MaxPending: -1},
		"limits":                {Limits: wire.Limits{ValueSizeBytes: wire.MaxValueBytes + 1}},
		"level":                 {W: wire.Need{Level: 99}},
	} {
		require.Error(t, bad.Validate(), name)
	}
	for _, s := range []string{"off", "async", "blocking"} {
		m, err := ParseReadRepair(s)
		require.NoError(t, err)
		require.Equal(t, s, m.String())
	}
	_, err := ParseReadRepair("sometimes")
	require.Error(t, err)
}
