package bloom

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

func keyOf(i uint64) []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], i)
	binary.BigEndian.PutUint64(b[8:], ^i)
	return b[:]
}

func build(t *testing.T, n, bitsPerKey int) Filter {
	hashes := make([]uint64, n)
	for i := range hashes {
		hashes[i] = Hash(keyOf(uint64(i)))
	}
	enc, err := Build(nil, hashes, bitsPerKey)
	require.NoError(t, err)
	f, err := Decode(enc)
	require.NoError(t, err)
	return f
}

func TestNoFalseNegatives(t *testing.T) {
	for _, bits := range []int{1, 4, 10, 20, MaxBitsPerKey} {
		f := build(t, 5000, bits)
		for i := 0; i < 5000; i++ {
			require.True(t, f.MayContain(Hash(keyOf(uint64(i)))), "bits=%d key %d", bits, i)
		}
	}
}

// TestFalsePositiveRate checks the default density gives about 1 % false
// positives, as the issue asks, and that more bits give fewer.
func TestFalsePositiveRate(t *testing.T) {
	const n, probes = 100_000, 200_000
	rate := func(bits int) float64 {
		f := build(t, n, bits)
		fp := 0
		for i := uint64(0); i < probes; i++ {
			if f.MayContain(Hash(keyOf(1<<40 + i))) {
				fp++
			}
		}
		return float64(fp) / probes
	}
	r10 := rate(10)
	t.Logf("false-positive rate at 10 bits/key: %.4f", r10)
	require.Greater(t, r10, 0.004)
	require.Less(t, r10, 0.015)
	r16 := rate(16)
	t.Logf("false-positive rate at 16 bits/key: %.4f", r16)
	require.Less(t, r16, r10/3)
}

func TestEmptyFilterRejectsKeys(t *testing.T) {
	f := build(t, 0, 10)
	hits := 0
	for i := uint64(0); i < 1000; i++ {
		if f.MayContain(Hash(keyOf(i))) {
			hits++
		}
	}
	require.Zero(t, hits)
}

func TestDecodeRejectsMalformed(t *testing.T) {
	enc, err := Build(nil, []uint64{1, 2, 3}, 10)
	require.NoError(t, err)
	_, err = Decode(enc[:10])
	require.ErrorIs(t, err, ErrBadFilter)
	_, err = Decode(enc[1:])
	require.ErrorIs(t, err, ErrBadFilter)
	bad := append([]byte(nil), enc...)
	bad[len(bad)-trailerLen] = 0
	_, err = Decode(bad)
	require.ErrorIs(t, err, ErrBadFilter)
	bad = append([]byte(nil), enc...)
	binary.LittleEndian.PutUint32(bad[len(bad)-4:], 1<<31)
	_, err = Decode(bad)
	require.ErrorIs(t, err, ErrBadFilter)
}

func TestBuildRejectsBadDensity(t *testing.T) {
	_, err := Build(nil, nil, 0)
	require.ErrorContains(t, err, "0 bits per key")
	_, err = Build(nil, nil, MaxBitsPerKey+1)
	require.Error(t, err)
}

func TestHashSpreads(t *testing.T) {
	// Keys that differ in one byte, and keys of every short length, must
	// not collide.
	seen := map[uint64]bool{}
	for n := 0; n < 20; n++ {
		for b := 0; b < 256; b++ {
			k := make([]byte, n+1)
			k[n] = byte(b)
			h := Hash(k)
			require.False(t, seen[h], "collision at len %d byte %d", n+1, b)
			seen[h] = true
		}
	}
}

func BenchmarkMayContain(b *testing.B) {
	hashes := make([]uint64, 1_000_000)
	for i := range hashes {
		hashes[i] = Hash(keyOf(uint64(i)))
	}
	enc, _ := Build(nil, hashes, 10)
	f, _ := Decode(enc)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.MayContain(hashes[i%len(hashes)] ^ uint64(i))
	}
}
