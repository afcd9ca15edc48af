package sstable

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/node/lsm/base"
	"dynasim/node/lsm/bloom"
)

// bufFile is a disk.File over a byte slice, enough to unit-test the table
// format; the engine's tests use disk.MemFS and the OS filesystem.
type bufFile struct {
	data   []byte
	closed bool
}

func (f *bufFile) Write(p []byte) (int, error) { f.data = append(f.data, p...); return len(p), nil }
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
func (f *bufFile) Close() error         { f.closed = true; return nil }
func (f *bufFile) Sync() error          { return nil }
func (f *bufFile) Size() (int64, error) { return int64(len(f.data)), nil }

type kv struct{ ikey, value []byte }

func randomEntries(r *rand.Rand, n int) []kv {
	seen := map[string]bool{}
	var out []kv
	for len(out) < n {
		uk := make([]byte, 1+r.IntN(20))
		for i := range uk {
			uk[i] = byte('a' + r.IntN(4))
		}
		if seen[string(uk)] {
			continue
		}
		seen[string(uk)] = true
		kind := base.KindSet
		if r.IntN(6) == 0 {
			kind = base.KindDelete
		}
		v := make([]byte, r.IntN(300))
		for i := range v {
			v[i] = byte(r.Uint32())
		}
		out = append(out, kv{base.AppendInternalKey(nil, uk, uint64(1+r.IntN(1000)), kind), v})
	}
	sort.Slice(out, func(i, j int) bool { return base.CompareInternal(out[i].ikey, out[j].ikey) < 0 })
	return out
}

func writeTable(t *testing.T, entries []kv, o WriterOptions) *bufFile {
	f := &bufFile{}
	w := NewWriter(f, "000007.sst", o)
	for _, e := range entries {
		require.NoError(t, w.Add(e.ikey, e.value))
	}
	props, size, err := w.Finish(true)
	require.NoError(t, err)
	require.Equal(t, uint64(len(f.data)), size)
	require.Equal(t, uint64(len(entries)), props.Entries)
	require.True(t, f.closed)
	return f
}

var defaultOpts = WriterOptions{BlockSizeBytes: 512, RestartInterval: 4, BloomBitsPerKey: 10, WriteBufferBytes: 1024}

func TestWriteReadRoundTrip(t *testing.T) {
	for seed := uint64(0); seed < 10; seed++ {
		r := rand.New(rand.NewPCG(seed, 3))
		entries := randomEntries(r, 1+r.IntN(2000))
		o := defaultOpts
		if seed%3 == 0 {
			o.BloomBitsPerKey = 0
		}
		f := writeTable(t, entries, o)
		var stats ReadStats
		rd, err := Open(f, "000007.sst", 7, NewCache(1<<16), &stats)
		require.NoError(t, err)
		require.Equal(t, entries[0].ikey, rd.Props().Smallest)
		require.Equal(t, entries[len(entries)-1].ikey, rd.Props().Largest)

		it := rd.NewIter(seed%2 == 0, seed%2 == 1)
		i := 0
		for ok := it.First(); ok; ok = it.Next() {
			require.Equal(t, entries[i].ikey, it.Key(), "entry %d", i)
			require.Equal(t, entries[i].value, it.Value())
			i++
		}
		require.NoError(t, it.Err())
		require.Equal(t, len(entries), i)

		for q := 0; q < 300; q++ {
			e := entries[r.IntN(len(entries))]
			uk := base.UserKey(e.ikey)
			v, kind, found, err := rd.Get(uk, base.SearchKey(nil, uk, base.MaxSeq), bloom.Hash(uk))
			require.NoError(t, err)
			require.True(t, found)
			require.Equal(t, base.KindOf(e.ikey), kind)
			require.Equal(t, e.value, v)

			// SeekGE lands on the entry itself.
			it := rd.NewIter(false, false)
			require.True(t, it.SeekGE(base.SearchKey(nil, uk, base.MaxSeq)))
			require.Equal(t, e.ikey, it.Key())
		}
		// Absent keys are not found.
		for q := 0; q < 300; q++ {
			uk := []byte(fmt.Sprintf("zz%d", q))
			_, _, found, err := rd.Get(uk, base.SearchKey(nil, uk, base.MaxSeq), bloom.Hash(uk))
			require.NoError(t, err)
			require.False(t, found)
		}
		if o.BloomBitsPerKey > 0 {
			require.Equal(t, uint64(600), stats.BloomChecks)
			require.Equal(t, uint64(300), stats.BloomTruePositives)
			require.Equal(t, uint64(300), stats.BloomNegatives+stats.BloomFalsePositives)
		}
	}
}

func TestLargeValuesMakeOversizedBlocks(t *testing.T) {
	var entries []kv
	for i := 0; i < 50; i++ {
		entries = append(entries, kv{base.AppendInternalKey(nil, []byte(fmt.Sprintf("k%03d", i)), 1, base.KindSet), bytes.Repeat([]byte{byte(i)}, 10_000)})
	}
	f := writeTable(t, entries, defaultOpts)
	rd, err := Open(f, "t", 1, nil, &ReadStats{})
	require.NoError(t, err)
	require.Equal(t, uint64(50), rd.Props().DataBlocks)
	it := rd.NewIter(false, true)
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		require.Equal(t, entries[n].value, it.Value())
		n++
	}
	require.Equal(t, 50, n)
}

// TestEveryBitFlipIsDetected flips each bit of a small table in turn: the
// damage must surface as a CorruptionError (from Open or from reading the
// damaged block), never as wrong data or a panic.
func TestEveryBitFlipIsDetected(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	entries := randomEntries(r, 40)
	f := writeTable(t, entries, WriterOptions{BlockSizeBytes: 256, RestartInterval: 2, BloomBitsPerKey: 10, WriteBufferBytes: 64})
	for bit := 0; bit < len(f.data)*8; bit++ {
		g := &bufFile{data: append([]byte(nil), f.data...)}
		g.data[bit/8] ^= 1 << (bit % 8)
		err := readEverything(g, entries)
		require.Error(t, err, "flip of bit %d went unnoticed", bit)
		require.True(t, errors.Is(err, base.ErrCorruption), "bit %d: %v", bit, err)
		var ce *base.CorruptionError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "000009.sst", ce.File)
	}
}

// readEverything opens the table, scans it, and gets every key, returning
// the first error or a mismatch.
func readEverything(f *bufFile, entries []kv) error {
	rd, err := Open(f, "000009.sst", 9, NewCache(1<<20), &ReadStats{})
	if err != nil {
		return err
	}
	it := rd.NewIter(true, false)
	i := 0
	for ok := it.First(); ok; ok = it.Next() {
		if i >= len(entries) || !bytes.Equal(it.Key(), entries[i].ikey) || !bytes.Equal(it.Value(), entries[i].value) {
			return fmt.Errorf("wrong data returned at entry %d", i)
		}
		i++
	}
	if it.Err() != nil {
		return it.Err()
	}
	if i != len(entries) {
		return fmt.Errorf("scan returned %d of %d entries", i, len(entries))
	}
	return nil
}

func TestTruncatedTableIsCorrupt(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 9))
	entries := randomEntries(r, 100)
	f := writeTable(t, entries, defaultOpts)
	for _, n := range []int{0, 10, FooterLen - 1, len(f.data) / 2, len(f.data) - 1} {
		_, err := Open(&bufFile{data: f.data[:n]}, "x.sst", 1, nil, &ReadStats{})
		require.ErrorIs(t, err, base.ErrCorruption, "length %d", n)
	}
}

func TestWriterRejectsOutOfOrderKeys(t *testing.T) {
	w := NewWriter(&bufFile{}, "x", defaultOpts)
	require.NoError(t, w.Add(base.AppendInternalKey(nil, []byte("b"), 1, base.KindSet), nil))
	require.ErrorContains(t, w.Add(base.AppendInternalKey(nil, []byte("a"), 2, base.KindSet), nil), "out of order")
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := NewCache(800)
	for i := uint64(0); i < 10; i++ {
		c.put(1, i, make([]byte, 100))
	}
	require.Equal(t, int64(800), c.Stats().UsedBytes)
	_, ok := c.get(1, 0)
	require.False(t, ok, "oldest block evicted")
	_, ok = c.get(1, 2)
	require.True(t, ok)
	c.put(1, 10, make([]byte, 100)) // evicts 3, not the just-used 2
	_, ok = c.get(1, 2)
	require.True(t, ok)
	_, ok = c.get(1, 3)
	require.False(t, ok)
	require.Equal(t, uint64(2), c.Stats().Hits)
	require.Equal(t, uint64(2), c.Stats().Misses)
}
