package wire

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAEFieldValidation(t *testing.T) {
	ok := &AETree{ExchangeID: 7, Initiator: true, Buckets: 64, Arcs: []AEArc{{1, 2}, {5, 5}}, ArcBytes: []uint64{10, 0},
		Level: 2, Nodes: []AENode{{Arc: 0, Index: 1, Hash: 9}, {Arc: 0, Index: 3, Hash: 1}, {Arc: 1, Index: 0, Hash: 2}}}
	m, err := Decode(ok.AppendFrame(nil))
	require.NoError(t, err)
	require.Equal(t, ok, m)

	bad := map[string]*AETree{
		"strictly ascending": {Level: 1, Nodes: []AENode{{Arc: 1, Index: 0}, {Arc: 0, Index: 1}}},
		"out of range":       {Level: 1, Nodes: []AENode{{Arc: 0, Index: 2}}},
		"power of two":       {Buckets: 6},
		"exceeds":            {Level: MaxAELevel + 1},
	}
	for want, m := range bad {
		_, err := Decode(m.AppendFrame(nil))
		require.ErrorIs(t, err, ErrMalformed, want)
		require.ErrorContains(t, err, want)
	}
	e := &AEEntries{ExchangeID: 1, Last: true, Reply: true, Spans: []AEArc{{3, 4}},
		Entries: []AEEntry{{Key: []byte("a"), Set: SiblingSet{Siblings: []Sibling{{Dot: Dot{Actor: 1, Counter: 1}, Value: []byte("v")}}}}}}
	got, err := Decode(e.AppendFrame(nil))
	require.NoError(t, err)
	require.Equal(t, e, got)
	_, err = Decode((&AEEntries{Entries: []AEEntry{{}}}).AppendFrame(nil))
	require.ErrorContains(t, err, "ae key: empty")
	// Unknown flag bits are refused.
	payload := payloadOf(&AEEntries{ExchangeID: 1})
	payload[1] = 0x80
	_, err = Decode(reframe(FormatVersion, KindAEEntries, payload))
	require.ErrorContains(t, err, "unknown flags")
}

func TestAEEntryBytesMatchesSize(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		m := randAEEntries(r)
		empty := *m
		empty.Entries = nil
		sum := 0
		for i := range m.Entries {
			sum += AEEntryBytes(&m.Entries[i])
		}
		// The entry count's varint is one byte below 128 entries.
		require.Equal(t, m.Size(), empty.Size()+sum)
	}
}

// FuzzDecodeAE feeds arbitrary payloads to the anti-entropy decoders
// inside a valid frame: they must never panic, and what they accept must
// re-encode to the same bytes. Run locally:
//
//	go test ./wire -run '^$' -fuzz FuzzDecodeAE -fuzztime 1m
func FuzzDecodeAE(f *testing.F) {
	r := rand.New(rand.NewPCG(25, 26))
	for range 16 {
		f.Add(false, payloadOf(randAETree(r)))
		f.Add(true, payloadOf(randAEEntries(r)))
	}
	f.Add(false, []byte{})
	f.Add(true, []byte{1, 7, 0, 1, 1, 0, 0})
	f.Fuzz(func(t *testing.T, entries bool, payload []byte) {
		k := KindAETree
		if entries {
			k = KindAEEntries
		}
		fuzzOne(t, reframe(FormatVersion, k, payload))
	})
}
