package wire

import (
	"encoding/binary"
	"fmt"
)

// Purpose says why a coordinator reads or writes a replica. Replicas treat
// every purpose alike; it exists for accounting (messages and bytes per
// purpose) and for tracing which mechanism moved a version.
type Purpose uint8

const (
	// PurposeClient serves a client get, put or delete.
	PurposeClient Purpose = iota + 1
	// PurposeTwoPhase is the read phase of a two-phase write: read the
	// latest versions from a quorum, then write one that dominates them.
	PurposeTwoPhase
	// PurposeReadRepair is an asynchronous repair write sent after a get
	// found stale replicas; the get did not wait for it.
	PurposeReadRepair
	// PurposeWriteBack is a blocking repair write (ABD-style): the get
	// answers only after W replicas acknowledge the merged versions.
	PurposeWriteBack
	// PurposeHandoff delivers versions a fallback node held for a replica
	// that was unreachable (hinted handoff).
	PurposeHandoff

	purposeEnd
)

var purposeNames = [...]string{"", "client", "two_phase", "read_repair", "write_back", "handoff"}

func (p Purpose) String() string {
	if p > 0 && p < purposeEnd {
		return purposeNames[p]
	}
	return fmt.Sprintf("Purpose(%d)", uint8(p))
}

func (d *decoder) purpose(field string) Purpose {
	p := Purpose(d.byte1(field))
	if d.err == nil && (p == 0 || p >= purposeEnd) {
		d.fail("%s: unknown purpose %d", field, uint8(p))
	}
	return p
}

// WriteRequest asks a replica to merge Set into what it stores for Key
// (dominated versions dropped, concurrent kept, dominating replace) and to
// acknowledge once the result is durable.
type WriteRequest struct {
	OpID    uint64 // chosen by the coordinator; echoed in the ack
	Key     []byte
	Purpose Purpose
	// HintFor is the replica this write was meant for when it goes to a
	// fallback node under a sloppy quorum; None for a write to a replica of
	// the preference list. The fallback keeps it as a hint for handoff.
	HintFor Addr
	Set     SiblingSet
}

// WriteAck answers a WriteRequest: StatusOK once the merged set is
// durable, StatusFailed (disk error) or StatusBadRequest (the set was
// refused, e.g. too many siblings) with Error saying why.
type WriteAck struct {
	OpID   uint64
	Status Status
	Error  string
}

// ReadRequest asks a replica for what it stores for Key.
type ReadRequest struct {
	OpID    uint64
	Key     []byte
	Purpose Purpose
}

// ReadResponse answers a ReadRequest with the replica's stored set (empty
// when it has nothing for the key) or a failure.
type ReadResponse struct {
	OpID   uint64
	Status Status
	Error  string
	Set    SiblingSet
}

func (*WriteRequest) Kind() Kind { return KindWriteRequest }

func (m *WriteRequest) payloadSize() int {
	return sizeUvarint(m.OpID) + sizeBytes(m.Key) + 1 + sizeVarint(int64(m.HintFor)) + m.Set.encodedSize()
}

func (m *WriteRequest) Size() int { return frameSize(m.payloadSize()) }

func (m *WriteRequest) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindWriteRequest)
	b = binary.AppendUvarint(b, m.OpID)
	b = appendBytes(b, m.Key)
	b = append(b, byte(m.Purpose))
	b = binary.AppendVarint(b, int64(m.HintFor))
	b = appendSiblingSet(b, &m.Set)
	return endFrame(b, start)
}

func (m *WriteRequest) decodePayload(d *decoder) {
	m.OpID = d.uvarint("op id")
	m.Key = d.bytes("key", MaxKeyBytes)
	m.Purpose = d.purpose("purpose")
	m.HintFor = d.addr("hint for")
	d.siblingSet(&m.Set)
}

func (*WriteAck) Kind() Kind { return KindWriteAck }

func (m *WriteAck) payloadSize() int { return sizeUvarint(m.OpID) + 1 + sizeString(m.Error) }

func (m *WriteAck) Size() int { return frameSize(m.payloadSize()) }

func (m *WriteAck) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindWriteAck)
	b = binary.AppendUvarint(b, m.OpID)
	b = append(b, byte(m.Status))
	b = appendString(b, m.Error)
	return endFrame(b, start)
}

func (m *WriteAck) decodePayload(d *decoder) {
	m.OpID = d.uvarint("op id")
	m.Status = d.status("status")
	m.Error = d.string("error", MaxErrorBytes)
}

func (*ReadRequest) Kind() Kind { return KindReadRequest }

func (m *ReadRequest) payloadSize() int { return sizeUvarint(m.OpID) + sizeBytes(m.Key) + 1 }

func (m *ReadRequest) Size() int { return frameSize(m.payloadSize()) }

func (m *ReadRequest) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindReadRequest)
	b = binary.AppendUvarint(b, m.OpID)
	b = appendBytes(b, m.Key)
	b = append(b, byte(m.Purpose))
	return endFrame(b, start)
}

func (m *ReadRequest) decodePayload(d *decoder) {
	m.OpID = d.uvarint("op id")
	m.Key = d.bytes("key", MaxKeyBytes)
	m.Purpose = d.purpose("purpose")
}

func (*ReadResponse) Kind() Kind { return KindReadResponse }

func (m *ReadResponse) payloadSize() int {
	return sizeUvarint(m.OpID) + 1 + sizeString(m.Error) + m.Set.encodedSize()
}

func (m *ReadResponse) Size() int { return frameSize(m.payloadSize()) }

func (m *ReadResponse) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindReadResponse)
	b = binary.AppendUvarint(b, m.OpID)
	b = append(b, byte(m.Status))
	b = appendString(b, m.Error)
	b = appendSiblingSet(b, &m.Set)
	return endFrame(b, start)
}

func (m *ReadResponse) decodePayload(d *decoder) {
	m.OpID = d.uvarint("op id")
	m.Status = d.status("status")
	m.Error = d.string("error", MaxErrorBytes)
	d.siblingSet(&m.Set)
}
