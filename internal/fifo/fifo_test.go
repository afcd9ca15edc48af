package fifo

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkAgainst requires q to hold exactly model, oldest first.
func checkAgainst(t *testing.T, q *Queue[int], model []int, step int) {
	t.Helper()
	require.Equal(t, len(model), q.Len(), "step %d", step)
	f, okF := q.Front()
	b, okB := q.Back()
	require.Equal(t, len(model) > 0, okF, "step %d", step)
	require.Equal(t, len(model) > 0, okB, "step %d", step)
	if len(model) > 0 {
		require.Equal(t, model[0], f, "step %d", step)
		require.Equal(t, model[len(model)-1], b, "step %d", step)
	}
	if step%97 == 0 {
		require.Equal(t, append([]int{}, model...), append([]int{}, q.items[q.head:]...), "step %d", step)
	}
}

// Random pushes, pops and retains against a plain slice, in phases that
// grow the queue well past minReclaim, drain it, and hover: every Len,
// Front, Back and Pop must match the slice.
func TestQueueMatchesSliceModel(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		var q Queue[int]
		var model []int
		next := 0
		for step := 0; step < 20000; step++ {
			pushBias := []int{80, 50, 20}[(step/2000)%3]
			switch r := rng.IntN(1000); {
			case r < 2: // rare: drop every item with a given residue
				m := 2 + rng.IntN(3)
				q.Retain(func(v int) bool { return v%m != 0 })
				kept := model[:0:0]
				for _, v := range model {
					if v%m != 0 {
						kept = append(kept, v)
					}
				}
				model = kept
			case r%100 < pushBias:
				q.Push(next)
				model = append(model, next)
				next++
			default:
				v, ok := q.Pop()
				require.Equal(t, len(model) > 0, ok, "step %d", step)
				if ok {
					require.Equal(t, model[0], v, "step %d", step)
					model = model[1:]
				}
			}
			checkAgainst(t, &q, model, step)
		}
	}
}

// A queue that never drains reclaims its consumed prefix: the backing
// slice stays within a small multiple of the pending items, and the order
// is kept across every reclaim.
func TestQueueReclaimKeepsOrderAndBoundsMemory(t *testing.T) {
	var q Queue[int]
	const live = 100
	for i := 0; i < live; i++ {
		q.Push(i)
	}
	reclaims := 0
	for i := live; i < 50*minReclaim; i++ {
		q.Push(i)
		headBefore := q.head
		v, ok := q.Pop()
		require.True(t, ok)
		require.Equal(t, i-live, v)
		if q.head < headBefore {
			reclaims++
		}
		require.LessOrEqual(t, len(q.items), 2*minReclaim+live+1)
		require.LessOrEqual(t, q.Cap(), 4*minReclaim)
	}
	require.Greater(t, reclaims, 10, "the prefix must be reclaimed while items are pending")
	require.Equal(t, live, q.Len())
}

// Popped, reclaimed and dropped slots are zeroed, so the queue does not
// keep what they pointed to alive.
func TestQueueZeroesVacatedSlots(t *testing.T) {
	var q Queue[*int]
	for i := 0; i < 3*minReclaim; i++ {
		v := i
		q.Push(&v)
	}
	for i := 0; i < 2*minReclaim; i++ {
		_, ok := q.Pop()
		require.True(t, ok)
	}
	full := q.items[:cap(q.items)]
	for i := q.head + q.Len(); i < len(full); i++ {
		require.Nil(t, full[i], "slot %d past the pending items", i)
	}
	for i := 0; i < q.head; i++ {
		require.Nil(t, full[i], "consumed slot %d", i)
	}

	q.Retain(func(p *int) bool { return *p%2 == 0 })
	require.Equal(t, minReclaim/2, q.Len())
	full = q.items[:cap(q.items)]
	for i := q.Len(); i < len(full); i++ {
		require.Nil(t, full[i], "slot %d dropped by Retain", i)
	}
	front, _ := q.Front()
	require.Equal(t, 2*minReclaim, *front)
}

func TestEmptyQueueReportsEmpty(t *testing.T) {
	var q Queue[string]
	_, ok := q.Pop()
	require.False(t, ok)
	_, ok = q.Front()
	require.False(t, ok)
	_, ok = q.Back()
	require.False(t, ok)
	q.Push("a")
	q.Retain(func(string) bool { return false })
	require.Zero(t, q.Len())
	_, ok = q.Pop()
	require.False(t, ok)
}

// In steady state, with as many pushes as pops, the queue does not
// allocate: reclaiming reuses the backing array.
func TestQueueSteadyStateDoesNotAllocate(t *testing.T) {
	var q Queue[int]
	for i := 0; i < 500; i++ {
		q.Push(i)
	}
	for i := 0; i < 4*minReclaim; i++ { // reach the steady-state capacity
		q.Push(i)
		q.Pop()
	}
	i := 0
	allocs := testing.AllocsPerRun(10*minReclaim, func() {
		q.Push(i)
		q.Pop()
		i++
	})
	require.Zero(t, allocs)
}

func BenchmarkQueuePushPop(b *testing.B) {
	var q Queue[int]
	for i := 0; i < 100; i++ {
		q.Push(i)
	}
	for i := 0; b.Loop(); i++ {
		q.Push(i)
		q.Pop()
	}
}
