package lsm

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
)

func TestPutGetDeleteAcrossFlushAndReopen(t *testing.T) {
	fs := newMemFS(t)
	c := newClock()
	d := mustOpen(t, fs, smallOptions(c))
	for i := 0; i < 500; i++ {
		require.NoError(t, d.Put([]byte(fmt.Sprintf("key%04d", i)), []byte(fmt.Sprintf("value%d", i))))
	}
	for i := 0; i < 500; i += 3 {
		require.NoError(t, d.Delete([]byte(fmt.Sprintf("key%04d", i))))
	}
	check := func(d *DB) {
		for i := 0; i < 500; i++ {
			v, err := d.Get([]byte(fmt.Sprintf("key%04d", i)))
			if i%3 == 0 {
				require.ErrorIs(t, err, ErrNotFound, "key %d", i)
				continue
			}
			require.NoError(t, err, "key %d", i)
			require.Equal(t, fmt.Sprintf("value%d", i), string(v))
		}
	}
	check(d)
	for d.NeedsMaintenance() {
		_, err := d.Maintain(1 << 20)
		require.NoError(t, err)
	}
	require.Greater(t, d.Stats().Tables, 0)
	check(d)
	require.NoError(t, d.Close())
	d = mustOpen(t, fs, smallOptions(c))
	check(d)
	require.NoError(t, d.Close())
}

// Put encodes its log record straight into the log; it must be byte for
// byte the record of a batch holding the same put, so recovery cannot tell
// them apart. Two engines, one writing with Put and one with Apply, end up
// with identical log files and identical contents after reopening.
func TestPutLogsWhatABatchOfOnePutLogs(t *testing.T) {
	c := newClock()
	r := rand.New(rand.NewPCG(7, 8))
	fsPut, fsBatch := newMemFS(t), newMemFS(t)
	o := smallOptions(c)
	o.MemtableSizeBytes = 1 << 20 // one log segment throughout
	dp, db := mustOpen(t, fsPut, o), mustOpen(t, fsBatch, o)
	want := map[string][]byte{}
	for i := 0; i < 300; i++ {
		key := fmt.Appendf(nil, "key%03d", r.IntN(100))
		value := make([]byte, r.IntN(300)) // empty values included
		for j := range value {
			value[j] = byte(r.Uint32())
		}
		if r.IntN(50) == 0 {
			key = make([]byte, 200) // multi-byte key length
		}
		require.NoError(t, dp.Put(key, value))
		b := NewBatch()
		b.Put(key, value)
		require.NoError(t, db.Apply(b))
		want[string(key)] = value
	}
	require.NoError(t, dp.Sync())
	require.NoError(t, db.Sync())
	names, err := fsPut.List("db")
	require.NoError(t, err)
	logs := 0
	for _, name := range names {
		if !strings.HasSuffix(name, ".log") {
			continue
		}
		logs++
		require.Equal(t, readAllFile(t, fsPut, "db/"+name), readAllFile(t, fsBatch, "db/"+name), name)
	}
	require.Equal(t, 1, logs)
	require.NoError(t, dp.Close())
	dp = mustOpen(t, fsPut, o)
	for k, v := range want {
		got, err := dp.Get([]byte(k))
		require.NoError(t, err)
		require.Equal(t, v, got, "%q", k)
	}
	require.NoError(t, dp.Close())
	require.NoError(t, db.Close())
}

func readAllFile(t *testing.T, fs disk.FS, name string) []byte {
	f, err := fs.Open(name)
	require.NoError(t, err)
	defer f.Close()
	size, err := f.Size()
	require.NoError(t, err)
	b := make([]byte, size)
	_, err = f.ReadAt(b, 0)
	require.NoError(t, err)
	return b
}
