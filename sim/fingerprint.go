package sim

import (
	"fmt"
	"math/bits"
)

// Fingerprint is a 64-bit running hash over every event the world delivers:
// its time, kind, endpoints and a digest of its payload. Two runs with the
// same seed and scenario produce the same fingerprint; any divergence — an
// extra message, a different arrival time, one changed byte in a payload —
// changes it (with probability 1 - 2^-64). Reports print it and `dynasim
// replay` compares it.
type Fingerprint struct {
	h uint64
	n uint64
}

// fingerprintSeed is an arbitrary odd constant so an empty run is not 0.
const fingerprintSeed = 0x6a09e667f3bcc909

// Add folds one delivered event into the fingerprint. The words are mixed
// in order, so the same values in a different order give a different hash.
func (f *Fingerprint) Add(at Time, kind uint8, to, from int32, digest uint64) {
	if f.n == 0 && f.h == 0 {
		f.h = fingerprintSeed
	}
	h := f.h
	h = mix64(h ^ uint64(at))
	h = mix64(h ^ (uint64(kind) | uint64(uint32(to))<<8 | uint64(uint32(from))<<40))
	h = mix64(h ^ digest)
	f.h = h
	f.n++
}

// Sum is the fingerprint so far.
func (f *Fingerprint) Sum() uint64 {
	if f.n == 0 {
		return fingerprintSeed
	}
	return f.h
}

// Events is how many events were folded in.
func (f *Fingerprint) Events() uint64 { return f.n }

// String renders the fingerprint as 16 hex digits, the form reports print.
func (f *Fingerprint) String() string { return FormatFingerprint(f.Sum()) }

// FormatFingerprint renders a fingerprint as 16 hex digits.
func FormatFingerprint(v uint64) string { return fmt.Sprintf("%016x", v) }

// mix64 is a strong 64-bit mixer (a multiply-xorshift finaliser in the style
// of wyhash): every input bit affects every output bit.
func mix64(x uint64) uint64 {
	hi, lo := bits.Mul64(x^0xa0761d6478bd642f, 0xe7037ed1a0b428db)
	return hi ^ lo
}
