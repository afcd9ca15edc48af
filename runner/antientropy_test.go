package runner

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/node"
	"dynasim/node/merkle"
	"dynasim/reports"
	"dynasim/scenarios"
)

// A replica partitioned away for 10 s with hinted handoff and read repair
// off: with anti-entropy every replica converges and the report carries
// the anti-entropy section; without it the replicas stay apart.
const aeScenario = `
cluster: {nodes: 5}
node:
  n: 3
  read_repair: off
  anti_entropy: {enabled: true, interval: 2s, buckets: 16}
workload:
  clients: 4
  duration: 20s
  think_time_ms: {dist: constant, value: 10}
  mix: {get: 0.3, put: 0.7}
  keys: {count: 300}
faults:
  - {at: 3s, for: 10s, action: partition, sides: [[n5]]}
quiet_period: 15s
final_read_level: ONE
expect:
  lost_acked_writes: 0
  converged: true
`

func TestAntiEntropyConvergesAndIsReported(t *testing.T) {
	run := func(yaml string) *reports.Report {
		sc, err := scenarios.Parse("ae.yaml", []byte(yaml))
		require.NoError(t, err)
		r, err := sc.Resolve(3)
		require.NoError(t, err)
		out, err := Run(r, Options{})
		require.NoError(t, err)
		return out.Report
	}
	rep := run(aeScenario)
	for _, e := range rep.Expectations {
		require.True(t, e.Pass, "%s: want %v, got %v (%s)", e.Name, e.Want, e.Got, e.Detail)
	}
	a := rep.AntiEntropy
	require.NotNil(t, a)
	require.Len(t, a.Nodes, 5)
	require.Greater(t, a.KeysRepaired, uint64(0))
	require.Greater(t, a.FullCopyBytes, a.ExchangeBytes)
	require.InDelta(t, float64(a.ExchangeBytes)/float64(a.FullCopyBytes), a.ExchangeToFullCopy, 1e-12)
	var js bytes.Buffer
	require.NoError(t, rep.WriteJSON(&js))
	var raw map[string]any
	require.NoError(t, json.Unmarshal(js.Bytes(), &raw))
	sec, ok := raw["anti_entropy"].(map[string]any)
	require.True(t, ok, "the JSON report has an anti_entropy section")
	require.Contains(t, sec, "full_copy_bytes")
	var txt bytes.Buffer
	require.NoError(t, reports.WriteText(&txt, rep, reports.TextOptions{}))
	require.Contains(t, txt.String(), "ANTI-ENTROPY")
	require.Contains(t, txt.String(), "for a full copy of the ranges they compared")

	off := run(strings.Replace(aeScenario, "enabled: true", "enabled: false", 1))
	require.Nil(t, off.AntiEntropy)
	for _, e := range off.Expectations {
		if e.Name == "converged" {
			require.False(t, e.Pass, "without anti-entropy (and without handoff and read repair) the partitioned replica should stay behind")
		}
	}
}

// The scenario format's defaults are the node's.
func TestAntiEntropyDefaultsMatchTheNode(t *testing.T) {
	require.Equal(t, node.DefaultAEInterval, scenarios.DefaultAEInterval.D())
	require.Equal(t, merkle.DefaultBuckets, scenarios.DefaultAEBuckets)
	require.Equal(t, int64(node.DefaultAERateBytesPerS), int64(scenarios.DefaultAERateBytesPerS))
	require.Equal(t, node.DefaultAEMaxInFlight, scenarios.DefaultAEMaxInFlight)
}
