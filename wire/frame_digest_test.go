package wire

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// FrameDigest gives the size and trailer of the encoded frame, for every
// type with random contents (values of every length, below and above the
// inline threshold), and leaves the message untouched.
func TestFrameDigestMatchesTheEncodedFrame(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var scratch []byte
	for _, k := range protocolKinds {
		for range iterations(500) {
			m := randMessage(r, k).(ChecksummedFrame)
			frame := m.AppendFrame(nil)
			var size int
			var sum uint32
			size, sum, scratch = FrameDigest(m, scratch)
			require.Equal(t, len(frame), size, "%s", k)
			require.Equal(t, FrameChecksum(frame), sum, "%s", k)
			require.True(t, bytes.Equal(frame, m.AppendFrame(nil)), "%s", k)
		}
	}
	big := bytes.Repeat([]byte("v"), 3000)
	for _, m := range []ChecksummedFrame{
		&ClientPut{ReqID: 7, Key: []byte("k"), Value: big},
		&ClientReply{ReqID: 8, Values: [][]byte{big, []byte("small"), big[:65]}},
		&WriteRequest{OpID: 9, Key: []byte("k"), Set: SiblingSet{Siblings: []Sibling{{Dot: Dot{Actor: 1, Counter: 2}, Value: big}, {Tombstone: true}}}},
		&ReadResponse{OpID: 10, Set: SiblingSet{Siblings: []Sibling{{Value: big[:64]}, {Value: big[:65]}}}},
	} {
		frame := m.AppendFrame(nil)
		size, sum, _ := FrameDigest(m, nil)
		require.Equal(t, len(frame), size)
		require.Equal(t, FrameChecksum(frame), sum)
	}
}
