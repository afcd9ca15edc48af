package wire

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The gossip decoder refuses what a correct sender never writes: unsorted
// or duplicate members and suspects, negative members, unknown statuses,
// and counts the remaining bytes cannot hold.
func TestGossipFieldValidation(t *testing.T) {
	ok := &GossipPush{Entries: []GossipEntry{
		{Member: 1, Generation: 2, Heartbeat: 3, Status: MemberAlive},
		{Member: 4, Generation: 1, Heartbeat: 9, Status: MemberLeft, RingVersion: 7, RingPayload: []byte("ring"),
			Suspects: []GossipSuspect{{Member: 1, Generation: 2, Heartbeat: 3}, {Member: 9, Generation: 1, Heartbeat: 1}}},
	}}
	got, err := Decode(ok.AppendFrame(nil))
	require.NoError(t, err)
	require.Equal(t, ok, got)

	bad := map[string]*GossipPush{
		"strictly ascending":    {Entries: []GossipEntry{{Member: 4, Status: MemberAlive}, {Member: 4, Status: MemberAlive}}},
		"negative":              {Entries: []GossipEntry{{Member: None, Status: MemberAlive}}},
		"unknown member status": {Entries: []GossipEntry{{Member: 1, Status: 0}}},
		"gossip suspects: member": {Entries: []GossipEntry{{Member: 1, Status: MemberAlive,
			Suspects: []GossipSuspect{{Member: 5}, {Member: 3}}}}},
		"gossip suspect: member address": {Entries: []GossipEntry{{Member: 1, Status: MemberAlive,
			Suspects: []GossipSuspect{{Member: -1}}}}},
	}
	for want, m := range bad {
		_, err := Decode(m.AppendFrame(nil))
		require.ErrorIs(t, err, ErrMalformed, want)
		require.ErrorContains(t, err, want)
	}

	// A huge entry count is refused before allocating for it.
	payload := []byte{0xff, 0xff, 0x03} // 65535 entries, no bytes for them
	_, err = Decode(reframe(FormatVersion, KindGossipReply, payload))
	require.ErrorContains(t, err, "exceeds the limit")
	_, err = Decode(reframe(FormatVersion, KindGossipReply, []byte{100, 0}))
	require.ErrorContains(t, err, "needs at least")
}

func TestGossipFrameBytesMatchesSize(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for range iterations(200) {
		m := &GossipPush{Entries: randGossipEntries(r)}
		sum := 0
		for i := range m.Entries {
			sum += m.Entries[i].EncodedSize()
		}
		require.Equal(t, m.Size(), GossipFrameBytes(len(m.Entries), sum))
	}
}

// FuzzDecodeGossip feeds arbitrary payloads to the two gossip decoders
// inside a valid frame (so the checksum does not stop them): they must
// never panic, and what they accept must re-encode to the same bytes. The
// seed corpus is real gossip payloads. Run locally:
//
//	go test ./wire -run '^$' -fuzz FuzzDecodeGossip -fuzztime 1m
func FuzzDecodeGossip(f *testing.F) {
	r := rand.New(rand.NewPCG(23, 24))
	for range 16 {
		f.Add(false, payloadOf(&GossipPush{Entries: randGossipEntries(r)}))
		f.Add(true, payloadOf(&GossipReply{Entries: randGossipEntries(r)}))
	}
	f.Add(false, []byte{})
	f.Add(true, []byte{1, 2, 3, 4, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, reply bool, payload []byte) {
		k := KindGossipPush
		if reply {
			k = KindGossipReply
		}
		fuzzOne(t, reframe(FormatVersion, k, payload))
	})
}
