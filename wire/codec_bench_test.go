package wire

import (
	"testing"
)

// Benchmarks of the hot encodings: the simulator computes Size for every
// message and encodes each once (into a reused buffer) to fingerprint it.

func benchWriteRequest() *WriteRequest {
	value := make([]byte, 1024)
	for i := range value {
		value[i] = byte(i * 7)
	}
	return &WriteRequest{
		OpID: 123456789, Key: []byte("user:000000042"), Purpose: PurposeClient, HintFor: None,
		Set: SiblingSet{
			Context:  Clock{{Actor: 1, Counter: 17}, {Actor: 2, Counter: 9}, {Actor: 4, Counter: 3}},
			Siblings: []Sibling{{Dot: Dot{Actor: 1, Counter: 17}, Value: value, TimestampNs: 1_700_000_000_000_000_000}},
		},
	}
}

func BenchmarkWriteRequestSize(b *testing.B) {
	m := benchWriteRequest()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n += m.Size()
	}
	_ = n
}

func BenchmarkWriteRequestAppendFrame(b *testing.B) {
	m := benchWriteRequest()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(m.Size()))
	for b.Loop() {
		buf = m.AppendFrame(buf[:0])
	}
}

func BenchmarkClientGetAppendFrame(b *testing.B) {
	m := &ClientGet{ReqID: 99, ReplyTo: None, Key: []byte("user:000000042"), R: Need{Level: LevelQuorum}}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = m.AppendFrame(buf[:0])
	}
}

func BenchmarkWriteRequestDecode(b *testing.B) {
	frame := benchWriteRequest().AppendFrame(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, err := Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}
