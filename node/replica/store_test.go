package replica

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/wire"
)

func versioner(t *testing.T, m versions.Mode) *versions.Versioner {
	t.Helper()
	v, err := versions.New(versions.Config{Mode: m, MaxSiblings: 3})
	require.NoError(t, err)
	return v
}

var (
	actorA = wire.ActorOf(1, 1)
	actorB = wire.ActorOf(2, 1)
)

func update(t *testing.T, v *versions.Versioner, stored wire.SiblingSet, a wire.ActorID, ctx wire.Clock, val string) wire.SiblingSet {
	t.Helper()
	s, err := v.Update(stored, versions.Write{Actor: a, Context: ctx, Value: []byte(val), NowNs: 1})
	require.NoError(t, err)
	return s
}

func TestStorageKeysSortInRingOrder(t *testing.T) {
	keys := [][]byte{[]byte("a"), []byte("b"), []byte("zz"), []byte("k17")}
	for i := range keys {
		for j := range keys {
			hi, hj := ring.HashKey(keys[i]), ring.HashKey(keys[j])
			ki := appendDataKey(nil, keys[i], hi)
			kj := appendDataKey(nil, keys[j], hj)
			if hi < hj {
				require.Negative(t, bytes.Compare(ki, kj), "storage order follows ring order")
			}
			require.Len(t, ki, dataKeyLen(len(keys[i])))
		}
	}
}

func TestReadOfAbsentKeyIsEmpty(t *testing.T) {
	s := NewStore(newMapEngine(), versioner(t, versions.ModeDVV), 0)
	set, err := s.Read([]byte("k"), 7)
	require.NoError(t, err)
	require.Empty(t, set.Siblings)
	require.Empty(t, set.Context)
	require.False(t, s.Dirty())
}

func TestMergeKeepsConcurrentDropsDominatedAndSkipsNoOps(t *testing.T) {
	for _, mode := range []versions.Mode{versions.ModeVClock, versions.ModeDVV} {
		t.Run(mode.String(), func(t *testing.T) {
			v := versioner(t, mode)
			eng := newMapEngine()
			s := NewStore(eng, v, 1<<20)
			key, h := []byte("k"), ring.HashKey([]byte("k"))

			a1 := update(t, v, wire.SiblingSet{}, actorA, nil, "a1")
			merged, wrote, err := s.Merge(key, h, a1)
			require.NoError(t, err)
			require.True(t, wrote)
			require.True(t, versions.EqualSets(a1, merged))
			require.True(t, s.Dirty())

			// The same set again changes nothing and writes nothing.
			puts := s.Stats().Puts
			_, wrote, err = s.Merge(key, h, a1)
			require.NoError(t, err)
			require.False(t, wrote)
			require.Equal(t, puts, s.Stats().Puts)

			// A concurrent version from another coordinator is kept.
			b1 := update(t, v, wire.SiblingSet{}, actorB, nil, "b1")
			merged, wrote, err = s.Merge(key, h, b1)
			require.NoError(t, err)
			require.True(t, wrote)
			require.Equal(t, 2, versions.Live(merged))

			// A version written with the merged context dominates both.
			c := update(t, v, b1, actorB, v.Context(merged), "c")
			merged, _, err = s.Merge(key, h, c)
			require.NoError(t, err)
			require.Equal(t, [][]byte{[]byte("c")}, versions.Values(merged, nil))

			// A dominated (older) set leaves the stored one untouched.
			_, wrote, err = s.Merge(key, h, a1)
			require.NoError(t, err)
			require.False(t, wrote)
			got, err := s.Read(key, h)
			require.NoError(t, err)
			require.True(t, versions.EqualSets(merged, got))
		})
	}
}

func TestMergeRefusesMalformedAndOverLimitSets(t *testing.T) {
	v := versioner(t, versions.ModeDVV)
	s := NewStore(newMapEngine(), v, 1<<20)
	key, h := []byte("k"), uint64(1)
	bad := wire.SiblingSet{Siblings: []wire.Sibling{{Dot: wire.Dot{Actor: actorA, Counter: 1}, Value: []byte("x")}}}
	_, _, err := s.Merge(key, h, bad)
	require.Error(t, err)
	require.True(t, Refused(err), "a dot outside the context is malformed: %v", err)

	// Concurrent writers: a merge may go past the client-write limit of
	// three siblings (replicas each under it can hold more together), up
	// to what a set can carry, wire.MaxSiblings; one more is refused.
	for i := 0; i < wire.MaxSiblings; i++ {
		_, _, err := s.Merge(key, h, update(t, v, wire.SiblingSet{}, wire.ActorOf(wire.Addr(i), 1), nil, "v"))
		require.NoError(t, err, "writer %d", i)
	}
	_, _, err = s.Merge(key, h, update(t, v, wire.SiblingSet{}, wire.ActorOf(9999, 1), nil, "v"))
	require.ErrorIs(t, err, versions.ErrTooMany)
	require.True(t, Refused(err))
	got, err := s.Read(key, h)
	require.NoError(t, err)
	require.Len(t, got.Siblings, wire.MaxSiblings, "nothing was written")
}

func TestSyncMakesWritesDurable(t *testing.T) {
	v := versioner(t, versions.ModeDVV)
	eng := newMapEngine()
	s := NewStore(eng, v, 1<<20)
	key, h := []byte("k"), uint64(3)
	require.NoError(t, s.Put(key, h, update(t, v, wire.SiblingSet{}, actorA, nil, "x")))
	require.True(t, s.Dirty())
	eng.crash()
	s = NewStore(eng, v, 1<<20) // a crash takes the process, row cache included
	got, err := s.Read(key, h)
	require.NoError(t, err)
	require.Empty(t, got.Siblings, "unsynced write lost by the crash")

	require.NoError(t, s.Put(key, h, update(t, v, wire.SiblingSet{}, actorA, nil, "y")))
	require.NoError(t, s.Sync())
	require.False(t, s.Dirty())
	eng.crash()
	s = NewStore(eng, v, 1<<20)
	got, err = s.Read(key, h)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("y")}, versions.Values(got, nil))

	// A failing sync leaves the store dirty and says so.
	require.NoError(t, s.Put(key, h, got))
	eng.syncErr = errDisk
	require.ErrorIs(t, s.Sync(), errDisk)
	require.True(t, s.Dirty())
	require.Equal(t, uint64(1), s.Stats().SyncErrors)
}

func TestCorruptStoredSetIsAnErrorNotData(t *testing.T) {
	v := versioner(t, versions.ModeDVV)
	eng := newMapEngine()
	s := NewStore(eng, v, 1<<20)
	key, h := []byte("k"), uint64(3)
	eng.cur[string(appendDataKey(nil, key, h))] = []byte{0xff, 0xff}
	_, err := s.Read(key, h)
	require.ErrorIs(t, err, wire.ErrMalformed)
	eng.getErr = errDisk
	_, err = s.Read(key, h)
	require.ErrorIs(t, err, errDisk)
}

func TestRowCacheAgreesWithTheEngineAndStaysWithinItsBound(t *testing.T) {
	v := versioner(t, versions.ModeDVV)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, limit := range []int64{1200, 64 << 10} {
		eng := newMapEngine()
		cached := NewStore(eng, v, limit)
		plain := NewStore(eng, v, 0)
		for i := 0; i < 2000; i++ {
			key := []byte(fmt.Sprint("k", rng.IntN(40)))
			h := ring.HashKey(key)
			if rng.IntN(2) == 0 {
				stored, err := cached.Read(key, h)
				require.NoError(t, err)
				next := update(t, v, stored, wire.ActorOf(wire.Addr(rng.IntN(3)), 1), v.Context(stored), fmt.Sprint("v", i))
				require.NoError(t, cached.Put(key, h, next))
			}
			a, err := cached.Read(key, h)
			require.NoError(t, err)
			b, err := plain.Read(key, h)
			require.NoError(t, err)
			require.True(t, versions.EqualSets(a, b), "the cache returns what the engine holds")
			require.LessOrEqual(t, cached.Stats().CacheBytes, limit)
		}
		st := cached.Stats()
		require.Positive(t, st.CacheHits)
		require.Positive(t, st.CacheMisses)
	}
}
