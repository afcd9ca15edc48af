package checker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/history"
)

func statsHistory() *history.History {
	var b hb
	b.get(0, "k", ids("a", "b"), 0, 10).
		get(0, "k", nil, 20, 30).
		get(1, "k", ids("a"), 21, 31).
		getOutcome(1, "k", 40, 50, history.Failed).
		putOutcome(2, "k", "c", nil, 41, 5_000_041, history.Unknown).
		put(2, "k", "d", nil, 60, 70).
		final("k", ids("x", "y", "z"), 200, 300_000_000)
	b.h.Faults = []history.FaultWindow{{Label: "crash n1", StartNs: 15, EndNs: 45}, {Label: "idle", StartNs: 1000, EndNs: 2000}}
	return b.history()
}

func TestCountOps(t *testing.T) {
	require.Equal(t, OpCounts{Total: 6, OK: 4, Failed: 1, Unknown: 1, FinalReads: 1, ByKind: map[string]KindCounts{
		"get":    {Total: 4, OK: 3, Failed: 1},
		"put":    {Total: 2, OK: 1, Unknown: 1},
		"delete": {},
	}}, CountOps(statsHistory()))

	// Retried operations (a tried list) are counted, final reads apart.
	h := statsHistory()
	h.Ops[1].Tried = []int32{3, h.Ops[1].Coordinator}
	h.Ops[3].Tried = []int32{0, 2, h.Ops[3].Coordinator}
	h.Ops[6].Tried = []int32{1, h.Ops[6].Coordinator}
	c := CountOps(h)
	require.Equal(t, 2, c.Retried)
	require.Equal(t, 1, c.RetriedOK)
}

func TestSiblings(t *testing.T) {
	res := Siblings(statsHistory())
	require.Equal(t, SiblingsResult{Reads: 3, Mean: 1, Max: 2,
		Histogram: []SiblingCount{{0, 1}, {1, 1}, {2, 1}}}, res)
}

func TestAvailabilityPerWindow(t *testing.T) {
	res := Availability(statsHistory())
	require.Equal(t, 6, res.Attempted)
	require.Equal(t, 4, res.OK)
	require.InDelta(t, 4.0/6, res.Availability, 1e-12)
	// Invoked in [15, 45): the gets at 20, 21, 40 and the put at 41.
	require.Equal(t, WindowAvailability{Label: "crash n1", StartNs: 15, EndNs: 45, Attempted: 4, OK: 2, Availability: 0.5}, res.Windows[0])
	require.Equal(t, WindowAvailability{Label: "idle", StartNs: 1000, EndNs: 2000, Availability: 1}, res.Windows[1])
	require.Equal(t, WindowAvailability{Label: "outside fault windows", Attempted: 2, OK: 2, Availability: 1}, res.Outside)
}

func TestLatencyQuantiles(t *testing.T) {
	var b hb
	for i := int64(1); i <= 10; i++ { // put latencies 1..10 ms
		b.put(0, "k", string(rune('a'+i)), nil, i*100_000_000, i*100_000_000+i*1_000_000)
	}
	b.get(1, "k", nil, 0, 250_000)                          // 0.25 ms
	b.getOutcome(1, "k", 0, 9_000_000_000, history.Unknown) // left out
	lat := Latency(b.history())
	require.Equal(t, LatencyStats{Count: 10, Mean: 5.5, P50: 5, P90: 9, P99: 10, P999: 10, Max: 10}, lat["put"])
	require.Equal(t, LatencyStats{Count: 1, Mean: 0.25, P50: 0.25, P90: 0.25, P99: 0.25, P999: 0.25, Max: 0.25}, lat["get"])
	_, hasDelete := lat["delete"]
	require.False(t, hasDelete)
}

func TestThroughput(t *testing.T) {
	var b hb
	b.put(0, "k", "a", nil, 1_000_000_000, 1_100_000_000).
		putOutcome(0, "k", "b", nil, 1_200_000_000, 1_300_000_000, history.Failed).
		get(0, "k", ids("a"), 2_000_000_000, 3_000_000_000).
		final("k", ids("a"), 9_000_000_000, 9_500_000_000)
	require.Equal(t, ThroughputResult{DurationS: 2, Ops: 3, OK: 2, OpsPerS: 1.5, OKPerS: 1}, Throughput(b.history()))
	require.Equal(t, ThroughputResult{}, Throughput(&history.History{}))
}
