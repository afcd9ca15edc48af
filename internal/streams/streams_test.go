package streams

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSameNameSameSequence(t *testing.T) {
	src := New(42)
	a, b := src.Stream("node/1"), src.Stream("node/1")
	for i := 0; i < 100; i++ {
		require.Equal(t, a.Uint64(), b.Uint64())
	}
}

func TestNamesAndSeedsAreIndependent(t *testing.T) {
	first := func(s Source, name string) uint64 { return s.Stream(name).Uint64() }
	seen := map[uint64]string{}
	for _, seed := range []uint64{0, 1, 42} {
		for _, name := range []string{"node/1", "node/2", "link/1->2", "link/2->1", ""} {
			v := first(New(seed), name)
			_, dup := seen[v]
			require.False(t, dup, "stream %q seed %d collides with %s", name, seed, seen[v])
			seen[v] = name
		}
	}
}
