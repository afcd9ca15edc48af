package lsm

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node/lsm/base"
	"dynasim/node/lsm/wal"
)

// flipBit flips one bit of a file through the FS interface (read it all,
// write a copy, rename it over), so it works on every FS.
func flipBit(t *testing.T, fs disk.FS, name string, bit int64) {
	f, err := fs.Open(name)
	require.NoError(t, err)
	size, err := f.Size()
	require.NoError(t, err)
	b := make([]byte, size)
	_, err = f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())
	require.Less(t, bit/8, size, "flip outside %s", name)
	b[bit/8] ^= 1 << (bit % 8)
	g, err := fs.Create(name + ".flip")
	require.NoError(t, err)
	_, err = g.Write(b)
	require.NoError(t, err)
	require.NoError(t, g.Sync())
	require.NoError(t, g.Close())
	require.NoError(t, fs.Rename(name+".flip", name))
}

// recordOffsets lists the offsets of the records of a log segment.
func recordOffsets(t *testing.T, fs disk.FS, name string) []int64 {
	f, err := fs.Open(name)
	require.NoError(t, err)
	defer f.Close()
	size, err := f.Size()
	require.NoError(t, err)
	rd := wal.NewReader(f, name, size, wal.MaxRecordBytes)
	var offs []int64
	for {
		off := rd.Offset()
		if _, _, err := rd.Next(); err != nil {
			require.ErrorIs(t, err, io.EOF)
			return offs
		}
		offs = append(offs, off)
	}
}

func listKind(t *testing.T, fs disk.FS, kind fileKind) []string {
	names, err := fs.List("db")
	require.NoError(t, err)
	var out []string
	for _, n := range names {
		if k, _ := parseName(n); k == kind {
			out = append(out, path.Join("db", n))
		}
	}
	return out
}

func requireCorruption(t *testing.T, err error, file string) *base.CorruptionError {
	require.Error(t, err)
	require.ErrorIs(t, err, ErrCorruption)
	var ce *base.CorruptionError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, disk.CleanPath(file), disk.CleanPath(ce.File), "error names the damaged file: %v", err)
	return ce
}

type fsMaker struct {
	name string
	make func(t *testing.T) disk.FS
}

var fsMakers = []fsMaker{
	{"memfs", func(t *testing.T) disk.FS { return newMemFS(t) }},
	{"os", func(t *testing.T) disk.FS { return osWorld().newFS(t) }},
}

func forEachFS(t *testing.T, f func(t *testing.T, fs disk.FS)) {
	for _, m := range fsMakers {
		t.Run(m.name, func(t *testing.T) { f(t, m.make(t)) })
	}
}

func kv(i int) ([]byte, []byte) {
	return []byte(fmt.Sprintf("key%05d", i)), []byte(fmt.Sprintf("value-%d-%0100d", i, i))
}

// TestLogBitFlip: damage to a log record followed by valid records is
// reported with file and offset on Open; nothing is silently dropped.
func TestLogBitFlip(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs disk.FS) {
		c := newClock()
		o := Options{Now: c.Now, Sync: SyncGroupCommit}
		d := mustOpen(t, fs, o)
		for i := 0; i < 100; i++ {
			k, v := kv(i)
			require.NoError(t, d.Put(k, v))
			if i%10 == 9 {
				require.NoError(t, d.Sync())
			}
		}
		require.NoError(t, d.Close())
		logs := listKind(t, fs, kindLog)
		require.Len(t, logs, 1)
		offs := recordOffsets(t, fs, logs[0])
		require.Len(t, offs, 100)
		for _, victim := range []int{0, 37, 98} {
			for _, within := range []int64{2, 9, 15, 40} { // header CRC, length, synced seq, payload
				g := copyFS(t, fs)
				flipBit(t, g, logs[0], (offs[victim]+within)*8+3)
				_, err := Open(g, "db", o)
				ce := requireCorruption(t, err, logs[0])
				require.Equal(t, offs[victim], ce.Offset)
			}
		}
	})
}

// TestLogTailFlipAfterClaim: a damaged last record of a segment is only
// taken for a torn tail if no later record says it had been synced.
func TestLogTailFlipAfterClaim(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs disk.FS) {
		c := newClock()
		o := Options{Now: c.Now, Sync: SyncGroupCommit, MemtableSizeBytes: MinMemtableSizeBytes}
		d := mustOpen(t, fs, o)
		i := 0
		for d.Stats().WALSegmentsCreated == 0 {
			k, v := kv(i)
			require.NoError(t, d.Put(k, v))
			i++
		}
		// The first write of the second segment went in after a rotation;
		// make everything durable so later records claim the first
		// segment's records were synced.
		require.NoError(t, d.Sync())
		k, v := kv(i)
		require.NoError(t, d.Put(k, v))
		require.NoError(t, d.Close())
		logs := listKind(t, fs, kindLog)
		require.Len(t, logs, 2)
		offs := recordOffsets(t, fs, logs[0])
		flipBit(t, fs, logs[0], (offs[len(offs)-1]+30)*8)
		_, err := Open(fs, "db", o)
		ce := requireCorruption(t, err, logs[0])
		require.Equal(t, offs[len(offs)-1], ce.Offset)
		require.Contains(t, ce.Reason, "was synced")
	})
}

// TestLogTornTailTruncated: a damaged final record with nothing after it
// is a torn write: dropped silently and counted.
func TestLogTornTailTruncated(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs disk.FS) {
		c := newClock()
		o := Options{Now: c.Now, Sync: SyncGroupCommit}
		d := mustOpen(t, fs, o)
		for i := 0; i < 20; i++ {
			k, v := kv(i)
			require.NoError(t, d.Put(k, v))
		}
		require.NoError(t, d.Close())
		logs := listKind(t, fs, kindLog)
		offs := recordOffsets(t, fs, logs[0])
		// Cut the last record short, as a crash mid-write would.
		f, err := fs.Open(logs[0])
		require.NoError(t, err)
		b := make([]byte, offs[19]+25)
		_, err = f.ReadAt(b, 0)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		g, err := fs.Create(logs[0])
		require.NoError(t, err)
		_, err = g.Write(b)
		require.NoError(t, err)
		require.NoError(t, g.Close())

		d = mustOpen(t, fs, o)
		st := d.Stats()
		require.Equal(t, uint64(1), st.TornTails)
		require.Equal(t, uint64(25), st.TornTailBytes)
		require.Equal(t, uint64(19), d.LastSeq())
		k, _ := kv(19)
		_, err = d.Get(k)
		require.ErrorIs(t, err, ErrNotFound)
		k, v := kv(18)
		got, err := d.Get(k)
		require.NoError(t, err)
		require.Equal(t, v, got)
		require.NoError(t, d.Close())
	})
}

// copyFS copies the "db" directory of fs into a fresh FS of the same kind
// (MemFS or OS), so one prepared state can be damaged in several ways.
func copyFS(t *testing.T, fs disk.FS) disk.FS {
	var out disk.FS
	if _, ok := fs.(*disk.OS); ok {
		out = osWorld().newFS(t)
	} else {
		out = newMemFS(t)
	}
	require.NoError(t, out.MkdirAll("db"))
	names, err := fs.List("db")
	require.NoError(t, err)
	for _, n := range names {
		p := path.Join("db", n)
		f, err := fs.Open(p)
		require.NoError(t, err)
		size, err := f.Size()
		require.NoError(t, err)
		b := make([]byte, size)
		if size > 0 {
			_, err = f.ReadAt(b, 0)
			require.NoError(t, err)
		}
		require.NoError(t, f.Close())
		g, err := out.Create(p)
		require.NoError(t, err)
		_, err = g.Write(b)
		require.NoError(t, err)
		require.NoError(t, g.Sync())
		require.NoError(t, g.Close())
	}
	return out
}

// tableFixture writes 2000 keys, flushes them into one table, and closes.
func tableFixture(t *testing.T, fs disk.FS) (Options, string) {
	c := newClock()
	o := Options{Now: c.Now, Sync: SyncGroupCommit, BlockCacheSizeBytes: -1}
	d := mustOpen(t, fs, o)
	for i := 0; i < 2000; i++ {
		k, v := kv(i)
		require.NoError(t, d.Put(k, v))
	}
	require.NoError(t, d.Flush())
	require.NoError(t, d.Close())
	tables := listKind(t, fs, kindTable)
	require.Len(t, tables, 1)
	return o, tables[0]
}

// TestTableBitFlip: a flipped bit in a data block surfaces as a corruption
// error naming the table and the block's offset, from Get and from
// iteration; the other blocks stay readable; no read returns wrong data.
// Damage to the footer, index, filter or meta block fails Open.
func TestTableBitFlip(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs disk.FS) {
		o, table := tableFixture(t, fs)
		st, err := fs.Stat(table)
		require.NoError(t, err)
		r := rand.New(rand.NewPCG(5, 5))
		for trial := 0; trial < 40; trial++ {
			g := copyFS(t, fs)
			bit := r.Int64N(st.Size * 8)
			flipBit(t, g, table, bit)
			d, err := Open(g, "db", o)
			if err != nil {
				requireCorruption(t, err, table)
				continue
			}
			// A read that meets the damaged block retries it and then
			// quarantines the table (the fixture's only one): from then on
			// its keys are not found — never wrong data, never an error.
			for i := 0; i < 2000; i++ {
				k, v := kv(i)
				got, err := d.Get(k)
				if d.Stats().TablesQuarantined > 0 {
					require.ErrorIs(t, err, ErrNotFound, "flip at bit %d", bit)
					continue
				}
				require.NoError(t, err, "flip at bit %d", bit)
				require.Equal(t, v, got, "flip at bit %d returned wrong data", bit)
			}
			quarantined := d.Stats().TablesQuarantined > 0
			if quarantined {
				require.Equal(t, uint64(1), d.Stats().TablesQuarantined)
				require.GreaterOrEqual(t, d.Stats().CorruptReads, uint64(QuarantineAfter))
				q := d.Quarantined()
				require.Len(t, q, 1)
				require.Equal(t, table, q[0].File)
			}
			it, err := d.NewIter(IterOptions{})
			require.NoError(t, err)
			n := 0
			for ok := it.First(); ok; ok = it.Next() {
				k, v := kv(n)
				require.Equal(t, string(k), string(it.Key()))
				require.Equal(t, v, it.Value())
				n++
			}
			if quarantined {
				require.Zero(t, n, "the quarantined table is out of the scan")
				require.NoError(t, it.Close())
			} else if err := it.Close(); err != nil {
				// Gets found nothing wrong (a flip in bytes no Get reads,
				// such as a filter block), the scan may.
				requireCorruption(t, err, table)
			}
			require.NoError(t, d.Close())
		}
	})
}

// TestManifestBitFlip: every flipped bit of the manifest fails Open with a
// corruption error naming it.
func TestManifestBitFlip(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs disk.FS) {
		o, _ := tableFixture(t, fs)
		mf := path.Join("db", manifestName)
		st, err := fs.Stat(mf)
		require.NoError(t, err)
		step := int64(1)
		if _, ok := fs.(*disk.OS); ok {
			step = 7 // the OS copy is slower; every 7th bit still covers every field
		}
		for bit := int64(0); bit < st.Size*8; bit += step {
			g := copyFS(t, fs)
			flipBit(t, g, mf, bit)
			_, err := Open(g, "db", o)
			requireCorruption(t, err, mf)
		}
	})
}

// TestDiskFullDuringFlush: a flush that runs out of space fails cleanly —
// its partial table is removed, its memtable stays readable, a later
// Maintain retries it — and after a crash every synced write is there.
// Runs on MemFS (power failure) and on the OS (process kill), each wrapped
// in an ErrorFS whose disk-full switch the test flips.
func TestDiskFullDuringFlush(t *testing.T) {
	for _, w := range []crashWorld{memWorld(disk.CrashLoseUnsynced), osWorld()} {
		t.Run(w.name, func(t *testing.T) { testDiskFullDuringFlush(t, w) })
	}
}

func testDiskFullDuringFlush(t *testing.T, w crashWorld) {
	inner := w.newFS(t)
	efs, err := disk.NewErrorFS(inner, disk.ErrorFSConfig{}, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	c := newClock()
	o := Options{Now: c.Now, MemtableSizeBytes: MinMemtableSizeBytes}
	d := mustOpen(t, efs, o)
	n := 0
	for d.Stats().ImmutableMemtables == 0 {
		k, v := kv(n)
		require.NoError(t, d.Put(k, v))
		n++
	}
	tablesBefore := len(listKind(t, inner, kindTable))
	require.NoError(t, efs.SetEnabled(disk.FaultDiskFull, true))
	_, err = d.Maintain(1 << 30)
	require.ErrorIs(t, err, disk.ErrNoSpace)
	st := d.Stats()
	require.Equal(t, uint64(1), st.FlushesFailed)
	require.Equal(t, 1, st.ImmutableMemtables, "the memtable waits for a retry")
	require.Len(t, listKind(t, inner, kindTable), tablesBefore, "the partial table was removed")
	checkKeys := func(d *DB) {
		for i := 0; i < n; i++ {
			k, v := kv(i)
			got, err := d.Get(k)
			require.NoError(t, err, "key %d", i)
			require.Equal(t, v, got)
		}
		it, err := d.NewIter(IterOptions{})
		require.NoError(t, err)
		require.Len(t, scanDB(t, it, nil), n)
		require.NoError(t, it.Close())
	}
	checkKeys(d)

	// Still full: a second attempt fails the same way.
	_, err = d.Maintain(1 << 30)
	require.ErrorIs(t, err, disk.ErrNoSpace)
	checkKeys(d)

	// Space comes back: the flush succeeds.
	require.NoError(t, efs.SetEnabled(disk.FaultDiskFull, false))
	_, err = d.Maintain(1 << 30)
	require.NoError(t, err)
	require.Equal(t, 0, d.Stats().ImmutableMemtables)
	checkKeys(d)

	// Full again while writing: the write fails and is not visible; nothing
	// acknowledged is lost across a crash.
	require.NoError(t, efs.SetEnabled(disk.FaultDiskFull, true))
	k, v := kv(n)
	require.ErrorIs(t, d.Put(k, v), disk.ErrNoSpace)
	_, err = d.Get(k)
	require.ErrorIs(t, err, ErrNotFound)
	checkKeys(d)
	require.NoError(t, efs.SetEnabled(disk.FaultDiskFull, false))
	d.closeFiles()
	w.crash(t, inner, rand.New(rand.NewPCG(7, 7)))
	d = mustOpen(t, inner, o)
	checkKeys(d)
	require.NoError(t, d.Close())
}

// TestMemFSCapacity: writes on a small disk eventually fail with
// ErrNoSpace (through the log or a flush); every write acknowledged
// before that stays readable.
func TestMemFSCapacity(t *testing.T) {
	mem, err := disk.NewMemFS(disk.MemFSConfig{CapacityBytes: 400 << 10})
	require.NoError(t, err)
	c := newClock()
	d := mustOpen(t, mem, Options{Now: c.Now, MemtableSizeBytes: 64 << 10, InlineMaintenance: true})
	acked := 0
	for ; acked < 100000; acked++ {
		k, v := kv(acked)
		if err := d.Put(k, v); err != nil {
			require.ErrorIs(t, err, disk.ErrNoSpace)
			break
		}
	}
	require.Less(t, acked, 100000, "the disk filled up")
	for i := 0; i < acked; i++ {
		k, v := kv(i)
		got, err := d.Get(k)
		require.NoError(t, err, "key %d", i)
		require.Equal(t, v, got)
	}
}

// TestRandomReadFlips: with bits flipped at random in table reads, every
// read returns the right data or a corruption error — never wrong data —
// and a failed compaction leaves the engine working.
func TestRandomReadFlips(t *testing.T) {
	forEachFS(t, testRandomReadFlips)
}

func testRandomReadFlips(t *testing.T, inner disk.FS) {
	efs, err := disk.NewErrorFS(inner, disk.ErrorFSConfig{BitFlips: []disk.BitFlipFault{{
		Target:      disk.Target{Ops: disk.OpRead, PathFunc: func(p string) bool { k, _ := parseName(path.Base(p)); return k == kindTable }},
		Probability: 0.02,
	}}}, rand.New(rand.NewPCG(3, 4)))
	require.NoError(t, err)
	c := newClock()
	o := smallOptions(c)
	o.BlockCacheSizeBytes = -1
	var d *DB
	for d == nil {
		d, err = Open(efs, "db", o)
		if err != nil {
			require.ErrorIs(t, err, ErrCorruption)
		}
	}
	r := rand.New(rand.NewPCG(9, 9))
	m := model{}
	corrupt := 0
	for i := 0; i < 6000; i++ {
		k := []byte(fmt.Sprintf("k%04d", r.IntN(500)))
		switch r.IntN(4) {
		case 0, 1:
			v := []byte(fmt.Sprintf("v%d-%0*d", i, r.IntN(200), 0))
			require.NoError(t, d.Put(k, v))
			m[string(k)] = string(v)
		case 2:
			got, err := d.Get(k)
			want, ok := m[string(k)]
			switch {
			case err != nil && errors.Is(err, ErrCorruption):
				corrupt++
			case !ok:
				require.ErrorIs(t, err, ErrNotFound)
			default:
				require.NoError(t, err)
				require.Equal(t, want, string(got))
			}
		case 3:
			if _, err := d.Maintain(16 << 10); err != nil {
				require.ErrorIs(t, err, ErrCorruption)
				corrupt++
			}
		}
	}
	require.Greater(t, corrupt, 0, "flips were injected and detected")
	require.Greater(t, d.Stats().Compactions, uint64(0))
}
