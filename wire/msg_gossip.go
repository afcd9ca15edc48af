package wire

import (
	"encoding/binary"
	"fmt"
)

// Gossip membership messages (node/gossip). The protocol is push-pull of
// the whole membership list: every GossipInterval a node sends a
// GossipPush with its list to Fanout peers; the peer merges it and answers
// with a GossipReply holding only the entries it knows in a newer version
// than the push carried (or that the push lacked). See node/gossip's
// package documentation for the protocol and its sizes.

// Gossip caps. A node's configured limits (node/gossip.Config) must lie
// within them.
const (
	// MaxGossipEntries is the most membership entries one message carries.
	MaxGossipEntries = 4096
	// MaxGossipSuspects is the most suspicion reports one entry carries.
	MaxGossipSuspects = MaxGossipEntries
	// MaxRingPayloadBytes is the largest opaque ring payload one entry
	// carries.
	MaxRingPayloadBytes = 64 << 10
)

// MemberStatus is what a member declares about itself in its own entry.
// Suspicion and down marks are not declared: every node derives them from
// heartbeats and reports.
type MemberStatus uint8

const (
	// MemberAlive is a member taking part in the cluster.
	MemberAlive MemberStatus = iota + 1
	// MemberLeft is a member that announced it left: it is not suspected,
	// marked down or chosen as a gossip peer.
	MemberLeft

	memberStatusEnd
)

var memberStatusNames = [...]string{"", "alive", "left"}

func (s MemberStatus) String() string {
	if s > 0 && s < memberStatusEnd {
		return memberStatusNames[s]
	}
	return fmt.Sprintf("MemberStatus(%d)", uint8(s))
}

// GossipSuspect is one suspicion report in its reporter's entry: the
// reporter has seen no newer heartbeat of Member than (Generation,
// Heartbeat) for its suspicion timeout.
type GossipSuspect struct {
	Member     Addr
	Generation uint64
	Heartbeat  uint64
}

// GossipEntry is one member's state as its owner last published it. Only
// the owner writes its entry, and it bumps Heartbeat with every change, so
// (Generation, Heartbeat) orders the versions of an entry.
type GossipEntry struct {
	Member Addr
	// Generation is the member's incarnation: it grows at every restart
	// (the member keeps it on its disk), so a restarted member's fresh
	// heartbeat is never taken for an old one.
	Generation uint64
	// Heartbeat grows every gossip round of the member.
	Heartbeat uint64
	Status    MemberStatus
	// RingVersion and RingPayload are an opaque versioned ring state the
	// member announces (defined by the membership work; zero and empty
	// until then).
	RingVersion uint64
	RingPayload []byte
	// Suspects are the members the owner suspects, strictly ascending by
	// Member.
	Suspects []GossipSuspect
}

// GossipPush is a gossip round's message to one peer: the sender's
// membership list, strictly ascending by Member.
type GossipPush struct {
	Entries []GossipEntry
}

// GossipReply answers a GossipPush with the entries the receiver knows
// better than the push did, strictly ascending by Member.
type GossipReply struct {
	Entries []GossipEntry
}

// EncodedSize is the exact number of bytes the entry takes in a message.
func (e *GossipEntry) EncodedSize() int {
	n := sizeVarint(int64(e.Member)) + sizeUvarint(e.Generation) + sizeUvarint(e.Heartbeat) + 1 +
		sizeUvarint(e.RingVersion) + sizeBytes(e.RingPayload) + sizeUvarint(uint64(len(e.Suspects)))
	for i := range e.Suspects {
		s := &e.Suspects[i]
		n += sizeVarint(int64(s.Member)) + sizeUvarint(s.Generation) + sizeUvarint(s.Heartbeat)
	}
	return n
}

// GossipFrameBytes is the size of a gossip message whose entries take
// entryBytes in total (the sum of their EncodedSize): what a sender needs
// to keep a message under a byte limit.
func GossipFrameBytes(entries, entryBytes int) int {
	return frameSize(sizeUvarint(uint64(entries)) + entryBytes)
}

func gossipEntriesSize(es []GossipEntry) int {
	n := sizeUvarint(uint64(len(es)))
	for i := range es {
		n += es[i].EncodedSize()
	}
	return n
}

func appendGossipEntries(b []byte, es []GossipEntry) []byte {
	b = binary.AppendUvarint(b, uint64(len(es)))
	for i := range es {
		e := &es[i]
		b = binary.AppendVarint(b, int64(e.Member))
		b = binary.AppendUvarint(b, e.Generation)
		b = binary.AppendUvarint(b, e.Heartbeat)
		b = append(b, byte(e.Status))
		b = binary.AppendUvarint(b, e.RingVersion)
		b = appendBytes(b, e.RingPayload)
		b = binary.AppendUvarint(b, uint64(len(e.Suspects)))
		for j := range e.Suspects {
			s := &e.Suspects[j]
			b = binary.AppendVarint(b, int64(s.Member))
			b = binary.AppendUvarint(b, s.Generation)
			b = binary.AppendUvarint(b, s.Heartbeat)
		}
	}
	return b
}

// member reads a member address: a real endpoint, never None.
func (d *decoder) member(field string) Addr {
	a := d.addr(field)
	if d.err == nil && a < 0 {
		d.fail("%s: member address %d is negative", field, a)
	}
	return a
}

// gossipEntries reads a list of entries, refusing unsorted or duplicate
// members, unknown statuses and over-limit counts before allocating.
func (d *decoder) gossipEntries() []GossipEntry {
	// An entry takes at least 7 bytes: member, generation, heartbeat,
	// status, ring version, payload length, suspect count.
	n := d.count("gossip entries", MaxGossipEntries, 7)
	if n == 0 || d.err != nil {
		return nil
	}
	es := make([]GossipEntry, n)
	for i := range es {
		e := &es[i]
		e.Member = d.member("gossip member")
		if d.err == nil && i > 0 && e.Member <= es[i-1].Member {
			d.fail("gossip entries: member %d after %d (want strictly ascending)", e.Member, es[i-1].Member)
		}
		e.Generation = d.uvarint("gossip generation")
		e.Heartbeat = d.uvarint("gossip heartbeat")
		e.Status = MemberStatus(d.byte1("gossip status"))
		if d.err == nil && (e.Status == 0 || e.Status >= memberStatusEnd) {
			d.fail("gossip status: unknown member status %d", uint8(e.Status))
		}
		e.RingVersion = d.uvarint("gossip ring version")
		e.RingPayload = d.bytes("gossip ring payload", MaxRingPayloadBytes)
		// A suspect takes at least 3 bytes.
		m := d.count("gossip suspects", MaxGossipSuspects, 3)
		if m > 0 && d.err == nil {
			e.Suspects = make([]GossipSuspect, m)
			for j := range e.Suspects {
				s := &e.Suspects[j]
				s.Member = d.member("gossip suspect")
				if d.err == nil && j > 0 && s.Member <= e.Suspects[j-1].Member {
					d.fail("gossip suspects: member %d after %d (want strictly ascending)", s.Member, e.Suspects[j-1].Member)
				}
				s.Generation = d.uvarint("gossip suspect generation")
				s.Heartbeat = d.uvarint("gossip suspect heartbeat")
			}
		}
		if d.err != nil {
			return nil
		}
	}
	return es
}

func (*GossipPush) Kind() Kind { return KindGossipPush }

func (m *GossipPush) Size() int { return frameSize(gossipEntriesSize(m.Entries)) }

func (m *GossipPush) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindGossipPush)
	b = appendGossipEntries(b, m.Entries)
	return endFrame(b, start)
}

func (m *GossipPush) decodePayload(d *decoder) { m.Entries = d.gossipEntries() }

func (*GossipReply) Kind() Kind { return KindGossipReply }

func (m *GossipReply) Size() int { return frameSize(gossipEntriesSize(m.Entries)) }

func (m *GossipReply) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindGossipReply)
	b = appendGossipEntries(b, m.Entries)
	return endFrame(b, start)
}

func (m *GossipReply) decodePayload(d *decoder) { m.Entries = d.gossipEntries() }

func (*GossipPush) checksummedFrame()  {}
func (*GossipReply) checksummedFrame() {}
