package lsm

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSizeLimits(t *testing.T) {
	c := newClock()
	d := mustOpen(t, newMemFS(t), Options{Now: c.Now})
	defer d.Close()
	err := d.Put([]byte("k"), make([]byte, 10<<10+1))
	require.ErrorIs(t, err, ErrTooLarge)
	require.EqualError(t, err, "lsm: too large: value of 10241 bytes is over the limit of 10240 bytes")
	require.NoError(t, d.Put([]byte("k"), make([]byte, 10<<10)))

	err = d.Put(make([]byte, 1025), nil)
	require.EqualError(t, err, "lsm: too large: key of 1025 bytes is over the limit of 1024 bytes")
	require.ErrorIs(t, d.Delete(make([]byte, 1025)), ErrTooLarge)
	_, err = d.Get(make([]byte, 1025))
	require.ErrorIs(t, err, ErrTooLarge)

	b := NewBatch()
	b.Put([]byte("a"), []byte("1"))
	b.Put([]byte("b"), make([]byte, 20000))
	err = d.Apply(b)
	require.EqualError(t, err, "batch entry 1: lsm: too large: value of 20000 bytes is over the limit of 10240 bytes")
	_, err = d.Get([]byte("a"))
	require.ErrorIs(t, err, ErrNotFound, "a refused batch writes nothing")

	big := NewBatch()
	for big.SizeBytes() <= 16<<20 {
		big.Put([]byte(fmt.Sprint(big.Len())), make([]byte, 10<<10))
	}
	err = d.Apply(big)
	require.ErrorIs(t, err, ErrTooLarge)
	require.Contains(t, err.Error(), "is over the limit of 16777216 bytes")
	require.Equal(t, uint64(1), d.LastSeq())
}

func TestOptionsValidate(t *testing.T) {
	c := newClock()
	good := Options{Now: c.Now}.WithDefaults()
	require.NoError(t, good.Validate())
	for _, tc := range []struct {
		mut  func(*Options)
		want string
	}{
		{func(o *Options) { o.Now = nil }, "Options.Now is nil"},
		{func(o *Options) { o.MaxValueSizeBytes = HardMaxValueSizeBytes + 1 }, "MaxValueSizeBytes = 16777217 is outside [0, 16777216]"},
		{func(o *Options) { o.MemtableSizeBytes = 10 }, "MemtableSizeBytes = 10 is outside"},
		{func(o *Options) { o.BlockSizeBytes = 2 << 20 }, "BlockSizeBytes"},
		{func(o *Options) { o.BloomBitsPerKey = 100 }, "BloomBitsPerKey = 100"},
		{func(o *Options) { o.CompactionMaxWidth = 2; o.CompactionMinWidth = 4 }, "CompactionMaxWidth = 2"},
		{func(o *Options) { o.Sync = 7 }, "Options.Sync = 7"},
		{func(o *Options) { o.SyncInterval = time.Nanosecond }, "SyncInterval"},
		{func(o *Options) { o.CompactionSizeRatio = 0.5 }, "CompactionSizeRatio"},
		{func(o *Options) { o.MaxBatchSizeBytes = 100 }, "cannot hold one maximal key and value"},
		{func(o *Options) { o.TombstoneGrace = -time.Second }, "TombstoneGrace"},
	} {
		o := good
		tc.mut(&o)
		err := o.Validate()
		require.Error(t, err)
		require.Contains(t, err.Error(), tc.want)
		if o.Now != nil {
			_, err = Open(newMemFS(t), "db", o)
			require.ErrorContains(t, err, tc.want, "Open validates too")
		}
	}
}

// TestDurableSeq pins down what each sync mode acknowledges.
func TestDurableSeq(t *testing.T) {
	c := newClock()
	t.Run("every-write", func(t *testing.T) {
		d := mustOpen(t, newMemFS(t), Options{Now: c.Now})
		defer d.Close()
		for i := 0; i < 5; i++ {
			require.NoError(t, d.Put([]byte{byte(i)}, nil))
			require.Equal(t, d.LastSeq(), d.DurableSeq())
		}
		require.Equal(t, uint64(5), d.Stats().WALSyncs)
	})
	t.Run("group-commit", func(t *testing.T) {
		d := mustOpen(t, newMemFS(t), Options{Now: c.Now, Sync: SyncGroupCommit})
		defer d.Close()
		for i := 0; i < 5; i++ {
			require.NoError(t, d.Put([]byte{byte(i)}, nil))
		}
		require.Equal(t, uint64(5), d.LastSeq())
		require.Equal(t, uint64(0), d.DurableSeq())
		require.NoError(t, d.Sync())
		require.Equal(t, uint64(5), d.DurableSeq())
		require.Equal(t, uint64(1), d.Stats().WALSyncs, "one sync covers the group")
		require.NoError(t, d.Sync())
		require.Equal(t, uint64(1), d.Stats().WALSyncs, "nothing new to sync")
		require.False(t, d.NeedsMaintenance())
	})
	t.Run("periodic", func(t *testing.T) {
		d := mustOpen(t, newMemFS(t), Options{Now: c.Now, Sync: SyncPeriodic, SyncInterval: time.Second})
		defer d.Close()
		require.NoError(t, d.Put([]byte("a"), nil))
		require.Equal(t, uint64(0), d.DurableSeq())
		require.False(t, d.NeedsMaintenance())
		c.Advance(time.Second)
		require.True(t, d.NeedsMaintenance(), "a sync is due")
		_, err := d.Maintain(1)
		require.NoError(t, err)
		require.Equal(t, uint64(1), d.DurableSeq())
		require.NoError(t, d.Put([]byte("b"), nil))
		c.Advance(2 * time.Second)
		require.NoError(t, d.Put([]byte("c"), nil), "the due sync runs before this write")
		require.Equal(t, uint64(2), d.DurableSeq())
	})
	t.Run("flush makes writes durable", func(t *testing.T) {
		d := mustOpen(t, newMemFS(t), Options{Now: c.Now, Sync: SyncGroupCommit})
		defer d.Close()
		require.NoError(t, d.Put([]byte("a"), nil))
		require.NoError(t, d.Flush())
		require.Equal(t, uint64(1), d.DurableSeq())
	})
}

// TestTombstoneGrace: compaction keeps a tombstone until the grace period
// has passed, and even then while an older table may hold the key.
func TestTombstoneGrace(t *testing.T) {
	c := newClock()
	o := Options{Now: c.Now, Sync: SyncGroupCommit, TombstoneGrace: time.Hour, CompactionMinWidth: 2}
	d := mustOpen(t, newMemFS(t), o)
	defer d.Close()
	require.NoError(t, d.Put([]byte("old"), []byte("1")))
	require.NoError(t, d.Put([]byte("x"), []byte("1")))
	require.NoError(t, d.Flush()) // oldest table holds "old" and "x"
	require.NoError(t, d.Put([]byte("y"), []byte("1")))
	require.NoError(t, d.Flush())
	require.NoError(t, d.Delete([]byte("old")))
	require.NoError(t, d.Delete([]byte("y")))
	require.NoError(t, d.Flush())
	require.NoError(t, d.Put([]byte("z"), []byte("1")))
	require.NoError(t, d.Flush())
	require.Equal(t, 4, d.Stats().Tables)

	// Merging the two newest tables within the grace period keeps both
	// tombstones.
	d.startCompaction(d.tables[:2])
	_, _, err := d.stepCompaction(unlimited)
	require.NoError(t, err)
	require.Zero(t, d.Stats().TombstonesDropped)

	// After the grace period, a merge of everything but the oldest table
	// drops the tombstone for "y" (no older table can hold it) but keeps
	// the one for "old", which the oldest table still holds.
	c.Advance(time.Hour)
	d.startCompaction(d.tables[:2])
	_, _, err = d.stepCompaction(unlimited)
	require.NoError(t, err)
	require.Equal(t, uint64(1), d.Stats().TombstonesDropped)
	_, err = d.Get([]byte("old"))
	require.ErrorIs(t, err, ErrNotFound, "the kept tombstone still hides the old value")

	require.NoError(t, d.CompactAll())
	require.Equal(t, uint64(2), d.Stats().TombstonesDropped)
	require.Equal(t, 1, d.Stats().Tables)
	_, err = d.Get([]byte("old"))
	require.ErrorIs(t, err, ErrNotFound)
	for _, k := range []string{"x", "z"} {
		v, err := d.Get([]byte(k))
		require.NoError(t, err)
		require.Equal(t, "1", string(v))
	}
}

// TestWritesContinueDuringIncrementalFlush: immutable memtables queue while
// small Maintain steps flush them; reads see everything throughout; a host
// that never calls Maintain gets write stalls, not unbounded memory.
func TestWritesContinueDuringIncrementalFlush(t *testing.T) {
	c := newClock()
	o := Options{Now: c.Now, Sync: SyncGroupCommit, MemtableSizeBytes: MinMemtableSizeBytes, MaxImmutableMemtables: 2}
	d := mustOpen(t, newMemFS(t), o)
	defer d.Close()
	sawPartial := false
	for i := 0; i < 3000; i++ {
		k, v := kv(i)
		require.NoError(t, d.Put(k, v))
		if i%7 == 0 {
			_, err := d.Maintain(2 << 10)
			require.NoError(t, err)
			sawPartial = sawPartial || d.flushJob != nil
		}
		if i%97 == 0 {
			for j := 0; j <= i; j += 13 {
				k, v := kv(j)
				got, err := d.Get(k)
				require.NoError(t, err)
				require.Equal(t, v, got)
			}
		}
		require.LessOrEqual(t, d.Stats().ImmutableMemtables, 2)
	}
	require.True(t, sawPartial, "flushes ran in several steps")
	require.Zero(t, d.Stats().WriteStalls)

	// Without Maintain, the queue bound forces inline flushes.
	for i := 3000; i < 6000; i++ {
		k, v := kv(i)
		require.NoError(t, d.Put(k, v))
		require.LessOrEqual(t, d.Stats().ImmutableMemtables, 2)
	}
	require.Greater(t, d.Stats().WriteStalls, uint64(0))
	for d.NeedsMaintenance() {
		_, err := d.Maintain(64 << 10)
		require.NoError(t, err)
	}
	st := d.Stats()
	require.LessOrEqual(t, st.Tables, o.WithDefaults().MaxTables)
	require.Greater(t, st.Compactions, uint64(0))
	require.Greater(t, st.WriteAmplification, 1.0)
}

// TestLogSegmentsRecycled: a segment is removed once a checkpoint makes
// its memtable's flush durable, so the log stays bounded; tables that a
// compaction replaced before the checkpoint were never synced.
func TestLogSegmentsRecycled(t *testing.T) {
	for name, checkpoint := range map[string]int64{
		"set":     4 * MinMemtableSizeBytes,
		"default": 0, // follows the memtable size: the same 4 x
	} {
		t.Run(name, func(t *testing.T) { testLogSegmentsRecycled(t, checkpoint) })
	}
}

func testLogSegmentsRecycled(t *testing.T, checkpointLogBytes int64) {
	c := newClock()
	fs := newMemFS(t)
	o := Options{Now: c.Now, Sync: SyncGroupCommit, MemtableSizeBytes: MinMemtableSizeBytes,
		CheckpointLogBytes: checkpointLogBytes, InlineMaintenance: true}
	d := mustOpen(t, fs, o)
	for i := 0; i < 5000; i++ {
		k, v := kv(i)
		require.NoError(t, d.Put(k, v))
		require.LessOrEqual(t, len(listKind(t, fs, kindLog)), 2*4+2, "retained log is bounded")
	}
	st := d.Stats()
	require.Greater(t, st.WALSegmentsCreated, uint64(20))
	require.Greater(t, st.Checkpoints, uint64(3))
	require.GreaterOrEqual(t, st.WALSegmentsRemoved+2*4+1, st.WALSegmentsCreated)
	require.Less(t, st.TableSyncs, st.Flushes+st.Compactions, "some tables were never synced")
	require.NoError(t, d.Flush())
	require.Len(t, listKind(t, fs, kindLog), 1, "a checkpoint after a full flush leaves only the live segment")
	require.Equal(t, d.LastSeq(), d.DurableSeq())
	require.NoError(t, d.Close())
}

func TestIteratorBoundsAndClose(t *testing.T) {
	c := newClock()
	d := mustOpen(t, newMemFS(t), Options{Now: c.Now})
	for _, k := range []string{"a", "b", "c", "d"} {
		require.NoError(t, d.Put([]byte(k), []byte(strings.ToUpper(k))))
	}
	_, err := d.NewIter(IterOptions{LowerBound: []byte("c"), UpperBound: []byte("b")})
	require.ErrorContains(t, err, "above upper bound")
	it, err := d.NewIter(IterOptions{LowerBound: []byte("b"), UpperBound: []byte("d")})
	require.NoError(t, err)
	var got []string
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, string(it.Key())+"="+string(it.Value()))
	}
	require.Equal(t, []string{"b=B", "c=C"}, got)
	require.True(t, it.SeekGE([]byte("a")))
	require.Equal(t, "b", string(it.Key()), "seeks are clamped to the lower bound")
	require.ErrorContains(t, d.Close(), "1 iterators still open")
	require.False(t, it.Next())
	require.False(t, it.First())
	require.NoError(t, it.Close())
	require.ErrorIs(t, d.Put([]byte("x"), nil), ErrClosed)
	_, err = d.Get([]byte("a"))
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, d.Close(), ErrClosed)
}

func TestMissingManifestIsCorruption(t *testing.T) {
	c := newClock()
	fs := newMemFS(t)
	d := mustOpen(t, fs, Options{Now: c.Now})
	require.NoError(t, d.Put([]byte("a"), []byte("b")))
	require.NoError(t, d.Close())
	require.NoError(t, fs.Remove("db/MANIFEST"))
	_, err := Open(fs, "db", Options{Now: c.Now})
	requireCorruption(t, err, "db/MANIFEST")
}

func TestIteratorSurvivesCompaction(t *testing.T) {
	c := newClock()
	fs := newMemFS(t)
	d := mustOpen(t, fs, Options{Now: c.Now, Sync: SyncGroupCommit})
	for round := 0; round < 4; round++ {
		for i := 0; i < 100; i++ {
			k, _ := kv(i)
			require.NoError(t, d.Put(k, []byte(fmt.Sprint(round))))
		}
		require.NoError(t, d.Flush())
	}
	it, err := d.NewIter(IterOptions{})
	require.NoError(t, err)
	require.True(t, it.First())
	require.NoError(t, d.CompactAll())
	tables := len(listKind(t, fs, kindTable))
	require.Equal(t, 5, tables, "the compacted inputs stay while the iterator reads them")
	n := 0
	for ok := it.Valid(); ok; ok = it.Next() {
		require.True(t, bytes.Equal([]byte("3"), it.Value()))
		n++
	}
	require.Equal(t, 100, n)
	require.NoError(t, it.Close())
	require.Len(t, listKind(t, fs, kindTable), 1, "and go when it closes")
	require.NoError(t, d.Close())
}

// TestReadStats: the read path consults Bloom filters before blocks and
// counts what it did.
func TestReadStats(t *testing.T) {
	c := newClock()
	d := mustOpen(t, newMemFS(t), Options{Now: c.Now, Sync: SyncGroupCommit, CompactionMinWidth: 8, CompactionMaxWidth: 8})
	defer d.Close()
	// Four tables with interleaved keys, so every key range spans them all.
	for tbl := 0; tbl < 4; tbl++ {
		for i := 0; i < 5000; i++ {
			k, v := kv(4*i + tbl)
			require.NoError(t, d.Put(k, v))
		}
		require.NoError(t, d.Flush())
	}
	require.Equal(t, 4, d.Stats().Tables)
	// Absent keys inside every table's key range: four filter checks each.
	for i := 10; i < 5010; i++ {
		_, err := d.Get([]byte(fmt.Sprintf("key%05d-absent", i)))
		require.ErrorIs(t, err, ErrNotFound)
	}
	st := d.Stats()
	require.Equal(t, uint64(5000*4), st.BloomChecks)
	fp := float64(st.BloomFalsePositives) / float64(st.BloomChecks)
	require.Less(t, fp, 0.02, "about 1 %% false positives")
	require.Equal(t, st.BloomChecks, st.BloomNegatives+st.BloomFalsePositives)
	require.Equal(t, st.BloomFalsePositives, st.BlocksRead+st.CacheHits, "only false positives touch blocks")

	// Present keys: found in the first table whose filter says maybe.
	before := d.Stats()
	for i := 0; i < 20000; i += 7 {
		k, v := kv(i)
		got, err := d.Get(k)
		require.NoError(t, err)
		require.Equal(t, v, got)
	}
	st = d.Stats()
	require.Equal(t, uint64((20000+6)/7), st.BloomTruePositives-before.BloomTruePositives)
	require.Greater(t, st.CacheMisses, before.CacheMisses)
	require.Greater(t, st.GetHits, before.GetHits)
}
