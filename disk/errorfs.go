package disk

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// Op is a set of operation kinds, the unit ErrorFS targets faults at.
type Op uint16

const (
	OpRead    Op = 1 << iota // File.ReadAt
	OpWrite                  // File.Write
	OpSync                   // File.Sync on a file
	OpCreate                 // FS.Create
	OpOpen                   // FS.Open, FS.OpenDir
	OpRemove                 // FS.Remove
	OpRename                 // FS.Rename
	OpList                   // FS.List
	OpStat                   // FS.Stat, File.Size
	OpMkdir                  // FS.MkdirAll
	OpDirSync                // File.Sync on a directory
	opEnd

	// OpAll is every operation kind. File.Close is never faulted.
	OpAll = opEnd - 1
)

var opNames = [...]string{"read", "write", "sync", "create", "open", "remove", "rename", "list", "stat", "mkdir", "dirsync"}

// String names the kinds in o, joined by "|".
func (o Op) String() string {
	if o == 0 {
		return "none"
	}
	var parts []string
	for i, name := range opNames {
		if o&(1<<i) != 0 {
			parts = append(parts, name)
		}
	}
	if o&^OpAll != 0 {
		parts = append(parts, fmt.Sprintf("Op(%#x)", uint16(o&^OpAll)))
	}
	return strings.Join(parts, "|")
}

// ParseOp parses one kind's name as printed by String ("read", ...,
// "dirsync") or "all".
func ParseOp(s string) (Op, error) {
	if s == "all" {
		return OpAll, nil
	}
	for i, name := range opNames {
		if name == s {
			return 1 << i, nil
		}
	}
	return 0, fmt.Errorf("disk: unknown operation kind %q (want one of %s, all): %w", s, strings.Join(opNames[:], ", "), ErrInvalid)
}

// Target selects the operations a fault applies to: an operation matches
// when its kind is in Ops and its path (cleaned, see CleanPath) starts with
// PathPrefix and satisfies PathFunc when that is set. A rename matches when
// either of its paths does; a file operation uses the name the file was
// opened with.
type Target struct {
	Ops        Op                     // kinds targeted; zero targets nothing
	PathPrefix string                 // plain string prefix; "" matches every path
	PathFunc   func(path string) bool // nil matches every path
}

func (t *Target) matchPath(p string) bool {
	return strings.HasPrefix(p, t.PathPrefix) && (t.PathFunc == nil || t.PathFunc(p))
}

func (t *Target) matches(op Op, p, p2 string) bool {
	return t.Ops&op != 0 && (t.matchPath(p) || (p2 != "" && t.matchPath(p2)))
}

// LatencyFault charges modelled time to every operation it targets.
type LatencyFault struct {
	Target
	// Sample draws one operation's latency from the ErrorFS's stream (the
	// simulator passes a distribution's sampler). Negative draws count as 0.
	Sample func(r *rand.Rand) time.Duration
}

// ErrorFault fails each targeted operation with a probability, before it
// reaches the wrapped FS (so a failed write writes nothing and a failed sync
// syncs nothing). The error wraps ErrInjected and names the op and path.
type ErrorFault struct {
	Target
	Probability float64
}

// BitFlipFault flips one random bit of the bytes a targeted read returns,
// with a probability per read; the stored data stays intact. Target.Ops may
// hold only OpRead.
type BitFlipFault struct {
	Target
	Probability float64
}

// ErrorFSConfig lists an ErrorFS's faults. Every rule is independent: each
// latency rule matching an operation adds its own draw, and each error rule
// rolls in order until one fails the operation.
type ErrorFSConfig struct {
	Latency  []LatencyFault
	Errors   []ErrorFault
	BitFlips []BitFlipFault
	// DiskFull starts the disk-full switch on: every File.Write fails with
	// ErrNoSpace, writing nothing.
	DiskFull bool
}

// Validate reports the first invalid rule.
func (c ErrorFSConfig) Validate() error {
	bad := func(kind string, i int, format string, args ...any) error {
		return fmt.Errorf("disk: ErrorFSConfig.%s[%d]: %s: %w", kind, i, fmt.Sprintf(format, args...), ErrInvalid)
	}
	checkOps := func(kind string, i int, t Target) error {
		if t.Ops == 0 {
			return bad(kind, i, "targets no operation kind (Ops is 0)")
		}
		if t.Ops&^OpAll != 0 {
			return bad(kind, i, "unknown operation kinds %v", t.Ops)
		}
		return nil
	}
	checkProb := func(kind string, i int, p float64) error {
		if math.IsNaN(p) || p < 0 || p > 1 {
			return bad(kind, i, "probability %v outside [0, 1]", p)
		}
		return nil
	}
	for i, l := range c.Latency {
		if err := checkOps("Latency", i, l.Target); err != nil {
			return err
		}
		if l.Sample == nil {
			return bad("Latency", i, "no Sample function")
		}
	}
	for i, e := range c.Errors {
		if err := checkOps("Errors", i, e.Target); err != nil {
			return err
		}
		if err := checkProb("Errors", i, e.Probability); err != nil {
			return err
		}
	}
	for i, b := range c.BitFlips {
		if err := checkOps("BitFlips", i, b.Target); err != nil {
			return err
		}
		if b.Ops != OpRead {
			return bad("BitFlips", i, "bit flips apply to reads only, got ops %v", b.Ops)
		}
		if err := checkProb("BitFlips", i, b.Probability); err != nil {
			return err
		}
	}
	return nil
}

// FaultKind names a family of faults that can be switched on and off.
type FaultKind uint8

const (
	FaultLatency  FaultKind = iota // every LatencyFault
	FaultError                     // every ErrorFault
	FaultBitFlip                   // every BitFlipFault
	FaultDiskFull                  // the disk-full switch
	numFaultKinds
)

func (k FaultKind) String() string {
	switch k {
	case FaultLatency:
		return "latency"
	case FaultError:
		return "error"
	case FaultBitFlip:
		return "bitflip"
	case FaultDiskFull:
		return "diskfull"
	}
	return fmt.Sprintf("FaultKind(%d)", uint8(k))
}

// ErrorFSStats counts injected faults.
type ErrorFSStats struct {
	Ops      uint64        // operations seen (Close excluded)
	Delayed  uint64        // latency draws charged
	IOTime   time.Duration // their sum (as IOTime)
	Errors   uint64        // operations failed with ErrInjected
	BitFlips uint64        // reads returned with a flipped bit
	NoSpace  uint64        // writes failed by the disk-full switch
}

// ErrorFS wraps an FS and injects seeded faults into it, in the style of
// Pebble's errorfs. With every fault off it is transparent. Faults act in
// this order: latency (charged even if the operation then fails), the
// disk-full switch (writes only), injected errors, the operation itself, bit
// flips (successful reads only). Random draws are made only for enabled
// rules matching an operation, so a run is reproducible from the seed and
// the operation sequence. Not safe for concurrent use.
type ErrorFS struct {
	inner  FS
	cfg    ErrorFSConfig
	rng    *rand.Rand
	on     [numFaultKinds]bool
	ioTime time.Duration
	stats  ErrorFSStats
}

var _ IOClock = (*ErrorFS)(nil)

// NewErrorFS wraps inner. Latency, error and bit-flip rules start enabled;
// the disk-full switch starts as cfg.DiskFull says. rng is the disk's own
// seeded stream.
func NewErrorFS(inner FS, cfg ErrorFSConfig, rng *rand.Rand) (*ErrorFS, error) {
	if inner == nil || rng == nil {
		return nil, fmt.Errorf("disk: NewErrorFS needs a wrapped FS and a random stream: %w", ErrInvalid)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &ErrorFS{inner: inner, cfg: cfg, rng: rng}
	e.on = [numFaultKinds]bool{true, true, true, cfg.DiskFull}
	return e, nil
}

// SetEnabled switches a family of faults on or off (fault schedules do).
func (e *ErrorFS) SetEnabled(k FaultKind, on bool) error {
	if k >= numFaultKinds {
		return fmt.Errorf("disk: unknown %v: %w", k, ErrInvalid)
	}
	e.on[k] = on
	return nil
}

// Enabled reports whether a family of faults is on.
func (e *ErrorFS) Enabled(k FaultKind) bool { return k < numFaultKinds && e.on[k] }

// IOTime implements IOClock: the sum of every latency drawn so far.
func (e *ErrorFS) IOTime() time.Duration { return e.ioTime }

// Stats returns the fault counters.
func (e *ErrorFS) Stats() ErrorFSStats {
	s := e.stats
	s.IOTime = e.ioTime
	return s
}

// Unwrap returns the wrapped FS.
func (e *ErrorFS) Unwrap() FS { return e.inner }

// before runs the faults that act before an operation on path (and path2
// for a rename).
func (e *ErrorFS) before(op Op, path, path2 string) error {
	e.stats.Ops++
	if e.on[FaultLatency] {
		for i := range e.cfg.Latency {
			l := &e.cfg.Latency[i]
			if l.matches(op, path, path2) {
				e.ioTime += max(0, l.Sample(e.rng))
				e.stats.Delayed++
			}
		}
	}
	if op == OpWrite && e.on[FaultDiskFull] {
		e.stats.NoSpace++
		return fmt.Errorf("write %s: %w (disk-full fault)", path, ErrNoSpace)
	}
	if e.on[FaultError] {
		for i := range e.cfg.Errors {
			f := &e.cfg.Errors[i]
			if f.Probability > 0 && f.matches(op, path, path2) && e.rng.Float64() < f.Probability {
				e.stats.Errors++
				if path2 != "" {
					return fmt.Errorf("%v %s to %s: %w", op, path, path2, ErrInjected)
				}
				return fmt.Errorf("%v %s: %w", op, path, ErrInjected)
			}
		}
	}
	return nil
}

// flip applies the bit-flip rules to a read of path that returned buf.
func (e *ErrorFS) flip(path string, buf []byte) {
	if !e.on[FaultBitFlip] || len(buf) == 0 {
		return
	}
	for i := range e.cfg.BitFlips {
		f := &e.cfg.BitFlips[i]
		if f.Probability > 0 && f.matches(OpRead, path, "") && e.rng.Float64() < f.Probability {
			bit := e.rng.IntN(8 * len(buf))
			buf[bit/8] ^= 1 << (bit % 8)
			e.stats.BitFlips++
			return
		}
	}
}

func (e *ErrorFS) wrap(f File, path string, dir bool) File {
	return &errorFile{fs: e, inner: f, path: path, dir: dir}
}

// Create implements FS.
func (e *ErrorFS) Create(name string) (File, error) {
	p := CleanPath(name)
	if err := e.before(OpCreate, p, ""); err != nil {
		return nil, err
	}
	f, err := e.inner.Create(p)
	if err != nil {
		return nil, err
	}
	return e.wrap(f, p, false), nil
}

// Open implements FS.
func (e *ErrorFS) Open(name string) (File, error) {
	p := CleanPath(name)
	if err := e.before(OpOpen, p, ""); err != nil {
		return nil, err
	}
	f, err := e.inner.Open(p)
	if err != nil {
		return nil, err
	}
	return e.wrap(f, p, false), nil
}

// OpenDir implements FS.
func (e *ErrorFS) OpenDir(name string) (File, error) {
	p := CleanPath(name)
	if err := e.before(OpOpen, p, ""); err != nil {
		return nil, err
	}
	f, err := e.inner.OpenDir(p)
	if err != nil {
		return nil, err
	}
	return e.wrap(f, p, true), nil
}

// Remove implements FS.
func (e *ErrorFS) Remove(name string) error {
	p := CleanPath(name)
	if err := e.before(OpRemove, p, ""); err != nil {
		return err
	}
	return e.inner.Remove(p)
}

// Rename implements FS.
func (e *ErrorFS) Rename(oldname, newname string) error {
	op, np := CleanPath(oldname), CleanPath(newname)
	if err := e.before(OpRename, op, np); err != nil {
		return err
	}
	return e.inner.Rename(op, np)
}

// MkdirAll implements FS.
func (e *ErrorFS) MkdirAll(dir string) error {
	p := CleanPath(dir)
	if err := e.before(OpMkdir, p, ""); err != nil {
		return err
	}
	return e.inner.MkdirAll(p)
}

// List implements FS.
func (e *ErrorFS) List(dir string) ([]string, error) {
	p := CleanPath(dir)
	if err := e.before(OpList, p, ""); err != nil {
		return nil, err
	}
	return e.inner.List(p)
}

// Stat implements FS.
func (e *ErrorFS) Stat(name string) (FileInfo, error) {
	p := CleanPath(name)
	if err := e.before(OpStat, p, ""); err != nil {
		return FileInfo{}, err
	}
	return e.inner.Stat(p)
}

// errorFile is a handle of an ErrorFS.
type errorFile struct {
	fs    *ErrorFS
	inner File
	path  string
	dir   bool
}

func (f *errorFile) Write(p []byte) (int, error) {
	if err := f.fs.before(OpWrite, f.path, ""); err != nil {
		return 0, err
	}
	return f.inner.Write(p)
}

func (f *errorFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.fs.before(OpRead, f.path, ""); err != nil {
		return 0, err
	}
	n, err := f.inner.ReadAt(p, off)
	if n > 0 {
		f.fs.flip(f.path, p[:n])
	}
	return n, err
}

func (f *errorFile) Sync() error {
	op := OpSync
	if f.dir {
		op = OpDirSync
	}
	if err := f.fs.before(op, f.path, ""); err != nil {
		return err
	}
	return f.inner.Sync()
}

func (f *errorFile) Size() (int64, error) {
	if err := f.fs.before(OpStat, f.path, ""); err != nil {
		return 0, err
	}
	return f.inner.Size()
}

func (f *errorFile) Close() error { return f.inner.Close() }
