package lsm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
)

// model is the reference: a plain map, sorted when iterated.
type model map[string]string

func (m model) clone() model {
	c := make(model, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// scan returns the model's pairs in [lo, hi) in key order.
func (m model) scan(lo, hi []byte) [][2]string {
	var keys []string
	for k := range m {
		if lo != nil && k < string(lo) || hi != nil && k >= string(hi) {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out [][2]string
	for _, k := range keys {
		out = append(out, [2]string{k, m[k]})
	}
	return out
}

func scanDB(t *testing.T, it *Iterator, seekTo []byte) [][2]string {
	var out [][2]string
	var ok bool
	if seekTo != nil {
		ok = it.SeekGE(seekTo)
	} else {
		ok = it.First()
	}
	for ; ok; ok = it.Next() {
		out = append(out, [2]string{string(it.Key()), string(it.Value())})
	}
	require.NoError(t, it.Err())
	return out
}

type modelRun struct {
	t     *testing.T
	r     *rand.Rand
	clock *fakeClock
	fs    disk.FS
	d     *DB
	m     model
	nkeys int
	// open iterators with the model as of their creation
	iters []heldIter
	total Stats // counters of closed incarnations
}

func (mr *modelRun) addStats() {
	st := mr.d.Stats()
	mr.total.Flushes += st.Flushes
	mr.total.Compactions += st.Compactions
	mr.total.TombstonesDropped += st.TombstonesDropped
	mr.total.WriteStalls += st.WriteStalls
	mr.total.BloomChecks += st.BloomChecks
	mr.total.BloomNegatives += st.BloomNegatives
}

type heldIter struct {
	it     *Iterator
	snap   model
	lo, hi []byte
}

func (mr *modelRun) key() []byte {
	return []byte(fmt.Sprintf("k%05d", mr.r.IntN(mr.nkeys)))
}

func (mr *modelRun) value() []byte {
	n := mr.r.IntN(400)
	if mr.r.IntN(50) == 0 {
		n = 2000 + mr.r.IntN(6000)
	}
	v := make([]byte, n)
	for i := range v {
		v[i] = byte('a' + mr.r.IntN(26))
	}
	return v
}

func (mr *modelRun) bounds() ([]byte, []byte) {
	var lo, hi []byte
	if mr.r.IntN(3) > 0 {
		lo = mr.key()
	}
	if mr.r.IntN(3) > 0 {
		hi = mr.key()
	}
	if lo != nil && hi != nil && bytes.Compare(lo, hi) > 0 {
		lo, hi = hi, lo
	}
	return lo, hi
}

func randomModelOptions(r *rand.Rand, c *fakeClock) Options {
	o := smallOptions(c)
	o.Sync = SyncMode(r.IntN(3))
	o.InlineMaintenance = r.IntN(2) == 0
	o.MemtableSizeBytes = MinMemtableSizeBytes * (1 + r.IntN(2))
	o.BlockSizeBytes = 256 << r.IntN(4)
	o.BlockRestartInterval = 1 + r.IntN(16)
	o.CompactionMinWidth = 2 + r.IntN(3)
	o.CompactionMaxWidth = o.CompactionMinWidth + r.IntN(6)
	o.MaxTables = o.CompactionMaxWidth + r.IntN(6)
	o.TombstoneGrace = time.Duration(r.IntN(3)) * time.Minute
	if r.IntN(4) == 0 {
		o.BloomBitsPerKey = -1
	}
	if r.IntN(4) == 0 {
		o.BlockCacheSizeBytes = -1
	}
	return o
}

func (mr *modelRun) step(o Options) {
	t, r, d := mr.t, mr.r, mr.d
	switch op := r.IntN(100); {
	case op < 40:
		k, v := mr.key(), mr.value()
		require.NoError(t, d.Put(k, v))
		mr.m[string(k)] = string(v)
	case op < 50:
		k := mr.key()
		require.NoError(t, d.Delete(k))
		delete(mr.m, string(k))
	case op < 58:
		b := NewBatch()
		staged := mr.m.clone()
		for n := 1 + r.IntN(20); n > 0; n-- {
			k := mr.key()
			if r.IntN(4) == 0 {
				b.Delete(k)
				delete(staged, string(k))
			} else {
				v := mr.value()
				b.Put(k, v)
				staged[string(k)] = string(v)
			}
		}
		require.NoError(t, d.Apply(b))
		mr.m = staged
	case op < 75:
		k := mr.key()
		v, err := d.Get(k)
		want, ok := mr.m[string(k)]
		if !ok {
			require.ErrorIs(t, err, ErrNotFound, "key %s", k)
		} else {
			require.NoError(t, err)
			require.Equal(t, want, string(v), "key %s", k)
		}
	case op < 80:
		lo, hi := mr.bounds()
		it, err := d.NewIter(IterOptions{LowerBound: lo, UpperBound: hi, FillCache: r.IntN(2) == 0})
		require.NoError(t, err)
		var seek []byte
		if r.IntN(3) == 0 {
			seek = mr.key()
		}
		got := scanDB(t, it, seek)
		slo := lo
		if seek != nil && (slo == nil || bytes.Compare(seek, slo) > 0) {
			slo = seek
		}
		want := mr.m.scan(slo, hi)
		require.Equal(t, len(want), len(got), "scan [%s, %s) seek %s", lo, hi, seek)
		require.Equal(t, want, got)
		require.NoError(t, it.Close())
	case op < 83:
		// An iterator held while the engine keeps evolving.
		if len(mr.iters) < 3 {
			lo, hi := mr.bounds()
			it, err := d.NewIter(IterOptions{LowerBound: lo, UpperBound: hi})
			require.NoError(t, err)
			mr.iters = append(mr.iters, heldIter{it, mr.m.clone(), lo, hi})
		} else {
			h := mr.iters[0]
			mr.iters = mr.iters[1:]
			require.Equal(t, h.snap.scan(h.lo, h.hi), scanDB(t, h.it, nil), "held iterator sees its snapshot")
			require.NoError(t, h.it.Close())
		}
	case op < 87:
		_, err := d.Maintain(int64(1 + r.IntN(64<<10)))
		require.NoError(t, err)
	case op < 89:
		require.NoError(t, d.Flush())
	case op < 90:
		require.NoError(t, d.Compact())
	case op < 91:
		require.NoError(t, d.CompactAll())
	case op < 93:
		require.NoError(t, d.Sync())
		require.Equal(t, d.LastSeq(), d.DurableSeq())
	case op < 97:
		mr.clock.Advance(time.Duration(r.IntN(90)) * time.Second)
	default:
		mr.closeIters()
		mr.addStats()
		require.NoError(t, d.Close())
		mr.d = mustOpen(t, mr.fs, o)
	}
}

func (mr *modelRun) closeIters() {
	for _, h := range mr.iters {
		require.NoError(mr.t, h.it.Close())
	}
	mr.iters = nil
}

// TestModel runs random operation sequences — puts, deletes, batches, gets,
// bounded scans, iterators held across writes, flushes, compactions,
// maintenance steps, clock jumps past the tombstone grace period, clean
// reopens — against a sorted map, over many seeds and option sets.
func TestModel(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 15
	}
	runModel(t, func(t *testing.T) disk.FS { return newMemFS(t) }, seeds)
}

// TestModelOS runs the model test on the OS filesystem.
func TestModelOS(t *testing.T) {
	runModel(t, osWorld().newFS, 6)
}

func runModel(t *testing.T, newFS func(t *testing.T) disk.FS, seeds int) {
	const ops = 1500
	for seed := 0; seed < seeds; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(seed), 0x6d6f64656c))
			c := newClock()
			o := randomModelOptions(r, c)
			fs := newFS(t)
			mr := &modelRun{t: t, r: r, clock: c, fs: fs, d: mustOpen(t, fs, o), m: model{}, nkeys: 50 + r.IntN(400)}
			for i := 0; i < ops; i++ {
				mr.step(o)
			}
			// Everything agrees at the end, also after a major compaction.
			mr.closeIters()
			require.Equal(t, mr.m.scan(nil, nil), scanAll(t, mr.d))
			require.NoError(t, mr.d.CompactAll())
			require.Equal(t, mr.m.scan(nil, nil), scanAll(t, mr.d))
			mr.addStats()
			st := mr.total
			t.Logf("flushes %d compactions %d tombstones dropped %d stalls %d bloom checks %d negatives %d", st.Flushes, st.Compactions, st.TombstonesDropped, st.WriteStalls, st.BloomChecks, st.BloomNegatives)
			require.LessOrEqual(t, mr.d.Stats().Tables, 1)
			require.Zero(t, mr.d.Stats().OpenIterators)
			require.NoError(t, mr.d.Close())
		})
	}
}

func scanAll(t *testing.T, d *DB) [][2]string {
	it, err := d.NewIter(IterOptions{})
	require.NoError(t, err)
	defer it.Close()
	return scanDB(t, it, nil)
}
