package sstable

import (
	"encoding/binary"
	"errors"
	"fmt"

	"dynasim/node/lsm/base"
)

const (
	// Magic ends every table file ("dynsstbl" as a little-endian uint64).
	Magic uint64 = 0x6c627473736e7964
	// FormatVersion is the table format this package writes and reads.
	FormatVersion = 1
	// FooterLen is the fixed size of the footer.
	FooterLen = 56
	// blockTrailerLen is the CRC after every block.
	blockTrailerLen = 4
	// MaxBlockBytes bounds a block's size: a data block holds at least one
	// entry, so it may exceed the target block size by one key and value.
	MaxBlockBytes = 64 << 20
	// MaxTableBytes bounds a table file's size.
	MaxTableBytes = 1 << 40
	// MaxKeyBytes bounds an internal key stored in a table.
	MaxKeyBytes = 1 << 20
)

// Handle locates a block: its offset and the length of its contents
// (excluding the CRC trailer).
type Handle struct {
	Offset uint64
	Length uint64
}

func appendHandle(dst []byte, h Handle) []byte {
	dst = binary.AppendUvarint(dst, h.Offset)
	return binary.AppendUvarint(dst, h.Length)
}

func decodeHandle(b []byte) (Handle, bool) {
	off, n := binary.Uvarint(b)
	if n <= 0 {
		return Handle{}, false
	}
	l, m := binary.Uvarint(b[n:])
	if m <= 0 || n+m != len(b) {
		return Handle{}, false
	}
	return Handle{off, l}, true
}

type footer struct {
	filter, meta, index Handle
	version             uint32
}

func (f footer) encode() []byte {
	b := make([]byte, FooterLen)
	binary.LittleEndian.PutUint64(b[0:], f.filter.Offset)
	binary.LittleEndian.PutUint32(b[8:], uint32(f.filter.Length))
	binary.LittleEndian.PutUint64(b[12:], f.meta.Offset)
	binary.LittleEndian.PutUint32(b[20:], uint32(f.meta.Length))
	binary.LittleEndian.PutUint64(b[24:], f.index.Offset)
	binary.LittleEndian.PutUint32(b[32:], uint32(f.index.Length))
	binary.LittleEndian.PutUint32(b[36:], f.version)
	binary.LittleEndian.PutUint32(b[44:], base.CRC(b[:44]))
	binary.LittleEndian.PutUint64(b[48:], Magic)
	return b
}

func decodeFooter(b []byte) (footer, string) {
	if binary.LittleEndian.Uint64(b[48:]) != Magic {
		return footer{}, "bad magic number (not a table, or the tail is damaged)"
	}
	if binary.LittleEndian.Uint32(b[44:]) != base.CRC(b[:44]) {
		return footer{}, "footer checksum mismatch"
	}
	f := footer{
		filter:  Handle{binary.LittleEndian.Uint64(b[0:]), uint64(binary.LittleEndian.Uint32(b[8:]))},
		meta:    Handle{binary.LittleEndian.Uint64(b[12:]), uint64(binary.LittleEndian.Uint32(b[20:]))},
		index:   Handle{binary.LittleEndian.Uint64(b[24:]), uint64(binary.LittleEndian.Uint32(b[32:]))},
		version: binary.LittleEndian.Uint32(b[36:]),
	}
	if f.version != FormatVersion {
		return footer{}, fmt.Sprintf("format version %d, want %d", f.version, FormatVersion)
	}
	return f, ""
}

// Props describe a table; they are stored in its meta block and copied into
// the engine's manifest.
type Props struct {
	Entries    uint64 // all entries
	Deletions  uint64 // tombstones among them
	MinSeq     uint64
	MaxSeq     uint64
	KeyBytes   uint64 // sum of internal key lengths
	ValueBytes uint64 // sum of value lengths
	DataBlocks uint64
	Smallest   []byte // smallest internal key
	Largest    []byte // largest internal key
}

func (p *Props) encode(dst []byte) []byte {
	for _, v := range []uint64{p.Entries, p.Deletions, p.MinSeq, p.MaxSeq, p.KeyBytes, p.ValueBytes, p.DataBlocks} {
		dst = binary.AppendUvarint(dst, v)
	}
	dst = binary.AppendUvarint(dst, uint64(len(p.Smallest)))
	dst = append(dst, p.Smallest...)
	dst = binary.AppendUvarint(dst, uint64(len(p.Largest)))
	return append(dst, p.Largest...)
}

var errBadProps = errors.New("malformed meta block")

func decodeProps(b []byte) (Props, error) {
	var p Props
	vals := []*uint64{&p.Entries, &p.Deletions, &p.MinSeq, &p.MaxSeq, &p.KeyBytes, &p.ValueBytes, &p.DataBlocks}
	for _, v := range vals {
		x, n := binary.Uvarint(b)
		if n <= 0 {
			return Props{}, errBadProps
		}
		*v, b = x, b[n:]
	}
	for _, k := range []*[]byte{&p.Smallest, &p.Largest} {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) || l < base.TrailerLen || l > MaxKeyBytes {
			return Props{}, errBadProps
		}
		*k = append([]byte(nil), b[n:n+int(l)]...)
		b = b[n+int(l):]
	}
	if len(b) != 0 || p.Entries == 0 || p.MinSeq > p.MaxSeq || base.CompareInternal(p.Smallest, p.Largest) > 0 {
		return Props{}, errBadProps
	}
	return p, nil
}
