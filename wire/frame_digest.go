package wire

import (
	"encoding/binary"
	"hash/crc32"
)

// FrameDigest returns the size of m's frame and the CRC-32C its frame ends
// with (FrameChecksum of m.AppendFrame(nil)), without building the frame
// when m carries values: the small fields are encoded into scratch and
// checksummed in pieces, and every value is checksummed where it lies
// instead of being copied. It returns scratch (possibly grown) for reuse.
// The result is exactly what encoding the frame gives.
func FrameDigest(m ChecksummedFrame, scratch []byte) (size int, sum uint32, buf []byte) {
	return FrameDigestMemo(m, scratch, nil)
}

// FrameDigestMemo is FrameDigest that looks large values up in memo (nil:
// none) and remembers them there, so a value carried by many frames is
// checksummed once (see ValueDigests, and its rule that such values are
// never modified). The result is the same as FrameDigest's.
func FrameDigestMemo(m ChecksummedFrame, scratch []byte, memo *ValueDigests) (size int, sum uint32, buf []byte) {
	d := frameDigester{memo: memo}
	switch m := m.(type) {
	case *ClientPut:
		d.begin(scratch, m.Size(), KindClientPut)
		d.b = binary.AppendUvarint(d.b, m.ReqID)
		d.b = binary.AppendVarint(d.b, int64(m.ReplyTo))
		d.b = appendBytes(d.b, m.Key)
		d.b = appendBytes(d.b, m.Context)
		d.bytes(m.Value)
		d.b = append(d.b, m.N)
		d.b = appendNeed(d.b, m.W)
	case *ClientReply:
		d.begin(scratch, m.Size(), KindClientReply)
		d.b = binary.AppendUvarint(d.b, m.ReqID)
		d.b = append(d.b, byte(m.Status))
		d.b = appendString(d.b, m.Error)
		d.b = binary.AppendUvarint(d.b, uint64(len(m.Values)))
		for _, v := range m.Values {
			d.bytes(v)
		}
		d.b = appendBytes(d.b, m.Context)
	case *WriteRequest:
		d.begin(scratch, m.Size(), KindWriteRequest)
		d.b = binary.AppendUvarint(d.b, m.OpID)
		d.b = appendBytes(d.b, m.Key)
		d.b = append(d.b, byte(m.Purpose))
		d.b = binary.AppendVarint(d.b, int64(m.HintFor))
		d.siblingSet(&m.Set)
	case *ReadResponse:
		d.begin(scratch, m.Size(), KindReadResponse)
		d.b = binary.AppendUvarint(d.b, m.OpID)
		d.b = append(d.b, byte(m.Status))
		d.b = appendString(d.b, m.Error)
		d.siblingSet(&m.Set)
	default:
		// No values to skip: encoding the frame is as cheap.
		buf = m.AppendFrame(scratch[:0])
		return len(buf), FrameChecksum(buf), buf
	}
	d.crc = crc32.Update(d.crc, castagnoli, d.b)
	return d.size, d.crc, d.b
}

// digestInline is the size up to which a value is copied into the scratch
// buffer rather than checksummed on its own.
const digestInline = 64

// frameDigester checksums a frame in pieces: b holds the bytes not yet
// folded into crc.
type frameDigester struct {
	b    []byte
	crc  uint32
	size int
	memo *ValueDigests
}

// begin starts a frame of size bytes: its header carries the length, known
// in advance from the message's Size.
func (d *frameDigester) begin(scratch []byte, size int, k Kind) {
	d.size = size
	d.b = binary.LittleEndian.AppendUint32(scratch[:0], uint32(size-4))
	d.b = append(d.b, FormatVersion, byte(k))
}

// bytes encodes a length-prefixed byte field, checksumming a large one in
// place.
func (d *frameDigester) bytes(v []byte) {
	d.b = binary.AppendUvarint(d.b, uint64(len(v)))
	if len(v) <= digestInline {
		d.b = append(d.b, v...)
		return
	}
	d.crc = crc32.Update(d.crc, castagnoli, d.b)
	d.b = d.b[:0]
	if d.memo != nil {
		d.crc = d.memo.extend(d.crc, v)
		return
	}
	d.crc = crc32.Update(d.crc, castagnoli, v)
}

func (d *frameDigester) siblingSet(s *SiblingSet) {
	d.b = appendClock(d.b, s.Context)
	d.b = binary.AppendUvarint(d.b, uint64(len(s.Siblings)))
	for i := range s.Siblings {
		sib := &s.Siblings[i]
		var flags byte
		if sib.Tombstone {
			flags |= flagTombstone
		}
		d.b = append(d.b, flags)
		d.b = binary.AppendUvarint(d.b, uint64(sib.Dot.Actor))
		d.b = binary.AppendUvarint(d.b, sib.Dot.Counter)
		d.b = binary.AppendVarint(d.b, sib.TimestampNs)
		d.b = appendClock(d.b, sib.Clock)
		d.bytes(sib.Value)
	}
}
