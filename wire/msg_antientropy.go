package wire

import (
	"encoding/binary"
	"math/bits"
)

// Merkle-tree anti-entropy messages (node/antientropy.go, node/merkle).
// Two replicas compare hash trees over arcs of the ring top-down, one
// level per message, alternating: each AETree carries the sender's hashes
// of the nodes at Level whose parents differed (all roots in the
// initiator's first); the receiver compares them with its own and answers
// with its hashes one level down for the children of the nodes that
// differ. When the leaves are reached the side that finds the differing
// buckets sends its entries of those buckets (AEEntries, in chunks) and
// asks for the other side's; both merge what they receive by the normal
// version rules. Everything an exchange says is in its messages, so a lost
// one only ends the exchange early (it times out; the next one repairs).

// Anti-entropy caps.
const (
	// MaxAEArcs is the most arcs one exchange compares.
	MaxAEArcs = 1 << 12
	// MaxAENodes is the most node hashes one AETree carries.
	MaxAENodes = 1 << 17
	// MaxAELevel is the deepest tree level (2^16 buckets).
	MaxAELevel = 16
	// MaxAEEntries is the most entries one AEEntries carries.
	MaxAEEntries = 1 << 16
	// MaxAESpans is the most bucket arcs one AEEntries names.
	MaxAESpans = 1 << 17
)

// AEArc is the key-hash interval (Start, End], wrapping past 2^64-1 when
// End < Start; Start == End is the whole ring.
type AEArc struct{ Start, End uint64 }

// AENode is one tree node's hash: node Index of its level in the tree of
// the exchange's arc number Arc.
type AENode struct {
	Arc   uint32
	Index uint32
	Hash  uint64
}

// AETree is one step of a tree comparison.
type AETree struct {
	// ExchangeID names the exchange; Initiator says the sender started it
	// (the ID is the sender's), so each side finds its own state.
	ExchangeID uint64
	Initiator  bool
	// Refused ends the exchange: the sender will not (or no longer can)
	// take part — too many exchanges, not a replica of an arc, an unknown
	// exchange. A refusal carries nothing else.
	Refused bool
	// Done ends the exchange with nothing left to compare: no node the
	// sender was sent differs.
	Done bool
	// Buckets is the leaves per tree (a power of two); Arcs the arcs
	// compared. Both are in the initiator's first message only.
	Buckets uint32
	Arcs    []AEArc
	// ArcBytes are the sender's key and set bytes per arc (what a full
	// copy would send), in each side's first message.
	ArcBytes []uint64
	// Level is the level of Nodes (0: the roots).
	Level uint8
	// Nodes are the sender's hashes, strictly ascending by (Arc, Index).
	// At level 0 (the roots) only non-zero roots are listed: an arc not
	// listed is empty on the sender.
	Nodes []AENode
}

// AEEntry is one key with its stored version set.
type AEEntry struct {
	Key []byte
	Set SiblingSet
}

// AEEntries carries a side's entries of the differing buckets.
type AEEntries struct {
	ExchangeID uint64
	Initiator  bool
	// Last marks the sender's last chunk of the exchange.
	Last bool
	// Reply, with Last, asks the receiver for its entries in Spans (the
	// differing buckets' arcs).
	Reply   bool
	Spans   []AEArc
	Entries []AEEntry
}

func flagsOf(bs ...bool) byte {
	var f byte
	for i, b := range bs {
		if b {
			f |= 1 << i
		}
	}
	return f
}

func (d *decoder) flags(field string, n int) []bool {
	f := d.byte1(field)
	if d.err == nil && f>>n != 0 {
		d.fail("%s: unknown flags %#x", field, f)
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = f&(1<<i) != 0
	}
	return out
}

func (d *decoder) fixed64(field string) uint64 {
	if d.err != nil {
		return 0
	}
	if d.remaining() < 8 {
		d.fail("%s: truncated", field)
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b[d.off:])
	d.off += 8
	return v
}

func sizeArcs(as []AEArc) int {
	n := sizeUvarint(uint64(len(as)))
	return n + 16*len(as)
}

func appendArcs(b []byte, as []AEArc) []byte {
	b = binary.AppendUvarint(b, uint64(len(as)))
	for _, a := range as {
		b = binary.LittleEndian.AppendUint64(b, a.Start)
		b = binary.LittleEndian.AppendUint64(b, a.End)
	}
	return b
}

func (d *decoder) arcs(field string, max int) []AEArc {
	n := d.count(field, max, 16)
	if n == 0 || d.err != nil {
		return nil
	}
	out := make([]AEArc, n)
	for i := range out {
		out[i].Start = d.fixed64(field)
		out[i].End = d.fixed64(field)
	}
	return out
}

func (*AETree) Kind() Kind { return KindAETree }

func (m *AETree) payloadSize() int {
	n := sizeUvarint(m.ExchangeID) + 1 + sizeUvarint(uint64(m.Buckets)) + sizeArcs(m.Arcs) +
		sizeUvarint(uint64(len(m.ArcBytes))) + 1 + sizeUvarint(uint64(len(m.Nodes)))
	for _, b := range m.ArcBytes {
		n += sizeUvarint(b)
	}
	for i := range m.Nodes {
		n += sizeUvarint(uint64(m.Nodes[i].Arc)) + sizeUvarint(uint64(m.Nodes[i].Index)) + 8
	}
	return n
}

func (m *AETree) Size() int { return frameSize(m.payloadSize()) }

func (m *AETree) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindAETree)
	b = binary.AppendUvarint(b, m.ExchangeID)
	b = append(b, flagsOf(m.Initiator, m.Refused, m.Done))
	b = binary.AppendUvarint(b, uint64(m.Buckets))
	b = appendArcs(b, m.Arcs)
	b = binary.AppendUvarint(b, uint64(len(m.ArcBytes)))
	for _, x := range m.ArcBytes {
		b = binary.AppendUvarint(b, x)
	}
	b = append(b, m.Level)
	b = binary.AppendUvarint(b, uint64(len(m.Nodes)))
	for i := range m.Nodes {
		nd := &m.Nodes[i]
		b = binary.AppendUvarint(b, uint64(nd.Arc))
		b = binary.AppendUvarint(b, uint64(nd.Index))
		b = binary.LittleEndian.AppendUint64(b, nd.Hash)
	}
	return endFrame(b, start)
}

func (m *AETree) decodePayload(d *decoder) {
	m.ExchangeID = d.uvarint("ae exchange id")
	f := d.flags("ae tree flags", 3)
	m.Initiator, m.Refused, m.Done = f[0], f[1], f[2]
	bk := d.uvarint("ae buckets")
	if d.err == nil && (bk > 1<<MaxAELevel || bk&(bk-1) != 0) {
		d.fail("ae buckets: %d is not 0 or a power of two up to %d", bk, 1<<MaxAELevel)
	}
	m.Buckets = uint32(bk)
	m.Arcs = d.arcs("ae arcs", MaxAEArcs)
	if n := d.count("ae arc bytes", MaxAEArcs, 1); n > 0 && d.err == nil {
		m.ArcBytes = make([]uint64, n)
		for i := range m.ArcBytes {
			m.ArcBytes[i] = d.uvarint("ae arc bytes")
		}
	}
	m.Level = d.byte1("ae level")
	if d.err == nil && m.Level > MaxAELevel {
		d.fail("ae level: %d exceeds %d", m.Level, MaxAELevel)
	}
	n := d.count("ae nodes", MaxAENodes, 10)
	if n == 0 || d.err != nil {
		return
	}
	m.Nodes = make([]AENode, n)
	for i := range m.Nodes {
		nd := &m.Nodes[i]
		a, x := d.uvarint("ae node arc"), d.uvarint("ae node index")
		if d.err == nil && (a >= MaxAEArcs || x >= 1<<MaxAELevel || bits.Len64(x) > int(m.Level)) {
			d.fail("ae node: arc %d index %d out of range at level %d", a, x, m.Level)
		}
		nd.Arc, nd.Index = uint32(a), uint32(x)
		nd.Hash = d.fixed64("ae node hash")
		if d.err == nil && i > 0 {
			p := &m.Nodes[i-1]
			if nd.Arc < p.Arc || nd.Arc == p.Arc && nd.Index <= p.Index {
				d.fail("ae nodes: (%d, %d) after (%d, %d) (want strictly ascending)", nd.Arc, nd.Index, p.Arc, p.Index)
			}
		}
		if d.err != nil {
			m.Nodes = nil
			return
		}
	}
}

func (*AEEntries) Kind() Kind { return KindAEEntries }

func (m *AEEntries) payloadSize() int {
	n := sizeUvarint(m.ExchangeID) + 1 + sizeArcs(m.Spans) + sizeUvarint(uint64(len(m.Entries)))
	for i := range m.Entries {
		n += sizeBytes(m.Entries[i].Key) + m.Entries[i].Set.encodedSize()
	}
	return n
}

// AEEntryBytes is what one entry adds to an AEEntries message.
func AEEntryBytes(e *AEEntry) int { return sizeBytes(e.Key) + e.Set.encodedSize() }

func (m *AEEntries) Size() int { return frameSize(m.payloadSize()) }

func (m *AEEntries) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindAEEntries)
	b = binary.AppendUvarint(b, m.ExchangeID)
	b = append(b, flagsOf(m.Initiator, m.Last, m.Reply))
	b = appendArcs(b, m.Spans)
	b = binary.AppendUvarint(b, uint64(len(m.Entries)))
	for i := range m.Entries {
		b = appendBytes(b, m.Entries[i].Key)
		b = appendSiblingSet(b, &m.Entries[i].Set)
	}
	return endFrame(b, start)
}

func (m *AEEntries) decodePayload(d *decoder) {
	m.ExchangeID = d.uvarint("ae exchange id")
	f := d.flags("ae entries flags", 3)
	m.Initiator, m.Last, m.Reply = f[0], f[1], f[2]
	m.Spans = d.arcs("ae spans", MaxAESpans)
	// An entry takes at least 3 bytes: key length, one key byte, an empty
	// set's context and sibling counts.
	n := d.count("ae entries", MaxAEEntries, 3)
	if n == 0 || d.err != nil {
		return
	}
	m.Entries = make([]AEEntry, n)
	for i := range m.Entries {
		e := &m.Entries[i]
		e.Key = d.bytes("ae key", MaxKeyBytes)
		if d.err == nil && len(e.Key) == 0 {
			d.fail("ae key: empty")
		}
		d.siblingSet(&e.Set)
		if d.err != nil {
			m.Entries = nil
			return
		}
	}
}

func (*AETree) checksummedFrame()    {}
func (*AEEntries) checksummedFrame() {}
