package lsm

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
)

// fakeClock is a test clock the test advances by hand.
type fakeClock struct{ t time.Time }

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func newMemFS(t testing.TB) *disk.MemFS {
	fs, err := disk.NewMemFS(disk.DefaultMemFSConfig())
	require.NoError(t, err)
	return fs
}

// smallOptions make flushes and compactions happen after a few KB so that
// tests exercise them quickly.
func smallOptions(c *fakeClock) Options {
	return Options{
		Now:                 c.Now,
		MemtableSizeBytes:   MinMemtableSizeBytes,
		BlockSizeBytes:      512,
		WALBufferSizeBytes:  1024,
		BlockCacheSizeBytes: 64 << 10,
		MaxTables:           8,
	}
}

func mustOpen(t testing.TB, fs disk.FS, o Options) *DB {
	d, err := Open(fs, "db", o)
	require.NoError(t, err)
	return d
}
