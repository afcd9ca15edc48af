package history

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func ringRun() *RunInfo {
	r := sampleRun()
	members := []RingMember{{Node: 0, ID: 70, Addr: 5, DC: "dc1", Weight: 1}, {Node: 1, ID: 3, Addr: 9, DC: "dc1", Weight: 1}, {Node: 2, ID: 12, Addr: 1, DC: "dc2", Weight: 2}}
	r.RingVersions = []RingVersion{
		{Version: 1, AtNs: 0, Digest: "00000000000000aa", VNodes: 256, N: 3, Members: members},
		{Version: 3, AtNs: 4_000_000_000, Digest: "00000000000000bb", VNodes: 256, PerDC: map[string]int{"dc1": 2, "dc2": 1}, Members: members},
	}
	return r
}

func TestRingVersionsRoundTripAndTheVersionInForce(t *testing.T) {
	h := sampleHistory()
	h.Run = ringRun()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, h))
	got, err := Read(&buf)
	require.NoError(t, err)
	require.Equal(t, h, got)

	r := got.Run
	require.Equal(t, uint64(1), r.RingAt(0).Version)
	require.Equal(t, uint64(1), r.RingAt(3_999_999_999).Version)
	require.Equal(t, uint64(3), r.RingAt(4_000_000_000).Version)
	require.Equal(t, uint64(3), r.RingAt(1<<62).Version)
	require.Nil(t, sampleRun().RingAt(0), "no versions recorded")
}

func TestRingVersionsAreValidated(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(*RunInfo)
		field  string
	}{
		"version 0":      {func(r *RunInfo) { r.RingVersions[0].Version = 0 }, "run.ring_versions[0].version"},
		"not increasing": {func(r *RunInfo) { r.RingVersions[1].Version = 1 }, "run.ring_versions[1].version"},
		"time goes back": {func(r *RunInfo) { r.RingVersions[0].AtNs = 5_000_000_000 }, "run.ring_versions[1].at_ns"},
		"digest":         {func(r *RunInfo) { r.RingVersions[1].Digest = "xyz" }, "run.ring_versions[1].digest"},
		"no members":     {func(r *RunInfo) { r.RingVersions[0].Members = nil }, "run.ring_versions[0].members"},
		"unknown node":   {func(r *RunInfo) { r.RingVersions[1].Members = []RingMember{{Node: 3}} }, "run.ring_versions[1].members[0].node"},
	} {
		r := ringRun()
		c.mutate(r)
		err := r.Validate()
		var fe *FieldError
		require.ErrorAs(t, err, &fe, name)
		require.Equal(t, c.field, fe.Field, name)
	}
}
