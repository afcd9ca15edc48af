package wire

import "encoding/binary"

// Range streaming messages (node/streaming.go). During a ring transition
// (a join or a decommission) every node that gains replicas of an arc pulls
// the arc's keys from the holders that lose it: it asks with a
// StreamRequest for the keys of one arc after a cursor, the holder answers
// with one StreamChunk of at most MaxBytes of entries in ring order (read by
// an ordered engine scan), and the receiver merges them by the normal version
// rules, makes them durable and asks for the next chunk from where the last
// one ended. When a gainer holds every arc it gains it tells the node that
// runs the transition with StreamDone, repeated until the transition ends.
// Everything a stream needs is in its messages: a lost one is asked again.

// Streaming caps.
const (
	// MaxStreamEntries is the most entries one StreamChunk carries.
	MaxStreamEntries = 1 << 16
)

// StreamRequest asks a holder for its keys of Arc (hash in (Start, End]).
type StreamRequest struct {
	// StreamID names the requester's stream; the chunk echoes it.
	StreamID uint64
	// Version is the transition ring version the stream serves.
	Version uint64
	// Arc is what is left of the arc: a resumed stream's Start is the
	// hash of the last key it received (the arc excludes its start).
	Arc AEArc
	// MaxBytes bounds the chunk's entries (at least one entry is sent).
	MaxBytes uint32
}

// StreamChunk answers a StreamRequest with the holder's next keys.
type StreamChunk struct {
	StreamID uint64
	Version  uint64
	// Refused: the holder will not serve the stream (it does not know the
	// transition version yet, or its storage cannot scan); ask again later.
	Refused bool
	// Done: the arc has no key after the ones here.
	Done bool
	// Next is the hash of the last entry: the next request's arc starts
	// at it (exclusive). A chunk never ends between two keys that share a
	// hash, so none is skipped.
	Next    uint64
	Entries []AEEntry
}

// StreamDone tells the node running transition Version that the sender
// holds every arc it gains in it.
type StreamDone struct {
	Version uint64
}

func (*StreamRequest) Kind() Kind { return KindStreamRequest }

func (m *StreamRequest) payloadSize() int {
	return sizeUvarint(m.StreamID) + sizeUvarint(m.Version) + 16 + sizeUvarint(uint64(m.MaxBytes))
}

func (m *StreamRequest) Size() int { return frameSize(m.payloadSize()) }

func (m *StreamRequest) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindStreamRequest)
	b = binary.AppendUvarint(b, m.StreamID)
	b = binary.AppendUvarint(b, m.Version)
	b = binary.LittleEndian.AppendUint64(b, m.Arc.Start)
	b = binary.LittleEndian.AppendUint64(b, m.Arc.End)
	b = binary.AppendUvarint(b, uint64(m.MaxBytes))
	return endFrame(b, start)
}

func (m *StreamRequest) decodePayload(d *decoder) {
	m.StreamID = d.uvarint("stream id")
	m.Version = d.uvarint("stream version")
	if d.err == nil && m.Version == 0 {
		d.fail("stream version: 0 is no ring version")
	}
	m.Arc.Start = d.fixed64("stream arc")
	m.Arc.End = d.fixed64("stream arc")
	mb := d.uvarint("stream max bytes")
	if d.err == nil && (mb == 0 || mb > MaxFrameBytes) {
		d.fail("stream max bytes: %d outside [1, %d]", mb, MaxFrameBytes)
	}
	m.MaxBytes = uint32(mb)
}

func (*StreamChunk) Kind() Kind { return KindStreamChunk }

func (m *StreamChunk) payloadSize() int {
	n := sizeUvarint(m.StreamID) + sizeUvarint(m.Version) + 1 + 8 + sizeUvarint(uint64(len(m.Entries)))
	for i := range m.Entries {
		n += AEEntryBytes(&m.Entries[i])
	}
	return n
}

func (m *StreamChunk) Size() int { return frameSize(m.payloadSize()) }

func (m *StreamChunk) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindStreamChunk)
	b = binary.AppendUvarint(b, m.StreamID)
	b = binary.AppendUvarint(b, m.Version)
	b = append(b, flagsOf(m.Refused, m.Done))
	b = binary.LittleEndian.AppendUint64(b, m.Next)
	b = binary.AppendUvarint(b, uint64(len(m.Entries)))
	for i := range m.Entries {
		b = appendBytes(b, m.Entries[i].Key)
		b = appendSiblingSet(b, &m.Entries[i].Set)
	}
	return endFrame(b, start)
}

func (m *StreamChunk) decodePayload(d *decoder) {
	m.StreamID = d.uvarint("stream id")
	m.Version = d.uvarint("stream version")
	f := d.flags("stream chunk flags", 2)
	m.Refused, m.Done = f[0], f[1]
	m.Next = d.fixed64("stream next")
	n := d.count("stream entries", MaxStreamEntries, 3)
	if d.err == nil && m.Refused && n > 0 {
		d.fail("stream entries: a refusal carries none")
	}
	if n == 0 || d.err != nil {
		return
	}
	m.Entries = make([]AEEntry, n)
	for i := range m.Entries {
		e := &m.Entries[i]
		e.Key = d.bytes("stream key", MaxKeyBytes)
		if d.err == nil && len(e.Key) == 0 {
			d.fail("stream key: empty")
		}
		d.siblingSet(&e.Set)
		if d.err != nil {
			m.Entries = nil
			return
		}
	}
}

func (*StreamDone) Kind() Kind { return KindStreamDone }

func (m *StreamDone) payloadSize() int { return sizeUvarint(m.Version) }

func (m *StreamDone) Size() int { return frameSize(m.payloadSize()) }

func (m *StreamDone) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindStreamDone)
	b = binary.AppendUvarint(b, m.Version)
	return endFrame(b, start)
}

func (m *StreamDone) decodePayload(d *decoder) {
	m.Version = d.uvarint("stream version")
	if d.err == nil && m.Version == 0 {
		d.fail("stream version: 0 is no ring version")
	}
}

func (*StreamRequest) checksummedFrame() {}
func (*StreamChunk) checksummedFrame()   {}
func (*StreamDone) checksummedFrame()    {}
