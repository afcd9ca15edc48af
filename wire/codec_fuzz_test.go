package wire

import (
	"bytes"
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode. It must never panic, never
// allocate more than a small multiple of its input, and every frame it
// accepts must re-encode to exactly the same bytes with Size equal to the
// frame's length.
//
// Random bytes rarely carry a valid checksum, so each input is also read as
// a kind byte followed by a payload and decoded inside a correct frame: the
// fuzzer then explores the payload decoders, not just the CRC check. The
// seed corpus is real frames of every kind and their (kind, payload) forms.
// Run locally, not in CI:
//
//	go test ./wire -run '^$' -fuzz FuzzDecode -fuzztime 2m -fuzzminimizetime 5s
func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, k := range protocolKinds {
		for range 4 {
			frame := randMessage(r, k).AppendFrame(nil)
			f.Add(frame)
			f.Add(frame[FrameHeaderBytes-1 : len(frame)-FrameTrailerBytes])
		}
	}
	f.Add([]byte{})
	f.Add(make([]byte, FrameOverheadBytes))

	f.Fuzz(func(t *testing.T, raw []byte) {
		inputs := [][]byte{raw}
		if len(raw) > 0 {
			inputs = append(inputs, reframe(FormatVersion, Kind(raw[0]), raw[1:]))
		}
		for _, data := range inputs {
			fuzzOne(t, data)
		}
	})
}

func fuzzOne(t *testing.T, data []byte) {
	check := func() {
		m, err := Decode(data)
		if err != nil {
			if m != nil {
				t.Fatalf("Decode returned a message and error %v", err)
			}
			return
		}
		if got := m.AppendFrame(nil); !bytes.Equal(got, data) {
			t.Fatalf("%s: re-encoding differs:\n in  %x\n out %x", m.Kind(), data, got)
		}
		if m.Size() != len(data) {
			t.Fatalf("%s: Size %d, frame %d bytes", m.Kind(), m.Size(), len(data))
		}
	}
	// Measuring allocation stops the world; do it for one input in 16,
	// chosen by content so a failure reproduces.
	if crc32.ChecksumIEEE(data)%16 == 0 {
		if b := bytesAllocated(1, check); b > float64(32*len(data)+16<<10) {
			t.Fatalf("decoding %d bytes allocated %.0f bytes", len(data), b)
		}
		return
	}
	check()
}
