package sim

import (
	"math/rand/v2"
	"slices"
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

// scheduleModel is the reference the order tests check the scheduler
// against: every pending event, kept sorted by (time, insertion).
type scheduleModel struct {
	s       *Scheduler[int]
	pending []modelEvent
	next    int
}

type modelEvent struct {
	at  Time
	seq int
}

// schedule schedules the next event at at (clamped to now, as the
// scheduler does) in both the scheduler and the model.
func (m *scheduleModel) schedule(at Time) {
	at = max(at, m.s.Now())
	m.s.Schedule(at, m.next)
	// Sequence numbers only grow, so the new event goes after every pending
	// one at the same time.
	i := sort.Search(len(m.pending), func(i int) bool { return m.pending[i].at > at })
	m.pending = slices.Insert(m.pending, i, modelEvent{at, m.next})
	m.next++
}

// popAndCheck pops one event and requires it to be the model's first.
func (m *scheduleModel) popAndCheck(t *testing.T, step int) {
	t.Helper()
	at, got, ok := m.s.Pop()
	require.True(t, ok, "step %d", step)
	require.Equal(t, m.pending[0], modelEvent{at, got}, "step %d", step)
	require.Equal(t, at, m.s.Now())
	m.pending = m.pending[1:]
	require.Equal(t, len(m.pending), m.s.Len(), "step %d", step)
}

// Events scheduled while running, some in the past (clamped to now).
func TestSchedulerInterleavedScheduleAndPop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := &scheduleModel{s: new(Scheduler[int])}
	for i := 0; i < 20; i++ {
		m.schedule(Time(rng.IntN(100)))
	}
	for step := 0; step < 5000 && len(m.pending) > 0; step++ {
		m.popAndCheck(t, step)
		for k := rng.IntN(3); k > 0; k-- {
			m.schedule(m.s.Now() + Time(rng.IntN(100)) - 20)
		}
	}
}

// Mostly in-order arrivals (the FIFO lane's case) mixed with out-of-order
// ones (the heap's), with long enough runs that the lane reclaims its
// consumed prefix while keys are pending: the pop order is exactly the
// sorted (time, insertion) order.
func TestSchedulerLaneAndHeapKeepTheOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := &scheduleModel{s: new(Scheduler[int])}
	last := Time(0)
	add := func() {
		at := last + Time(rng.IntN(3)) // in order, often tied
		if rng.IntN(4) == 0 {
			at = m.s.Now() + Time(rng.IntN(int(last-m.s.Now())+1)) // anywhere pending
		} else {
			last = at
		}
		m.schedule(at)
	}
	for i := 0; i < 3000; i++ {
		add()
	}
	for step := 0; step < 20000 && len(m.pending) > 0; step++ {
		m.popAndCheck(t, step)
		if step < 15000 {
			add()
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

func TestLaneOfIsOneLanePerBinaryOrder(t *testing.T) {
	require.Equal(t, 0, laneOf(0))
	require.Equal(t, 1, laneOf(1))
	for i := 1; i < 63; i++ {
		lo, hi := Time(1)<<(i-1), Time(1)<<i-1
		require.Equal(t, i, laneOf(lo), "delay 2^%d", i-1)
		require.Equal(t, i, laneOf(hi), "delay 2^%d-1", i)
	}
	require.Equal(t, 63, laneOf(Time(1)<<62))
	require.Equal(t, 63, laneOf(Time(1<<63-1)))
}

// Delays eight binary orders apart (sub-millisecond messages, a timer of a
// few hundred milliseconds) must not share a lane: with a shared lane the
// far timer would be the lane's last key and every later message would
// have to go through the heap.
func TestFarTimerDoesNotDivertNearStreamToHeap(t *testing.T) {
	var s Scheduler[int]
	s.Schedule(200*Time(1e6), -1) // 200 ms: bit length 28
	for i := 0; i < 100; i++ {
		s.Schedule(s.Now()+Time(700e3), i) // 0.7 ms: bit length 20
		if i%2 == 1 {
			_, got, ok := s.Pop()
			require.True(t, ok)
			require.Equal(t, i/2, got)
		}
	}
	require.Empty(t, s.heap, "in-order streams of different delays stay in their lanes")
	require.Equal(t, 51, s.Len())
}

// The real Run path against the reference model: deadlines (some exactly
// at a pending event's time), event budgets, handler stops, and events
// scheduled from inside the handler. Delays spread from 0 to 2^36 ns, and
// a few fixed-delay streams, so keys fill many lanes, share lanes and
// overflow to the heap. Every handled event must be the model's next, and
// every stop reason and Now must be what the model predicts.
func TestSchedulerRunMatchesModel(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 60
	}
	for seed := 0; seed < seeds; seed++ {
		runModelRound(t, uint64(seed))
		if t.Failed() {
			return
		}
	}
}

func runModelRound(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	m := &scheduleModel{s: new(Scheduler[int])}
	streams := []Time{0, 1, 700e3, 1 << 20, 5e6, 200e6, 1 << 36}
	delay := func() Time {
		if rng.IntN(2) == 0 {
			return streams[rng.IntN(len(streams))]
		}
		return Time(rng.Int64N(int64(1) << rng.IntN(37))) // 0 .. 2^36-1
	}
	for i := 0; i < 30; i++ {
		m.schedule(delay())
	}
	budget := 1500 // events the handlers may still add
	for call := 0; len(m.pending) > 0 || call < 3; call++ {
		require.Less(t, call, 10000, "seed %d: the run must end", seed)
		var lim Limit
		switch rng.IntN(4) {
		case 0: // deadline exactly at a pending event's time
			if len(m.pending) > 0 {
				lim.Until = m.pending[rng.IntN(len(m.pending))].at
			}
		case 1:
			lim.Until = m.s.Now() + delay()
		}
		if rng.IntN(2) == 0 {
			lim.MaxEvents = uint64(1 + rng.IntN(40))
		}
		stopAfter := -1 // the handler call that returns false, if any
		if rng.IntN(5) == 0 {
			stopAfter = rng.IntN(20)
		}
		last := m.s.Now() // the time of the last event handled
		handled := 0
		stopped := false
		reason := m.s.Run(lim, func(at Time, e *int) bool {
			require.NotEmpty(t, m.pending, "seed %d: handled an event the model lacks", seed)
			require.Equal(t, m.pending[0], modelEvent{at, *e}, "seed %d call %d event %d", seed, call, handled)
			require.Equal(t, at, m.s.Now())
			if lim.Until > 0 {
				require.LessOrEqual(t, at, lim.Until, "seed %d: ran past the deadline", seed)
			}
			id := *e
			m.pending = m.pending[1:]
			last = at
			for k := rng.IntN(3); k > 0 && budget > 0; k-- {
				m.schedule(m.s.Now() + delay())
				budget--
			}
			require.Equal(t, id, *e, "seed %d: the event changed while its handler scheduled others", seed)
			handled++
			if handled-1 == stopAfter {
				stopped = true
				return false
			}
			return true
		})
		require.Equal(t, len(m.pending), m.s.Len(), "seed %d call %d", seed, call)
		switch {
		case stopped:
			require.Equal(t, Stopped, reason, "seed %d call %d", seed, call)
		case lim.MaxEvents > 0 && uint64(handled) == lim.MaxEvents:
			require.Equal(t, Budget, reason, "seed %d call %d", seed, call)
		case len(m.pending) == 0:
			require.Equal(t, Quiescent, reason, "seed %d call %d", seed, call)
			require.Equal(t, max(last, lim.Until), m.s.Now(), "seed %d call %d", seed, call)
		default:
			require.Equal(t, Deadline, reason, "seed %d call %d", seed, call)
			require.Positive(t, lim.Until)
			require.Greater(t, m.pending[0].at, lim.Until)
			require.Equal(t, max(last, lim.Until), m.s.Now(), "seed %d call %d", seed, call)
		}
		if lim.MaxEvents > 0 {
			require.LessOrEqual(t, uint64(handled), lim.MaxEvents)
		}
	}
	require.Equal(t, uint64(m.next), m.s.Processed(), "seed %d: every event handled once", seed)
}
