package reports

import (
	"io"
	"testing"
)

// A 100 K-operation run must report in well under a second. The checker's
// own time is not measured here (see checker's benchmarks).

func BenchmarkBuild100K(b *testing.B) {
	in := sampleInput(b, 100_000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Build(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteText100K(b *testing.B) {
	r := sampleReport(b, 100_000)
	b.ResetTimer()
	for b.Loop() {
		if err := WriteText(io.Discard, r, TextOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteHTML100K(b *testing.B) {
	r := sampleReport(b, 100_000)
	b.ResetTimer()
	for b.Loop() {
		if err := WriteHTML(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteJSON100K(b *testing.B) {
	r := sampleReport(b, 100_000)
	b.ResetTimer()
	for b.Loop() {
		if err := r.WriteJSON(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
