package wire

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Field encoders and their exact sizes. Size() of every message is built
// from the size* functions, AppendFrame from the append* ones; a test checks
// they agree for random contents of every type.

func sizeUvarint(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

func zigzag(x int64) uint64 { return uint64(x<<1) ^ uint64(x>>63) }

func sizeVarint(x int64) int { return sizeUvarint(zigzag(x)) }

func sizeBytes(b []byte) int { return sizeUvarint(uint64(len(b))) + len(b) }

func sizeString(s string) int { return sizeUvarint(uint64(len(s))) + len(s) }

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads payload fields. The first failure sticks in err and every
// later read returns a zero value, so decodePayload methods read straight
// through and Decode checks err once.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

func (d *decoder) byte1(field string) byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail("%s: truncated", field)
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		if n == 0 {
			d.fail("%s: truncated varint", field)
		} else {
			d.fail("%s: varint overflows 64 bits", field)
		}
		return 0
	}
	if n != sizeUvarint(v) {
		d.fail("%s: varint not minimally encoded", field)
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint(field string) int64 {
	u := d.uvarint(field)
	return int64(u>>1) ^ -int64(u&1)
}

// count reads a uvarint element count, refusing more than max or more than
// the remaining bytes could hold at minBytes each — before any allocation.
func (d *decoder) count(field string, max, minBytes int) int {
	n := d.uvarint(field)
	if d.err != nil {
		return 0
	}
	if n > uint64(max) {
		d.fail("%s: count %d exceeds the limit of %d", field, n, max)
		return 0
	}
	if n*uint64(minBytes) > uint64(d.remaining()) {
		d.fail("%s: count %d needs at least %d bytes, %d remain", field, n, n*uint64(minBytes), d.remaining())
		return 0
	}
	return int(n)
}

// bytes reads a length-prefixed byte string of at most max bytes. The result
// aliases the decoder's buffer (which Decode owns); empty strings are nil.
func (d *decoder) bytes(field string, max int) []byte {
	n := d.uvarint(field)
	if d.err != nil {
		return nil
	}
	if n > uint64(max) {
		d.fail("%s size %d bytes exceeds the limit of %d bytes", field, n, max)
		return nil
	}
	if n > uint64(d.remaining()) {
		d.fail("%s: %d bytes announced, %d remain", field, n, d.remaining())
		return nil
	}
	if n == 0 {
		return nil
	}
	v := d.b[d.off : d.off+int(n) : d.off+int(n)]
	d.off += int(n)
	return v
}

func (d *decoder) string(field string, max int) string { return string(d.bytes(field, max)) }

func (d *decoder) addr(field string) Addr {
	v := d.varint(field)
	if d.err == nil && (v < int64(None) || v > 1<<31-1) {
		d.fail("%s: address %d out of range", field, v)
		return None
	}
	return Addr(v)
}
