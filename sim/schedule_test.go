package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node"
	"dynasim/sim/network"
)

func threeRecorders(t *testing.T) (*World, []*recorder, []*Endpoint) {
	t.Helper()
	w, err := NewWorld(Config{Seed: 2, Network: network.Config{Default: network.LinkConfig{LatencyMs: constMs(1)}}})
	require.NoError(t, err)
	var recs []*recorder
	var eps []*Endpoint
	for _, name := range []string{"a", "b", "c"} {
		r := &recorder{}
		recs = append(recs, r)
		eps = append(eps, mustAdd(t, w, EndpointSpec{Name: name, DC: "dc-" + name, Disk: &DiskConfig{}, Factory: recorderFactory(r)}))
	}
	return w, recs, eps
}

func TestScheduledFaultsTakeEffect(t *testing.T) {
	w, recs, eps := threeRecorders(t)
	lose := disk.CrashLoseUnsynced
	require.NoError(t, w.ScheduleFaults([]Fault{
		{At: 10 * time.Millisecond, Kind: FaultPartition, Name: "p", SideA: []string{"a"}, SideB: []string{"b"}},
		{At: 20 * time.Millisecond, Kind: FaultHeal, Name: "p"},
		{At: 30 * time.Millisecond, Kind: FaultCrash, Nodes: []string{"c"}, CrashMode: &lose},
		{At: 40 * time.Millisecond, Kind: FaultRestart, Nodes: []string{"c"}},
		{At: 50 * time.Millisecond, Kind: FaultPause, Nodes: []string{"b"}},
		{At: 60 * time.Millisecond, Kind: FaultResume, Nodes: []string{"b"}},
		{At: 70 * time.Millisecond, Kind: FaultClockJump, Nodes: []string{"a"}, ClockJump: time.Hour},
		{At: 80 * time.Millisecond, Kind: FaultSlow, Nodes: []string{"a"}, SlowFactor: 4},
		{At: 90 * time.Millisecond, Kind: FaultSlowOff, Nodes: []string{"a"}},
		{At: 100 * time.Millisecond, Kind: FaultIsolate, Name: "iso", Nodes: []string{"a", "b"}},
		{At: 110 * time.Millisecond, Kind: FaultHeal, Name: "iso"},
		{At: 120 * time.Millisecond, Kind: FaultPartitionDC, Name: "dc", DCA: "dc-a", DCB: "dc-c", OneWay: true},
		{At: 130 * time.Millisecond, Kind: FaultHealAll},
		{At: 140 * time.Millisecond, Kind: FaultDiskOn, Nodes: []string{"a"}, DiskFaults: []disk.FaultKind{disk.FaultDiskFull}},
	}))
	probe := func(at time.Duration, from, to int, check func()) {
		w.At(At(at), "probe", func() {
			eps[from].Send(eps[to].Addr(), &testMsg{kind: kindPing})
			if check != nil {
				check()
			}
		})
	}
	probe(15*time.Millisecond, 0, 1, nil) // cut
	probe(25*time.Millisecond, 0, 1, nil) // healed: arrives
	probe(35*time.Millisecond, 0, 2, func() { require.False(t, eps[2].Up()) })
	probe(45*time.Millisecond, 0, 2, func() { require.True(t, eps[2].Up()) }) // arrives at the new incarnation
	probe(55*time.Millisecond, 0, 1, func() { require.True(t, eps[1].Paused()) })
	probe(75*time.Millisecond, 1, 0, nil) // a's clock jumped an hour
	probe(105*time.Millisecond, 0, 1, func() {
		require.False(t, w.Network().Connected(eps[0].Addr(), eps[1].Addr()))
		require.False(t, w.Network().Connected(eps[0].Addr(), eps[2].Addr()))
	})
	probe(125*time.Millisecond, 2, 0, func() {
		require.False(t, w.Network().Connected(eps[0].Addr(), eps[2].Addr()))
		require.True(t, w.Network().Connected(eps[2].Addr(), eps[0].Addr()))
	})
	w.Run(Limit{})
	require.Empty(t, w.FaultErrors())
	// b got: the healed probe (26 ms) and the one that waited out the pause
	// (delivered at resume, 60 ms).
	require.Len(t, recs[1].events, 2)
	require.Equal(t, Epoch.Add(60*time.Millisecond), recs[1].times[1])
	// a saw its clock an hour ahead after the jump.
	require.Len(t, recs[0].times, 2)
	require.Equal(t, Epoch.Add(time.Hour+76*time.Millisecond), recs[0].times[0])
	require.True(t, eps[0].Faults().Enabled(disk.FaultDiskFull))
	_, err := eps[0].FS().Create("x")
	require.NoError(t, err, "disk full fails writes, not creates")
}

func TestFaultScheduleValidation(t *testing.T) {
	w, _, _ := threeRecorders(t)
	err := w.ScheduleFaults([]Fault{
		{At: time.Second, Kind: FaultCrash, Nodes: []string{"zz"}},
		{At: time.Second, Kind: FaultSlow, Nodes: []string{"a"}, SlowFactor: 0.5},
		{At: time.Second, Kind: FaultPartition, SideA: []string{"a"}},
		{At: time.Second, Kind: "explode"},
	})
	require.Error(t, err)
	for _, want := range []string{`unknown endpoint "zz"`, "slow factor 0.5", "partition needs a name and two sides", `unknown fault kind "explode"`} {
		require.Contains(t, err.Error(), want)
	}
	require.Zero(t, w.Pending(), "nothing is scheduled from an invalid schedule")

	// A fault that cannot apply when it fires is collected, not fatal.
	require.NoError(t, w.ScheduleFaults([]Fault{{At: time.Second, Kind: FaultRestart, Nodes: []string{"a"}}}))
	w.Run(Limit{})
	require.Len(t, w.FaultErrors(), 1)
	require.Contains(t, w.FaultErrors()[0].Error(), "not down")
}

var _ node.Process = (*recorder)(nil)
