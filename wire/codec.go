package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Frame layout (all messages):
//
//	offset  size  field
//	0       4     length   uint32 little-endian: bytes that follow this field
//	4       1     version  FormatVersion
//	5       1     kind     Kind
//	6       n     payload  the message's fields (see each type's AppendFrame)
//	6+n     4     crc      CRC-32C (Castagnoli), little-endian, over bytes [0, 6+n)
//
// Payload fields are unsigned varints (encoding/binary Uvarint), signed
// varints (zig-zag, binary.Varint), single bytes, and byte strings written as
// a uvarint length then the bytes. Every varint must be minimally encoded, so
// a frame has exactly one encoding and Decode(f) re-encodes to f.
//
// The fixed 4-byte length makes streaming reads simple (ReadFrame); the
// checksum covers the length too, so a corrupted length is caught as well.
const (
	// FormatVersion is the frame format this package writes and reads.
	FormatVersion = 1
	// FrameHeaderBytes is the length, version and kind bytes.
	FrameHeaderBytes = 6
	// FrameTrailerBytes is the checksum.
	FrameTrailerBytes = 4
	// FrameOverheadBytes is what every frame adds to its payload.
	FrameOverheadBytes = FrameHeaderBytes + FrameTrailerBytes
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Decode errors. Every error Decode returns matches ErrMalformed, and
// checksum failures also match ErrChecksum, with details in the message.
var (
	ErrMalformed      = errors.New("net: malformed frame")
	ErrChecksum       = errors.New("net: frame checksum mismatch")
	ErrUnknownKind    = errors.New("net: unknown message kind")
	ErrUnknownVersion = errors.New("net: unknown frame format version")
)

// frameError wraps a specific cause so that errors.Is finds both it and
// ErrMalformed.
type frameError struct {
	cause error
	msg   string
}

func (e *frameError) Error() string { return e.msg }
func (e *frameError) Is(target error) bool {
	return target == ErrMalformed || target == e.cause
}

func malformed(cause error, format string, args ...any) error {
	if cause == nil {
		cause = ErrMalformed
	}
	return &frameError{cause: cause, msg: "net: " + fmt.Sprintf(format, args...)}
}

// frameSize is the full frame size for a payload of n bytes.
func frameSize(payload int) int { return FrameOverheadBytes + payload }

// beginFrame appends the header with a placeholder length. The caller
// appends the payload, then calls endFrame with the same start.
func beginFrame(b []byte, k Kind) ([]byte, int) {
	start := len(b)
	return append(b, 0, 0, 0, 0, FormatVersion, byte(k)), start
}

// endFrame patches the length and appends the checksum.
func endFrame(b []byte, start int) []byte {
	binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-start-4+FrameTrailerBytes))
	sum := crc32.Update(0, castagnoli, b[start:])
	return binary.LittleEndian.AppendUint32(b, sum)
}

// Decode parses one complete frame. It checks the length, the checksum, the
// format version and the kind first; then every count and length field
// against its limit and against the bytes actually left, before allocating
// for it, so memory stays within a small multiple of the frame's size. It
// refuses trailing bytes and non-minimal varints. The returned message owns
// its memory (one copy of the payload): it does not alias frame, so the
// caller may reuse frame.
func Decode(frame []byte) (Message, error) {
	if len(frame) < FrameOverheadBytes {
		return nil, malformed(nil, "frame of %d bytes is shorter than the %d-byte minimum", len(frame), FrameOverheadBytes)
	}
	if len(frame) > MaxFrameBytes {
		return nil, malformed(ErrTooLarge, "frame size %d bytes exceeds the limit of %d bytes", len(frame), MaxFrameBytes)
	}
	if n := binary.LittleEndian.Uint32(frame); uint64(n) != uint64(len(frame)-4) {
		return nil, malformed(nil, "length field says %d bytes follow, frame has %d", n, len(frame)-4)
	}
	body := frame[:len(frame)-FrameTrailerBytes]
	want := binary.LittleEndian.Uint32(frame[len(body):])
	if got := crc32.Update(0, castagnoli, body); got != want {
		return nil, malformed(ErrChecksum, "frame checksum mismatch: computed %08x, frame says %08x", got, want)
	}
	if v := frame[4]; v != FormatVersion {
		return nil, malformed(ErrUnknownVersion, "unknown frame format version %d (this build reads %d)", v, FormatVersion)
	}
	k := Kind(frame[5])
	newMsg := kindTable[k].decoder
	if newMsg == nil {
		return nil, malformed(ErrUnknownKind, "unknown message kind %d", uint8(k))
	}
	payload := body[FrameHeaderBytes:]
	d := decoder{b: payload}
	if len(payload) > 0 {
		// One copy so the message owns its bytes; slices alias this copy.
		d.b = append(make([]byte, 0, len(payload)), payload...)
	}
	m := newMsg()
	m.decodePayload(&d)
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d trailing bytes after the payload", len(d.b)-d.off)
	}
	if d.err != nil {
		return nil, malformed(nil, "%s: %v", k, d.err)
	}
	return m, nil
}

// ReadFrame reads one frame from r into buf (grown if too small) and returns
// it, ready for Decode. It refuses a length over MaxFrameBytes before
// reading the body. At a clean end of stream it returns io.EOF; a frame cut
// short returns io.ErrUnexpectedEOF.
func ReadFrame(r io.Reader, buf []byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	total := uint64(n) + 4
	if total > MaxFrameBytes {
		return nil, malformed(ErrTooLarge, "frame size %d bytes exceeds the limit of %d bytes", total, MaxFrameBytes)
	}
	if total < FrameOverheadBytes {
		return nil, malformed(nil, "frame of %d bytes is shorter than the %d-byte minimum", total, FrameOverheadBytes)
	}
	if uint64(cap(buf)) < total {
		buf = make([]byte, total)
	}
	buf = buf[:total]
	copy(buf, hdr[:])
	if _, err := io.ReadFull(r, buf[4:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}
