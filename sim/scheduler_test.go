package sim

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSchedulerOrdersByTimeThenInsertion(t *testing.T) {
	type ev struct {
		at  Time
		seq int
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		var s Scheduler[int]
		var want []ev
		n := 1 + rng.IntN(500)
		for i := 0; i < n; i++ {
			at := Time(rng.IntN(50)) // many ties
			s.Schedule(at, i)
			want = append(want, ev{at, i})
		}
		sort.SliceStable(want, func(a, b int) bool { return want[a].at < want[b].at })
		for _, w := range want {
			at, got, ok := s.Pop()
			require.True(t, ok)
			require.Equal(t, w.at, at)
			require.Equal(t, w.seq, got)
			require.Equal(t, at, s.Now())
		}
		_, _, ok := s.Pop()
		require.False(t, ok)
	}
}

func TestSchedulerInterleavedScheduleAndPop(t *testing.T) {
	// A reference model: a sorted slice. Events scheduled while running,
	// some in the past (clamped to now).
	rng := rand.New(rand.NewPCG(3, 4))
	var s Scheduler[int]
	type ev struct {
		at  Time
		seq int
	}
	var model []ev
	next := 0
	add := func(at Time) {
		if at < s.Now() {
			at = s.Now()
		}
		s.Schedule(at, next)
		model = append(model, ev{at, next})
		next++
	}
	for i := 0; i < 20; i++ {
		add(Time(rng.IntN(100)))
	}
	for step := 0; step < 5000 && len(model) > 0; step++ {
		sort.SliceStable(model, func(a, b int) bool {
			return model[a].at < model[b].at || (model[a].at == model[b].at && model[a].seq < model[b].seq)
		})
		at, got, ok := s.Pop()
		require.True(t, ok)
		require.Equal(t, model[0].at, at)
		require.Equal(t, model[0].seq, got)
		model = model[1:]
		for k := rng.IntN(3); k > 0; k-- {
			add(s.Now() + Time(rng.IntN(100)) - 20)
		}
	}
}

// Mostly in-order arrivals (the FIFO lane's case) mixed with out-of-order
// ones (the heap's), with long enough runs that the lane reclaims its
// consumed prefix while keys are pending: the pop order is exactly the
// sorted (time, insertion) order.
func TestSchedulerLaneAndHeapKeepTheOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var s Scheduler[int]
	type ev struct {
		at  Time
		seq int
	}
	var model []ev
	next := 0
	last := Time(0)
	add := func() {
		at := last + Time(rng.IntN(3)) // in order, often tied
		if rng.IntN(4) == 0 {
			at = s.Now() + Time(rng.IntN(int(last-s.Now())+1)) // anywhere pending
		} else {
			last = at
		}
		s.Schedule(at, next)
		model = append(model, ev{at, next})
		next++
	}
	for i := 0; i < 3000; i++ {
		add()
	}
	for step := 0; step < 20000 && len(model) > 0; step++ {
		if step%500 == 0 {
			sort.SliceStable(model, func(a, b int) bool {
				return model[a].at < model[b].at || (model[a].at == model[b].at && model[a].seq < model[b].seq)
			})
		}
		at, got, ok := s.Pop()
		require.True(t, ok)
		require.Equal(t, model[0], ev{at, got}, "step %d", step)
		model = model[1:]
		require.Equal(t, len(model), s.Len())
		if step < 15000 {
			add()
			// Keep the model sorted: insert the new event in place.
			e := model[len(model)-1]
			i := sort.Search(len(model)-1, func(i int) bool {
				return model[i].at > e.at || (model[i].at == e.at && model[i].seq > e.seq)
			})
			copy(model[i+1:], model[i:len(model)-1])
			model[i] = e
		}
	}
}

func TestRunLimits(t *testing.T) {
	var s Scheduler[int]
	for i := 1; i <= 10; i++ {
		s.Schedule(Time(i*10), i)
	}
	var seen []int
	collect := func(_ Time, e *int) bool { seen = append(seen, *e); return true }

	require.Equal(t, Budget, s.Run(Limit{MaxEvents: 3}, collect))
	require.Equal(t, []int{1, 2, 3}, seen)

	require.Equal(t, Deadline, s.Run(Limit{Until: 55}, collect))
	require.Equal(t, []int{1, 2, 3, 4, 5}, seen)
	require.Equal(t, Time(55), s.Now(), "a deadline advances time to it")

	require.Equal(t, Stopped, s.Run(Limit{}, func(_ Time, e *int) bool { seen = append(seen, *e); return *e != 7 }))
	require.Equal(t, []int{1, 2, 3, 4, 5, 6, 7}, seen)

	require.Equal(t, Quiescent, s.Run(Limit{Until: 1000}, collect))
	require.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, seen)
	require.Equal(t, Time(1000), s.Now())
	require.Equal(t, uint64(10), s.Processed())
}

func TestSchedulerNeverGoesBack(t *testing.T) {
	var s Scheduler[int]
	s.Schedule(100, 1)
	s.Pop()
	s.Schedule(5, 2) // in the past
	at, _, _ := s.Pop()
	require.Equal(t, Time(100), at)
}

func TestSchedulerSteadyStateDoesNotAllocate(t *testing.T) {
	var s Scheduler[event]
	for i := 0; i < 1000; i++ {
		s.Schedule(Time(i), event{kind: evWake})
	}
	allocs := testing.AllocsPerRun(10000, func() {
		at, e, _ := s.Pop()
		s.Schedule(at+1000, e)
	})
	require.Zero(t, allocs)
}
