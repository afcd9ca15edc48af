package lsm

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
)

// A split sync makes durable exactly the writes made before SyncStart:
// after a power loss that drops everything unsynced, those are present
// and the ones written while its file syncs ran are not covered (they
// need the next sync). Across memtable rotations and log discards, in
// every crash mode.
func TestSplitSyncCoversTheWritesBeforeItsStart(t *testing.T) {
	for _, mode := range []disk.CrashMode{disk.CrashLoseUnsynced, disk.CrashKeepPrefix, disk.CrashTornWrite} {
		t.Run(mode.String(), func(t *testing.T) {
			fs := newMemFS(t)
			c := newClock()
			o := smallOptions(c)
			o.Sync = SyncGroupCommit // the node's mode: it calls Sync
			// Checkpoint often, so that logs a split sync covered are
			// discarded under it.
			o.CheckpointLogBytes = int64(o.MemtableSizeBytes)
			d := mustOpen(t, fs, o)
			r := rand.New(rand.NewPCG(1, 2))
			last := map[string]string{}    // every write so far
			durable := map[string]string{} // what the last split sync covers
			var late map[string]bool       // keys written while it ran
			for round := range 400 {
				for i := range 1 + r.IntN(8) {
					k, v := fmt.Sprintf("k%03d", r.IntN(300)), fmt.Sprintf("v%d.%d%0100d", round, i, 0)
					require.NoError(t, d.Put([]byte(k), []byte(v)))
					last[k] = v
				}
				p, err := d.SyncStart()
				require.NoError(t, err)
				require.NotNil(t, p)
				// Each split sync covers every earlier write, the late
				// ones of the round before included.
				durable = maps.Clone(last)
				late = map[string]bool{}
				for j := range r.IntN(3) {
					k := fmt.Sprintf("k%03d", r.IntN(300))
					v := fmt.Sprintf("late%d.%d", round, j)
					require.NoError(t, d.Put([]byte(k), []byte(v)))
					last[k] = v
					late[k] = true
				}
				maintain := func() {
					for more := true; more; {
						more, err = d.Maintain(1 << 20)
						require.NoError(t, err)
					}
				}
				if r.IntN(2) == 0 {
					// Flushes and checkpoints while the file syncs are
					// pending: a log they discard is closed under them.
					maintain()
				}
				require.NoError(t, d.SyncFinish(p, p.Run()))
				maintain()
			}
			require.Positive(t, d.Stats().WALSegmentsRemoved, "logs were rotated and discarded along the way")
			require.NoError(t, fs.Crash(mode, r))
			d2 := mustOpen(t, fs, o)
			defer d2.Close()
			for k, v := range durable {
				got, err := d2.Get([]byte(k))
				require.NoError(t, err, k)
				if string(got) != v {
					require.True(t, late[k], "%s: %q, want the covered %q", k, got, v)
					require.Equal(t, last[k], string(got), "%s: only its late write may have survived too", k)
				}
			}
		})
	}
}

// A split sync of an engine closed and reopened since is refused, and one
// whose run failed stops the engine, as a failed Sync does.
func TestSplitSyncRefusalsAndFailure(t *testing.T) {
	fs := newMemFS(t)
	c := newClock()
	o := smallOptions(c)
	o.Sync = SyncGroupCommit
	d := mustOpen(t, fs, o)
	require.NoError(t, d.Put([]byte("a"), []byte("1")))
	p, err := d.SyncStart()
	require.NoError(t, err)
	require.NoError(t, d.Close())
	d2 := mustOpen(t, fs, o)
	require.ErrorContains(t, d2.SyncFinish(p, nil), "another engine instance")

	none, err := d2.SyncStart()
	require.NoError(t, err)
	require.Nil(t, none, "nothing to sync")
	require.NoError(t, d2.Put([]byte("b"), []byte("2")))
	p, err = d2.SyncStart()
	require.NoError(t, err)
	require.Error(t, d2.SyncFinish(p, fmt.Errorf("the host could not run it")))
	require.Error(t, d2.Stopped())
	require.Error(t, d2.Put([]byte("c"), []byte("3")), "a stopped engine refuses writes")
}
