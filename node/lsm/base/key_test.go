package base

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInternalKeyOrder(t *testing.T) {
	a1 := AppendInternalKey(nil, []byte("a"), 1, KindSet)
	a2 := AppendInternalKey(nil, []byte("a"), 2, KindDelete)
	b1 := AppendInternalKey(nil, []byte("b"), 1, KindSet)
	ab := AppendInternalKey(nil, []byte("ab"), 9, KindSet)
	require.Negative(t, CompareInternal(a2, a1), "newer version first")
	require.Negative(t, CompareInternal(a1, ab), "user key decides first")
	require.Negative(t, CompareInternal(ab, b1))
	require.Zero(t, CompareInternal(a1, a1))
	require.Negative(t, CompareInternal(SearchKey(nil, []byte("a"), 2), a2), "search key sorts before the entry at its sequence")
	require.Equal(t, uint64(2), Seq(a2))
	require.Equal(t, KindDelete, KindOf(a2))
	require.Equal(t, KindSet, KindOf(a1))
	require.Equal(t, KindSet, KindOf(AppendInternalKey(nil, []byte("x"), MaxSeq, KindSet)))
	require.Equal(t, uint64(MaxSeq), Seq(AppendInternalKey(nil, []byte("x"), MaxSeq, KindSet)))
	require.Equal(t, []byte("ab"), UserKey(ab))
}

func TestCorruptionError(t *testing.T) {
	err := Corruptf("dir/000001.log", 4096, "payload checksum mismatch")
	require.True(t, errors.Is(err, ErrCorruption))
	require.Equal(t, "lsm: corruption in dir/000001.log at offset 4096: payload checksum mismatch", err.Error())
}
