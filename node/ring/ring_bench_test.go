package ring

import (
	"strconv"
	"testing"

	"dynasim/wire"
)

func benchKeys() []uint64 {
	hs := make([]uint64, 1024)
	for i := range hs {
		hs[i] = HashString("user:" + strconv.Itoa(i))
	}
	return hs
}

func BenchmarkPreferenceList(b *testing.B) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ms   []Member
	}{
		{"5nodes-N3", Config{Placement: Placement{N: 3}}, plainMembers(5)},
		{"100nodes-N3", Config{Placement: Placement{N: 3}}, plainMembers(100)},
		{"2dc-racks-3+3", Config{Placement: Placement{PerDC: []DCReplicas{{"east", 3}, {"west", 3}}}}, layoutDCs()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := mustRing(b, tc.cfg, tc.ms)
			hs := benchKeys()
			buf := make([]wire.Addr, 0, MaxReplicas)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				buf = r.PreferenceList(hs[i&1023], buf)
				i++
			}
		})
	}
}

func BenchmarkHashKey(b *testing.B) {
	key := []byte("user:000000042")
	b.ReportAllocs()
	var h uint64
	for b.Loop() {
		h += HashKey(key)
	}
	_ = h
}
