package sstable

import (
	"errors"
	"testing"

	"dynasim/node/lsm/base"
)

// FuzzOpenTable: arbitrary file contents never panic the table reader: Open
// and every read either work or return a corruption error.
func FuzzOpenTable(f *testing.F) {
	var entries []kv
	for i := 0; i < 30; i++ {
		entries = append(entries, kv{base.AppendInternalKey(nil, []byte{byte('a' + i)}, uint64(i+1), base.KindSet), []byte{byte(i)}})
	}
	w := NewWriter(&bufFile{}, "t", WriterOptions{BlockSizeBytes: 64, RestartInterval: 3, BloomBitsPerKey: 10, WriteBufferBytes: 64})
	for _, e := range entries {
		_ = w.Add(e.ikey, e.value)
	}
	_, _, _ = w.Finish(true)
	f.Add(w.f.(*bufFile).data)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Open(&bufFile{data: data}, "t", 1, NewCache(1<<16), &ReadStats{})
		if err != nil {
			if !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("open: %v", err)
			}
			return
		}
		it := r.NewIter(true, false)
		for ok := it.First(); ok; ok = it.Next() {
		}
		if err := it.Err(); err != nil && !errors.Is(err, base.ErrCorruption) {
			t.Fatalf("iterate: %v", err)
		}
		for _, e := range entries {
			uk := base.UserKey(e.ikey)
			if _, _, _, err := r.Get(uk, base.SearchKey(nil, uk, base.MaxSeq), 0); err != nil && !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("get: %v", err)
			}
		}
	})
}
