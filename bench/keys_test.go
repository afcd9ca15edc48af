package bench

import (
	"encoding/binary"
	"math/rand/v2"
)

const (
	keySize   = 16
	valueSize = 1000
)

// mix is a bijection on uint64 (splitmix64's finaliser), so distinct indexes
// give distinct keys in a pseudo-random order.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// makeKey writes the key for index i of a key space salted by salt.
func makeKey(dst []byte, salt, i uint64) []byte {
	dst = dst[:keySize]
	h := mix(i ^ salt)
	binary.BigEndian.PutUint64(dst[0:8], h)
	binary.BigEndian.PutUint64(dst[8:16], mix(h+0x9e3779b97f4a7c15))
	return dst
}

// valueSource hands out incompressible values: windows into a large block of
// seeded random bytes, at pseudo-random offsets so that the values in one
// block do not repeat each other.
type valueSource struct {
	data []byte
}

func newValueSource() *valueSource {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 4<<20)
	for i := 0; i+8 <= len(data); i += 8 {
		binary.LittleEndian.PutUint64(data[i:], r.Uint64())
	}
	return &valueSource{data: data}
}

func (s *valueSource) value(i uint64) []byte {
	off := mix(i*0x2545f4914f6cdd1d) % uint64(len(s.data)-valueSize)
	return s.data[off : off+valueSize]
}
