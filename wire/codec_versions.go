package wire

import (
	"encoding/binary"
	"fmt"
)

// Encoding of the version types, shared by messages and by the replica's
// on-disk sibling sets (AppendSiblingSet / DecodeSiblingSet):
//
//	clock   = count uvarint, then per entry: actor uvarint, counter uvarint, timestamp varint
//	sibling = flags byte (bit 0 tombstone), dot actor uvarint, dot counter uvarint,
//	          timestamp varint, clock, value bytes (empty for a tombstone)
//	set     = context clock, count uvarint, siblings
//
// Decoding refuses clocks that are not sorted by strictly increasing actor
// or hold a zero counter, tombstones with a value, and unknown flag bits.

const (
	flagTombstone = 1 << 0
	knownFlags    = flagTombstone

	minClockEntryBytes = 3 // actor, counter, timestamp: one byte each at least
	minSiblingBytes    = 6 // flags, dot (2), timestamp, clock count, value length
)

// encodedSize is the exact number of bytes appendClock appends.
func (c Clock) encodedSize() int {
	n := sizeUvarint(uint64(len(c)))
	for i := range c {
		e := &c[i]
		n += sizeUvarint(uint64(e.Actor)) + sizeUvarint(e.Counter) + sizeVarint(e.TimestampNs)
	}
	return n
}

func appendClock(b []byte, c Clock) []byte {
	b = binary.AppendUvarint(b, uint64(len(c)))
	for i := range c {
		e := &c[i]
		b = binary.AppendUvarint(b, uint64(e.Actor))
		b = binary.AppendUvarint(b, e.Counter)
		b = binary.AppendVarint(b, e.TimestampNs)
	}
	return b
}

func (d *decoder) clock(field string) Clock {
	n := d.count(field, MaxClockEntries, minClockEntryBytes)
	if n == 0 {
		return nil
	}
	c := make(Clock, n)
	for i := range c {
		c[i] = ClockEntry{
			Actor:       ActorID(d.uvarint(field)),
			Counter:     d.uvarint(field),
			TimestampNs: d.varint(field),
		}
		if d.err != nil {
			return nil
		}
		if c[i].Counter == 0 {
			d.fail("%s: entry for %v has counter 0", field, c[i].Actor)
			return nil
		}
		if i > 0 && c[i].Actor <= c[i-1].Actor {
			d.fail("%s: actors not strictly increasing (%v after %v)", field, c[i].Actor, c[i-1].Actor)
			return nil
		}
	}
	return c
}

func (s *Sibling) encodedSize() int {
	return 1 + sizeUvarint(uint64(s.Dot.Actor)) + sizeUvarint(s.Dot.Counter) +
		sizeVarint(s.TimestampNs) + s.Clock.encodedSize() + sizeBytes(s.Value)
}

func appendSibling(b []byte, s *Sibling) []byte {
	var flags byte
	if s.Tombstone {
		flags |= flagTombstone
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(s.Dot.Actor))
	b = binary.AppendUvarint(b, s.Dot.Counter)
	b = binary.AppendVarint(b, s.TimestampNs)
	b = appendClock(b, s.Clock)
	return appendBytes(b, s.Value)
}

func (d *decoder) sibling(s *Sibling) {
	flags := d.byte1("sibling flags")
	if d.err == nil && flags&^knownFlags != 0 {
		d.fail("sibling flags %#x has unknown bits", flags)
		return
	}
	s.Tombstone = flags&flagTombstone != 0
	s.Dot.Actor = ActorID(d.uvarint("sibling dot"))
	s.Dot.Counter = d.uvarint("sibling dot")
	s.TimestampNs = d.varint("sibling timestamp")
	s.Clock = d.clock("sibling clock")
	s.Value = d.bytes("value", MaxValueBytes)
	if d.err == nil && s.Tombstone && len(s.Value) != 0 {
		d.fail("tombstone carries a %d-byte value", len(s.Value))
	}
}

func (s *SiblingSet) encodedSize() int {
	n := s.Context.encodedSize() + sizeUvarint(uint64(len(s.Siblings)))
	for i := range s.Siblings {
		n += s.Siblings[i].encodedSize()
	}
	return n
}

func appendSiblingSet(b []byte, s *SiblingSet) []byte {
	b = appendClock(b, s.Context)
	b = binary.AppendUvarint(b, uint64(len(s.Siblings)))
	for i := range s.Siblings {
		b = appendSibling(b, &s.Siblings[i])
	}
	return b
}

func (d *decoder) siblingSet(s *SiblingSet) {
	s.Context = d.clock("context")
	n := d.count("siblings", MaxSiblings, minSiblingBytes)
	if n == 0 {
		s.Siblings = nil
		return
	}
	s.Siblings = make([]Sibling, n)
	for i := range s.Siblings {
		d.sibling(&s.Siblings[i])
	}
	if d.err != nil {
		s.Siblings = nil
	}
}

// EncodedSize is the exact number of bytes AppendSiblingSet appends.
func (s *SiblingSet) EncodedSize() int { return s.encodedSize() }

// AppendSiblingSet appends the set's encoding (no frame, no checksum: the
// caller's container — a frame, an SSTable block — carries one).
func AppendSiblingSet(b []byte, s *SiblingSet) []byte { return appendSiblingSet(b, s) }

// DecodeSiblingSet parses an encoding made by AppendSiblingSet, which must
// fill b exactly. The result does not alias b.
func DecodeSiblingSet(b []byte) (SiblingSet, error) {
	return DecodeSiblingSetOwned(append([]byte(nil), b...))
}

// DecodeSiblingSetOwned is DecodeSiblingSet for a buffer the caller hands
// over: the result aliases b (values and nothing else point into it), so
// b must not be modified afterwards. It saves the copy when b is already a
// private copy, such as a storage engine's Get result.
func DecodeSiblingSetOwned(b []byte) (SiblingSet, error) {
	var s SiblingSet
	d := decoder{b: b}
	d.siblingSet(&s)
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d trailing bytes after the sibling set", len(d.b)-d.off)
	}
	if d.err != nil {
		return SiblingSet{}, malformed(nil, "sibling set: %v", d.err)
	}
	return s, nil
}

// AppendClock appends a clock's encoding (used for opaque client contexts).
func AppendClock(b []byte, c Clock) []byte { return appendClock(b, c) }

// ClockEncodedSize is the exact number of bytes AppendClock appends.
func ClockEncodedSize(c Clock) int { return c.encodedSize() }

// DecodeClock parses an encoding made by AppendClock, which must fill b
// exactly. The result does not alias b.
func DecodeClock(b []byte) (Clock, error) {
	d := decoder{b: b}
	c := d.clock("clock")
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d trailing bytes after the clock", len(d.b)-d.off)
	}
	if d.err != nil {
		return nil, malformed(nil, "clock: %v", d.err)
	}
	return c, nil
}

// String prints a clock as [n1:2 n3:1].
func (c Clock) String() string {
	b := []byte{'['}
	for i, e := range c {
		if i > 0 {
			b = append(b, ' ')
		}
		b = fmt.Appendf(b, "%v:%d", e.Actor, e.Counter)
	}
	return string(append(b, ']'))
}
