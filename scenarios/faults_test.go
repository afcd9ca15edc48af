package scenarios

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const schedule = `
cluster: {nodes: 5, datacenters: [a, b]}
workload: {duration: 20s}
faults:
  - {at: 1s, for: 2s, action: partition, sides: [[n1, n2]], name: split}
  - {at: 1s, action: clock_jump, nodes: [n5], by: 500ms}
  - {at: 2s, action: crash, nodes: [n1, n2]}
  - {at: 3s, action: isolate, nodes: [n3]}
  - {at: 3s, for: 1s, action: partition_dc, datacenters: [a, b], one_way: true}
  - {at: 4s, action: restart, nodes: [n1]}
  - {at: 5s, action: heal_all}
  - {at: 6s, action: restart, nodes: [n2]}
  - {at: 7s, action: pause, nodes: [n4]}
  - {at: 8s, for: 1s, action: slow, nodes: [n5], factor: 4}
  - {at: 9s, for: 1s, action: disk_faults_on, nodes: [n3]}
  - {at: 9s, for: 2s, action: clock_jump, nodes: [n4], by: -1s}
`

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Steps put the schedule in time order with the ends of windows; at equal
// times a window's end comes before new faults.
func TestStepsOrderTheSchedule(t *testing.T) {
	r := mustResolve(t, mustParse(t, schedule), 1)
	type step struct {
		at      time.Duration
		fault   int
		reverse bool
		action  Action
	}
	var got []step
	for _, s := range r.Steps() {
		got = append(got, step{s.At, s.Fault, s.Reverse, s.Do.Action})
	}
	require.Equal(t, []step{
		{sec(1), 0, false, ActPartition},
		{sec(1), 1, false, ActClockJump},
		{sec(2), 2, false, ActCrash},
		{sec(3), 0, true, ActHeal}, // split's window ends before isolate starts
		{sec(3), 3, false, ActIsolate},
		{sec(3), 4, false, ActPartitionDC},
		{sec(4), 4, true, ActHeal},
		{sec(4), 5, false, ActRestart},
		{sec(5), 6, false, ActHealAll},
		{sec(6), 7, false, ActRestart},
		{sec(7), 8, false, ActPause},
		{sec(8), 9, false, ActSlow},
		{sec(9), 9, true, ActSlowOff},
		{sec(9), 10, false, ActDiskFaultsOn},
		{sec(9), 11, false, ActClockJump},
		{sec(10), 10, true, ActDiskFaultsOff},
		{sec(11), 11, true, ActClockJump},
	}, got)

	steps := r.Steps()
	require.Equal(t, Fault{At: Duration(sec(3)), Action: ActHeal, Name: "split"}, steps[3].Do)
	require.Equal(t, Fault{At: Duration(sec(4)), Action: ActHeal, Name: "faults[4]"}, steps[6].Do)
	require.Equal(t, []string{"n3"}, steps[15].Do.Nodes)
	require.Equal(t, []DiskFaultKind{"error", "bitflip"}, steps[15].Do.Kinds, "the default kinds, switched back off")
	require.Equal(t, Duration(sec(1)), steps[16].Do.By, "a clock jump's window ends with the opposite jump")
	require.Equal(t, [][]string{{"n1", "n2"}, {"n3", "n4", "n5"}}, r.Faults[0].Sides, "one side is cut from all the others")
}

// Fault windows end with their for:, with the first later step that undoes
// them, or at the end of the workload; instant faults have none.
func TestFaultWindows(t *testing.T) {
	r := mustResolve(t, mustParse(t, schedule), 1)
	type window struct {
		label      string
		start, end time.Duration
	}
	var got []window
	for _, w := range r.FaultWindows(sec(20)) {
		got = append(got, window{w.Label, w.Start, w.End})
		require.Equal(t, w.Start, r.Faults[w.Fault].At.D())
	}
	require.Equal(t, []window{
		{"partition {n1,n2} | {n3,n4,n5}", sec(1), sec(3)},
		{"crash n1,n2", sec(2), sec(6)}, // until both are back
		{"isolate n3", sec(3), sec(5)},  // heal_all
		{"partition_dc a -> b", sec(3), sec(4)},
		{"pause n4", sec(7), sec(20)}, // never resumed: until the end
		{"slow n5 x4", sec(8), sec(9)},
		{"disk_faults n3 (error,bitflip)", sec(9), sec(10)},
		{"clock_jump n4 -1s", sec(9), sec(11)},
	}, got)

	// A workload that ended early cuts windows short and drops those that
	// had not started.
	got = got[:0]
	for _, w := range r.FaultWindows(sec(3.5)) {
		got = append(got, window{w.Label, w.Start, w.End})
	}
	require.Equal(t, []window{
		{"partition {n1,n2} | {n3,n4,n5}", sec(1), sec(3)},
		{"crash n1,n2", sec(2), sec(3.5)},
		{"isolate n3", sec(3), sec(3.5)},
		{"partition_dc a -> b", sec(3), sec(3.5)},
	}, got)
}

// When fault times are knobs, the schedule's consistency depends on the
// seed: Resolve refuses the seeds whose order does not make sense and names
// the seed; Validate cannot know and accepts the file.
func TestScheduleIsCheckedPerSeed(t *testing.T) {
	s := mustParse(t, "faults:\n  - {at: {range: [1s, 3s]}, action: crash, nodes: [n1]}\n  - {at: 2s, action: restart, nodes: [n1]}\n")
	ok, refused := 0, 0
	for seed := range uint64(40) {
		r, err := s.Resolve(seed)
		if err == nil {
			require.Less(t, r.Faults[0].At, r.Faults[1].At)
			ok++
			continue
		}
		var ps Problems
		require.True(t, errors.As(err, &ps))
		require.Equal(t, Problems{
			{File: "t.yaml", Pos: Pos{3, 5}, Path: "faults[1]", Msg: fmt.Sprintf("seed %d: n1 is not down at 2s, so it cannot restart", seed)},
		}, ps)
		refused++
	}
	require.Greater(t, ok, 5)
	require.Greater(t, refused, 5)
}

// The schedule model catches each kind of step that cannot apply.
func TestScheduleConsistency(t *testing.T) {
	cases := []struct{ faults, want string }{
		{"- {at: 1s, action: crash, nodes: [n1]}\n- {at: 2s, action: crash, nodes: [n1]}",
			"faults[1]: n1 is already down (crashed by faults[0] at 1s)"},
		{"- {at: 1s, for: 5s, action: crash, nodes: [n1]}\n- {at: 2s, action: restart, nodes: [n1]}",
			"faults[0].for: n1 is not down at 6s, so it cannot restart"},
		{"- {at: 1s, action: resume, nodes: [n2]}",
			"faults[0]: n2 is not paused at 1s, so it cannot resume"},
		{"- {at: 1s, action: pause, nodes: [n2]}\n- {at: 2s, action: pause, nodes: [n2]}",
			"faults[1]: n2 is already paused (by faults[0] at 1s)"},
		{"- {at: 1s, action: crash, nodes: [n2]}\n- {at: 2s, action: pause, nodes: [n2]}",
			"faults[1]: n2 is down (crashed by faults[0] at 1s), so it cannot pause"},
		{"- {at: 1s, action: isolate, nodes: [n1], name: x}\n- {at: 2s, action: isolate, nodes: [n2], name: x}",
			`faults[1]: partition "x" is still active (made by faults[0] at 1s); give this one another name`},
		{"- {at: 1s, for: 1s, action: isolate, nodes: [n1], name: x}\n- {at: 3s, action: heal, name: x}",
			`faults[1]: no partition "x" is active at 3s`},
		{"- {at: 1s, action: partition_one_way, sides: [[n1], [n2]], name: x}\n- {at: 2s, action: heal_all}\n- {at: 3s, action: heal, name: x}",
			`faults[2]: no partition "x" is active at 3s`},
	}
	for _, c := range cases {
		got := problemsOf(t, "faults:\n"+indent(c.faults))
		require.Len(t, got, 1, c.faults)
		require.Regexp(t, `^t\.yaml:\d+:\d+: `, got[0])
		require.Contains(t, got[0], c.want)
	}
	// Names can be reused once healed, and window ends compose with new
	// faults at the same instant.
	mustParse(t, "faults:\n"+indent("- {at: 1s, for: 1s, action: isolate, nodes: [n1], name: x}\n"+
		"- {at: 2s, action: isolate, nodes: [n2], name: x}\n- {at: 3s, for: 1s, action: crash, nodes: [n3]}\n"+
		"- {at: 4s, action: crash, nodes: [n3]}"))
}

func indent(s string) string {
	out := "  "
	for _, c := range s {
		out += string(c)
		if c == '\n' {
			out += "  "
		}
	}
	return out + "\n"
}

func TestLinearizabilityEnabled(t *testing.T) {
	cases := []struct {
		src  string
		want bool
	}{
		{"{}", true}, // R = W = 2 of 3
		{"node: {r: 1, w: 1}", false},
		{"node: {r: 1, w: 3}", true},
		{"node: {r: 1, w: 1}\nchecks: {linearizability: on}", true},
		{"checks: {linearizability: off}", false},
		{"workload: {read_level: ONE, write_level: ALL}", true},
		{"workload: {read_level: ONE, write_level: QUORUM}", false},
		{"workload: {read_level: LOCAL_QUORUM, write_level: ALL}", false}, // datacenter-aware: off under auto
		{"cluster: {nodes: 5}\nworkload: {n: 5, read_level: 3, write_level: 3}", true},
		{"cluster: {nodes: 5}\nworkload: {n: 5, read_level: 2, write_level: 3}", false},
	}
	for _, c := range cases {
		r := mustResolve(t, mustParse(t, c.src+"\n"), 1)
		require.Equal(t, c.want, r.LinearizabilityEnabled(), c.src)
	}
}

func TestExpectationList(t *testing.T) {
	s := mustParse(t, `
checks: {linearizability: on}
faults: [{at: 1s, action: pause, nodes: [n1]}]
expect:
  p99_ms_max: {put: 30, get: 20}
  linearizable: false
  lost_acked_writes_min: 1
  availability_in_faults_max: 0.5
  p50_ms_max: 5
`[1:])
	var got []string
	for _, e := range mustResolve(t, s, 1).Expect.List() {
		got = append(got, e.String())
	}
	require.Equal(t, []string{
		"linearizable == false",
		"lost_acked_writes_min >= 1",
		"availability_in_faults_max <= 0.5",
		"p50_ms_max.all <= 5",
		"p99_ms_max.get <= 20",
		"p99_ms_max.put <= 30",
	}, got)
}
