package autoscale

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A synthetic trace: the offered rate ramps from 200 to 1000 requests/s
// and back to 100. The autoscaler adds members while the per-member load
// stays above 150 for the window, removes them when it stays below 60,
// never leaves [2, 6], waits out the cooldown and in-progress changes,
// and ignores a one-interval spike.
func TestDecisionsOnSyntheticTrace(t *testing.T) {
	a, err := New(Policy{ScaleUpAbove: 150, ScaleDownBelow: 60, Window: 3 * time.Second, Interval: time.Second, Min: 2, Max: 6, Cooldown: 5 * time.Second})
	require.NoError(t, err)
	rate := func(sec int) float64 { // requests per second offered at second sec
		switch {
		case sec == 5:
			return 2000 // a spike of one interval
		case sec < 10:
			return 200
		case sec < 40:
			return 200 + 800*float64(sec-10)/30
		case sec < 60:
			return 1000
		case sec < 90:
			return 1000 - 900*float64(sec-60)/30
		}
		return 100
	}
	members, busyUntil := 2, -1
	var reqs uint64
	type event struct {
		at      int
		action  Action
		members int
	}
	var events []event
	for sec := 0; sec <= 130; sec++ {
		reqs += uint64(rate(sec))
		d := a.Observe(Sample{At: time.Duration(sec) * time.Second, Requests: reqs, Members: members, Busy: sec < busyUntil})
		switch d.Action {
		case Add:
			members++
		case Remove:
			members--
		default:
			continue
		}
		events = append(events, event{sec, d.Action, members})
		busyUntil = sec + 2 // the change takes two seconds to settle
		require.GreaterOrEqual(t, members, 2)
		require.LessOrEqual(t, members, 6)
	}
	require.NotEmpty(t, events)
	for i, e := range events {
		if i > 0 {
			require.GreaterOrEqual(t, e.at-events[i-1].at, 5, "cooldown between %v and %v", events[i-1], e)
		}
	}
	// Rate 200 on 2 members is 100/member: no add before the ramp (the
	// spike at 5 s alone does not add).
	require.Greater(t, events[0].at, 10)
	require.Equal(t, Add, events[0].action)
	peak := 0
	for _, e := range events {
		peak = max(peak, e.members)
	}
	require.Equal(t, 6, peak, "1000 requests/s needs 7 members at 150 each: capped at Max")
	last := events[len(events)-1]
	require.Equal(t, Remove, last.action)
	require.Equal(t, 2, last.members, "back to Min when the load falls to 100/s")
	for _, e := range events {
		if e.action == Remove {
			require.Greater(t, e.at, 60, "no removal before the load falls")
		}
	}
	require.Equal(t, []event{{16, Add, 3}, {22, Add, 4}, {28, Add, 5}, {33, Add, 6}, {84, Remove, 5}, {89, Remove, 4}, {94, Remove, 3}, {99, Remove, 2}}, events)
}

func TestPolicyValidation(t *testing.T) {
	for _, p := range []Policy{
		{ScaleUpAbove: 0, Min: 1, Max: 2},
		{ScaleUpAbove: 10, ScaleDownBelow: 10, Min: 1, Max: 2},
		{ScaleUpAbove: 10, Min: 0, Max: 2},
		{ScaleUpAbove: 10, Min: 3, Max: 2},
		{ScaleUpAbove: 10, Min: 1, Max: 2, Interval: 10 * time.Second, Window: time.Second},
	} {
		_, err := New(p)
		require.Error(t, err, "%+v", p)
	}
}
