package lsm

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
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
