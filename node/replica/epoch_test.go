package replica

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
)

func TestEpochCountsStartsAndSurvivesCrashes(t *testing.T) {
	for _, mode := range []disk.CrashMode{disk.CrashLoseUnsynced, disk.CrashKeepPrefix, disk.CrashTornWrite} {
		t.Run(mode.String(), func(t *testing.T) {
			fs, err := disk.NewMemFS(disk.DefaultMemFSConfig())
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(1, 2))
			last := uint32(0)
			for i := 0; i < 20; i++ {
				e, err := NextEpoch(fs, "data/node")
				require.NoError(t, err)
				require.Greater(t, e, last, "an epoch is never reused, even across crashes")
				last = e
				require.NoError(t, fs.Crash(mode, rng))
			}
			require.Equal(t, uint32(20), last)
		})
	}
}

func TestDamagedEpochFileIsRefused(t *testing.T) {
	fs, err := disk.NewMemFS(disk.DefaultMemFSConfig())
	require.NoError(t, err)
	_, err = NextEpoch(fs, "n")
	require.NoError(t, err)
	require.NoError(t, fs.FlipBit("n/EPOCH", 37))
	_, err = NextEpoch(fs, "n")
	require.ErrorContains(t, err, "checksum mismatch")

	f, err := fs.Create("n/EPOCH")
	require.NoError(t, err)
	_, err = f.Write([]byte("short"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, err = NextEpoch(fs, "n")
	require.ErrorContains(t, err, "5 bytes")
}
