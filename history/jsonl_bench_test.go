package history_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/checker/synth"
	"dynasim/history"
)

// Reading and strictly validating a 100,000-operation history file.
func BenchmarkRead100k(b *testing.B) {
	h, err := synth.Generate(synth.Config{Seed: 1, Ops: 100_000, Keys: 100, MultiValue: true, FinalReads: true, Replicas: 3})
	require.NoError(b, err)
	var buf bytes.Buffer
	require.NoError(b, history.Write(&buf, h))
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		got, err := history.Read(bytes.NewReader(data))
		if err != nil || len(got.Ops) != len(h.Ops) {
			b.Fatalf("read %v ops, %v", len(got.Ops), err)
		}
	}
}
