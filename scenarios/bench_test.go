package scenarios

import (
	"os"
	"testing"
)

// BenchmarkParse measures Parse (decode and validate) of the reference file.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("full.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolve measures Resolve (validate, pick every knob, check the
// schedule) of the reference file for one seed.
func BenchmarkResolve(b *testing.B) {
	s, err := Load("testdata/full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	seed := uint64(0)
	for b.Loop() {
		seed++
		if _, err := s.Resolve(seed); err != nil {
			b.Fatal(err)
		}
	}
}
