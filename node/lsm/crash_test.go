package lsm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
)

// histWrite is one entry of the write history; the entry with sequence
// number s is hist[s-1].
type histWrite struct {
	key      string
	val      string
	del      bool
	batchEnd bool // last entry of its batch
}

func stateAt(hist []histWrite, r uint64) model {
	m := model{}
	for _, w := range hist[:r] {
		if w.del {
			delete(m, w.key)
		} else {
			m[w.key] = w.val
		}
	}
	return m
}

// crashWorld is a filesystem and what a crash does to it.
type crashWorld struct {
	name  string
	newFS func(t *testing.T) disk.FS
	// crash simulates a power failure (MemFS) or a process kill (OS, where
	// the kernel keeps every byte written).
	crash func(t *testing.T, fs disk.FS, r *rand.Rand)
}

func memWorld(mode disk.CrashMode) crashWorld {
	return crashWorld{
		name:  "memfs/" + mode.String(),
		newFS: func(t *testing.T) disk.FS { return newMemFS(t) },
		crash: func(t *testing.T, fs disk.FS, r *rand.Rand) {
			require.NoError(t, fs.(*disk.MemFS).Crash(mode, r))
		},
	}
}

func osWorld() crashWorld {
	return crashWorld{
		name: "os",
		newFS: func(t *testing.T) disk.FS {
			fs, err := disk.NewOS(t.TempDir())
			require.NoError(t, err)
			return fs
		},
		crash: func(*testing.T, disk.FS, *rand.Rand) {},
	}
}

type crashRun struct {
	t       *testing.T
	r       *rand.Rand
	w       crashWorld
	fs      disk.FS
	o       Options
	hist    []histWrite
	durable uint64 // largest DurableSeq the engine reported
}

// writeOp performs one random write and records it. It returns false if
// the write failed (the run's cut was reached).
func (cr *crashRun) writeOp(d *DB) bool {
	r := cr.r
	key := func() string { return fmt.Sprintf("k%04d", r.IntN(300)) }
	val := func() string {
		b := make([]byte, r.IntN(600))
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		return string(b)
	}
	var ws []histWrite
	var err error
	switch op := r.IntN(10); {
	case op < 6:
		w := histWrite{key: key(), val: val()}
		ws = append(ws, w)
		err = d.Put([]byte(w.key), []byte(w.val))
	case op < 8:
		w := histWrite{key: key(), del: true}
		ws = append(ws, w)
		err = d.Delete([]byte(w.key))
	default:
		b := NewBatch()
		for n := 1 + r.IntN(10); n > 0; n-- {
			w := histWrite{key: key()}
			if r.IntN(4) == 0 {
				w.del = true
				b.Delete([]byte(w.key))
			} else {
				w.val = val()
				b.Put([]byte(w.key), []byte(w.val))
			}
			ws = append(ws, w)
		}
		err = d.Apply(b)
	}
	ws[len(ws)-1].batchEnd = true
	// A failed write may still have reached the log; recovery may or may
	// not bring it back, so it is part of the history either way.
	cr.hist = append(cr.hist, ws...)
	if err != nil {
		require.ErrorIs(cr.t, err, disk.ErrInjected)
		return false
	}
	require.Equal(cr.t, uint64(len(cr.hist)), d.LastSeq())
	return true
}

// round opens the engine (through a cut with some probability), runs
// random operations, crashes, and checks the recovered state.
func (cr *crashRun) round() {
	t, r := cr.t, cr.r
	cut := &cutFS{inner: cr.fs, left: -1}
	if r.IntN(2) == 0 {
		cut.left = r.IntN(400)
	}
	d, err := Open(cut, "db", cr.o)
	if err != nil {
		require.ErrorIs(t, err, disk.ErrInjected, "only the cut may fail Open")
		cr.crashAndCheck(nil)
		return
	}
	left := cut.left
	cut.left = -1 // the check's reads are not part of the run
	cr.checkRecovered(d)
	cut.left = left
	for n := r.IntN(300); n > 0; n-- {
		ok := true
		switch op := r.IntN(20); {
		case op < 14:
			ok = cr.writeOp(d)
		case op < 16:
			ok = d.Sync() == nil
		case op < 18:
			_, err := d.Maintain(int64(1 + r.IntN(32<<10)))
			ok = err == nil
		case op < 19:
			ok = d.Flush() == nil
		default:
			ok = d.Compact() == nil
		}
		cr.durable = max(cr.durable, d.DurableSeq())
		if !ok {
			require.True(t, cut.cut(), "an operation failed before the cut")
			break
		}
	}
	cr.crashAndCheck(d)
}

func (cr *crashRun) crashAndCheck(d *DB) {
	if d != nil {
		d.closeFiles() // drop the handles without syncing anything
	}
	cr.w.crash(cr.t, cr.fs, cr.r)
}

// checkRecovered verifies a freshly opened engine holds exactly the
// history up to its LastSeq, and that LastSeq covers every write it had
// acknowledged as durable.
func (cr *crashRun) checkRecovered(d *DB) {
	t := cr.t
	rs := d.LastSeq()
	require.GreaterOrEqual(t, rs, cr.durable, "a write acknowledged as durable was lost")
	require.LessOrEqual(t, rs, uint64(len(cr.hist)), "recovered writes that were never made")
	if rs > 0 {
		require.True(t, cr.hist[rs-1].batchEnd, "recovered part of a batch (seq %d)", rs)
	}
	want := stateAt(cr.hist, rs)
	it, err := d.NewIter(IterOptions{})
	require.NoError(t, err)
	require.Equal(t, want.scan(nil, nil), scanDB(t, it, nil))
	require.NoError(t, it.Close())
	for k, v := range want {
		got, err := d.Get([]byte(k))
		require.NoError(t, err)
		require.Equal(t, v, string(got))
		break
	}
	cr.hist = cr.hist[:rs]
	require.Equal(t, rs, d.DurableSeq(), "recovery leaves everything durable")
}

func runCrashSuite(t *testing.T, w crashWorld, seeds, rounds int) {
	for seed := 0; seed < seeds; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(seed), 0xc4a54))
			c := newClock()
			o := randomModelOptions(r, c)
			cr := &crashRun{t: t, r: r, w: w, fs: w.newFS(t), o: o}
			for i := 0; i < rounds; i++ {
				cr.round()
			}
			d, err := Open(cr.fs, "db", o)
			require.NoError(t, err)
			cr.checkRecovered(d)
			require.NoError(t, d.Close())
		})
	}
}

// TestCrash interleaves random operations with crashes at random points
// (including in the middle of flushes, compactions, manifest installs and
// recovery itself, through cutFS) under every MemFS crash mode. After
// every recovery: every write acknowledged as synced is present, nothing
// appears that was never written, batches are all or nothing, and each
// key holds its newest surviving version — the recovered state is exactly
// a prefix of the write history at least as long as the durable prefix.
func TestCrash(t *testing.T) {
	seeds, rounds := 25, 8
	if testing.Short() {
		seeds = 8
	}
	for _, mode := range []disk.CrashMode{disk.CrashLoseUnsynced, disk.CrashKeepPrefix, disk.CrashTornWrite} {
		w := memWorld(mode)
		t.Run(w.name, func(t *testing.T) { runCrashSuite(t, w, seeds, rounds) })
	}
}

// TestCrashOS runs the crash suite on the OS filesystem. A process kill
// keeps every byte the kernel received, so crashes come from the cut
// points: the engine stops at an arbitrary I/O operation (mid-flush,
// mid-compaction, between a rename and its directory sync, during
// recovery) and is reopened.
func TestCrashOS(t *testing.T) {
	runCrashSuite(t, osWorld(), 6, 6)
}
