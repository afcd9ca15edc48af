package net

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
// The seed corpus is real frames of every kind, plus the same frames with a
// valid checksum over a mutated body, so the fuzzer starts past the CRC. Run
// locally, not in CI:
//
//	go test ./net -run '^$' -fuzz FuzzDecode -fuzztime 2m
func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, k := range protocolKinds {
		for range 4 {
			frame := randMessage(r, k).AppendFrame(nil)
			f.Add(frame)
			if len(frame) > FrameOverheadBytes+2 {
				mut := bytes.Clone(frame)
				mut[FrameHeaderBytes+r.IntN(len(frame)-FrameOverheadBytes)] ^= byte(1 + r.IntN(255))
				f.Add(resum(mut))
			}
		}
	}
	f.Add([]byte{})
	f.Add(make([]byte, FrameOverheadBytes))

	f.Fuzz(func(t *testing.T, data []byte) {
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
	})
}

// resum fixes a frame's length field and checksum after its body changed.
func resum(frame []byte) []byte {
	return reframe(frame[4], Kind(frame[5]), frame[FrameHeaderBytes:len(frame)-FrameTrailerBytes])
}
