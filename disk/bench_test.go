package disk

import (
	"math/rand/v2"
	"testing"
	"time"
)

// benchAppend appends 1 KiB per op (and syncs if asked), starting a new file
// every 4 MiB so that memory stays bounded: the replaced file is freed by the
// directory sync.
func benchAppend(b *testing.B, fs FS, sync bool) {
	const rotate = 4096
	buf := make([]byte, 1024)
	dir, err := fs.OpenDir(".")
	if err != nil {
		b.Fatal(err)
	}
	var f File
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%rotate == 0 {
			if f != nil {
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
			}
			if f, err = fs.Create("log"); err != nil {
				b.Fatal(err)
			}
			if err := dir.Sync(); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if sync {
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchMem(b *testing.B) *MemFS {
	fs, err := NewMemFS(MemFSConfig{CapacityBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	return fs
}

func BenchmarkMemFSAppend1KB(b *testing.B)     { benchAppend(b, benchMem(b), false) }
func BenchmarkMemFSAppendSync1KB(b *testing.B) { benchAppend(b, benchMem(b), true) }

// BenchmarkErrorFSAppendSync1KB is the simulator's configuration: latency on
// every op, a small error rate on writes and syncs.
func BenchmarkErrorFSAppendSync1KB(b *testing.B) {
	cfg := ErrorFSConfig{
		Latency: []LatencyFault{{Target: Target{Ops: OpAll}, Sample: func(r *rand.Rand) time.Duration {
			return time.Duration(r.ExpFloat64() * float64(100*time.Microsecond))
		}}},
		Errors: []ErrorFault{{Target: Target{Ops: OpWrite | OpSync, PathPrefix: "nothing-matches/"}, Probability: 1e-3}},
	}
	e, err := NewErrorFS(benchMem(b), cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		b.Fatal(err)
	}
	benchAppend(b, e, true)
}

func BenchmarkMemFSCrash(b *testing.B) {
	fs := benchMem(b)
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1024)
	for i := range 100 {
		f, err := fs.Create(string(rune('a'+i%26)) + string(rune('a'+i/26)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	d, _ := fs.OpenDir(".")
	if err := d.Sync(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := fs.Crash(CrashTornWrite, rng); err != nil {
			b.Fatal(err)
		}
	}
}

func benchOS(b *testing.B) *OS {
	o, err := NewOS(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return o
}

func BenchmarkOSAppend1KB(b *testing.B)     { benchAppend(b, benchOS(b), false) }
func BenchmarkOSAppendSync1KB(b *testing.B) { benchAppend(b, benchOS(b), true) }
