package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var protocolKinds = []Kind{
	KindClientGet, KindClientPut, KindClientDelete, KindClientReply,
	KindWriteRequest, KindWriteAck, KindReadRequest, KindReadResponse,
	KindGossipPush, KindGossipReply,
	KindAETree, KindAEEntries,
	KindStreamRequest, KindStreamChunk, KindStreamDone,
}

func iterations(full int) int {
	if testing.Short() {
		return full / 10
	}
	return full
}

func TestKindsAreRegisteredByName(t *testing.T) {
	want := map[Kind]string{
		KindClientGet: "client_get", KindClientPut: "client_put", KindClientDelete: "client_delete",
		KindClientReply: "client_reply", KindWriteRequest: "write_request", KindWriteAck: "write_ack",
		KindReadRequest: "read_request", KindReadResponse: "read_response",
		KindGossipPush: "gossip_push", KindGossipReply: "gossip_reply",
		KindAETree: "ae_tree", KindAEEntries: "ae_entries",
		KindStreamRequest: "stream_request", KindStreamChunk: "stream_chunk", KindStreamDone: "stream_done",
	}
	require.Len(t, Kinds(), len(want))
	for k, name := range want {
		require.Equal(t, name, k.String())
		got, ok := KindByName(name)
		require.True(t, ok, name)
		require.Equal(t, k, got)
	}
	require.Equal(t, "kind(200)", Kind(200).String())
	require.Panics(t, func() { register(KindClientGet, "again", nil) }, "a duplicate kind must be caught at init")
}

// Size must equal the encoded length exactly, for every type, with random
// contents, and AppendFrame must append after existing bytes untouched.
func TestSizeMatchesEncodingForRandomContents(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range protocolKinds {
		for range iterations(500) {
			m := randMessage(r, k)
			require.Equal(t, k, m.Kind())
			frame := m.AppendFrame(nil)
			require.Len(t, frame, m.Size(), "%s", k)

			prefix := []byte("prefix")
			both := m.AppendFrame(append([]byte(nil), prefix...))
			require.Equal(t, prefix, both[:len(prefix)])
			require.Equal(t, frame, both[len(prefix):])
		}
	}
}

func TestRoundTripEveryType(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range protocolKinds {
		for range iterations(500) {
			m := randMessage(r, k)
			frame := m.AppendFrame(nil)
			got, err := Decode(frame)
			require.NoError(t, err, "%s", k)
			require.Equal(t, m, got, "%s", k)
			require.Equal(t, frame, got.AppendFrame(nil))
		}
	}
}

func TestDecodedMessageDoesNotAliasFrame(t *testing.T) {
	m := &ClientPut{ReqID: 7, ReplyTo: None, Key: []byte("k"), Value: []byte("value"), W: Need{Level: LevelQuorum}}
	frame := m.AppendFrame(nil)
	got, err := Decode(frame)
	require.NoError(t, err)
	for i := range frame {
		frame[i] = 0xff
	}
	require.Equal(t, []byte("value"), got.(*ClientPut).Value)
}

// Every single-bit flip anywhere in a frame is detected: CRC-32C catches all
// single-bit errors, and the length field is checked before the checksum.
func TestEveryBitFlipIsRejected(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, k := range protocolKinds {
		frame := randMessage(r, k).AppendFrame(nil)
		for bit := range len(frame) * 8 {
			c := bytes.Clone(frame)
			c[bit/8] ^= 1 << (bit % 8)
			_, err := Decode(c)
			require.Error(t, err, "%s: flip of bit %d accepted", k, bit)
			require.ErrorIs(t, err, ErrMalformed)
		}
	}
}

func TestChecksumMismatchIsReported(t *testing.T) {
	frame := (&WriteAck{OpID: 1, Status: StatusOK}).AppendFrame(nil)
	frame[len(frame)-1] ^= 0x80
	_, err := Decode(frame)
	require.ErrorIs(t, err, ErrChecksum)
	require.Contains(t, err.Error(), "checksum")
}

func TestTruncatedAndPaddedFramesAreRejected(t *testing.T) {
	frame := (&ReadRequest{OpID: 9, Key: []byte("key"), Purpose: PurposeClient}).AppendFrame(nil)
	for n := range len(frame) {
		_, err := Decode(frame[:n])
		require.ErrorIs(t, err, ErrMalformed, "prefix of %d bytes", n)
	}
	_, err := Decode(append(bytes.Clone(frame), 0))
	require.ErrorIs(t, err, ErrMalformed)
}

// reframe rewrites a frame's header fields and payload with a valid length
// and checksum, so the test reaches the checks behind the checksum.
func reframe(version byte, kind Kind, payload []byte) []byte {
	b := make([]byte, 4, 10+len(payload))
	b = append(b, version, byte(kind))
	b = append(b, payload...)
	binary.LittleEndian.PutUint32(b, uint32(len(b)-4+4))
	return binary.LittleEndian.AppendUint32(b, crc32.Update(0, castagnoli, b))
}

func payloadOf(m Message) []byte {
	f := m.AppendFrame(nil)
	return f[FrameHeaderBytes : len(f)-FrameTrailerBytes]
}

func TestUnknownVersionAndKindAreRejected(t *testing.T) {
	payload := payloadOf(&WriteAck{OpID: 1, Status: StatusOK})
	_, err := Decode(reframe(FormatVersion, KindWriteAck, payload))
	require.NoError(t, err, "the reframe helper must build valid frames")

	_, err = Decode(reframe(FormatVersion+1, KindWriteAck, payload))
	require.ErrorIs(t, err, ErrUnknownVersion)
	_, err = Decode(reframe(FormatVersion, 99, payload))
	require.ErrorIs(t, err, ErrUnknownKind)
	require.Contains(t, err.Error(), "99")
}

func TestTrailingPayloadBytesAreRejected(t *testing.T) {
	payload := append(payloadOf(&WriteAck{OpID: 1, Status: StatusOK}), 0)
	_, err := Decode(reframe(FormatVersion, KindWriteAck, payload))
	require.ErrorIs(t, err, ErrMalformed)
	require.Contains(t, err.Error(), "trailing")
}

func TestFieldValidation(t *testing.T) {
	u := func(x uint64) []byte { return binary.AppendUvarint(nil, x) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := []struct {
		name    string
		kind    Kind
		payload []byte
		want    string
	}{
		{"overlong varint", KindWriteAck, cat([]byte{0x81, 0x00}, []byte{byte(StatusOK)}, u(0)), "minimally"},
		{"varint overflow", KindWriteAck, cat(bytes.Repeat([]byte{0xff}, 10), []byte{0x02}), "overflows"},
		{"status zero", KindWriteAck, cat(u(1), []byte{0}, u(0)), "unknown status"},
		{"status past end", KindWriteAck, cat(u(1), []byte{byte(statusEnd)}, u(0)), "unknown status"},
		{"error too long", KindWriteAck, cat(u(1), []byte{1}, u(MaxErrorBytes+1)), "exceeds the limit of 1024"},
		{"key too long", KindReadRequest, cat(u(1), u(MaxKeyBytes+1)), "key size 4097 bytes exceeds the limit of 4096 bytes"},
		{"key longer than frame", KindReadRequest, cat(u(1), u(50), []byte("short")), "50 bytes announced"},
		{"purpose zero", KindReadRequest, cat(u(1), u(1), []byte("k"), []byte{0}), "unknown purpose"},
		{"level unknown", KindClientGet, cat(u(1), u(1), u(1), []byte("k"), []byte{0, byte(levelEnd)}), "unknown level"},
		{"count zero", KindClientGet, cat(u(1), u(1), u(1), []byte("k"), []byte{0, byte(LevelCount), 0}), "explicit count 0"},
		{"address below None", KindClientGet, cat(u(1), binary.AppendVarint(nil, -2), u(1), []byte("k"), []byte{0, 0}), "out of range"},
		{"too many values", KindClientReply, cat(u(1), []byte{1}, u(0), u(MaxSiblings+1)), "exceeds the limit of 128"},
		{"values beyond frame", KindClientReply, cat(u(1), []byte{1}, u(0), u(100)), "remain"},
		{"too many siblings", KindReadResponse, cat(u(1), []byte{1}, u(0), u(0), u(MaxSiblings+1)), "exceeds the limit of 128"},
		{"too many clock entries", KindReadResponse, cat(u(1), []byte{1}, u(0), u(MaxClockEntries+1)), "exceeds the limit of 256"},
		{"clock unsorted", KindReadResponse, cat(u(1), []byte{1}, u(0), u(2), u(5), u(1), u(0), u(3), u(1), u(0), u(0)), "strictly increasing"},
		{"clock duplicate actor", KindReadResponse, cat(u(1), []byte{1}, u(0), u(2), u(5), u(1), u(0), u(5), u(1), u(0), u(0)), "strictly increasing"},
		{"clock zero counter", KindReadResponse, cat(u(1), []byte{1}, u(0), u(1), u(5), u(0), u(0), u(0)), "counter 0"},
		{"unknown sibling flag", KindReadResponse, cat(u(1), []byte{1}, u(0), u(0), u(1), []byte{0x04}, u(1), u(1), u(0), u(0), u(0)), "unknown bits"},
		{"tombstone with value", KindReadResponse, cat(u(1), []byte{1}, u(0), u(0), u(1), []byte{flagTombstone}, u(1), u(1), u(0), u(0), u(1), []byte("x")), "tombstone carries"},
		{"value too long", KindReadResponse, cat(u(1), []byte{1}, u(0), u(0), u(1), []byte{0}, u(1), u(1), u(0), u(0), u(MaxValueBytes+1)), "value size 65537 bytes exceeds the limit of 65536 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(reframe(FormatVersion, tc.kind, tc.payload))
			require.ErrorIs(t, err, ErrMalformed)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// A frame announcing huge counts must be refused before anything that size
// is allocated: the decoder allocates at most a small multiple of the frame.
func TestHugeCountsDoNotAllocate(t *testing.T) {
	u := func(x uint64) []byte { return binary.AppendUvarint(nil, x) }
	frames := [][]byte{
		reframe(FormatVersion, KindReadResponse, bytes.Join([][]byte{u(1), {1}, u(0), u(1 << 60)}, nil)),
		reframe(FormatVersion, KindReadResponse, bytes.Join([][]byte{u(1), {1}, u(0), u(0), u(MaxSiblings)}, nil)),
		reframe(FormatVersion, KindClientReply, bytes.Join([][]byte{u(1), {1}, u(0), u(MaxSiblings)}, nil)),
		reframe(FormatVersion, KindClientPut, bytes.Join([][]byte{u(1), u(1), u(MaxKeyBytes)}, nil)),
	}
	for i, f := range frames {
		var err error
		perCall := bytesAllocated(20, func() { _, err = Decode(f) })
		require.Error(t, err, "frame %d", i)
		require.Less(t, perCall, 4096.0, "frame %d (%d bytes) allocated %v bytes per decode", i, len(f), perCall)
	}
}

// bytesAllocated is the mean heap bytes one call of f allocates.
func bytesAllocated(runs int, f func()) float64 {
	f() // warm up lazily initialised state
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / float64(runs)
}

func TestFrameLimits(t *testing.T) {
	_, err := Decode(make([]byte, MaxFrameBytes+1))
	require.ErrorIs(t, err, ErrTooLarge)
	require.Contains(t, err.Error(), "exceeds the limit of 16777216 bytes")

	// A frame whose length field lies.
	frame := (&WriteAck{OpID: 1, Status: StatusOK}).AppendFrame(nil)
	binary.LittleEndian.PutUint32(frame, 3)
	_, err = Decode(frame)
	require.ErrorIs(t, err, ErrMalformed)
}

func TestReadFrameStreamsFrames(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var stream []byte
	var want []Message
	for _, k := range protocolKinds {
		m := randMessage(r, k)
		want = append(want, m)
		stream = m.AppendFrame(stream)
	}
	rd := bytes.NewReader(stream)
	var buf []byte
	for _, m := range want {
		frame, err := ReadFrame(rd, buf)
		require.NoError(t, err)
		got, err := Decode(frame)
		require.NoError(t, err)
		require.Equal(t, m, got)
		buf = frame
	}
	_, err := ReadFrame(rd, buf)
	require.ErrorIs(t, err, io.EOF)

	// Cut inside the body.
	_, err = ReadFrame(bytes.NewReader(stream[:20]), nil)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)

	// An oversize length is refused before reading (or allocating) the body.
	huge := binary.LittleEndian.AppendUint32(nil, MaxFrameBytes)
	perCall := bytesAllocated(10, func() {
		_, err = ReadFrame(bytes.NewReader(huge), nil)
	})
	require.ErrorIs(t, err, ErrTooLarge)
	require.Less(t, perCall, 4096.0)
	_, err = ReadFrame(bytes.NewReader([]byte{2, 0, 0, 0, 1, 1}), nil)
	require.ErrorIs(t, err, ErrMalformed)
}

func TestSiblingSetAndClockStandaloneEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range iterations(300) {
		s := randSet(r)
		b := AppendSiblingSet(nil, &s)
		require.Len(t, b, s.EncodedSize())
		got, err := DecodeSiblingSet(b)
		require.NoError(t, err)
		require.Equal(t, s, got)

		c := randClock(r, 8)
		cb := AppendClock(nil, c)
		require.Len(t, cb, ClockEncodedSize(c))
		gc, err := DecodeClock(cb)
		require.NoError(t, err)
		require.Equal(t, c, gc)
	}
	_, err := DecodeSiblingSet([]byte{0, 0, 0})
	require.ErrorIs(t, err, ErrMalformed)
	_, err = DecodeClock([]byte{1, 1})
	require.ErrorIs(t, err, ErrMalformed)
}

func TestActorID(t *testing.T) {
	a := ActorOf(7, 3)
	require.Equal(t, Addr(7), a.Addr())
	require.Equal(t, uint32(3), a.Epoch())
	require.Equal(t, "n7.e3", a.String())
	require.Equal(t, "n7", ActorOf(7, 0).String())
	require.Equal(t, "[n1:2 n3:1]", Clock{{Actor: 1, Counter: 2}, {Actor: 3, Counter: 1}}.String())
}

func TestLevelsAndNeeds(t *testing.T) {
	for l := Level(0); l < levelEnd; l++ {
		got, err := ParseLevel(l.String())
		require.NoError(t, err)
		require.Equal(t, l, got)
	}
	_, err := ParseLevel("MOST")
	require.Error(t, err)
	for _, tc := range []struct {
		need Need
		n    int
		want int
		ok   bool
	}{
		{Need{Level: LevelOne}, 3, 1, true},
		{Need{Level: LevelTwo}, 3, 2, true},
		{Need{Level: LevelQuorum}, 3, 2, true},
		{Need{Level: LevelQuorum}, 4, 3, true},
		{Need{Level: LevelQuorum}, 5, 3, true},
		{Need{Level: LevelAll}, 5, 5, true},
		{Need{Level: LevelCount, Count: 4}, 3, 4, true},
		{Need{Level: LevelDefault}, 3, 0, false},
		{Need{Level: LevelLocalQuorum}, 3, 0, false},
		{Need{Level: LevelEachQuorum}, 3, 0, false},
	} {
		got, ok := tc.need.Fixed(tc.n)
		require.Equal(t, tc.ok, ok, "%v", tc.need)
		require.Equal(t, tc.want, got, "%v of %d", tc.need, tc.n)
	}
	require.Equal(t, "QUORUM", Need{Level: LevelQuorum}.String())
	require.Equal(t, "2", Need{Level: LevelCount, Count: 2}.String())
	require.True(t, strings.HasPrefix(Status(77).String(), "Status("))
}

func TestLimits(t *testing.T) {
	var l Limits
	require.NoError(t, l.Validate())
	require.NoError(t, l.CheckPut([]byte("k"), make([]byte, DefaultValueSizeBytes)))

	err := l.CheckValue(make([]byte, DefaultValueSizeBytes+1))
	require.ErrorIs(t, err, ErrTooLarge)
	require.EqualError(t, err, "value size 10241 bytes exceeds the limit of 10240 bytes")
	var se *SizeError
	require.True(t, errors.As(err, &se))
	require.Equal(t, 10241, se.Size)

	err = l.CheckPut(make([]byte, 1025), nil)
	require.EqualError(t, err, "key size 1025 bytes exceeds the limit of 1024 bytes")
	require.ErrorIs(t, l.CheckKey(nil), ErrEmptyKey)

	small := Limits{KeySizeBytes: 4, ValueSizeBytes: 8}
	require.NoError(t, small.Validate())
	require.EqualError(t, small.CheckPut([]byte("key"), []byte("123456789")), "value size 9 bytes exceeds the limit of 8 bytes")

	require.Error(t, Limits{KeySizeBytes: MaxKeyBytes + 1}.Validate())
	require.Error(t, Limits{ValueSizeBytes: MaxValueBytes + 1}.Validate())
	require.Error(t, Limits{ValueSizeBytes: -1}.Validate())
}

// Every message type of the package is a ChecksummedFrame, and its
// trailer is the CRC-32C of the rest of the frame.
func TestFrameChecksumIsTheTrailer(t *testing.T) {
	for k := range kindTable {
		newMsg := kindTable[k].decoder
		if newMsg == nil {
			continue
		}
		m := newMsg()
		cf, ok := Message(m).(ChecksummedFrame)
		require.True(t, ok, "%v must be a ChecksummedFrame", Kind(k))
		frame := cf.AppendFrame(nil)
		require.Equal(t, crc32.Checksum(frame[:len(frame)-FrameTrailerBytes], castagnoli), FrameChecksum(frame))
	}
}
