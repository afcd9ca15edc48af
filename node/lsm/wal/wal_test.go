package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// bufFile is a disk.File over a byte slice, enough to unit-test the record
// format; the crash behaviour of real files is tested with disk.MemFS in the
// engine's tests.
type bufFile struct {
	data   []byte
	syncs  int
	failAt int // Write fails once len(data) would pass failAt (if > 0)
}

func (f *bufFile) Write(p []byte) (int, error) {
	if f.failAt > 0 && len(f.data)+len(p) > f.failAt {
		n := f.failAt - len(f.data)
		f.data = append(f.data, p[:n]...)
		return n, errors.New("disk full")
	}
	f.data = append(f.data, p...)
	return len(p), nil
}

func (f *bufFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(f.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *bufFile) Close() error         { return nil }
func (f *bufFile) Sync() error          { f.syncs++; return nil }
func (f *bufFile) Size() (int64, error) { return int64(len(f.data)), nil }

func writeRecords(t *testing.T, n int, r *rand.Rand) (*bufFile, [][]byte, []int64) {
	f := &bufFile{}
	w := NewWriter(f, "000001.log", 4096)
	var recs [][]byte
	var offs []int64
	for i := 0; i < n; i++ {
		p := make([]byte, r.IntN(3000))
		for j := range p {
			p[j] = byte(r.Uint32())
		}
		offs = append(offs, w.Size())
		require.NoError(t, w.Append(p, uint64(i)))
		recs = append(recs, p)
	}
	require.NoError(t, w.Sync())
	return f, recs, offs
}

func readAll(f *bufFile) ([][]byte, []Header, error) {
	rd := NewReader(f, "000001.log", int64(len(f.data)), MaxRecordBytes)
	var out [][]byte
	var hs []Header
	for {
		p, h, err := rd.Next()
		if err != nil {
			if err == io.EOF {
				return out, hs, nil
			}
			return out, hs, err
		}
		out = append(out, append([]byte(nil), p...))
		hs = append(hs, h)
	}
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	f, recs, _ := writeRecords(t, 200, r)
	got, hs, err := readAll(f)
	require.NoError(t, err)
	require.Equal(t, len(recs), len(got))
	for i := range recs {
		require.True(t, bytes.Equal(recs[i], got[i]), "record %d", i)
		require.Equal(t, uint64(i), hs[i].SyncedSeq)
	}
	require.Equal(t, 1, f.syncs)
}

func TestTruncatedTailIsInvalidAndNothingFollows(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 1))
	f, recs, offs := writeRecords(t, 30, r)
	for cut := offs[29] + 1; cut < int64(len(f.data)); cut += 97 {
		g := &bufFile{data: f.data[:cut]}
		got, _, err := readAll(g)
		var inv *Invalid
		require.ErrorAs(t, err, &inv, "cut %d", cut)
		require.Equal(t, offs[29], inv.Offset)
		require.Len(t, got, 29)
		rd := NewReader(g, "x", cut, MaxRecordBytes)
		_, found, err := rd.ValidAfter(inv.Offset)
		require.NoError(t, err)
		require.False(t, found, "a torn tail has nothing valid after it")
	}
	_ = recs
}

func TestBitFlipInMiddleIsFollowedByValidRecords(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 1))
	f, _, offs := writeRecords(t, 40, r)
	for trial := 0; trial < 200; trial++ {
		g := &bufFile{data: append([]byte(nil), f.data...)}
		victim := r.IntN(39) // never the last record
		lo, hi := offs[victim], offs[victim+1]
		pos := lo + r.Int64N(hi-lo)
		g.data[pos] ^= 1 << r.IntN(8)
		got, _, err := readAll(g)
		var inv *Invalid
		require.ErrorAs(t, err, &inv, "flip at %d", pos)
		require.Equal(t, lo, inv.Offset)
		require.Len(t, got, victim)
		rd := NewReader(g, "x", int64(len(g.data)), MaxRecordBytes)
		next, found, err := rd.ValidAfter(inv.Offset)
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, offs[victim+1], next)
		claim, err := rd.SyncedClaims(next)
		require.NoError(t, err)
		require.Equal(t, uint64(39), claim)
	}
}

func TestZeroedTailIsTorn(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 1))
	f, _, offs := writeRecords(t, 10, r)
	g := &bufFile{data: append(append([]byte(nil), f.data...), make([]byte, 5000)...)}
	got, _, err := readAll(g)
	var inv *Invalid
	require.ErrorAs(t, err, &inv)
	require.Equal(t, int64(len(f.data)), inv.Offset)
	require.Len(t, got, 10)
	rd := NewReader(g, "x", int64(len(g.data)), MaxRecordBytes)
	_, found, err := rd.ValidAfter(inv.Offset)
	require.NoError(t, err)
	require.False(t, found)
	_ = offs
}

func TestHugeLengthIsRefusedWithoutAllocating(t *testing.T) {
	f := &bufFile{}
	w := NewWriter(f, "x", 1)
	require.NoError(t, w.Append([]byte("hello"), 0))
	rd := NewReader(f, "x", int64(len(f.data)), 4)
	_, _, err := rd.Next()
	require.ErrorContains(t, err, "payload length 5 is over the limit of 4")
}

func TestWriteErrorIsSticky(t *testing.T) {
	f := &bufFile{failAt: 100}
	w := NewWriter(f, "seg", 1)
	err := w.Append(make([]byte, 200), 0)
	require.ErrorContains(t, err, "disk full")
	require.ErrorContains(t, w.Append([]byte("x"), 0), "disk full")
	require.Error(t, w.Sync())
	// The partial record on disk reads as a torn tail.
	_, _, rerr := readAll(f)
	var inv *Invalid
	require.ErrorAs(t, rerr, &inv)
	require.Equal(t, int64(0), inv.Offset)
}

func TestAppendRefusesOversizedRecord(t *testing.T) {
	w := NewWriter(&bufFile{}, "x", 1)
	err := w.Append(make([]byte, MaxRecordBytes+1), 0)
	require.ErrorContains(t, err, fmt.Sprintf("%d bytes is over the limit of %d bytes", MaxRecordBytes+1, MaxRecordBytes))
}

func TestDiscardWritesNothing(t *testing.T) {
	f := &bufFile{}
	w := NewWriter(f, "seg", 1<<20)
	require.NoError(t, w.Append([]byte("buffered"), 0))
	w.Discard()
	require.Empty(t, f.data)
	require.Error(t, w.Append([]byte("x"), 0), "a discarded writer takes no records")
}

// A successor writes its predecessor's buffered records out first, takes
// over the buffer, and leaves the predecessor able to sync but not to take
// records.
func TestSuccessorTakesOverTheBuffer(t *testing.T) {
	f1, f2 := &bufFile{}, &bufFile{}
	w1 := NewWriter(f1, "000001.log", 1<<20)
	require.NoError(t, w1.Append([]byte("first"), 0))
	require.Empty(t, f1.data, "buffered")
	buf := w1.buf
	w2, err := w1.Successor(f2, "000002.log")
	require.NoError(t, err)
	// The handoff: the predecessor lets go of the buffer and the successor
	// writes into the same backing array (compared by its first element,
	// which exists since the capacity is not zero), emptied.
	require.Nil(t, w1.buf, "the predecessor still holds the buffer")
	require.Equal(t, cap(buf), cap(w2.buf))
	require.Same(t, &buf[:1][0], &w2.buf[:1][0], "the successor has a buffer of its own")
	require.Empty(t, w2.buf)
	require.Equal(t, w1.Size(), int64(len(f1.data)), "the predecessor's records are in its file")
	require.True(t, w1.Unsynced())
	require.NoError(t, w1.Sync())
	require.Equal(t, 1, f1.syncs)
	require.ErrorContains(t, w1.Append([]byte("late"), 1), "takes no more records")

	require.NoError(t, w2.Append([]byte("second"), 1))
	require.Empty(t, f2.data, "the successor buffers too")
	require.NoError(t, w2.Sync())
	require.Same(t, &buf[:1][0], &w2.buf[:1][0], "appends stay in the handed-over buffer")
	for _, c := range []struct {
		f    *bufFile
		want string
	}{{f1, "first"}, {f2, "second"}} {
		got, _, err := readAll(c.f)
		require.NoError(t, err)
		require.Equal(t, [][]byte{[]byte(c.want)}, got)
	}

	// A rotation allocates the new Writer and nothing else: no buffer.
	w, spare := w2, &bufFile{}
	require.Equal(t, 1.0, testing.AllocsPerRun(50, func() {
		next, err := w.Successor(spare, "000009.log")
		if err != nil {
			t.Fatal(err)
		}
		w = next
	}))

	f3 := &bufFile{failAt: 1}
	w3 := NewWriter(f3, "000003.log", 1<<20)
	require.NoError(t, w3.Append([]byte("doomed"), 0))
	_, err = w3.Successor(&bufFile{}, "000004.log")
	require.ErrorContains(t, err, "disk full", "a failed write-out is reported, not handed on")
}
