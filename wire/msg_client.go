package wire

import (
	"encoding/binary"
	"fmt"
)

// Level names how many replicas must answer a request.
type Level uint8

const (
	// LevelDefault uses the node's configured W or R.
	LevelDefault Level = iota
	// LevelCount requires exactly Need.Count replicas.
	LevelCount
	// LevelOne requires one replica.
	LevelOne
	// LevelTwo requires two replicas.
	LevelTwo
	// LevelQuorum requires a majority of the N replicas: N/2+1.
	LevelQuorum
	// LevelAll requires all N replicas.
	LevelAll
	// LevelLocalQuorum requires a majority of the replicas in the
	// coordinator's datacenter.
	LevelLocalQuorum
	// LevelEachQuorum requires a majority of the replicas in every
	// datacenter that holds replicas.
	LevelEachQuorum

	levelEnd
)

var levelNames = [...]string{"DEFAULT", "COUNT", "ONE", "TWO", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM"}

func (l Level) String() string {
	if l < levelEnd {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// ParseLevel parses a level name as printed by String (case-sensitive).
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if n == s {
			return Level(i), nil
		}
	}
	return 0, fmt.Errorf("net: unknown consistency level %q (want one of %v)", s, levelNames)
}

// Need is a per-request W or R: a named level, or an explicit count.
type Need struct {
	Level Level
	Count uint8 // replicas required when Level == LevelCount; else ignored
}

// Fixed resolves the levels that depend only on n, the replica count:
// COUNT, ONE, TWO, QUORUM and ALL. It reports false for DEFAULT (the
// node's configuration decides) and for the datacenter-aware levels (the
// coordinator counts per datacenter). The result may exceed n; the
// coordinator refuses such requests.
func (q Need) Fixed(n int) (int, bool) {
	switch q.Level {
	case LevelCount:
		return int(q.Count), true
	case LevelOne:
		return 1, true
	case LevelTwo:
		return 2, true
	case LevelQuorum:
		return n/2 + 1, true
	case LevelAll:
		return n, true
	}
	return 0, false
}

func (q Need) String() string {
	if q.Level == LevelCount {
		return fmt.Sprint(q.Count)
	}
	return q.Level.String()
}

func (q Need) encodedSize() int {
	if q.Level == LevelCount {
		return 2
	}
	return 1
}

func appendNeed(b []byte, q Need) []byte {
	if q.Level == LevelCount {
		return append(b, byte(q.Level), q.Count)
	}
	return append(b, byte(q.Level))
}

func (d *decoder) need(field string) Need {
	q := Need{Level: Level(d.byte1(field))}
	if d.err == nil && q.Level >= levelEnd {
		d.fail("%s: unknown level %d", field, uint8(q.Level))
	}
	if q.Level == LevelCount {
		q.Count = d.byte1(field)
		if d.err == nil && q.Count == 0 {
			d.fail("%s: explicit count 0", field)
		}
	}
	return q
}

// Status is the outcome a reply or ack reports.
type Status uint8

const (
	// StatusOK: the request succeeded.
	StatusOK Status = iota + 1
	// StatusNotFound: a get found no live value (there may be tombstones;
	// the reply's Context then covers them).
	StatusNotFound
	// StatusFailed: the request definitely had no effect (a get that timed
	// out, a put refused before any replica was written).
	StatusFailed
	// StatusUnknown: a put or delete timed out after it was sent to
	// replicas; it may or may not have been applied and may yet appear.
	StatusUnknown
	// StatusBadRequest: refused for its content (size limits, a malformed
	// context, an impossible W or R); nothing was stored.
	StatusBadRequest

	statusEnd
)

var statusNames = [...]string{"", "ok", "not_found", "failed", "unknown_outcome", "bad_request"}

func (s Status) String() string {
	if s > 0 && s < statusEnd {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

func (d *decoder) status(field string) Status {
	s := Status(d.byte1(field))
	if d.err == nil && (s == 0 || s >= statusEnd) {
		d.fail("%s: unknown status %d", field, uint8(s))
	}
	return s
}

// ClientGet asks a coordinator for a key's current versions.
type ClientGet struct {
	ReqID   uint64 // chosen by the client; echoed in the reply
	ReplyTo Addr   // where the reply goes; None means the sender (set when a node forwards)
	Key     []byte
	N       uint8 // replicas to consult; 0 means the node's configured N
	R       Need
}

// ClientPut asks a coordinator to write a value. Context is the opaque
// context from the client's last get of the key (empty for a blind write).
type ClientPut struct {
	ReqID   uint64
	ReplyTo Addr
	Key     []byte
	Context []byte
	Value   []byte
	N       uint8
	W       Need
}

// ClientDelete asks a coordinator to write a tombstone over the versions
// Context covers.
type ClientDelete struct {
	ReqID   uint64
	ReplyTo Addr
	Key     []byte
	Context []byte
	N       uint8
	W       Need
}

// ClientReply answers any client request.
type ClientReply struct {
	ReqID  uint64
	Status Status
	Error  string   // human-readable cause when Status is not OK or NotFound
	Values [][]byte // get: the live siblings' values, in a deterministic order
	// Context is the opaque causal context to pass to the next put or
	// delete of this key (get replies; put replies may carry it too).
	Context []byte
}

func (*ClientGet) Kind() Kind { return KindClientGet }

func (m *ClientGet) payloadSize() int {
	return sizeUvarint(m.ReqID) + sizeVarint(int64(m.ReplyTo)) + sizeBytes(m.Key) + 1 + m.R.encodedSize()
}

func (m *ClientGet) Size() int { return frameSize(m.payloadSize()) }

func (m *ClientGet) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindClientGet)
	b = binary.AppendUvarint(b, m.ReqID)
	b = binary.AppendVarint(b, int64(m.ReplyTo))
	b = appendBytes(b, m.Key)
	b = append(b, m.N)
	b = appendNeed(b, m.R)
	return endFrame(b, start)
}

func (m *ClientGet) decodePayload(d *decoder) {
	m.ReqID = d.uvarint("req id")
	m.ReplyTo = d.addr("reply to")
	m.Key = d.bytes("key", MaxKeyBytes)
	m.N = d.byte1("n")
	m.R = d.need("r")
}

func (*ClientPut) Kind() Kind { return KindClientPut }

func (m *ClientPut) payloadSize() int {
	return sizeUvarint(m.ReqID) + sizeVarint(int64(m.ReplyTo)) + sizeBytes(m.Key) +
		sizeBytes(m.Context) + sizeBytes(m.Value) + 1 + m.W.encodedSize()
}

func (m *ClientPut) Size() int { return frameSize(m.payloadSize()) }

func (m *ClientPut) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindClientPut)
	b = binary.AppendUvarint(b, m.ReqID)
	b = binary.AppendVarint(b, int64(m.ReplyTo))
	b = appendBytes(b, m.Key)
	b = appendBytes(b, m.Context)
	b = appendBytes(b, m.Value)
	b = append(b, m.N)
	b = appendNeed(b, m.W)
	return endFrame(b, start)
}

func (m *ClientPut) decodePayload(d *decoder) {
	m.ReqID = d.uvarint("req id")
	m.ReplyTo = d.addr("reply to")
	m.Key = d.bytes("key", MaxKeyBytes)
	m.Context = d.bytes("context", MaxContextBytes)
	m.Value = d.bytes("value", MaxValueBytes)
	m.N = d.byte1("n")
	m.W = d.need("w")
}

func (*ClientDelete) Kind() Kind { return KindClientDelete }

func (m *ClientDelete) payloadSize() int {
	return sizeUvarint(m.ReqID) + sizeVarint(int64(m.ReplyTo)) + sizeBytes(m.Key) +
		sizeBytes(m.Context) + 1 + m.W.encodedSize()
}

func (m *ClientDelete) Size() int { return frameSize(m.payloadSize()) }

func (m *ClientDelete) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindClientDelete)
	b = binary.AppendUvarint(b, m.ReqID)
	b = binary.AppendVarint(b, int64(m.ReplyTo))
	b = appendBytes(b, m.Key)
	b = appendBytes(b, m.Context)
	b = append(b, m.N)
	b = appendNeed(b, m.W)
	return endFrame(b, start)
}

func (m *ClientDelete) decodePayload(d *decoder) {
	m.ReqID = d.uvarint("req id")
	m.ReplyTo = d.addr("reply to")
	m.Key = d.bytes("key", MaxKeyBytes)
	m.Context = d.bytes("context", MaxContextBytes)
	m.N = d.byte1("n")
	m.W = d.need("w")
}

func (*ClientReply) Kind() Kind { return KindClientReply }

func (m *ClientReply) payloadSize() int {
	n := sizeUvarint(m.ReqID) + 1 + sizeString(m.Error) + sizeUvarint(uint64(len(m.Values)))
	for _, v := range m.Values {
		n += sizeBytes(v)
	}
	return n + sizeBytes(m.Context)
}

func (m *ClientReply) Size() int { return frameSize(m.payloadSize()) }

func (m *ClientReply) AppendFrame(b []byte) []byte {
	b, start := beginFrame(growFor(b, m.Size()), KindClientReply)
	b = binary.AppendUvarint(b, m.ReqID)
	b = append(b, byte(m.Status))
	b = appendString(b, m.Error)
	b = binary.AppendUvarint(b, uint64(len(m.Values)))
	for _, v := range m.Values {
		b = appendBytes(b, v)
	}
	b = appendBytes(b, m.Context)
	return endFrame(b, start)
}

func (m *ClientReply) decodePayload(d *decoder) {
	m.ReqID = d.uvarint("req id")
	m.Status = d.status("status")
	m.Error = d.string("error", MaxErrorBytes)
	if n := d.count("values", MaxSiblings, 1); n > 0 {
		m.Values = make([][]byte, n)
		for i := range m.Values {
			m.Values[i] = d.bytes("value", MaxValueBytes)
		}
	}
	m.Context = d.bytes("context", MaxContextBytes)
}

// growFor makes room for n more bytes in one step, so that encoding a
// message into a buffer that is too small reallocates at most once.
func growFor(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}
