package coord

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestExpiryQueueIsNeverEarlyAndCompacts(t *testing.T) {
	q := newExpiryQueue(100*time.Millisecond, 30*time.Millisecond)
	require.Equal(t, uint64(5), q.ticks, "ceil(100/30)+1")
	for id := uint64(1); id <= 10; id++ {
		q.push(id/4, id) // ids 1-3 at tick 0, 4-7 at tick 1, 8-10 at tick 2
	}
	_, ok := q.due(4)
	require.False(t, ok, "nothing admitted at tick 0 expires before tick 5")
	var got []uint64
	for {
		id, ok := q.due(6)
		if !ok {
			break
		}
		got = append(got, id)
	}
	require.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7}, got)

	live := map[uint64]bool{9: true}
	q.compact(func(id uint64) bool { return live[id] }, 10)
	require.Equal(t, 3, q.len(), "under the limit nothing is dropped")
	q.compact(func(id uint64) bool { return live[id] }, 1)
	require.Equal(t, 1, q.len())
	id, ok := q.due(7)
	require.True(t, ok)
	require.Equal(t, uint64(9), id)
	require.Zero(t, q.len())
}

// A queue that never drains (a busy node: requests keep arriving while
// earlier ones expire) keeps its order and does not grow with the number
// of requests it has seen, only with those not yet due.
func TestExpiryQueueThatNeverDrainsStaysBounded(t *testing.T) {
	q := newExpiryQueue(time.Second, 100*time.Millisecond) // 11 ticks
	next := uint64(1)
	want := uint64(1)
	for tick := uint64(0); tick < 2000; tick++ {
		for range 100 {
			q.push(tick, next)
			next++
		}
		for {
			id, ok := q.due(tick)
			if !ok {
				break
			}
			require.Equal(t, want, id)
			want++
		}
		require.Equal(t, int(next-want), q.len())
	}
	require.Equal(t, uint64(2000-11)*100+1, want, "everything due has expired, in order")
	require.LessOrEqual(t, q.entries.Cap(), 8*1100, "capacity follows the pending entries, not all ever pushed")
}
