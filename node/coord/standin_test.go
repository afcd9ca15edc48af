package coord

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/node/versions"
	"dynasim/wire"
)

func standInSet(actor wire.ActorID, counter uint64, value string) wire.SiblingSet {
	d := wire.Dot{Actor: actor, Counter: counter}
	return wire.SiblingSet{Siblings: []wire.Sibling{{Value: []byte(value), Dot: d, Clock: wire.Clock{{Actor: actor, Counter: counter}}}}}
}

// The stand-in memory gives back what was put, owns its bytes, refuses
// what would exceed its bound (with the sizes in the error) and forgets
// everything on reset.
func TestStandInMemory(t *testing.T) {
	a := wire.ActorOf(3, 1)
	set := standInSet(a, 1, "v1")
	size := set.EncodedSize() + len("k") + entryOverhead
	s := newStandIns(2*size + 10)

	got, err := s.get([]byte("k"))
	require.NoError(t, err)
	require.Empty(t, got.Siblings)

	require.NoError(t, s.put([]byte("k"), set))
	set.Siblings[0].Value[0] = 'X' // the caller's bytes are not the memory's
	got, err = s.get([]byte("k"))
	require.NoError(t, err)
	require.True(t, versions.EqualSets(got, standInSet(a, 1, "v1")))
	require.Equal(t, size, s.bytes)

	// Replacing a key's set costs only the difference.
	require.NoError(t, s.put([]byte("k"), standInSet(a, 2, "v2")))
	require.Equal(t, size, s.bytes)
	require.NoError(t, s.put([]byte("j"), standInSet(a, 1, "v1")))
	err = s.put([]byte("i"), standInSet(a, 1, "v1"))
	require.ErrorContains(t, err, "stand-in memory is full")
	require.ErrorContains(t, err, "StandInMaxBytes")

	s.reset()
	require.Zero(t, s.bytes)
	got, err = s.get([]byte("k"))
	require.NoError(t, err)
	require.Empty(t, got.Siblings)
}

func TestStandInMaxBytesValidated(t *testing.T) {
	require.NoError(t, Config{}.Validate())
	require.Equal(t, DefaultStandInMaxBytes, Config{}.WithDefaults().StandInMaxBytes)
	require.ErrorContains(t, Config{StandInMaxBytes: -1}.Validate(), "StandInMaxBytes")
	require.ErrorContains(t, Config{StandInMaxBytes: MaxStandInMaxBytes + 1}.Validate(), "StandInMaxBytes")
}
