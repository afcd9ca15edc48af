package checker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/checker/synth"
)

// The performance target: a 100,000-operation, 100-key history checked in at
// most 2 s. Generation is outside the timed loop.
func benchLin(b *testing.B, cfg synth.Config, m Model) {
	h, err := synth.Generate(cfg)
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := CheckLinearizability(h, LinearizabilityOptions{Model: m, TimeLimit: time.Minute})
		if err != nil || res.Result != LinOK {
			b.Fatalf("want ok, got %+v, %v", res, err)
		}
	}
	b.ReportMetric(float64(len(h.Ops))*float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkLinearizability100kRegister(b *testing.B) {
	benchLin(b, synth.Config{Seed: 1, Ops: 100_000, Keys: 100, Clients: 32, UnknownFraction: 0.01, FailedFraction: 0.01}, Register)
}

func BenchmarkLinearizability100kMultiValue(b *testing.B) {
	benchLin(b, synth.Config{Seed: 1, Ops: 100_000, Keys: 100, Clients: 32, MultiValue: true, UnknownFraction: 0.01, FailedFraction: 0.01}, MultiValue)
}
