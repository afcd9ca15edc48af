package disk

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFileDataMatchesASlice checks the chunked store against a plain slice
// through appends of every size (crossing chunk boundaries), reads at random
// offsets and truncations.
func TestFileDataMatchesASlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	var d fileData
	var ref []byte
	for i := range 400 {
		switch op := rng.IntN(10); {
		case op < 6:
			p := make([]byte, []int{0, 1, 100, 4096, chunkSize - 1, chunkSize + 7}[rng.IntN(6)])
			for j := range p {
				p[j] = byte(rng.Uint32())
			}
			d.append(p)
			ref = append(ref, p...)
		case op < 9 && len(ref) > 0:
			off := rng.Int64N(int64(len(ref)))
			buf := make([]byte, rng.IntN(3*chunkSize))
			n := d.readAt(buf, off)
			require.Equal(t, min(len(buf), len(ref)-int(off)), n)
			require.Equal(t, ref[off:off+int64(n)], buf[:n], "step %d", i)
		default:
			k := rng.Int64N(int64(len(ref)) + 1)
			d.truncate(k)
			ref = ref[:k]
		}
		require.Equal(t, int64(len(ref)), d.size)
		for c, ch := range d.chunks {
			if c < len(d.chunks)-1 {
				require.Len(t, ch, chunkSize, "every chunk but the last is full")
			}
		}
		if len(ref) > 0 {
			off := rng.Int64N(int64(len(ref)))
			require.Equal(t, ref[off], *d.at(off))
		}
	}
	require.Greater(t, len(d.chunks), 2, "the test reached several chunks")
}
