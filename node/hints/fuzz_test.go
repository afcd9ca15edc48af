package hints

import (
	"testing"
	"time"
)

// FuzzDecodeRecord: a record payload that passed its checksum but is
// malformed (a bug, or a collision) yields an error, never a panic, and a
// valid add record decodes to what was encoded. Run locally:
//
//	go test ./node/hints -run '^$' -fuzz FuzzDecodeRecord -fuzztime 30s
func FuzzDecodeRecord(f *testing.F) {
	h := Hint{ID: 7, Target: 3, Key: []byte("key"), Version: []byte("version"), Created: time.Unix(0, 12345).UTC()}
	f.Add(appendAdd(nil, 9, &h))
	f.Add([]byte{recDel, 1, 2, 5, 6})
	f.Add([]byte{recBase, 1, 1})
	f.Add([]byte{recDel, 1, 200})
	f.Fuzz(func(t *testing.T, p []byte) {
		rec, err := decodeRecord(p)
		if err != nil || rec.typ != recAdd {
			return
		}
		again, err := decodeRecord(appendAdd(nil, rec.seq, &rec.hint))
		if err != nil || again.hint.ID != rec.hint.ID || string(again.hint.Key) != string(rec.hint.Key) ||
			string(again.hint.Version) != string(rec.hint.Version) || !again.hint.Created.Equal(rec.hint.Created) {
			t.Fatalf("add record does not round-trip: %+v vs %+v (%v)", rec, again, err)
		}
	})
}
