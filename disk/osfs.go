package disk

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"syscall"
)

// OS is the operating system's filesystem under a root directory. Names are
// cleaned with CleanPath and resolved below the root, exactly as on MemFS,
// so the same node code runs on either and can never reach outside its data
// directory ("/x" and "../x" both mean root/x). File.Sync is fdatasync on
// Linux (fsync elsewhere); a directory's Sync is fsync on the directory.
// Errors wrap this package's errors (ErrNotExist, ...) as well as the
// original *os.PathError. Safe for concurrent use, each handle by one
// goroutine at a time.
type OS struct {
	root string
}

var _ FS = (*OS)(nil)

// NewOS returns the filesystem rooted at root, which must be an existing
// directory; a relative root is made absolute now.
func NewOS(root string) (*OS, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, osErr("root", root, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, osErr("root", root, err)
	}
	if !st.IsDir() {
		return nil, pathErr("root", root, ErrNotDir)
	}
	return &OS{root: abs}, nil
}

// Root returns the absolute root directory.
func (o *OS) Root() string { return o.root }

func (o *OS) real(p string) string { return filepath.Join(o.root, filepath.FromSlash(p)) }

// osErr wraps an OS error with the matching error of this package.
func osErr(op, name string, err error) error {
	var kind error
	switch {
	case errors.Is(err, syscall.ENOTEMPTY): // before ErrExist: ENOTEMPTY also matches fs.ErrExist
		kind = ErrNotEmpty
	case errors.Is(err, iofs.ErrNotExist):
		kind = ErrNotExist
	case errors.Is(err, iofs.ErrExist):
		kind = ErrExist
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		kind = ErrNoSpace
	case errors.Is(err, syscall.EISDIR):
		kind = ErrIsDir
	case errors.Is(err, syscall.ENOTDIR):
		kind = ErrNotDir
	case errors.Is(err, iofs.ErrClosed):
		kind = ErrClosed
	case errors.Is(err, syscall.EINVAL):
		kind = ErrInvalid
	default:
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	return fmt.Errorf("%s %s: %w: %w", op, name, kind, err)
}

// Create implements FS.
func (o *OS) Create(name string) (File, error) {
	p := CleanPath(name)
	if p == "." {
		return nil, pathErr("create", p, ErrIsDir)
	}
	f, err := os.OpenFile(o.real(p), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, osErr("create", p, err)
	}
	return &osFile{f: f, name: p, kind: writeHandle}, nil
}

// openKind opens p and checks it is a directory or not, as wanted.
func (o *OS) openKind(op, p string, dir bool) (*os.File, error) {
	f, err := os.Open(o.real(p))
	if err != nil {
		return nil, osErr(op, p, err)
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() != dir {
		err = ErrIsDir
		if dir {
			err = ErrNotDir
		}
		_ = f.Close()
		return nil, pathErr(op, p, err)
	}
	if err != nil {
		_ = f.Close()
		return nil, osErr(op, p, err)
	}
	return f, nil
}

// Open implements FS.
func (o *OS) Open(name string) (File, error) {
	p := CleanPath(name)
	f, err := o.openKind("open", p, false)
	if err != nil {
		return nil, err
	}
	return &osFile{f: f, name: p, kind: readHandle}, nil
}

// OpenDir implements FS.
func (o *OS) OpenDir(name string) (File, error) {
	p := CleanPath(name)
	f, err := o.openKind("opendir", p, true)
	if err != nil {
		return nil, err
	}
	return &osFile{f: f, name: p, kind: dirHandle}, nil
}

// Remove implements FS.
func (o *OS) Remove(name string) error {
	p := CleanPath(name)
	if p == "." {
		return pathErr("remove", p, ErrInvalid)
	}
	if err := os.Remove(o.real(p)); err != nil {
		return osErr("remove", p, err)
	}
	return nil
}

// Rename implements FS.
func (o *OS) Rename(oldname, newname string) error {
	op, np := CleanPath(oldname), CleanPath(newname)
	if op == "." || np == "." {
		return fmt.Errorf("rename %s to %s: %w", op, np, ErrInvalid)
	}
	if err := os.Rename(o.real(op), o.real(np)); err != nil {
		return osErr("rename", op+" to "+np, err)
	}
	return nil
}

// MkdirAll implements FS.
func (o *OS) MkdirAll(dir string) error {
	p := CleanPath(dir)
	if err := os.MkdirAll(o.real(p), 0o755); err != nil {
		return osErr("mkdir", p, err)
	}
	return nil
}

// List implements FS.
func (o *OS) List(dir string) ([]string, error) {
	p := CleanPath(dir)
	entries, err := os.ReadDir(o.real(p))
	if err != nil {
		return nil, osErr("list", p, err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	slices.Sort(names) // ReadDir sorts already; the contract must not depend on it
	return names, nil
}

// Stat implements FS. A directory's Size is 0, as on MemFS.
func (o *OS) Stat(name string) (FileInfo, error) {
	p := CleanPath(name)
	st, err := os.Stat(o.real(p))
	if err != nil {
		return FileInfo{}, osErr("stat", p, err)
	}
	_, base := splitParent(p)
	fi := FileInfo{Name: base, IsDir: st.IsDir()}
	if !fi.IsDir {
		fi.Size = st.Size()
	}
	return fi, nil
}

// osFile is a handle of OS.
type osFile struct {
	f    *os.File
	name string
	kind handleKind
	// closed is atomic because Sync may run on another goroutine beside
	// Write and Close (a host that syncs off its event loop); the OS file
	// itself allows that.
	closed atomic.Bool
}

func (f *osFile) check(op string, dirOK bool) error {
	switch {
	case f.closed.Load():
		return pathErr(op, f.name, ErrClosed)
	case f.kind == dirHandle && !dirOK:
		return pathErr(op, f.name, ErrIsDir)
	}
	return nil
}

func (f *osFile) Write(p []byte) (int, error) {
	if err := f.check("write", false); err != nil {
		return 0, err
	}
	if f.kind == readHandle {
		return 0, pathErr("write", f.name, ErrReadOnly)
	}
	n, err := f.f.Write(p)
	if err != nil {
		return n, osErr("write", f.name, err)
	}
	return n, nil
}

func (f *osFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("read", f.name, fmt.Errorf("offset %d: %w", off, ErrInvalid))
	}
	n, err := f.f.ReadAt(p, off)
	if err != nil && err != io.EOF {
		return n, osErr("read", f.name, err)
	}
	return n, err
}

func (f *osFile) Sync() error {
	if err := f.check("sync", true); err != nil {
		return err
	}
	var err error
	if f.kind == dirHandle {
		err = f.f.Sync()
	} else {
		err = datasync(f.f)
	}
	if err != nil {
		return osErr("sync", f.name, err)
	}
	return nil
}

func (f *osFile) Size() (int64, error) {
	if err := f.check("size", false); err != nil {
		return 0, err
	}
	st, err := f.f.Stat()
	if err != nil {
		return 0, osErr("size", f.name, err)
	}
	return st.Size(), nil
}

func (f *osFile) Close() error {
	if err := f.check("close", true); err != nil {
		return err
	}
	f.closed.Store(true)
	if err := f.f.Close(); err != nil {
		return osErr("close", f.name, err)
	}
	return nil
}
