package disk

import (
	"errors"
	"io"
	"time"
)

// File is an open file. A file opened with FS.Create is written sequentially
// with Write; a file opened with FS.Open is read-only. Both may be read with
// ReadAt.
type File interface {
	io.Writer   // appends at the end of the file
	io.ReaderAt // reads anywhere; a short read returns io.EOF
	io.Closer
	// Sync makes every byte written so far durable: it survives a crash.
	// For a directory handle (FS.OpenDir) it makes the directory's entries
	// durable.
	Sync() error
	// Size is the current length of the file in bytes (including unsynced
	// writes).
	Size() (int64, error)
}

// FileInfo describes a file or directory.
type FileInfo struct {
	Name  string // base name
	Size  int64
	IsDir bool
}

// FS is a filesystem. Implementations are not safe for concurrent use unless
// they say so; in simulation one goroutine drives every node.
type FS interface {
	// Create creates (or truncates) the named file and opens it for writing.
	// The new directory entry is durable only after the parent directory is
	// synced.
	Create(name string) (File, error)
	// Open opens the named file for reading.
	Open(name string) (File, error)
	// OpenDir opens a directory so that its entries can be made durable with
	// Sync.
	OpenDir(name string) (File, error)
	// Remove removes a file or an empty directory. Durable after the parent
	// directory is synced.
	Remove(name string) error
	// Rename atomically replaces newname with oldname. Durable after the
	// parent directory is synced. An existing directory is never replaced
	// (ErrExist).
	Rename(oldname, newname string) error
	// MkdirAll creates a directory and its parents. Durable after the parent
	// directory is synced.
	MkdirAll(dir string) error
	// List returns the names of the entries in dir, sorted.
	List(dir string) ([]string, error)
	// Stat describes the named file.
	Stat(name string) (FileInfo, error)
}

// Errors every FS reports through errors.Is. ErrIsDir, ErrNotDir and
// ErrInvalid were added with the implementations; see the package doc.
var (
	ErrNotExist = errors.New("disk: file does not exist")
	ErrExist    = errors.New("disk: file already exists")
	ErrNoSpace  = errors.New("disk: no space left on device")
	ErrInjected = errors.New("disk: injected I/O error")
	ErrClosed   = errors.New("disk: file already closed")
	ErrReadOnly = errors.New("disk: file is read-only")
	ErrNotEmpty = errors.New("disk: directory not empty")
	ErrIsDir    = errors.New("disk: is a directory")
	ErrNotDir   = errors.New("disk: not a directory")
	ErrInvalid  = errors.New("disk: invalid argument")
)

// IOClock is implemented by filesystems that model I/O time (ErrorFS).
// The simulator reads it while a node handles an event: the time spent on
// disk so far delays every message the node sends and every timer it sets
// after that point, and the node's next event.
type IOClock interface {
	// IOTime returns the total modelled I/O time since the FS was created.
	// It only grows.
	IOTime() time.Duration
}
