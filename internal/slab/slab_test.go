package slab

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Every value New hands out is zero and distinct, across block boundaries,
// and writing one never touches another.
func TestNewHandsOutDistinctZeroValues(t *testing.T) {
	type msg struct {
		id   int
		body []byte
	}
	var a Allocator[msg]
	seen := map[*msg]bool{}
	var all []*msg
	for i := 0; i < 3*blockLen+5; i++ {
		m := a.New()
		require.Equal(t, msg{}, *m)
		require.False(t, seen[m], "value %d handed out twice", i)
		seen[m] = true
		m.id, m.body = i, []byte{byte(i)}
		all = append(all, m)
	}
	for i, m := range all {
		require.Equal(t, msg{id: i, body: []byte{byte(i)}}, *m)
	}
}

// blockLen New calls cost one allocation (the block), not one each.
func TestNewAllocatesOneBlockPerBlockLenValues(t *testing.T) {
	type msg struct {
		id   int
		body []byte
	}
	var a Allocator[msg]
	var last *msg
	allocs := testing.AllocsPerRun(20, func() {
		for i := range blockLen {
			last = a.New()
			last.id = i
		}
	})
	require.LessOrEqual(t, allocs, 1.0)
	require.NotNil(t, last)
	require.Equal(t, blockLen-1, last.id)
	require.Nil(t, last.body, "New returns a zero value")
}
