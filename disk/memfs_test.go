package disk

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func newMem(t *testing.T, cfg MemFSConfig) *MemFS {
	t.Helper()
	fs, err := NewMemFS(cfg)
	require.NoError(t, err)
	return fs
}

func crash(t *testing.T, fs *MemFS) {
	t.Helper()
	require.NoError(t, fs.Crash(CrashLoseUnsynced, nil))
}

func TestMemFSNamespaceDurability(t *testing.T) {
	t.Run("create needs a dir sync", func(t *testing.T) {
		fs := newMem(t, MemFSConfig{})
		writeFile(t, fs, "f", "synced data")
		crash(t, fs)
		_, err := fs.Stat("f")
		require.ErrorIs(t, err, ErrNotExist, "a synced file without a durable entry vanishes")

		writeFile(t, fs, "f", "synced data")
		syncDir(t, fs, ".")
		crash(t, fs)
		require.Equal(t, "synced data", readFile(t, fs, "f"))
	})
	t.Run("create over an existing file brings the old one back", func(t *testing.T) {
		fs := newMem(t, MemFSConfig{})
		writeFile(t, fs, "f", "old")
		syncDir(t, fs, ".")
		writeFile(t, fs, "f", "new and longer")
		require.Equal(t, "new and longer", readFile(t, fs, "f"))
		crash(t, fs)
		require.Equal(t, "old", readFile(t, fs, "f"))
	})
	t.Run("remove and rename are undone", func(t *testing.T) {
		fs := newMem(t, MemFSConfig{})
		writeFile(t, fs, "a", "A")
		writeFile(t, fs, "b", "B")
		syncDir(t, fs, ".")
		require.NoError(t, fs.Remove("a"))
		require.NoError(t, fs.Rename("b", "c"))
		crash(t, fs)
		names, err := fs.List(".")
		require.NoError(t, err)
		require.Equal(t, []string{"a", "b"}, names)
		require.Equal(t, "B", readFile(t, fs, "b"))

		require.NoError(t, fs.Rename("b", "c"))
		syncDir(t, fs, ".")
		crash(t, fs)
		names, err = fs.List(".")
		require.NoError(t, err)
		require.Equal(t, []string{"a", "c"}, names, "a synced rename stays")
	})
	t.Run("cross-directory rename is durable per directory", func(t *testing.T) {
		fs := newMem(t, MemFSConfig{})
		require.NoError(t, fs.MkdirAll("x"))
		require.NoError(t, fs.MkdirAll("y"))
		writeFile(t, fs, "x/f", "F")
		syncDir(t, fs, ".")
		syncDir(t, fs, "x")
		require.NoError(t, fs.Rename("x/f", "y/f"))
		syncDir(t, fs, "y")
		crash(t, fs)
		require.Equal(t, "F", readFile(t, fs, "x/f"), "the source entry was not synced")
		require.Equal(t, "F", readFile(t, fs, "y/f"), "the destination entry was")
		require.ErrorIs(t, fs.Rename("x", "y/x"), ErrInvalid, "directories move only within their parent")
	})
	t.Run("nested directories need every parent synced", func(t *testing.T) {
		fs := newMem(t, MemFSConfig{})
		require.NoError(t, fs.MkdirAll("a/b"))
		writeFile(t, fs, "a/b/f", "F")
		syncDir(t, fs, "a/b")
		syncDir(t, fs, "a")
		crash(t, fs)
		_, err := fs.Stat("a")
		require.ErrorIs(t, err, ErrNotExist, "the root was never synced")

		require.NoError(t, fs.MkdirAll("a/b"))
		writeFile(t, fs, "a/b/f", "F")
		for _, d := range []string{"a/b", "a", "."} {
			syncDir(t, fs, d)
		}
		crash(t, fs)
		require.Equal(t, "F", readFile(t, fs, "a/b/f"))
	})
	t.Run("a removed directory comes back with its durable entries", func(t *testing.T) {
		fs := newMem(t, MemFSConfig{})
		require.NoError(t, fs.MkdirAll("d"))
		writeFile(t, fs, "d/f", "F")
		syncDir(t, fs, "d")
		syncDir(t, fs, ".")
		require.NoError(t, fs.Remove("d/f"))
		require.NoError(t, fs.Remove("d"))
		crash(t, fs)
		require.Equal(t, "F", readFile(t, fs, "d/f"))
	})
}

func TestMemFSOldHandlesDieWithACrash(t *testing.T) {
	fs := newMem(t, MemFSConfig{})
	w, err := fs.Create("f")
	require.NoError(t, err)
	_, err = w.Write([]byte("abc"))
	require.NoError(t, err)
	require.NoError(t, w.Sync())
	syncDir(t, fs, ".")
	r, err := fs.Open("f")
	require.NoError(t, err)
	d, err := fs.OpenDir(".")
	require.NoError(t, err)
	crash(t, fs)

	_, err = w.Write([]byte("def"))
	require.ErrorIs(t, err, ErrClosed)
	_, err = r.ReadAt(make([]byte, 3), 0)
	require.ErrorIs(t, err, ErrClosed)
	_, err = r.Size()
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, d.Sync(), ErrClosed)
	require.ErrorIs(t, w.Close(), ErrClosed)
	require.Equal(t, "abc", readFile(t, fs, "f"), "the dead writer changed nothing")
	require.EqualValues(t, 3, fs.Usage())
}

func TestMemFSDiskFull(t *testing.T) {
	fs := newMem(t, MemFSConfig{CapacityBytes: 4096})
	f, err := fs.Create("a")
	require.NoError(t, err)
	_, err = f.Write(make([]byte, 3000))
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	syncDir(t, fs, ".")
	_, err = f.Write(make([]byte, 1000))
	require.NoError(t, err, "unsynced bytes fit too")

	n, err := f.Write(make([]byte, 97))
	require.ErrorIs(t, err, ErrNoSpace)
	require.Zero(t, n)
	require.ErrorContains(t, err, "writing 97 bytes with 4000 of 4096 bytes used")
	size, err := f.Size()
	require.NoError(t, err)
	require.EqualValues(t, 4000, size, "a refused write writes nothing")
	_, err = f.Write(make([]byte, 96))
	require.NoError(t, err, "the disk fills exactly to its capacity")
	require.EqualValues(t, 4096, fs.Usage())
	_, err = f.Write([]byte{1})
	require.ErrorIs(t, err, ErrNoSpace)
	require.NoError(t, f.Close())

	// Replacing the file frees nothing until the replacement is durable: a
	// crash could bring the old file back.
	g, err := fs.Create("a")
	require.NoError(t, err)
	_, err = g.Write([]byte{1})
	require.ErrorIs(t, err, ErrNoSpace)
	require.NoError(t, g.Close())
	crash(t, fs)
	got, err := fs.DurableSize("a")
	require.NoError(t, err)
	require.EqualValues(t, 3000, got, "no synced byte was lost")
	require.EqualValues(t, 3000, fs.Usage())

	// Freeing space makes the disk usable again.
	require.NoError(t, fs.Remove("a"))
	require.EqualValues(t, 3000, fs.Usage(), "an undurable remove keeps the space")
	syncDir(t, fs, ".")
	require.Zero(t, fs.Usage())
	writeFile(t, fs, "b", string(make([]byte, 4096)))
	require.EqualValues(t, 4096, fs.Usage())
}

func TestMemFSOpenHandleKeepsSpace(t *testing.T) {
	fs := newMem(t, MemFSConfig{})
	writeFile(t, fs, "a", "12345")
	syncDir(t, fs, ".")
	r, err := fs.Open("a")
	require.NoError(t, err)
	require.NoError(t, fs.Remove("a"))
	syncDir(t, fs, ".")
	require.EqualValues(t, 5, fs.Usage(), "an open handle keeps an unlinked file")
	require.NoError(t, r.Close())
	require.Zero(t, fs.Usage())
}

func TestMemFSFlipBit(t *testing.T) {
	fs := newMem(t, MemFSConfig{})
	writeFile(t, fs, "f", "\x00\x00\x00")
	syncDir(t, fs, ".")
	require.NoError(t, fs.FlipBit("f", 9))
	require.Equal(t, "\x00\x02\x00", readFile(t, fs, "f"))
	crash(t, fs)
	require.Equal(t, "\x00\x02\x00", readFile(t, fs, "f"), "the flip is in the durable bytes too")
	require.ErrorIs(t, fs.FlipBit("f", 24), ErrInvalid)
	require.ErrorIs(t, fs.FlipBit("f", -1), ErrInvalid)
	require.ErrorIs(t, fs.FlipBit("missing", 0), ErrNotExist)
	require.ErrorIs(t, fs.FlipBit(".", 0), ErrIsDir)
}

func TestMemFSDurableSizeAndDump(t *testing.T) {
	fs := newMem(t, MemFSConfig{})
	require.NoError(t, fs.MkdirAll("d"))
	syncDir(t, fs, ".")
	f, err := fs.Create("d/f")
	require.NoError(t, err)
	_, err = f.Write([]byte("abc"))
	require.NoError(t, err)
	_, err = fs.DurableSize("d/f")
	require.ErrorIs(t, err, ErrNotExist, "not durably linked yet")
	syncDir(t, fs, "d")
	require.NoError(t, f.Sync())
	_, err = f.Write([]byte("de"))
	require.NoError(t, err)
	got, err := fs.DurableSize("/d/f")
	require.NoError(t, err)
	require.EqualValues(t, 3, got)
	_, err = fs.DurableSize("d")
	require.ErrorIs(t, err, ErrIsDir)
	writeFile(t, fs, "g", "")
	require.Equal(t, "d d/\nf d/f size=5 synced=3\nf g size=0 synced=0 volatile\n", fs.Dump())
}

func TestMemFSConfigAndCrashArgs(t *testing.T) {
	require.NoError(t, MemFSConfig{}.Validate())
	require.NoError(t, DefaultMemFSConfig().Validate())
	require.Equal(t, DefaultSectorSize, newMem(t, MemFSConfig{}).Config().SectorSize)
	for _, bad := range []MemFSConfig{{CapacityBytes: -1}, {SectorSize: -512}, {SectorSize: 1<<20 + 1}} {
		_, err := NewMemFS(bad)
		require.ErrorIs(t, err, ErrInvalid, "%+v", bad)
	}
	fs := newMem(t, MemFSConfig{})
	require.ErrorIs(t, fs.Crash(0, nil), ErrInvalid)
	require.ErrorIs(t, fs.Crash(CrashTornWrite, nil), ErrInvalid, "random modes need a stream")
	require.NoError(t, fs.Crash(CrashKeepPrefix, rand.New(rand.NewPCG(1, 1))))
}

func TestMemFSStats(t *testing.T) {
	fs := newMem(t, MemFSConfig{})
	f, err := fs.Create("f")
	require.NoError(t, err)
	for range 3 {
		_, err = f.Write([]byte("abcd"))
		require.NoError(t, err)
	}
	require.NoError(t, f.Sync())
	_, err = f.Write([]byte("lost"))
	require.NoError(t, err)
	syncDir(t, fs, ".")
	crash(t, fs)
	require.Equal(t, MemFSStats{Writes: 4, BytesWritten: 16, Syncs: 1, DirSyncs: 1, Crashes: 1, BytesLost: 4}, fs.Stats())
}
