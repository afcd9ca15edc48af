package lsm

import (
	"fmt"

	"dynasim/disk"
)

// cutFS wraps an FS and simulates the machine dying at an arbitrary I/O
// point: after `left` more operations every operation fails. What the
// engine did before the cut is exactly what the inner FS holds; the test
// then crashes the inner FS and recovers from it.
type cutFS struct {
	inner disk.FS
	left  int // operations allowed; < 0 means unlimited
}

var errCut = fmt.Errorf("cutFS: %w (simulated power loss)", disk.ErrInjected)

func (c *cutFS) tick() error {
	if c.left < 0 {
		return nil
	}
	if c.left == 0 {
		return errCut
	}
	c.left--
	return nil
}

func (c *cutFS) cut() bool { return c.left == 0 }

func (c *cutFS) wrap(f disk.File, err error) (disk.File, error) {
	if err != nil {
		return nil, err
	}
	return &cutFile{c: c, f: f}, nil
}

func (c *cutFS) Create(name string) (disk.File, error) {
	if err := c.tick(); err != nil {
		return nil, err
	}
	return c.wrap(c.inner.Create(name))
}

func (c *cutFS) Open(name string) (disk.File, error) {
	if err := c.tick(); err != nil {
		return nil, err
	}
	return c.wrap(c.inner.Open(name))
}

func (c *cutFS) OpenDir(name string) (disk.File, error) {
	if err := c.tick(); err != nil {
		return nil, err
	}
	return c.wrap(c.inner.OpenDir(name))
}

func (c *cutFS) Remove(name string) error {
	if err := c.tick(); err != nil {
		return err
	}
	return c.inner.Remove(name)
}

func (c *cutFS) Rename(o, n string) error {
	if err := c.tick(); err != nil {
		return err
	}
	return c.inner.Rename(o, n)
}

func (c *cutFS) MkdirAll(dir string) error {
	if err := c.tick(); err != nil {
		return err
	}
	return c.inner.MkdirAll(dir)
}

func (c *cutFS) List(dir string) ([]string, error) {
	if err := c.tick(); err != nil {
		return nil, err
	}
	return c.inner.List(dir)
}

func (c *cutFS) Stat(name string) (disk.FileInfo, error) {
	if err := c.tick(); err != nil {
		return disk.FileInfo{}, err
	}
	return c.inner.Stat(name)
}

type cutFile struct {
	c *cutFS
	f disk.File
}

func (f *cutFile) Write(p []byte) (int, error) {
	if err := f.c.tick(); err != nil {
		return 0, err
	}
	return f.f.Write(p)
}

func (f *cutFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.c.tick(); err != nil {
		return 0, err
	}
	return f.f.ReadAt(p, off)
}

func (f *cutFile) Sync() error {
	if err := f.c.tick(); err != nil {
		return err
	}
	return f.f.Sync()
}

func (f *cutFile) Size() (int64, error) {
	if err := f.c.tick(); err != nil {
		return 0, err
	}
	return f.f.Size()
}

func (f *cutFile) Close() error { return f.f.Close() }
