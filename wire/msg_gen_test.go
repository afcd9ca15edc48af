package wire

import (
	"math/rand/v2"
)

// Random message contents for property tests, benchmarks and fuzz seeds.
// Sizes are drawn so that every varint width and the empty/nil cases occur.

func randUint(r *rand.Rand) uint64 {
	switch r.IntN(4) {
	case 0:
		return 0
	case 1:
		return uint64(r.IntN(200))
	case 2:
		return r.Uint64() >> r.IntN(64)
	}
	return r.Uint64()
}

func randInt(r *rand.Rand) int64 {
	v := int64(randUint(r))
	if r.IntN(2) == 0 {
		return -v
	}
	return v
}

func randBytes(r *rand.Rand, max int) []byte {
	var n int
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		n = r.IntN(8)
	case 2:
		n = r.IntN(200)
	default:
		n = r.IntN(max + 1)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	if n == 0 {
		return nil
	}
	return b
}

func randAddr(r *rand.Rand) Addr {
	if r.IntN(3) == 0 {
		return None
	}
	return Addr(r.Int32N(1 << 20))
}

func randClock(r *rand.Rand, max int) Clock {
	n := r.IntN(max + 1)
	if n == 0 {
		return nil
	}
	c := make(Clock, n)
	actor := uint64(0)
	for i := range c {
		actor += 1 + uint64(r.IntN(1000))
		if r.IntN(5) == 0 {
			actor += uint64(r.IntN(4)) << 32 // a later epoch
		}
		c[i] = ClockEntry{Actor: ActorID(actor), Counter: 1 + randUint(r)/2, TimestampNs: randInt(r)}
	}
	return c
}

func randSet(r *rand.Rand) SiblingSet {
	s := SiblingSet{Context: randClock(r, 6)}
	n := r.IntN(5)
	for range n {
		sib := Sibling{
			Dot:         Dot{Actor: ActorID(randUint(r)), Counter: randUint(r)},
			Clock:       randClock(r, 4),
			TimestampNs: randInt(r),
		}
		if r.IntN(4) == 0 {
			sib.Tombstone = true
		} else {
			sib.Value = randBytes(r, 2048)
		}
		s.Siblings = append(s.Siblings, sib)
	}
	return s
}

func randNeed(r *rand.Rand) Need {
	l := Level(r.IntN(int(levelEnd)))
	if l == LevelCount {
		return Need{Level: l, Count: uint8(1 + r.IntN(255))}
	}
	return Need{Level: l}
}

func randStatus(r *rand.Rand) Status { return Status(1 + r.IntN(int(statusEnd)-1)) }

func randPurpose(r *rand.Rand) Purpose { return Purpose(1 + r.IntN(int(purposeEnd)-1)) }

func randString(r *rand.Rand, max int) string { return string(randBytes(r, max)) }

// randMessage returns a random, valid message of kind k.
func randMessage(r *rand.Rand, k Kind) Message {
	switch k {
	case KindClientGet:
		return &ClientGet{ReqID: randUint(r), ReplyTo: randAddr(r), Key: randBytes(r, 1024), N: uint8(r.Uint32()), R: randNeed(r)}
	case KindClientPut:
		return &ClientPut{ReqID: randUint(r), ReplyTo: randAddr(r), Key: randBytes(r, 1024),
			Context: randBytes(r, 300), Value: randBytes(r, 10240), N: uint8(r.Uint32()), W: randNeed(r)}
	case KindClientDelete:
		return &ClientDelete{ReqID: randUint(r), ReplyTo: randAddr(r), Key: randBytes(r, 1024),
			Context: randBytes(r, 300), N: uint8(r.Uint32()), W: randNeed(r)}
	case KindClientReply:
		m := &ClientReply{ReqID: randUint(r), Status: randStatus(r), Error: randString(r, 100), Context: randBytes(r, 300)}
		for range r.IntN(4) {
			m.Values = append(m.Values, randBytes(r, 2048))
		}
		return m
	case KindWriteRequest:
		return &WriteRequest{OpID: randUint(r), Key: randBytes(r, 1024), Purpose: randPurpose(r), HintFor: randAddr(r), Set: randSet(r)}
	case KindWriteAck:
		return &WriteAck{OpID: randUint(r), Status: randStatus(r), Error: randString(r, 100)}
	case KindReadRequest:
		return &ReadRequest{OpID: randUint(r), Key: randBytes(r, 1024), Purpose: randPurpose(r)}
	case KindReadResponse:
		return &ReadResponse{OpID: randUint(r), Status: randStatus(r), Error: randString(r, 100), Set: randSet(r)}
	case KindGossipPush:
		return &GossipPush{Entries: randGossipEntries(r)}
	case KindGossipReply:
		return &GossipReply{Entries: randGossipEntries(r)}
	case KindAETree:
		return randAETree(r)
	case KindAEEntries:
		return randAEEntries(r)
	case KindStreamRequest:
		return randStreamRequest(r)
	case KindStreamChunk:
		return randStreamChunk(r)
	case KindStreamDone:
		return &StreamDone{Version: 1 + randUint(r)/2}
	}
	panic("randMessage: no generator for kind " + k.String())
}

// randGossipEntries returns a valid entry list: members and suspects
// strictly ascending, every width of varint, empty and non-empty payloads.
func randGossipEntries(r *rand.Rand) []GossipEntry {
	n := r.IntN(12)
	if n == 0 {
		return nil
	}
	es := make([]GossipEntry, n)
	member := Addr(-1)
	for i := range es {
		member += Addr(1 + r.IntN(300))
		e := GossipEntry{
			Member: member, Generation: randUint(r), Heartbeat: randUint(r),
			Status: MemberStatus(1 + r.IntN(int(memberStatusEnd)-1)), RingVersion: randUint(r),
			RingPayload: randBytes(r, 100),
		}
		s := Addr(-1)
		for range r.IntN(4) {
			s += Addr(1 + r.IntN(1<<16))
			e.Suspects = append(e.Suspects, GossipSuspect{Member: s, Generation: randUint(r), Heartbeat: randUint(r)})
		}
		es[i] = e
	}
	return es
}

func randArcs(r *rand.Rand, max int) []AEArc {
	n := r.IntN(max + 1)
	if n == 0 {
		return nil
	}
	out := make([]AEArc, n)
	for i := range out {
		out[i] = AEArc{Start: randUint(r), End: randUint(r)}
	}
	return out
}

// randAETree returns a valid tree step: nodes strictly ascending, indices
// within their level.
func randAETree(r *rand.Rand) *AETree {
	m := &AETree{ExchangeID: randUint(r), Initiator: r.IntN(2) == 0, Refused: r.IntN(5) == 0, Done: r.IntN(5) == 0,
		Level: uint8(r.IntN(MaxAELevel + 1)), Arcs: randArcs(r, 20)}
	if r.IntN(3) > 0 {
		m.Buckets = 1 << r.IntN(MaxAELevel+1)
	}
	for range r.IntN(4) {
		m.ArcBytes = append(m.ArcBytes, randUint(r))
	}
	arc := uint32(0)
	idx := -1
	for range r.IntN(40) {
		if r.IntN(4) == 0 {
			arc += 1 + uint32(r.IntN(100))
			idx = -1
		}
		idx += 1 + r.IntN(3)
		if idx >= 1<<m.Level {
			break
		}
		m.Nodes = append(m.Nodes, AENode{Arc: arc, Index: uint32(idx), Hash: r.Uint64()})
	}
	return m
}

func randAEEntries(r *rand.Rand) *AEEntries {
	m := &AEEntries{ExchangeID: randUint(r), Initiator: r.IntN(2) == 0, Last: r.IntN(2) == 0, Reply: r.IntN(2) == 0,
		Spans: randArcs(r, 10)}
	for range r.IntN(6) {
		key := randBytes(r, 200)
		if len(key) == 0 {
			key = []byte{'k'}
		}
		m.Entries = append(m.Entries, AEEntry{Key: key, Set: randSet(r)})
	}
	return m
}

func randStreamRequest(r *rand.Rand) *StreamRequest {
	return &StreamRequest{StreamID: randUint(r), Version: 1 + randUint(r)/2,
		Arc: AEArc{Start: randUint(r), End: randUint(r)}, MaxBytes: uint32(1 + r.IntN(MaxFrameBytes))}
}

func randStreamChunk(r *rand.Rand) *StreamChunk {
	m := &StreamChunk{StreamID: randUint(r), Version: randUint(r), Refused: r.IntN(5) == 0, Done: r.IntN(2) == 0, Next: randUint(r)}
	if m.Refused {
		return m
	}
	for range r.IntN(6) {
		key := randBytes(r, 200)
		if len(key) == 0 {
			key = []byte{'k'}
		}
		m.Entries = append(m.Entries, AEEntry{Key: key, Set: randSet(r)})
	}
	return m
}
