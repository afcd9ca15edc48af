package versions

import (
	"testing"

	"dynasim/wire"
)

// The hot path of a put: the coordinator's Update, then each replica's
// Merge of the result into its stored set (steady state: one version).
func benchSets(b *testing.B, mode Mode) (*Versioner, wire.SiblingSet, Write) {
	v, err := New(Config{Mode: mode})
	if err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 1024)
	var stored wire.SiblingSet
	for i := range 3 {
		w := Write{Actor: wire.ActorID(i + 1), Context: v.Context(stored), Value: value, NowNs: int64(i)}
		if stored, err = v.Update(stored, w); err != nil {
			b.Fatal(err)
		}
	}
	return v, stored, Write{Actor: 1, Context: v.Context(stored), Value: value, NowNs: 10}
}

func BenchmarkUpdate(b *testing.B) {
	for _, mode := range allModes {
		b.Run(mode.String(), func(b *testing.B) {
			v, stored, w := benchSets(b, mode)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Update(stored, w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMerge(b *testing.B) {
	for _, mode := range allModes {
		b.Run(mode.String(), func(b *testing.B) {
			v, stored, w := benchSets(b, mode)
			next, err := v.Update(stored, w)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Merge(stored, next); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
