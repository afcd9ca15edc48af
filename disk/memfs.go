package disk

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// DefaultSectorSize is the unit a torn write is cut at when
// MemFSConfig.SectorSize is zero.
const DefaultSectorSize = 512

// maxSectorSize bounds MemFSConfig.SectorSize (larger "sectors" would make
// torn writes meaningless).
const maxSectorSize = 1 << 20

// MemFSConfig configures a MemFS.
type MemFSConfig struct {
	// CapacityBytes is the size of the disk: a write that would bring
	// Usage above it fails with ErrNoSpace. 0 means unlimited.
	CapacityBytes int64
	// SectorSize is the atomic unit of the simulated device, in bytes: a torn
	// write (CrashTornWrite) keeps a whole number of its sectors. 0 means
	// DefaultSectorSize; at most 1 MiB.
	SectorSize int
}

// DefaultMemFSConfig is an unlimited disk with 512-byte sectors.
func DefaultMemFSConfig() MemFSConfig {
	return MemFSConfig{SectorSize: DefaultSectorSize}
}

// withDefaults fills zero fields with their defaults.
func (c MemFSConfig) withDefaults() MemFSConfig {
	if c.SectorSize == 0 {
		c.SectorSize = DefaultSectorSize
	}
	return c
}

// Validate reports the first invalid field (zero fields take defaults).
func (c MemFSConfig) Validate() error {
	c = c.withDefaults()
	if c.CapacityBytes < 0 {
		return fmt.Errorf("disk: MemFSConfig.CapacityBytes is %d; want >= 0 (0 = unlimited): %w", c.CapacityBytes, ErrInvalid)
	}
	if c.SectorSize < 1 || c.SectorSize > maxSectorSize {
		return fmt.Errorf("disk: MemFSConfig.SectorSize is %d; want 1..%d bytes: %w", c.SectorSize, maxSectorSize, ErrInvalid)
	}
	return nil
}

// MemFSStats counts what a MemFS has done since it was created.
type MemFSStats struct {
	Writes       uint64 // successful non-empty File.Write calls
	BytesWritten uint64 // bytes they wrote
	Syncs        uint64 // File.Sync on files
	DirSyncs     uint64 // File.Sync on directories
	Crashes      uint64 // Crash calls
	BytesLost    uint64 // unsynced bytes of surviving files discarded by crashes
	Wipes        uint64 // Wipe calls
}

// MemFS is an in-memory FS that models what a kernel guarantees across a
// power failure; see Crash for what survives. Not safe for concurrent use.
//
// The model: a file is an inode holding its bytes and a durable length.
// Writes append to the bytes; File.Sync makes the durable length the whole
// file. Files are append-only and Create always makes a fresh inode, so the
// durable content of an inode is always a prefix of its current content.
//
// Every directory keeps two entry tables, the current one (what Create,
// Rename, Remove and MkdirAll change and lookups read) and the durable one (a
// copy of the current table taken by the last OpenDir(dir).Sync()). A crash
// replaces every current table by the durable one, starting from the root, so
// an entry survives only if every directory on its path was synced after the
// entry (and its ancestors) appeared. In particular Create over an existing
// name makes a new, empty inode under that name: if the directory is not
// synced before a crash the old file, with its old content, comes back.
//
// A rename touches the entry tables of the source and the destination
// directory, each of which becomes durable on its own sync: sync both (real
// kernels journal a cross-directory rename atomically; this model is
// stricter, so an engine that is correct on it is correct on them). A
// directory can be renamed only within its parent; moving a directory to
// another parent fails with ErrInvalid.
//
// Used space (Usage) is the sum of the current lengths, unsynced bytes
// included, of every file reachable from a current or durable entry or held
// by an open handle: a removed or replaced file keeps its space until the
// removal is durable (its directory synced) and its last handle is closed,
// because until then a crash could bring it back. Directories and names use
// no space.
type MemFS struct {
	cfg   MemFSConfig
	root  *inode
	used  int64
	epoch uint64 // bumped by Crash; handles from older epochs are dead
	stamp uint64 // bumped by every tree walk that marks inodes
	stats MemFSStats
}

// inode is a file or a directory.
type inode struct {
	dir  bool
	refs int // current entries + durable entries + open handles (+1 for the root)
	mark uint64

	// Files.
	data      fileData
	synced    int64 // the first synced bytes are durable
	lastStart int64 // offset of the last write; CrashTornWrite tears [lastStart, data.size)

	// Directories.
	cur, dur map[string]*inode
}

func newDir() *inode {
	return &inode{dir: true, cur: map[string]*inode{}, dur: map[string]*inode{}}
}

// NewMemFS returns an empty MemFS whose root directory is durable.
func NewMemFS(cfg MemFSConfig) (*MemFS, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	root := newDir()
	root.refs = 1
	return &MemFS{cfg: cfg.withDefaults(), root: root}, nil
}

// Config returns the configuration with defaults filled in.
func (fs *MemFS) Config() MemFSConfig { return fs.cfg }

// Usage returns the used bytes (see MemFS).
func (fs *MemFS) Usage() int64 { return fs.used }

// Stats returns the counters.
func (fs *MemFS) Stats() MemFSStats { return fs.stats }

func pathErr(op, name string, err error) error {
	return fmt.Errorf("%s %s: %w", op, name, err)
}

// walk resolves a cleaned path through the current entry tables.
func (fs *MemFS) walk(p string) (*inode, error) {
	n := fs.root
	if p == "." {
		return n, nil
	}
	for rest := p; ; {
		elem, tail, more := strings.Cut(rest, "/")
		if !n.dir {
			return nil, ErrNotDir
		}
		c := n.cur[elem]
		if c == nil {
			return nil, ErrNotExist
		}
		if !more {
			return c, nil
		}
		n, rest = c, tail
	}
}

// parent resolves the directory holding the cleaned, non-root path p.
func (fs *MemFS) parent(p string) (*inode, string, error) {
	dir, base := splitParent(p)
	d, err := fs.walk(dir)
	if err != nil {
		return nil, "", err
	}
	if !d.dir {
		return nil, "", ErrNotDir
	}
	return d, base, nil
}

// unref drops one reference; an inode nobody refers to is freed, and a
// directory's entries lose the references it held.
func (fs *MemFS) unref(n *inode) {
	n.refs--
	if n.refs > 0 {
		return
	}
	if n.dir {
		for _, c := range n.cur {
			fs.unref(c)
		}
		for _, c := range n.dur {
			fs.unref(c)
		}
		n.cur, n.dur = nil, nil
		return
	}
	fs.used -= n.data.size
	n.data.release(0)
	n.data = fileData{}
}

// link points the current entry name of d at n, releasing what it replaces.
func (fs *MemFS) link(d *inode, name string, n *inode) {
	n.refs++
	old := d.cur[name]
	d.cur[name] = n
	if old != nil {
		fs.unref(old)
	}
}

func (fs *MemFS) open(n *inode, name string, kind handleKind) *memFile {
	n.refs++
	return &memFile{fs: fs, ino: n, name: name, epoch: fs.epoch, kind: kind}
}

// Create implements FS.
func (fs *MemFS) Create(name string) (File, error) {
	p := CleanPath(name)
	if p == "." {
		return nil, pathErr("create", p, ErrIsDir)
	}
	d, base, err := fs.parent(p)
	if err != nil {
		return nil, pathErr("create", p, err)
	}
	if old := d.cur[base]; old != nil && old.dir {
		return nil, pathErr("create", p, ErrIsDir)
	}
	n := &inode{}
	fs.link(d, base, n)
	return fs.open(n, p, writeHandle), nil
}

// Open implements FS.
func (fs *MemFS) Open(name string) (File, error) {
	p := CleanPath(name)
	n, err := fs.walk(p)
	if err != nil {
		return nil, pathErr("open", p, err)
	}
	if n.dir {
		return nil, pathErr("open", p, ErrIsDir)
	}
	return fs.open(n, p, readHandle), nil
}

// OpenDir implements FS.
func (fs *MemFS) OpenDir(name string) (File, error) {
	p := CleanPath(name)
	n, err := fs.walk(p)
	if err != nil {
		return nil, pathErr("opendir", p, err)
	}
	if !n.dir {
		return nil, pathErr("opendir", p, ErrNotDir)
	}
	return fs.open(n, p, dirHandle), nil
}

// Remove implements FS.
func (fs *MemFS) Remove(name string) error {
	p := CleanPath(name)
	if p == "." {
		return pathErr("remove", p, ErrInvalid)
	}
	d, base, err := fs.parent(p)
	if err != nil {
		return pathErr("remove", p, err)
	}
	n := d.cur[base]
	if n == nil {
		return pathErr("remove", p, ErrNotExist)
	}
	if n.dir && len(n.cur) > 0 {
		return pathErr("remove", p, ErrNotEmpty)
	}
	delete(d.cur, base)
	fs.unref(n)
	return nil
}

// Rename implements FS. An existing directory is never replaced (ErrExist),
// as with Go's os.Rename. See MemFS for the durability of renames.
func (fs *MemFS) Rename(oldname, newname string) error {
	op, np := CleanPath(oldname), CleanPath(newname)
	fail := func(err error) error { return fmt.Errorf("rename %s to %s: %w", op, np, err) }
	if op == "." || np == "." {
		return fail(ErrInvalid)
	}
	od, obase, err := fs.parent(op)
	if err != nil {
		return fail(err)
	}
	n := od.cur[obase]
	if n == nil {
		return fail(ErrNotExist)
	}
	nd, nbase, err := fs.parent(np)
	if err != nil {
		return fail(err)
	}
	if op == np {
		return nil
	}
	if dst := nd.cur[nbase]; dst != nil {
		switch {
		case dst == n:
			return nil // two names for one file (possible after a crash): POSIX does nothing
		case dst.dir:
			return fail(ErrExist) // as Go's os.Rename: a directory is never replaced
		case n.dir:
			return fail(ErrNotDir)
		}
	}
	if n.dir && nd != od {
		return fail(fmt.Errorf("a directory can only be renamed within its parent: %w", ErrInvalid))
	}
	fs.link(nd, nbase, n)
	delete(od.cur, obase)
	fs.unref(n)
	return nil
}

// MkdirAll implements FS.
func (fs *MemFS) MkdirAll(dir string) error {
	p := CleanPath(dir)
	if p == "." {
		return nil
	}
	n := fs.root
	for rest := p; ; {
		elem, tail, more := strings.Cut(rest, "/")
		c := n.cur[elem]
		if c == nil {
			c = newDir()
			fs.link(n, elem, c)
		} else if !c.dir {
			return pathErr("mkdir", p, ErrNotDir)
		}
		if !more {
			return nil
		}
		n, rest = c, tail
	}
}

// List implements FS.
func (fs *MemFS) List(dir string) ([]string, error) {
	p := CleanPath(dir)
	n, err := fs.walk(p)
	if err != nil {
		return nil, pathErr("list", p, err)
	}
	if !n.dir {
		return nil, pathErr("list", p, ErrNotDir)
	}
	return slices.Sorted(maps.Keys(n.cur)), nil
}

// Stat implements FS. A directory's Size is 0.
func (fs *MemFS) Stat(name string) (FileInfo, error) {
	p := CleanPath(name)
	n, err := fs.walk(p)
	if err != nil {
		return FileInfo{}, pathErr("stat", p, err)
	}
	_, base := splitParent(p)
	return FileInfo{Name: base, Size: n.data.size, IsDir: n.dir}, nil
}

// syncDir makes d's current entries its durable ones.
func (fs *MemFS) syncDir(d *inode) {
	for _, c := range d.cur {
		c.refs++
	}
	for _, c := range d.dur {
		fs.unref(c)
	}
	clear(d.dur)
	maps.Copy(d.dur, d.cur)
	fs.stats.DirSyncs++
}

type handleKind uint8

const (
	writeHandle handleKind = iota
	readHandle
	dirHandle
)

// memFile is a MemFS handle. It dies with Close or with a crash (epoch).
type memFile struct {
	fs     *MemFS
	ino    *inode
	name   string
	epoch  uint64
	kind   handleKind
	closed bool
}

func (f *memFile) check(op string) error {
	switch {
	case f.closed:
		return pathErr(op, f.name, ErrClosed)
	case f.epoch != f.fs.epoch:
		return pathErr(op, f.name, fmt.Errorf("handle opened before a crash: %w", ErrClosed))
	}
	return nil
}

// Write implements File. A write that would exceed the capacity writes
// nothing.
func (f *memFile) Write(p []byte) (int, error) {
	if err := f.check("write"); err != nil {
		return 0, err
	}
	switch f.kind {
	case readHandle:
		return 0, pathErr("write", f.name, ErrReadOnly)
	case dirHandle:
		return 0, pathErr("write", f.name, ErrIsDir)
	}
	if len(p) == 0 {
		return 0, nil
	}
	fs, n := f.fs, f.ino
	size := int64(len(p))
	if c := fs.cfg.CapacityBytes; c > 0 && fs.used+size > c {
		return 0, pathErr("write", f.name, fmt.Errorf("%w: writing %d bytes with %d of %d bytes used",
			ErrNoSpace, size, fs.used, c))
	}
	n.lastStart = n.data.size
	n.data.append(p)
	fs.used += size
	fs.stats.Writes++
	fs.stats.BytesWritten += uint64(size)
	return len(p), nil
}

// ReadAt implements File.
func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read"); err != nil {
		return 0, err
	}
	if f.kind == dirHandle {
		return 0, pathErr("read", f.name, ErrIsDir)
	}
	if off < 0 {
		return 0, pathErr("read", f.name, fmt.Errorf("offset %d: %w", off, ErrInvalid))
	}
	if off >= f.ino.data.size {
		return 0, io.EOF
	}
	n := f.ino.data.readAt(p, off)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Sync implements File: a file's bytes, or a directory's entries, become
// durable.
func (f *memFile) Sync() error {
	if err := f.check("sync"); err != nil {
		return err
	}
	if f.kind == dirHandle {
		f.fs.syncDir(f.ino)
		return nil
	}
	f.ino.synced = f.ino.data.size
	f.fs.stats.Syncs++
	return nil
}

// Size implements File.
func (f *memFile) Size() (int64, error) {
	if err := f.check("size"); err != nil {
		return 0, err
	}
	if f.kind == dirHandle {
		return 0, pathErr("size", f.name, ErrIsDir)
	}
	return f.ino.data.size, nil
}

// Close implements File. Closing a handle a crash invalidated reports
// ErrClosed.
func (f *memFile) Close() error {
	if err := f.check("close"); err != nil {
		return err
	}
	f.closed = true
	f.fs.unref(f.ino)
	return nil
}
