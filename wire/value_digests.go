package wire

import (
	"hash/crc32"
	"unsafe"
)

// ValueDigests remembers the CRC-32C of large values that FrameDigestMemo
// has checksummed, so that a value that travels in many frames — a put's
// value goes out in the client's request, in every replica's write, and in
// every read response and reply that returns it while it is a live sibling
// — is read once instead of once per frame. A frame's checksum is then
// extended over a remembered value with the CRC-32C shift identity
//
//	Update(c, v) = x^(8·len(v)) · c  ⊕  Checksum(v)   (mod P, reflected)
//
// so FrameDigestMemo returns exactly the CRC-32C that encoding the frame
// gives; only the work differs.
//
// Ownership rule: a value is recognised by its memory (the address and
// length of its bytes), so the bytes of a value handed to FrameDigestMemo
// must never change afterwards — which is the wire contract for the values
// of a sent message (messages are immutable once sent, and a value that a
// later message carries again is the same immutable bytes, never a reused
// buffer). A slot holds a pointer into the value it remembers, which keeps
// that memory from being freed and reused for other bytes while the slot
// names it. The table is a fixed number of direct-mapped slots, so it pins
// at most that many values however long a run is; a miss costs one plain
// checksum. Not safe for concurrent use.
type ValueDigests struct {
	slots [valueDigestSlots]valueDigest
}

const valueDigestSlots = 4096

type valueDigest struct {
	p     *byte  // the value's first byte (nil: empty slot)
	n     int    // its length
	sum   uint32 // crc32.Checksum(value, castagnoli)
	shift uint32 // x^(8n) mod P: multiplying by it appends n zero bytes
}

// NewValueDigests returns an empty table.
func NewValueDigests() *ValueDigests { return new(ValueDigests) }

// extend returns crc32.Update(crc, castagnoli, v) for len(v) > 0.
func (t *ValueDigests) extend(crc uint32, v []byte) uint32 {
	p := unsafe.SliceData(v)
	a := uintptr(unsafe.Pointer(p))
	s := &t.slots[(a>>4^a>>16)%valueDigestSlots]
	if s.p != p || s.n != len(v) {
		*s = valueDigest{p: p, n: len(v), sum: crc32.Checksum(v, castagnoli), shift: crcShiftOperator(len(v))}
	}
	return crcMultiply(s.shift, crc) ^ s.sum
}

// castagnoliReflected is the Castagnoli polynomial in the bit order
// hash/crc32 uses (LSB first).
const castagnoliReflected = 0x82f63b78

// crcPowers[k] is x^(2^k) mod P.
var crcPowers = func() (t [64]uint32) {
	p := uint32(1) << 30 // x^1
	for k := range t {
		t[k] = p
		p = crcMultiply(p, p)
	}
	return t
}()

// crcMultiply returns a·b mod P, both in reflected order (x^0 is the top
// bit).
func crcMultiply(a, b uint32) uint32 {
	var p uint32
	for m := uint32(1) << 31; m != 0 && a != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
			a &^= m
		}
		if b&1 != 0 {
			b = b>>1 ^ castagnoliReflected
		} else {
			b >>= 1
		}
	}
	return p
}

// crcShiftOperator returns x^(8n) mod P: crcMultiply(it, c) is what n zero
// bytes do to a CRC register c.
func crcShiftOperator(n int) uint32 {
	p := uint32(1) << 31 // x^0
	for k := 3; n > 0; k, n = k+1, n>>1 {
		if n&1 != 0 {
			p = crcMultiply(crcPowers[k], p)
		}
	}
	return p
}
