package wal

import (
	"errors"
	"io"
	"testing"
)

// FuzzReader: arbitrary segment bytes never panic the log reader, and the
// scan for later valid records terminates.
func FuzzReader(f *testing.F) {
	seg := &bufFile{}
	w := NewWriter(seg, "s", 1)
	_ = w.Append([]byte("first record"), 0)
	_ = w.Append([]byte("second"), 1)
	f.Add(seg.data)
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(&bufFile{data: data}, "s", int64(len(data)), 1<<20)
		for {
			_, _, err := rd.Next()
			if err == nil {
				continue
			}
			if err == io.EOF {
				return
			}
			var inv *Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("unexpected error %v", err)
			}
			if _, _, err := rd.ValidAfter(inv.Offset); err != nil {
				t.Fatal(err)
			}
			if _, err := rd.SyncedClaims(inv.Offset); err != nil {
				t.Fatal(err)
			}
			return
		}
	})
}
