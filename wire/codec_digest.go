package wire

import "encoding/binary"

// ChecksummedFrame is implemented by the message types of this package,
// and only by them (its method is unexported): their frame ends with a
// CRC-32C of every byte before it. A host that needs a digest of a
// message's bytes — the simulator's replay fingerprint — can take that
// trailer (FrameChecksum) instead of hashing the frame a second time. The
// types are all pointers, so two ChecksummedFrame values can be compared
// with == (identity) without risk of a run-time panic.
type ChecksummedFrame interface {
	Message
	checksummedFrame()
}

// FrameChecksum returns the CRC-32C a ChecksummedFrame's frame ends with.
// frame must be a complete frame as AppendFrame wrote it.
func FrameChecksum(frame []byte) uint32 {
	return binary.LittleEndian.Uint32(frame[len(frame)-FrameTrailerBytes:])
}

func (*ClientGet) checksummedFrame()    {}
func (*ClientPut) checksummedFrame()    {}
func (*ClientDelete) checksummedFrame() {}
func (*ClientReply) checksummedFrame()  {}
func (*WriteRequest) checksummedFrame() {}
func (*WriteAck) checksummedFrame()     {}
func (*ReadRequest) checksummedFrame()  {}
func (*ReadResponse) checksummedFrame() {}
