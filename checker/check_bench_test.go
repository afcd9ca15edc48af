package checker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/checker/synth"
)

// Everything but Porcupine over a 100,000-operation history: staleness
// (causal pasts, Fenwick sweep), lost writes, convergence and statistics.
func benchOtherChecks(b *testing.B, cfg synth.Config, m Model) {
	h, err := synth.Generate(cfg)
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Check(h, Options{Model: m, ReplicasPerKey: 3}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(h.Ops))*float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkOtherChecks100k100KeysMultiValue(b *testing.B) {
	benchOtherChecks(b, synth.Config{Seed: 1, Ops: 100_000, Keys: 100, Clients: 32, MultiValue: true,
		UnknownFraction: 0.01, FailedFraction: 0.01, FinalReads: true, Replicas: 3}, MultiValue)
}

// One hot key: the worst case for the per-key causal structure.
func BenchmarkOtherChecks100k1KeyMultiValue(b *testing.B) {
	benchOtherChecks(b, synth.Config{Seed: 1, Ops: 100_000, Keys: 1, Clients: 32, MultiValue: true,
		UnknownFraction: 0.01, FailedFraction: 0.01, FinalReads: true, Replicas: 3}, MultiValue)
}

func BenchmarkOtherChecks100k1KeyRegister(b *testing.B) {
	benchOtherChecks(b, synth.Config{Seed: 1, Ops: 100_000, Keys: 1, Clients: 32,
		UnknownFraction: 0.01, FailedFraction: 0.01, FinalReads: true, Replicas: 3}, Register)
}

// One hot key with 10% of acknowledged puts lost: lost values stay out of
// the causal index, so this should cost about what a healthy run costs.
func BenchmarkOtherChecks100k1KeyMultiValueLossy(b *testing.B) {
	benchOtherChecks(b, synth.Config{Seed: 1, Ops: 100_000, Keys: 1, Clients: 32, MultiValue: true, LostWriteFraction: 0.1,
		StaleReadFraction: 0.05, UnknownFraction: 0.01, FailedFraction: 0.01, FinalReads: true, Replicas: 3}, MultiValue)
}
