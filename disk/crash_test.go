package disk

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The random crash test drives a MemFS and a deliberately naive model side by
// side. The model keeps, per file, every byte written, the synced length and
// the start of the last write, and per directory a current and a durable
// entry table. After a crash it checks each surviving file against what the
// crash mode allows, then adopts what MemFS kept.

type mNode struct {
	dir       bool
	data      []byte
	synced    int
	lastStart int
	cur, dur  map[string]*mNode
}

func newMDir() *mNode {
	return &mNode{dir: true, cur: map[string]*mNode{}, dur: map[string]*mNode{}}
}

type mHandle struct {
	f    File
	node *mNode
}

type crashCoverage struct {
	interior       int // KeepPrefix: kept strictly between synced and all
	tornInside     int // TornWrite: cut at a sector boundary strictly inside the last write
	tornKeptEarly  int // TornWrite: earlier unsynced writes kept while the last one was cut
	vanished       int // current paths that a crash removed
	resurrected    int // paths a crash brought back
	filesChecked   int
	twoNames       int // files a crash left under two names (a half-durable cross-directory rename)
	handlesChecked int
}

type crashRun struct {
	t       *testing.T
	fs      *MemFS
	rng     *rand.Rand // drives the operations
	root    *mNode
	handles []mHandle
	sector  int
	cov     *crashCoverage
}

var crashNames = []string{"a", "b", "c", "d/a", "d/b", "v/a", "v/b"}

func (r *crashRun) lookup(p string) (*mNode, *mNode, string) {
	dir, base := splitParent(p)
	d := r.root
	if dir != "." {
		d = r.root.cur[dir]
		if d == nil {
			return nil, nil, base
		}
	}
	return d, d.cur[base], base
}

// step performs one random operation on both the FS and the model.
func (r *crashRun) step() {
	t := r.t
	switch op := r.rng.IntN(100); {
	case op < 10: // create
		p := crashNames[r.rng.IntN(len(crashNames))]
		d, old, base := r.lookup(p)
		f, err := r.fs.Create(p)
		if d == nil {
			require.ErrorIs(t, err, ErrNotExist)
			return
		}
		require.NoError(t, err)
		_ = old
		n := &mNode{}
		d.cur[base] = n
		r.handles = append(r.handles, mHandle{f, n})
	case op < 45: // write through a handle (maybe of an unlinked file)
		if len(r.handles) == 0 {
			return
		}
		h := r.handles[r.rng.IntN(len(r.handles))]
		buf := make([]byte, r.rng.IntN(3*r.sector))
		for i := range buf {
			buf[i] = byte(r.rng.Uint32())
		}
		n, err := h.f.Write(buf)
		require.NoError(t, err)
		require.Equal(t, len(buf), n)
		if len(buf) > 0 {
			h.node.lastStart = len(h.node.data)
			h.node.data = append(h.node.data, buf...)
		}
	case op < 55: // sync a file
		if len(r.handles) == 0 {
			return
		}
		h := r.handles[r.rng.IntN(len(r.handles))]
		require.NoError(t, h.f.Sync())
		h.node.synced = len(h.node.data)
	case op < 70: // sync a directory
		dir := []string{".", "d", "v"}[r.rng.IntN(3)]
		d := r.root
		if dir != "." {
			d = r.root.cur[dir]
		}
		f, err := r.fs.OpenDir(dir)
		if d == nil {
			require.ErrorIs(t, err, ErrNotExist)
			return
		}
		require.NoError(t, err)
		require.NoError(t, f.Sync())
		require.NoError(t, f.Close())
		d.dur = maps.Clone(d.cur)
	case op < 78: // rename a file
		from := crashNames[r.rng.IntN(len(crashNames))]
		to := crashNames[r.rng.IntN(len(crashNames))]
		fd, fn, fbase := r.lookup(from)
		td, _, tbase := r.lookup(to)
		err := r.fs.Rename(from, to)
		if fn == nil || td == nil {
			require.ErrorIs(t, err, ErrNotExist)
			return
		}
		require.NoError(t, err)
		if td.cur[tbase] != fn { // two names for one file: rename does nothing (POSIX)
			delete(fd.cur, fbase)
			td.cur[tbase] = fn
		}
	case op < 84: // remove a file
		p := crashNames[r.rng.IntN(len(crashNames))]
		d, n, base := r.lookup(p)
		err := r.fs.Remove(p)
		if n == nil {
			require.ErrorIs(t, err, ErrNotExist)
			return
		}
		require.NoError(t, err)
		delete(d.cur, base)
	case op < 88: // create or remove the volatile directory v
		if v := r.root.cur["v"]; v != nil {
			err := r.fs.Remove("v")
			if len(v.cur) > 0 {
				require.ErrorIs(t, err, ErrNotEmpty)
				return
			}
			require.NoError(t, err)
			delete(r.root.cur, "v")
			return
		}
		require.NoError(t, r.fs.MkdirAll("v"))
		r.root.cur["v"] = newMDir()
	default: // close a handle
		if len(r.handles) == 0 {
			return
		}
		i := r.rng.IntN(len(r.handles))
		require.NoError(t, r.handles[i].f.Close())
		r.handles = slices.Delete(r.handles, i, i+1)
	}
}

// files lists the files of a tree, by path, through the current (durable
// false) or durable entry tables.
func mFiles(d *mNode, prefix string, durable bool, out map[string]*mNode) {
	table := d.cur
	if durable {
		table = d.dur
	}
	for name, c := range table {
		if c.dir {
			out[prefix+name+"/"] = c
			mFiles(c, prefix+name+"/", durable, out)
		} else {
			out[prefix+name] = c
		}
	}
}

// usage is what MemFS.Usage must report: the bytes of every file reachable
// through current or durable entries, or held open.
func (r *crashRun) usage() int64 {
	seen := map[*mNode]bool{}
	var walk func(d *mNode)
	walk = func(d *mNode) {
		for _, table := range []map[string]*mNode{d.cur, d.dur} {
			for _, c := range table {
				if !seen[c] {
					seen[c] = true
					if c.dir {
						walk(c)
					}
				}
			}
		}
	}
	walk(r.root)
	for _, h := range r.handles {
		seen[h.node] = true
	}
	var sum int64
	for n := range seen {
		sum += int64(len(n.data))
	}
	return sum
}

// fsTree lists the FS's current namespace the same way mFiles does.
func fsTree(t *testing.T, fs FS, dir, prefix string, out map[string]bool) {
	names, err := fs.List(dir)
	require.NoError(t, err)
	for _, name := range names {
		p := prefix + name
		fi, err := fs.Stat(p)
		require.NoError(t, err)
		if fi.IsDir {
			out[p+"/"] = true
			fsTree(t, fs, p, p+"/", out)
		} else {
			out[p] = true
		}
	}
}

// crash crashes both and checks the outcome.
func (r *crashRun) crash(mode CrashMode, crashRng *rand.Rand) {
	t := r.t
	before := map[string]*mNode{}
	mFiles(r.root, "", false, before)
	require.NoError(t, r.fs.Crash(mode, crashRng))

	// Old handles are dead and change nothing.
	for _, h := range r.handles {
		_, err := h.f.Write([]byte("zombie"))
		require.ErrorIs(t, err, ErrClosed)
		_, err = h.f.ReadAt(make([]byte, 1), 0)
		require.ErrorIs(t, err, ErrClosed)
		require.ErrorIs(t, h.f.Sync(), ErrClosed)
		require.ErrorIs(t, h.f.Close(), ErrClosed)
		r.cov.handlesChecked++
	}
	r.handles = nil

	// The namespace is exactly the durable one.
	want := map[string]*mNode{}
	mFiles(r.root, "", true, want)
	got := map[string]bool{}
	fsTree(t, r.fs, ".", "", got)
	require.Equal(t, slices.Sorted(maps.Keys(want)), slices.Sorted(maps.Keys(got)), "namespace after %v crash", mode)
	for p := range before {
		if want[p] == nil {
			r.cov.vanished++
		}
	}
	for p := range want {
		if before[p] == nil {
			r.cov.resurrected++
		}
	}

	// Each surviving file (once, even under two names) holds what the mode allows.
	checked := map[*mNode]bool{}
	for _, p := range slices.Sorted(maps.Keys(want)) {
		n := want[p]
		if n.dir {
			continue
		}
		c := []byte(readFile(t, r.fs, p))
		if checked[n] {
			require.Equal(t, n.data, c, "%s: a file under two names has one content", p)
			r.cov.twoNames++
			continue
		}
		checked[n] = true
		r.cov.filesChecked++
		r.checkFile(p, n, c, mode)
		n.data, n.synced, n.lastStart = c, len(c), len(c)
	}

	// Every directory restarts from its durable table.
	var reset func(d *mNode)
	reset = func(d *mNode) {
		d.cur = maps.Clone(d.dur)
		for _, c := range d.dur {
			if c.dir {
				reset(c)
			}
		}
	}
	reset(r.root)
	require.Equal(t, r.usage(), r.fs.Usage(), "usage after the crash")
}

func (r *crashRun) checkFile(p string, n *mNode, c []byte, mode CrashMode) {
	t := r.t
	size := len(n.data)
	require.GreaterOrEqual(t, len(c), n.synced, "%s: every synced byte survives", p)
	require.LessOrEqual(t, len(c), size, "%s: no byte appears that was never written", p)
	require.True(t, bytes.Equal(n.data[:len(c)], c), "%s: survivors are exactly the written bytes", p)
	switch mode {
	case CrashLoseUnsynced:
		require.Equal(t, n.synced, len(c), "%s: unsynced bytes are lost", p)
	case CrashKeepPrefix:
		if len(c) > n.synced && len(c) < size {
			r.cov.interior++
		}
	case CrashTornWrite:
		if size == n.synced {
			return
		}
		require.GreaterOrEqual(t, n.lastStart, n.synced)
		require.GreaterOrEqual(t, len(c), n.lastStart, "%s: earlier unsynced writes survive", p)
		onBoundary := len(c) == n.lastStart || len(c) == size || len(c)%r.sector == 0
		require.True(t, onBoundary, "%s: cut at %d, not a sector boundary of the last write [%d, %d)", p, len(c), n.lastStart, size)
		if len(c) > n.lastStart && len(c) < size {
			r.cov.tornInside++
		}
		if n.lastStart > n.synced && len(c) < size {
			r.cov.tornKeptEarly++
		}
	}
}

func TestMemFSCrashRandom(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 60
	}
	for _, mode := range []CrashMode{CrashLoseUnsynced, CrashKeepPrefix, CrashTornWrite} {
		t.Run(mode.String(), func(t *testing.T) {
			cov := &crashCoverage{}
			for seed := range uint64(seeds) {
				sector := []int{64, 512}[seed%2]
				fs, err := NewMemFS(MemFSConfig{SectorSize: sector})
				require.NoError(t, err)
				require.NoError(t, fs.MkdirAll("d"))
				root := newMDir()
				root.cur["d"] = newMDir()
				d, err := fs.OpenDir(".")
				require.NoError(t, err)
				require.NoError(t, d.Sync())
				require.NoError(t, d.Close())
				root.dur = maps.Clone(root.cur)

				r := &crashRun{t: t, fs: fs, rng: rand.New(rand.NewPCG(seed, 1)), root: root, sector: sector, cov: cov}
				crashRng := rand.New(rand.NewPCG(seed, 2))
				for round := 0; round < 4; round++ {
					for i := 0; i < 60; i++ {
						r.step()
						require.Equal(t, r.usage(), fs.Usage(), "usage, seed %d", seed)
					}
					r.crash(mode, crashRng)
				}
			}
			t.Logf("%v coverage: %+v", mode, *cov)
			require.Positive(t, cov.vanished, "some un-dir-synced entries must vanish")
			require.Positive(t, cov.resurrected, "some un-dir-synced removes and renames must be undone")
			require.Positive(t, cov.handlesChecked)
			require.Positive(t, cov.twoNames)
			switch mode {
			case CrashKeepPrefix:
				require.Positive(t, cov.interior, "KeepPrefix must sometimes keep part of the unsynced bytes")
			case CrashTornWrite:
				require.Positive(t, cov.tornInside, "torn writes must sometimes cut inside the last write")
				require.Positive(t, cov.tornKeptEarly, "torn writes must keep earlier unsynced writes")
			}
		})
	}
}

// requireUniform checks that counts over equally likely outcomes are each
// within 5 binomial standard deviations of the mean.
func requireUniform(t *testing.T, counts map[int64]int, outcomes []int64, trials int) {
	t.Helper()
	require.Equal(t, outcomes, slices.Sorted(maps.Keys(counts)), "exactly the allowed outcomes occur")
	p := 1 / float64(len(outcomes))
	mean, sigma := float64(trials)*p, math.Sqrt(float64(trials)*p*(1-p))
	for _, o := range outcomes {
		require.InDelta(t, mean, float64(counts[o]), 5*sigma, "outcome %d: %d of %d", o, counts[o], trials)
	}
}

func TestMemFSKeepPrefixIsUniform(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const trials = 5500
	counts := map[int64]int{}
	for range trials {
		fs := newCrashFile(t, MemFSConfig{}, [][]byte{make([]byte, 5)}, [][]byte{make([]byte, 4), make([]byte, 6)})
		require.NoError(t, fs.Crash(CrashKeepPrefix, rng))
		size, err := fs.DurableSize("f")
		require.NoError(t, err)
		counts[size]++
	}
	requireUniform(t, counts, []int64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, trials)
}

func TestMemFSTornWriteIsUniformOverSectorBoundaries(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	const trials = 3000
	counts := map[int64]int{}
	// synced [0, 50), earlier unsynced write [50, 100), last write [100, 1100)
	// over 256-byte sectors: cuts at 100, 256, 512, 768, 1024 or 1100.
	for range trials {
		fs := newCrashFile(t, MemFSConfig{SectorSize: 256}, [][]byte{make([]byte, 50)}, [][]byte{make([]byte, 50), make([]byte, 1000)})
		require.NoError(t, fs.Crash(CrashTornWrite, rng))
		size, err := fs.DurableSize("f")
		require.NoError(t, err)
		counts[size]++
	}
	requireUniform(t, counts, []int64{100, 256, 512, 768, 1024, 1100}, trials)
}

func TestTornCutEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, tc := range []struct {
		start, end, sector int64
		want               []int64
	}{
		{0, 10, 512, []int64{0, 10}},         // inside one sector
		{512, 1024, 512, []int64{512, 1024}}, // exactly one aligned sector
		{512, 1537, 512, []int64{512, 1024, 1536, 1537}},
		{511, 513, 512, []int64{511, 512, 513}}, // straddles one boundary
		{3, 9, 1, []int64{3, 4, 5, 6, 7, 8, 9}}, // 1-byte sectors: any cut
	} {
		seen := map[int64]bool{}
		for range 400 {
			seen[tornCut(tc.start, tc.end, tc.sector, rng)] = true
		}
		require.Equal(t, tc.want, slices.Sorted(maps.Keys(seen)), "%+v", tc)
	}
}

// newCrashFile makes a MemFS with a durable file "f" holding the synced
// writes followed by the unsynced ones.
func newCrashFile(t *testing.T, cfg MemFSConfig, synced, unsynced [][]byte) *MemFS {
	fs, err := NewMemFS(cfg)
	require.NoError(t, err)
	f, err := fs.Create("f")
	require.NoError(t, err)
	for _, w := range synced {
		_, err = f.Write(w)
		require.NoError(t, err)
	}
	require.NoError(t, f.Sync())
	for _, w := range unsynced {
		_, err = f.Write(w)
		require.NoError(t, err)
	}
	syncDir(t, fs, ".")
	return fs
}

func syncDir(t *testing.T, fs FS, dir string) {
	t.Helper()
	d, err := fs.OpenDir(dir)
	require.NoError(t, err)
	require.NoError(t, d.Sync())
	require.NoError(t, d.Close())
}

func TestCrashModeParse(t *testing.T) {
	for _, m := range []CrashMode{CrashLoseUnsynced, CrashKeepPrefix, CrashTornWrite} {
		got, err := ParseCrashMode(m.String())
		require.NoError(t, err)
		require.Equal(t, m, got)
	}
	_, err := ParseCrashMode("lost")
	require.ErrorIs(t, err, ErrInvalid)
	require.Equal(t, "CrashMode(9)", fmt.Sprint(CrashMode(9)))
}
