package disk

import (
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// implementations builds a fresh FS of every kind the contract covers.
var implementations = []struct {
	name string
	new  func(t *testing.T) FS
}{
	{"MemFS", func(t *testing.T) FS {
		fs, err := NewMemFS(MemFSConfig{})
		require.NoError(t, err)
		return fs
	}},
	{"ErrorFS-off", func(t *testing.T) FS {
		inner, err := NewMemFS(MemFSConfig{})
		require.NoError(t, err)
		return newAllOffErrorFS(t, inner)
	}},
	{"OS", func(t *testing.T) FS {
		fs, err := NewOS(t.TempDir())
		require.NoError(t, err)
		return fs
	}},
}

// newAllOffErrorFS wraps inner with every fault configured at full strength
// and then switched off: it must be transparent.
func newAllOffErrorFS(t *testing.T, inner FS) *ErrorFS {
	cfg := ErrorFSConfig{
		Latency:  []LatencyFault{{Target: Target{Ops: OpAll}, Sample: func(*rand.Rand) time.Duration { return time.Second }}},
		Errors:   []ErrorFault{{Target: Target{Ops: OpAll}, Probability: 1}},
		BitFlips: []BitFlipFault{{Target: Target{Ops: OpRead}, Probability: 1}},
		DiskFull: true,
	}
	e, err := NewErrorFS(inner, cfg, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	for k := FaultLatency; k <= FaultDiskFull; k++ {
		require.NoError(t, e.SetEnabled(k, false))
	}
	t.Cleanup(func() {
		require.Equal(t, time.Duration(0), e.IOTime(), "faults off must charge no I/O time")
		s := e.Stats()
		require.Zero(t, s.Errors+s.BitFlips+s.NoSpace+s.Delayed, "faults off must inject nothing: %+v", s)
	})
	return e
}

func writeFile(t *testing.T, fs FS, name, content string) {
	t.Helper()
	f, err := fs.Create(name)
	require.NoError(t, err)
	n, err := f.Write([]byte(content))
	require.NoError(t, err)
	require.Equal(t, len(content), n)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
}

func readFile(t *testing.T, fs FS, name string) string {
	t.Helper()
	f, err := fs.Open(name)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	size, err := f.Size()
	require.NoError(t, err)
	buf := make([]byte, size)
	n, err := f.ReadAt(buf, 0)
	if err != io.EOF {
		require.NoError(t, err)
	}
	require.Equal(t, int(size), n)
	return string(buf)
}

func TestConformance(t *testing.T) {
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			for _, tc := range conformanceCases {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, impl.new(t)) })
			}
		})
	}
}

var conformanceCases = []struct {
	name string
	run  func(t *testing.T, fs FS)
}{
	{"write-read", func(t *testing.T, fs FS) {
		f, err := fs.Create("a")
		require.NoError(t, err)
		for _, s := range []string{"hello", "", " world"} {
			n, err := f.Write([]byte(s))
			require.NoError(t, err)
			require.Equal(t, len(s), n)
		}
		size, err := f.Size()
		require.NoError(t, err)
		require.EqualValues(t, 11, size)
		buf := make([]byte, 5)
		n, err := f.ReadAt(buf, 6)
		require.NoError(t, err)
		require.Equal(t, "world", string(buf[:n]), "a writer can read its own bytes")
		require.NoError(t, f.Sync())
		require.NoError(t, f.Close())

		r, err := fs.Open("a")
		require.NoError(t, err)
		buf = make([]byte, 10)
		n, err = r.ReadAt(buf, 6)
		require.ErrorIs(t, err, io.EOF, "a short read reports io.EOF")
		require.Equal(t, "world", string(buf[:n]))
		n, err = r.ReadAt(buf, 11)
		require.ErrorIs(t, err, io.EOF)
		require.Zero(t, n)
		n, err = r.ReadAt(buf, 100)
		require.ErrorIs(t, err, io.EOF)
		require.Zero(t, n)
		n, err = r.ReadAt(buf[:4], 1)
		require.NoError(t, err, "an exact read is not EOF")
		require.Equal(t, "ello", string(buf[:n]))
		_, err = r.ReadAt(buf, -1)
		require.ErrorIs(t, err, ErrInvalid)
		_, err = r.Write([]byte("x"))
		require.ErrorIs(t, err, ErrReadOnly)
		require.NoError(t, r.Sync(), "syncing a read handle is allowed")
		require.NoError(t, r.Close())
		require.Equal(t, "hello world", readFile(t, fs, "a"))
	}},
	{"create-truncates", func(t *testing.T, fs FS) {
		writeFile(t, fs, "a", "long old content")
		writeFile(t, fs, "a", "new")
		require.Equal(t, "new", readFile(t, fs, "a"))
	}},
	{"rename", func(t *testing.T, fs FS) {
		writeFile(t, fs, "a", "A")
		writeFile(t, fs, "b", "B")
		require.NoError(t, fs.Rename("a", "b"), "rename replaces an existing file")
		require.Equal(t, "A", readFile(t, fs, "b"))
		_, err := fs.Stat("a")
		require.ErrorIs(t, err, ErrNotExist)
		require.ErrorIs(t, fs.Rename("a", "c"), ErrNotExist)
		require.NoError(t, fs.Rename("b", "b"), "renaming onto itself does nothing")
		require.Equal(t, "A", readFile(t, fs, "b"))

		require.NoError(t, fs.MkdirAll("d/e"))
		require.NoError(t, fs.Rename("b", "d/e/b"), "files move between directories")
		require.Equal(t, "A", readFile(t, fs, "d/e/b"))
		require.ErrorIs(t, fs.Rename("d/e/b", "d/e"), ErrExist, "a file cannot replace a directory")
		require.ErrorIs(t, fs.Rename("d/e", "d/e/sub"), ErrInvalid, "a directory cannot move into itself")
		writeFile(t, fs, "d/f", "F")
		require.ErrorIs(t, fs.Rename("d/e", "d/f"), ErrNotDir, "a directory cannot replace a file")
		require.NoError(t, fs.MkdirAll("d/h"))
		require.ErrorIs(t, fs.Rename("d/e", "d/h"), ErrExist, "nor another directory, even an empty one")
		require.NoError(t, fs.Remove("d/h"))
		require.NoError(t, fs.Rename("d/e", "d/g"), "a directory can be renamed within its parent")
		require.Equal(t, "A", readFile(t, fs, "d/g/b"))
		names, err := fs.List("d")
		require.NoError(t, err)
		require.Equal(t, []string{"f", "g"}, names)
		require.ErrorIs(t, fs.Rename("missing/x", "y"), ErrNotExist)
		require.ErrorIs(t, fs.Rename("d/f", "missing/x"), ErrNotExist)
		require.ErrorIs(t, fs.Rename(".", "x"), ErrInvalid)
	}},
	{"remove", func(t *testing.T, fs FS) {
		writeFile(t, fs, "a", "A")
		require.NoError(t, fs.Remove("a"))
		require.ErrorIs(t, fs.Remove("a"), ErrNotExist)
		_, err := fs.Open("a")
		require.ErrorIs(t, err, ErrNotExist)
		require.NoError(t, fs.MkdirAll("d"))
		writeFile(t, fs, "d/x", "X")
		require.ErrorIs(t, fs.Remove("d"), ErrNotEmpty)
		require.NoError(t, fs.Remove("d/x"))
		require.NoError(t, fs.Remove("d"), "an empty directory can be removed")
		require.ErrorIs(t, fs.Remove("/"), ErrInvalid, "the root cannot be removed")
	}},
	{"list-stat", func(t *testing.T, fs FS) {
		for _, n := range []string{"c", "a", "b"} {
			writeFile(t, fs, n, n+n)
		}
		require.NoError(t, fs.MkdirAll("d"))
		names, err := fs.List(".")
		require.NoError(t, err)
		require.Equal(t, []string{"a", "b", "c", "d"}, names)
		names, err = fs.List("d")
		require.NoError(t, err)
		require.Empty(t, names)
		_, err = fs.List("missing")
		require.ErrorIs(t, err, ErrNotExist)
		_, err = fs.List("a")
		require.ErrorIs(t, err, ErrNotDir)

		fi, err := fs.Stat("b")
		require.NoError(t, err)
		require.Equal(t, FileInfo{Name: "b", Size: 2}, fi)
		fi, err = fs.Stat("d")
		require.NoError(t, err)
		require.Equal(t, FileInfo{Name: "d", IsDir: true}, fi)
		_, err = fs.Stat("missing")
		require.ErrorIs(t, err, ErrNotExist)
		_, err = fs.Stat("a/x")
		require.ErrorIs(t, err, ErrNotDir, "a file is not a directory")
	}},
	{"mkdirall", func(t *testing.T, fs FS) {
		require.NoError(t, fs.MkdirAll("x/y/z"))
		require.NoError(t, fs.MkdirAll("x/y/z"), "MkdirAll on an existing directory is fine")
		require.NoError(t, fs.MkdirAll("/"))
		writeFile(t, fs, "x/y/z/f", "deep")
		require.Equal(t, "deep", readFile(t, fs, "x/y/z/f"))
		require.ErrorIs(t, fs.MkdirAll("x/y/z/f"), ErrNotDir)
		require.ErrorIs(t, fs.MkdirAll("x/y/z/f/g"), ErrNotDir)
		_, err := fs.Create("nodir/f")
		require.ErrorIs(t, err, ErrNotExist)
	}},
	{"open-errors", func(t *testing.T, fs FS) {
		_, err := fs.Open("missing")
		require.ErrorIs(t, err, ErrNotExist)
		_, err = fs.OpenDir("missing")
		require.ErrorIs(t, err, ErrNotExist)
		require.NoError(t, fs.MkdirAll("d"))
		writeFile(t, fs, "f", "F")
		_, err = fs.Open("d")
		require.ErrorIs(t, err, ErrIsDir)
		_, err = fs.Create("d")
		require.ErrorIs(t, err, ErrIsDir)
		_, err = fs.Create("/")
		require.ErrorIs(t, err, ErrIsDir)
		_, err = fs.OpenDir("f")
		require.ErrorIs(t, err, ErrNotDir)
	}},
	{"closed-handles", func(t *testing.T, fs FS) {
		f, err := fs.Create("a")
		require.NoError(t, err)
		require.NoError(t, f.Close())
		_, err = f.Write([]byte("x"))
		require.ErrorIs(t, err, ErrClosed)
		_, err = f.ReadAt(make([]byte, 1), 0)
		require.ErrorIs(t, err, ErrClosed)
		require.ErrorIs(t, f.Sync(), ErrClosed)
		_, err = f.Size()
		require.ErrorIs(t, err, ErrClosed)
		require.ErrorIs(t, f.Close(), ErrClosed)
		d, err := fs.OpenDir(".")
		require.NoError(t, err)
		require.NoError(t, d.Close())
		require.ErrorIs(t, d.Sync(), ErrClosed)
	}},
	{"dir-handle", func(t *testing.T, fs FS) {
		require.NoError(t, fs.MkdirAll("d"))
		d, err := fs.OpenDir("d")
		require.NoError(t, err)
		require.NoError(t, d.Sync())
		_, err = d.Write([]byte("x"))
		require.ErrorIs(t, err, ErrIsDir)
		_, err = d.ReadAt(make([]byte, 1), 0)
		require.ErrorIs(t, err, ErrIsDir)
		_, err = d.Size()
		require.ErrorIs(t, err, ErrIsDir)
		require.NoError(t, d.Close())
	}},
	{"unlinked-open-file", func(t *testing.T, fs FS) {
		w, err := fs.Create("a")
		require.NoError(t, err)
		_, err = w.Write([]byte("abc"))
		require.NoError(t, err)
		r, err := fs.Open("a")
		require.NoError(t, err)
		require.NoError(t, fs.Remove("a"))
		_, err = w.Write([]byte("def"))
		require.NoError(t, err, "an unlinked file stays writable through its handle")
		buf := make([]byte, 6)
		n, err := r.ReadAt(buf, 0)
		require.NoError(t, err)
		require.Equal(t, "abcdef", string(buf[:n]), "and readable")
		require.NoError(t, w.Close())
		require.NoError(t, r.Close())
		names, err := fs.List(".")
		require.NoError(t, err)
		require.Empty(t, names)
	}},
	{"paths", func(t *testing.T, fs FS) {
		require.NoError(t, fs.MkdirAll("/p"))
		writeFile(t, fs, "p//q", "Q")
		for _, name := range []string{"p/q", "/p/q", "p/./q", "p/r/../q", "./p/q/", "../p/q"} {
			require.Equal(t, "Q", readFile(t, fs, name), name)
		}
		writeFile(t, fs, "../../escape", "E")
		names, err := fs.List("/")
		require.NoError(t, err)
		require.Equal(t, []string{"escape", "p"}, names, "no name climbs above the root")
		fi, err := fs.Stat("/p/q")
		require.NoError(t, err)
		require.Equal(t, "q", fi.Name)
	}},
}
