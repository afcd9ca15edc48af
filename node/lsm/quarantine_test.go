package lsm

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
)

// A table that fails its checksum is quarantined on the read that meets
// it: the read goes on without it (older data or nothing, never the
// corrupt bytes, never an error), every other key stays readable, the
// host learns the table's key range, and the table is gone from the
// manifest and the disk after the next checkpoint.
func TestCorruptTableIsQuarantinedAndReadsGoOn(t *testing.T) {
	fs := newMemFS(t)
	c := newClock()
	o := smallOptions(c)
	d := mustOpen(t, fs, o)
	// An old version of every key in one table, a new one in another.
	for i := range 200 {
		require.NoError(t, d.Put([]byte(fmt.Sprintf("k%03d", i)), []byte("old"+strings.Repeat("o", 100))))
	}
	require.NoError(t, d.Flush())
	for i := range 200 {
		require.NoError(t, d.Put([]byte(fmt.Sprintf("k%03d", i)), []byte("new"+strings.Repeat("n", 100))))
	}
	require.NoError(t, d.Flush())
	require.NoError(t, d.Close())
	names, err := fs.List("db")
	require.NoError(t, err)
	var tables []string
	for _, n := range names {
		if strings.HasSuffix(n, tableExt) {
			tables = append(tables, "db/"+n)
		}
	}
	require.GreaterOrEqual(t, len(tables), 2)
	newest := tables[len(tables)-1]                 // numbered in creation order
	require.NoError(t, fs.FlipBit(newest, 8*100+3)) // inside its first data block

	d = mustOpen(t, fs, o)
	var olds []string
	for i := range 200 {
		k := fmt.Sprintf("k%03d", i)
		v, err := d.Get([]byte(k))
		require.NoError(t, err, k)
		switch {
		case strings.HasPrefix(string(v), "new"):
		case strings.HasPrefix(string(v), "old"):
			olds = append(olds, k)
		default:
			t.Fatalf("k%03d: %q is neither version", i, v)
		}
	}
	require.NotEmpty(t, olds, "keys of the quarantined table read their older version")
	st := d.Stats()
	require.Equal(t, uint64(1), st.TablesQuarantined)
	require.Contains(t, st.LastQuarantine, "checksum")
	q := d.Quarantined()
	require.Len(t, q, 1)
	require.Equal(t, newest, q[0].File)
	for _, k := range olds {
		require.True(t, k >= string(q[0].Smallest) && k <= string(q[0].Largest), "%s read old outside the quarantined range", k)
	}
	require.Empty(t, d.Quarantined(), "reported once")

	// Writes and maintenance go on; after a checkpoint the table is gone.
	require.NoError(t, d.Put([]byte("k000"), []byte("newer")))
	require.NoError(t, d.Flush())
	_, err = fs.Stat(newest)
	require.True(t, errors.Is(err, disk.ErrNotExist), "the quarantined table's file is removed: %v", err)
	require.NoError(t, d.Close())
	d = mustOpen(t, fs, o)
	defer d.Close()
	v, err := d.Get([]byte("k000"))
	require.NoError(t, err)
	require.Equal(t, "newer", string(v))
}
