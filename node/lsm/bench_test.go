package lsm

import (
	"encoding/binary"
	"testing"
)

// Engine micro-benchmarks on MemFS (the cross-engine comparison on the OS
// filesystem lives in the separate bench module).

func benchDB(b *testing.B, o Options) *DB {
	c := newClock()
	o.Now = c.Now
	d, err := Open(newMemFS(b), "db", o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Close() })
	return d
}

func BenchmarkPut(b *testing.B) {
	d := benchDB(b, Options{Sync: SyncGroupCommit, InlineMaintenance: true})
	key := make([]byte, 16)
	val := make([]byte, 1000)
	b.ReportAllocs()
	b.SetBytes(int64(len(key) + len(val)))
	for i := 0; i < b.N; i++ {
		binary.BigEndian.PutUint64(key, uint64(i)*0x9e3779b97f4a7c15)
		if err := d.Put(key, val); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	d := benchDB(b, Options{Sync: SyncGroupCommit, InlineMaintenance: true})
	key := make([]byte, 16)
	val := make([]byte, 1000)
	const n = 100_000
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint64(key, uint64(i)*0x9e3779b97f4a7c15)
		if err := d.Put(key, val); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.BigEndian.PutUint64(key, uint64(i%n)*0x9e3779b97f4a7c15)
		if _, err := d.Get(key); err != nil {
			b.Fatal(err)
		}
	}
}
