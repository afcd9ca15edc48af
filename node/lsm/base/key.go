package base

import (
	"bytes"
	"encoding/binary"
)

// Kind says what an entry is.
type Kind uint8

const (
	// KindDelete is a tombstone. Its value is the 8-byte little-endian
	// deletion time in Unix nanoseconds, which compaction compares with the
	// tombstone grace period.
	KindDelete Kind = 0
	// KindSet is a value.
	KindSet Kind = 1
	// KindMax is the largest kind; a search key uses it so that it sorts
	// before every entry with the same user key and sequence.
	KindMax = KindSet
)

// Valid reports whether k is a kind the engine writes.
func (k Kind) Valid() bool { return k == KindDelete || k == KindSet }

func (k Kind) String() string {
	switch k {
	case KindDelete:
		return "DEL"
	case KindSet:
		return "SET"
	}
	return "INVALID"
}

// TrailerLen is the length of the sequence/kind trailer of an internal key.
const TrailerLen = 8

// MaxSeq is the largest sequence number: sequences use the top 56 bits of
// the trailer.
const MaxSeq = 1<<56 - 1

// MakeTrailer packs a sequence number and a kind.
func MakeTrailer(seq uint64, kind Kind) uint64 { return seq<<8 | uint64(kind) }

// AppendInternalKey appends the internal key (ukey, seq, kind) to dst.
func AppendInternalKey(dst, ukey []byte, seq uint64, kind Kind) []byte {
	dst = append(dst, ukey...)
	return binary.LittleEndian.AppendUint64(dst, MakeTrailer(seq, kind))
}

// SearchKey appends the key that a seek for the newest version of ukey
// visible at seq uses.
func SearchKey(dst, ukey []byte, seq uint64) []byte {
	return AppendInternalKey(dst, ukey, seq, KindMax)
}

// UserKey returns the user-key part of an internal key. The caller
// guarantees len(ikey) >= TrailerLen.
func UserKey(ikey []byte) []byte { return ikey[:len(ikey)-TrailerLen] }

// Trailer returns the trailer of an internal key.
func Trailer(ikey []byte) uint64 {
	return binary.LittleEndian.Uint64(ikey[len(ikey)-TrailerLen:])
}

// Seq returns the sequence number of an internal key.
func Seq(ikey []byte) uint64 { return Trailer(ikey) >> 8 }

// KindOf returns the kind of an internal key.
func KindOf(ikey []byte) Kind { return Kind(ikey[len(ikey)-TrailerLen]) }

// CompareInternal orders internal keys: user key ascending, then trailer
// descending (newest first). Both keys must be at least TrailerLen long.
func CompareInternal(a, b []byte) int {
	if c := bytes.Compare(a[:len(a)-TrailerLen], b[:len(b)-TrailerLen]); c != 0 {
		return c
	}
	ta, tb := Trailer(a), Trailer(b)
	switch {
	case ta > tb:
		return -1
	case ta < tb:
		return 1
	}
	return 0
}
