package reports

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/checker"
	"dynasim/checker/synth"
	"dynasim/history"
)

// sampleInput is a realistic run: a synthetic history with timeouts,
// failures and a fault window, checked for real, with traffic and node
// stats as the simulator would give them.
func sampleInput(t testing.TB, ops int) Input {
	t.Helper()
	h, err := synth.Generate(synth.Config{Seed: 7, Ops: ops, Keys: 20, Clients: 8,
		UnknownFraction: 0.01, FailedFraction: 0.02, FinalReads: true, Replicas: 3})
	require.NoError(t, err)
	end := h.Ops[len(h.Ops)-1].ReturnNs
	h.Faults = []history.FaultWindow{
		{Label: "crash n2", StartNs: end / 2, EndNs: end * 3 / 4},
		{Label: "partition {n0,n1} | {n2,n3,n4}", StartNs: end / 5, EndNs: end / 3},
	}
	res, err := checker.Check(h, checker.Options{Model: checker.Register, Linearizability: true, ReplicasPerKey: 3, LinTimeLimit: 20 * time.Second})
	require.NoError(t, err)
	return Input{
		Meta: Meta{
			Scenario: "baseline", Description: "healthy 5 nodes, N=3 R=2 W=2",
			ScenarioPath: "scenarios/baseline.yaml", ResolvedPath: "out/baseline/resolved.yaml", OutDir: "out/baseline",
			Seed: 42, Fingerprint: 0x00ab_cdef_0123_4567, Events: 1_234_567,
			VirtualDuration: time.Duration(end) + 5*time.Second, Wall: 1500 * time.Millisecond,
			Config: ConfigSummary{Nodes: 5, Datacenters: 1, Clients: 8, Keys: 20, N: 3, W: 2, R: 2, VersionMode: "vclock", ReadRepair: "async"},
		},
		History: h,
		Results: res,
		Expectations: []Expectation{
			{Name: "lost_acked_writes", Want: 0, Got: res.LostWrites.Lost, Pass: res.LostWrites.Lost == 0},
			{Name: "linearizable", Want: true, Got: res.Linearizability.Result == checker.LinOK, Pass: res.Linearizability.Result == checker.LinOK},
			{Name: "availability_min", Want: 0.99, Got: res.Availability.Availability, Pass: res.Availability.Availability >= 0.99,
				Detail: "failed and unknown operations count as unavailable"},
		},
		Messages: []MessageStats{
			{Kind: "write_request", Sent: 3 * uint64(ops), Bytes: 300 * uint64(ops), Lost: 12, Duplicated: 3},
			{Kind: "read_request", Sent: 3 * uint64(ops), Bytes: 90 * uint64(ops)},
			{Kind: "gossip", Sent: 1000, Bytes: 64_000},
		},
		Nodes: []NodeStats{
			{Node: 2, DC: "dc1", EventsHandled: 250_000, RequestsCoordinated: 900, StorageWrites: 3000, StorageBytes: 3 << 20, QueueMax: 17},
			{Node: 0, DC: "dc1", EventsHandled: 240_000, RequestsCoordinated: 1000, StorageWrites: 3100, StorageBytes: 3 << 20, QueueMax: 12},
			{Node: 1, DC: "dc1", EventsHandled: 260_000, RequestsCoordinated: 1100, StorageWrites: 2900, StorageBytes: 3 << 20, QueueMax: 9},
			{Node: 3, DC: "dc1", EventsHandled: 230_000, RequestsCoordinated: 950, StorageWrites: 3050, StorageBytes: 3 << 20, QueueMax: 30},
			{Node: 4, DC: "dc1", EventsHandled: 255_000, RequestsCoordinated: 1050, StorageWrites: 2950, StorageBytes: 3 << 20, QueueMax: 8},
		},
	}
}

func sampleReport(t testing.TB, ops int) *Report {
	t.Helper()
	r, err := Build(sampleInput(t, ops))
	require.NoError(t, err)
	return r
}
