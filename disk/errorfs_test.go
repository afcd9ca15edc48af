package disk

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func newErrorFS(t *testing.T, cfg ErrorFSConfig, seed uint64) (*ErrorFS, *MemFS) {
	t.Helper()
	inner := newMem(t, MemFSConfig{})
	e, err := NewErrorFS(inner, cfg, rand.New(rand.NewPCG(seed, seed+1)))
	require.NoError(t, err)
	return e, inner
}

// requireBinomial checks that k successes in n trials of probability p are
// within 5 standard deviations of the mean.
func requireBinomial(t *testing.T, k, n int, p float64, what string) {
	t.Helper()
	mean, sigma := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
	require.InDelta(t, mean, float64(k), 5*sigma, "%s: %d of %d at p=%v", what, k, n, p)
}

func TestErrorFSErrorRate(t *testing.T) {
	const p, n = 0.1, 30000
	e, inner := newErrorFS(t, ErrorFSConfig{Errors: []ErrorFault{{Target: Target{Ops: OpAll}, Probability: p}}}, 1)
	writeFile(t, inner, "f", "x")
	f, err := inner.Open("f")
	require.NoError(t, err)
	wf := e.wrap(f, "f", false)
	failures := 0
	for i := range n {
		switch i % 3 {
		case 0:
			_, err = wf.ReadAt(make([]byte, 1), 0)
		case 1:
			_, err = e.Stat("f")
		case 2:
			_, err = e.List(".")
		}
		if err != nil {
			require.ErrorIs(t, err, ErrInjected)
			failures++
		}
	}
	requireBinomial(t, failures, n, p, "injected errors")
	s := e.Stats()
	require.EqualValues(t, failures, s.Errors)
	require.EqualValues(t, n, s.Ops)
}

func TestErrorFSBitFlipRate(t *testing.T) {
	const p, n, size = 0.2, 10000, 64
	e, inner := newErrorFS(t, ErrorFSConfig{BitFlips: []BitFlipFault{{Target: Target{Ops: OpRead}, Probability: p}}}, 2)
	want := make([]byte, size)
	for i := range want {
		want[i] = byte(i * 37)
	}
	writeFile(t, inner, "f", string(want))
	f, err := e.Open("f")
	require.NoError(t, err)
	flips := 0
	positions := map[int]bool{}
	buf := make([]byte, size)
	for range n {
		got, err := f.ReadAt(buf, 0)
		require.NoError(t, err)
		require.Equal(t, size, got)
		diff := -1
		for i := range buf {
			if x := buf[i] ^ want[i]; x != 0 {
				require.Equal(t, -1, diff, "at most one byte differs")
				require.Zero(t, x&(x-1), "exactly one bit differs")
				diff = i*8 + int(math.Log2(float64(x)))
			}
		}
		if diff >= 0 {
			flips++
			positions[diff] = true
		}
	}
	requireBinomial(t, flips, n, p, "bit flips")
	require.EqualValues(t, flips, e.Stats().BitFlips)
	require.Greater(t, len(positions), size*8*9/10, "flips land all over the buffer")
	require.Equal(t, string(want), readFile(t, inner, "f"), "the stored bytes stay intact")
}

func TestErrorFSTargetsSelectExactlyTheirOps(t *testing.T) {
	cfg := ErrorFSConfig{Errors: []ErrorFault{
		{Target: Target{Ops: OpSync, PathPrefix: "wal/"}, Probability: 1},
		{Target: Target{Ops: OpRename, PathFunc: func(p string) bool { return p == "CURRENT" }}, Probability: 1},
		{Target: Target{Ops: OpDirSync | OpOpen, PathPrefix: "sst"}, Probability: 1},
		{Target: Target{Ops: OpStat, PathPrefix: "walnut/"}, Probability: 1},
	}}
	e, inner := newErrorFS(t, cfg, 3)
	for _, d := range []string{"wal", "sst", "walnut"} {
		require.NoError(t, inner.MkdirAll(d))
		writeFile(t, inner, d+"/1", "data")
	}
	writeFile(t, inner, "tmp", "t")

	// expect runs an operation and checks it failed by injection iff want.
	expect := func(want bool, what string, err error) {
		t.Helper()
		if want {
			require.ErrorIs(t, err, ErrInjected, what)
			return
		}
		require.NoError(t, err, what)
	}
	for _, d := range []string{"wal", "sst", "walnut"} {
		p := d + "/1"
		f, err := e.Create(p)
		expect(false, "create "+p, err)
		_, err = f.Write([]byte("abc"))
		expect(false, "write "+p, err)
		_, err = f.ReadAt(make([]byte, 3), 0)
		expect(false, "read "+p, err)
		_, err = f.Size()
		expect(d == "walnut", "size "+p, err)
		expect(d == "wal", "sync "+p, f.Sync())
		expect(false, "close "+p, f.Close())
		_, err = e.Stat(p)
		expect(d == "walnut", "stat "+p, err)
		_, err = e.List(d)
		expect(false, "list "+d, err)
		_, err = e.Open(p)
		expect(d == "sst", "open "+p, err)
		dir, err := e.OpenDir(d)
		expect(d == "sst", "opendir "+d, err)
		if err == nil {
			expect(false, "dirsync "+d, dir.Sync())
			require.NoError(t, dir.Close())
		}
		expect(false, "mkdir "+d, e.MkdirAll(d+"/sub"))
		expect(false, "remove "+d, e.Remove(d+"/sub"))
		expect(false, "rename "+p, e.Rename(p, p+".x"))
		expect(false, "rename back "+p, e.Rename(p+".x", p))
	}
	d, err := inner.OpenDir("sst")
	require.NoError(t, err)
	ed := e.wrap(d, "sst", true)
	require.ErrorIs(t, ed.Sync(), ErrInjected, "dirsync is its own op kind")
	expect(true, "rename onto CURRENT", e.Rename("tmp", "CURRENT"))
	require.NoError(t, inner.Rename("tmp", "CURRENT"))
	expect(true, "rename from CURRENT", e.Rename("/CURRENT", "tmp"))
	err = e.Rename("CURRENT", "tmp")
	require.ErrorContains(t, err, "rename CURRENT to tmp")
	_, err = e.Stat("CURRENT")
	require.NoError(t, err, "the failed renames did nothing")
	require.EqualValues(t, 9, e.Stats().Errors)
}

func TestErrorFSLatencyAccumulates(t *testing.T) {
	var draws []time.Duration
	cfg := ErrorFSConfig{Latency: []LatencyFault{
		{Target: Target{Ops: OpWrite | OpSync}, Sample: func(r *rand.Rand) time.Duration {
			d := time.Duration(r.Int64N(int64(time.Millisecond)))
			draws = append(draws, d)
			return d
		}},
		{Target: Target{Ops: OpSync, PathPrefix: "wal"}, Sample: func(*rand.Rand) time.Duration {
			draws = append(draws, 5*time.Millisecond)
			return 5 * time.Millisecond
		}},
		{Target: Target{Ops: OpRead}, Sample: func(*rand.Rand) time.Duration { return -time.Second }},
	}}
	e, _ := newErrorFS(t, cfg, 4)
	require.Zero(t, e.IOTime())
	var prev time.Duration
	for _, name := range []string{"wal", "sst"} {
		f, err := e.Create(name)
		require.NoError(t, err)
		for range 50 {
			_, err = f.Write([]byte("x"))
			require.NoError(t, err)
			_, err = f.ReadAt(make([]byte, 1), 0)
			require.NoError(t, err)
			require.NoError(t, f.Sync())
			require.GreaterOrEqual(t, e.IOTime(), prev, "IOTime only grows")
			prev = e.IOTime()
		}
		require.NoError(t, f.Close())
	}
	var sum time.Duration
	for _, d := range draws {
		sum += d
	}
	require.Len(t, draws, 50*2*2+50, "one draw per matching rule per op")
	require.Equal(t, sum, e.IOTime(), "IOTime is exactly the sum of the draws; negative draws count 0")
	require.Equal(t, ErrorFSStats{Ops: 2 + 2*150, Delayed: 250 + 100, IOTime: sum}, e.Stats())
}

// faultTrace runs a random script (from its own stream) on an ErrorFS with
// every kind of fault and returns everything observable.
func faultTrace(t *testing.T, seed uint64) string {
	cfg := ErrorFSConfig{
		Latency:  []LatencyFault{{Target: Target{Ops: OpAll}, Sample: func(r *rand.Rand) time.Duration { return time.Duration(r.ExpFloat64() * 1e6) }}},
		Errors:   []ErrorFault{{Target: Target{Ops: OpAll}, Probability: 0.05}},
		BitFlips: []BitFlipFault{{Target: Target{Ops: OpRead}, Probability: 0.1}},
	}
	e, _ := newErrorFS(t, cfg, seed)
	script := rand.New(rand.NewPCG(99, 99))
	var b strings.Builder
	var f File
	for i := range 2000 {
		var err error
		switch op := script.IntN(4); {
		case f == nil || op == 0:
			f, err = e.Create(fmt.Sprintf("f%d", i%5))
			if err != nil {
				f = nil
			}
		case op == 1:
			_, err = f.Write([]byte(fmt.Sprint(i)))
		case op == 2:
			buf := make([]byte, 8)
			var n int
			n, err = f.ReadAt(buf, 0)
			fmt.Fprintf(&b, "%x ", buf[:n])
			if err == io.EOF {
				err = nil
			}
		default:
			err = f.Sync()
		}
		fmt.Fprintf(&b, "%v;", err)
	}
	fmt.Fprintf(&b, "%v %+v", e.IOTime(), e.Stats())
	return b.String()
}

func TestErrorFSSameSeedSameFaults(t *testing.T) {
	a := faultTrace(t, 5)
	require.Equal(t, a, faultTrace(t, 5))
	require.NotEqual(t, a, faultTrace(t, 6), "another seed gives other faults")
	require.Contains(t, a, ErrInjected.Error())
}

func TestErrorFSSwitches(t *testing.T) {
	e, inner := newErrorFS(t, ErrorFSConfig{Errors: []ErrorFault{{Target: Target{Ops: OpStat}, Probability: 1}}}, 7)
	require.True(t, e.Enabled(FaultError))
	require.False(t, e.Enabled(FaultDiskFull))
	_, err := e.Stat(".")
	require.ErrorIs(t, err, ErrInjected)
	require.NoError(t, e.SetEnabled(FaultError, false))
	_, err = e.Stat(".")
	require.NoError(t, err)

	f, err := e.Create("f")
	require.NoError(t, err)
	require.NoError(t, e.SetEnabled(FaultDiskFull, true))
	_, err = f.Write([]byte("abc"))
	require.ErrorIs(t, err, ErrNoSpace)
	require.NotErrorIs(t, err, ErrInjected)
	require.NoError(t, f.Sync(), "only writes see the full disk")
	size, err := inner.Stat("f")
	require.NoError(t, err)
	require.Zero(t, size.Size, "the refused write wrote nothing")
	require.NoError(t, e.SetEnabled(FaultDiskFull, false))
	_, err = f.Write([]byte("abc"))
	require.NoError(t, err)
	require.EqualValues(t, 1, e.Stats().NoSpace)
	require.ErrorIs(t, e.SetEnabled(FaultKind(9), true), ErrInvalid)
	require.False(t, e.Enabled(FaultKind(9)))
	require.Same(t, inner, e.Unwrap())

	e2, _ := newErrorFS(t, ErrorFSConfig{DiskFull: true}, 8)
	require.True(t, e2.Enabled(FaultDiskFull), "DiskFull sets the initial switch")
}

func TestErrorFSOverCrashedMemFS(t *testing.T) {
	e, inner := newErrorFS(t, ErrorFSConfig{}, 9)
	f, err := e.Create("f")
	require.NoError(t, err)
	crash(t, inner)
	_, err = f.Write([]byte("x"))
	require.ErrorIs(t, err, ErrClosed, "handles through the wrapper die with the crash too")
}

func TestErrorFSConfigValidate(t *testing.T) {
	sample := func(*rand.Rand) time.Duration { return 0 }
	bad := map[string]ErrorFSConfig{
		"no ops":           {Errors: []ErrorFault{{Probability: 0.5}}},
		"unknown op":       {Errors: []ErrorFault{{Target: Target{Ops: 1 << 15}, Probability: 0.5}}},
		"probability > 1":  {Errors: []ErrorFault{{Target: Target{Ops: OpRead}, Probability: 1.5}}},
		"negative":         {BitFlips: []BitFlipFault{{Target: Target{Ops: OpRead}, Probability: -0.1}}},
		"NaN":              {Errors: []ErrorFault{{Target: Target{Ops: OpRead}, Probability: math.NaN()}}},
		"flip on write":    {BitFlips: []BitFlipFault{{Target: Target{Ops: OpRead | OpWrite}, Probability: 0.1}}},
		"no sample":        {Latency: []LatencyFault{{Target: Target{Ops: OpRead}}}},
		"latency, no ops":  {Latency: []LatencyFault{{Sample: sample}}},
		"second rule only": {Errors: []ErrorFault{{Target: Target{Ops: OpRead}}, {Target: Target{Ops: OpRead}, Probability: 2}}},
	}
	for name, cfg := range bad {
		err := cfg.Validate()
		require.ErrorIs(t, err, ErrInvalid, name)
		_, err2 := NewErrorFS(newMem(t, MemFSConfig{}), cfg, rand.New(rand.NewPCG(1, 1)))
		require.Equal(t, err, err2, name)
	}
	require.ErrorContains(t, bad["second rule only"].Validate(), "Errors[1]: probability 2 outside [0, 1]")
	require.NoError(t, ErrorFSConfig{}.Validate())
	_, err := NewErrorFS(nil, ErrorFSConfig{}, rand.New(rand.NewPCG(1, 1)))
	require.ErrorIs(t, err, ErrInvalid)
	_, err = NewErrorFS(newMem(t, MemFSConfig{}), ErrorFSConfig{}, nil)
	require.ErrorIs(t, err, ErrInvalid)
}

func TestOpNames(t *testing.T) {
	for i := range opNames {
		op := Op(1) << i
		got, err := ParseOp(op.String())
		require.NoError(t, err)
		require.Equal(t, op, got)
	}
	all, err := ParseOp("all")
	require.NoError(t, err)
	require.Equal(t, OpAll, all)
	require.Equal(t, "read|sync", (OpRead | OpSync).String())
	require.Equal(t, "none", Op(0).String())
	_, err = ParseOp("fsync")
	require.ErrorIs(t, err, ErrInvalid)
	require.Equal(t, "diskfull", FaultDiskFull.String())
}
