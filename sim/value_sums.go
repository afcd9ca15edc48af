package sim

import (
	"unsafe"

	"dynasim/wire"
)

// valueSums remembers the CRC-32C of the large values the world's messages
// carry (wire.ValueSums for wire.FrameDigestMemo): a put's value travels in
// the client's request, every replica's write and every read response and
// reply that returns it while it is a live sibling, and is checksummed once.
//
// A value is recognised by the address of its first byte and its length —
// the node contract keeps the values of sent messages immutable, which is
// the rule wire.ValueDigests states — and found in a fixed array of slots
// indexed by that address, which is cheaper than a map. A slot's pointer
// keeps the value's memory from being freed and reused for other bytes
// while the slot names it, and the array bounds what it pins however long
// a run is. Addresses differ from run to run, which changes only which
// lookups hit: a sum is the value's checksum either way.
type valueSums struct {
	slots [valueSumSlots]valueSum
}

const valueSumSlots = 4096

type valueSum struct {
	p   *byte // the value's first byte; nil: empty
	n   int
	sum uint32
}

// Sum implements wire.ValueSums for a value of at least one byte.
func (t *valueSums) Sum(v []byte) uint32 {
	p := unsafe.SliceData(v)
	a := uintptr(unsafe.Pointer(p))
	s := &t.slots[(a>>4^a>>16)%valueSumSlots]
	if s.p != p || s.n != len(v) {
		*s = valueSum{p: p, n: len(v), sum: wire.ValueChecksum(v)}
	}
	return s.sum
}
