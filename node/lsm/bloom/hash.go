package bloom

import "encoding/binary"

// Hash is the 64-bit hash of a user key that filters are built from and
// probed with. It is part of the on-disk format: altering it invalidates
// every stored filter. It reads eight bytes at a time and finishes with
// splitmix64's avalanche, which is plenty for a Bloom filter.
func Hash(b []byte) uint64 {
	const m = 0x9e3779b97f4a7c15
	h := uint64(len(b))*m ^ 0x2545f4914f6cdd1d
	for len(b) >= 8 {
		h = (h ^ avalanche(binary.LittleEndian.Uint64(b))) * m
		b = b[8:]
	}
	if len(b) > 0 {
		var t uint64
		for i := len(b) - 1; i >= 0; i-- {
			t = t<<8 | uint64(b[i])
		}
		h = (h ^ avalanche(t)) * m
	}
	return avalanche(h)
}

func avalanche(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
