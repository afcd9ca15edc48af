package lsm

import (
	"testing"

	"dynasim/node/lsm/base"
)

// FuzzDecodeManifest: arbitrary bytes never panic the manifest decoder;
// anything it rejects is a corruption error, and anything it accepts
// re-encodes to the same bytes.
func FuzzDecodeManifest(f *testing.F) {
	m := &manifest{nextFileNum: 9, flushedSeq: 40, logNum: 8, tables: []tableMeta{
		{num: 3, size: 100, entries: 4, minSeq: 1, maxSeq: 20,
			smallest: base.AppendInternalKey(nil, []byte("a"), 2, base.KindSet),
			largest:  base.AppendInternalKey(nil, []byte("z"), 20, base.KindDelete)},
	}}
	f.Add(m.encode())
	f.Add((&manifest{nextFileNum: 1}).encode())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeManifest(b, "MANIFEST")
		if err != nil {
			if _, ok := err.(*base.CorruptionError); !ok {
				t.Fatalf("error is not a CorruptionError: %v", err)
			}
			return
		}
		if string(got.encode()) != string(b) {
			t.Fatalf("accepted manifest does not round-trip")
		}
	})
}

// FuzzBatchReader: arbitrary payloads never panic the batch decoder (the
// commit-log replay path), and decoded keys and values lie within it.
func FuzzBatchReader(f *testing.F) {
	b := NewBatch()
	b.Put([]byte("key"), []byte("value"))
	b.Delete([]byte("gone"))
	b.seal(7, 99)
	f.Add(b.data)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := newBatchReader(data)
		if err != nil {
			return
		}
		for i := 0; i < int(r.count)+1; i++ {
			e, ok, err := r.next()
			if err != nil || !ok {
				return
			}
			if len(e.key)+len(e.value) > len(data) {
				t.Fatalf("entry larger than the payload")
			}
		}
	})
}
