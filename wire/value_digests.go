package wire

import "hash/crc32"

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
// Where the checksums of values come from is ValueSums: NewValueDigests
// with nil remembers them itself (MemoSums), and a caller that can tell
// values apart faster passes its own (the simulator does, sim.World).
//
// Ownership rule: a value is recognised by its memory (the address of its
// first byte, and its length), so the bytes of a value handed to
// FrameDigestMemo must never change afterwards — which is the wire contract
// for the values of a sent message (messages are immutable once sent, and
// a value that a later message carries again is the same immutable bytes,
// never a reused buffer). Not safe for concurrent use.
type ValueDigests struct {
	sums ValueSums
	// tables multiply by x^(8n) for the value lengths n seen, at most
	// maxShiftTables of them (values of a run mostly share a few sizes);
	// other lengths use crcMultiply. lastN and last are the table used
	// last.
	tables map[int]*shiftTable
	lastN  int
	last   *shiftTable
}

// ValueSums gives the CRC-32C (Castagnoli) checksum of a value, as
// ValueChecksum computes it — remembered, where it can be.
type ValueSums interface {
	Sum(v []byte) uint32
}

// ValueChecksum is crc32.Checksum of v with the Castagnoli table: what a
// ValueSums must return.
func ValueChecksum(v []byte) uint32 { return crc32.Checksum(v, castagnoli) }

const (
	maxMemoSums    = 4096
	maxShiftTables = 64
)

// MemoSums remembers the checksums of the values it was asked for, keyed by
// their first byte's address and their length. Its keys point into the
// values, which keeps their memory from being freed and reused for other
// bytes while it names them; it holds at most 4096 values (it starts over
// when full), so it pins a bounded amount of memory however long a run is.
type MemoSums struct {
	known map[*byte]memoSum
}

type memoSum struct {
	n   int
	sum uint32
}

// NewMemoSums returns an empty MemoSums.
func NewMemoSums() *MemoSums { return &MemoSums{known: make(map[*byte]memoSum, maxMemoSums)} }

// Sum implements ValueSums for a value of at least one byte.
func (m *MemoSums) Sum(v []byte) uint32 {
	p := &v[0]
	if s, ok := m.known[p]; ok && s.n == len(v) {
		return s.sum
	}
	if len(m.known) >= maxMemoSums {
		clear(m.known)
	}
	sum := ValueChecksum(v)
	m.known[p] = memoSum{len(v), sum}
	return sum
}

// shiftTable multiplies by one constant: by linearity, the product of a
// register is the sum of its four bytes' products.
type shiftTable [4][256]uint32

func newShiftTable(op uint32) *shiftTable {
	t := new(shiftTable)
	for k := range t {
		for bit := 0; bit < 8; bit++ {
			v := crcMultiply(op, uint32(1)<<(8*k+bit))
			for x := 1 << bit; x < 1<<(bit+1); x++ {
				t[k][x] = v ^ t[k][x-1<<bit]
			}
		}
	}
	return t
}

func (t *shiftTable) multiply(c uint32) uint32 {
	return t[0][c&0xff] ^ t[1][c>>8&0xff] ^ t[2][c>>16&0xff] ^ t[3][c>>24]
}

// NewValueDigests returns a ValueDigests taking checksums from sums (nil:
// a MemoSums of its own).
func NewValueDigests(sums ValueSums) *ValueDigests {
	if sums == nil {
		sums = NewMemoSums()
	}
	return &ValueDigests{sums: sums}
}

// extend returns crc32.Update(crc, castagnoli, v) for len(v) > 0.
func (t *ValueDigests) extend(crc uint32, v []byte) uint32 {
	sum := t.sums.Sum(v)
	if len(v) != t.lastN || t.last == nil {
		if tb := t.table(len(v)); tb != nil {
			t.lastN, t.last = len(v), tb
		} else {
			return crcMultiply(crcShiftOperator(len(v)), crc) ^ sum
		}
	}
	return t.last.multiply(crc) ^ sum
}

// table returns the multiplication table for values of n bytes, or nil
// once maxShiftTables lengths have one.
func (t *ValueDigests) table(n int) *shiftTable {
	if tb, ok := t.tables[n]; ok {
		return tb
	}
	if len(t.tables) >= maxShiftTables {
		return nil
	}
	if t.tables == nil {
		t.tables = make(map[int]*shiftTable)
	}
	tb := newShiftTable(crcShiftOperator(n))
	t.tables[n] = tb
	return tb
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
// It is branch-free: the bits of a are random, so branches on them would
// mispredict half the time.
func crcMultiply(a, b uint32) uint32 {
	var p uint32
	for range 32 {
		p ^= b & -(a >> 31)
		a <<= 1
		b = b>>1 ^ castagnoliReflected&-(b&1)
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
