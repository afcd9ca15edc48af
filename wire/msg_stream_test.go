package wire

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStreamFieldValidation(t *testing.T) {
	req := &StreamRequest{StreamID: 3, Version: 2, Arc: AEArc{Start: 9, End: 4}, MaxBytes: 1 << 16}
	got, err := Decode(req.AppendFrame(nil))
	require.NoError(t, err)
	require.Equal(t, req, got)
	ch := &StreamChunk{StreamID: 3, Version: 2, Done: true, Next: 77,
		Entries: []AEEntry{{Key: []byte("a"), Set: SiblingSet{Siblings: []Sibling{{Dot: Dot{Actor: 1, Counter: 1}, Value: []byte("v")}}}}}}
	got, err = Decode(ch.AppendFrame(nil))
	require.NoError(t, err)
	require.Equal(t, ch, got)
	done := &StreamDone{Version: 5}
	got, err = Decode(done.AppendFrame(nil))
	require.NoError(t, err)
	require.Equal(t, done, got)

	bad := map[string]Message{
		"stream max bytes":    &StreamRequest{Version: 1},
		"0 is no ring":        &StreamRequest{MaxBytes: 1},
		"stream key: empty":   &StreamChunk{Entries: []AEEntry{{}}},
		"a refusal carries":   &StreamChunk{Refused: true, Entries: []AEEntry{{Key: []byte("k")}}},
		"stream version: 0 i": &StreamDone{},
	}
	for want, m := range bad {
		_, err := Decode(m.AppendFrame(nil))
		require.ErrorIs(t, err, ErrMalformed, want)
		require.ErrorContains(t, err, want)
	}
	payload := payloadOf(&StreamChunk{StreamID: 1})
	payload[2] = 0x80
	_, err = Decode(reframe(FormatVersion, KindStreamChunk, payload))
	require.ErrorContains(t, err, "unknown flags")
}

// FuzzDecodeStream feeds arbitrary payloads to the streaming decoders
// inside a valid frame: they must never panic, and what they accept must
// re-encode to the same bytes. Run locally:
//
//	go test ./wire -run '^$' -fuzz FuzzDecodeStream -fuzztime 1m
func FuzzDecodeStream(f *testing.F) {
	r := rand.New(rand.NewPCG(27, 28))
	for range 16 {
		f.Add(uint8(0), payloadOf(randStreamRequest(r)))
		f.Add(uint8(1), payloadOf(randStreamChunk(r)))
		f.Add(uint8(2), payloadOf(&StreamDone{Version: 1 + randUint(r)/2}))
	}
	f.Add(uint8(1), []byte{})
	f.Fuzz(func(t *testing.T, which uint8, payload []byte) {
		k := []Kind{KindStreamRequest, KindStreamChunk, KindStreamDone}[which%3]
		fuzzOne(t, reframe(FormatVersion, k, payload))
	})
}
