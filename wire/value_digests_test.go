package wire

import (
	"hash/crc32"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The shift identity the memo rests on: extending a CRC over v equals
// shifting it by len(v) zero bytes and adding v's own checksum.
func TestCRCShiftIdentity(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 7, 8, 63, 64, 65, 1000, 1024, 4096, 10 << 10, 1 << 20} {
		v := make([]byte, n)
		for i := range v {
			v[i] = byte(r.Uint32())
		}
		for range 20 {
			c := r.Uint32()
			want := crc32.Update(c, castagnoli, v)
			got := crcMultiply(crcShiftOperator(n), c) ^ crc32.Checksum(v, castagnoli)
			require.Equal(t, want, got, "len %d", n)
		}
	}
	require.Equal(t, uint32(0x1234), crcMultiply(crcShiftOperator(0), 0x1234), "x^0 is the identity")
}

// With a memo, FrameDigest gives the same size and checksum as without,
// for messages that share values (memo hits) and values of the same
// address but another length.
func TestFrameDigestMemoMatchesFrameDigest(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	memo := NewValueDigests(nil)
	pool := make([][]byte, 300)
	for i := range pool {
		pool[i] = make([]byte, 65+r.IntN(3000))
		for j := range pool[i] {
			pool[i][j] = byte(r.Uint32())
		}
	}
	value := func() []byte {
		v := pool[r.IntN(len(pool))]
		if r.IntN(4) == 0 {
			return v[:64+r.IntN(len(v)-63)] // same address, maybe another length
		}
		return v
	}
	for range iterations(3000) {
		var m ChecksummedFrame
		switch r.IntN(4) {
		case 0:
			m = &ClientPut{ReqID: r.Uint64(), Key: []byte("k"), Value: value()}
		case 1:
			m = &ClientReply{ReqID: r.Uint64(), Values: [][]byte{value(), []byte("small"), value()}}
		case 2:
			m = &WriteRequest{OpID: r.Uint64(), Key: []byte("k"), Set: SiblingSet{Siblings: []Sibling{{Dot: Dot{Actor: 1, Counter: 2}, Value: value()}, {Tombstone: true}, {Value: value()}}}}
		default:
			m = &ReadResponse{OpID: r.Uint64(), Set: SiblingSet{Siblings: []Sibling{{Value: value()}, {Value: value()[:10]}}}}
		}
		size, sum, _ := FrameDigest(m, nil)
		msize, msum, _ := FrameDigestMemo(m, nil, memo)
		require.Equal(t, size, msize)
		require.Equal(t, sum, msum)
		frame := m.AppendFrame(nil)
		require.Equal(t, FrameChecksum(frame), msum)
	}
	require.Greater(t, len(memo.sums.(*MemoSums).known), 100, "the memo remembered values")
}

// A multiplication table gives crcMultiply's products.
func TestShiftTableMultiplies(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 20 {
		op := r.Uint32()
		tb := newShiftTable(op)
		for range 200 {
			c := r.Uint32()
			require.Equal(t, crcMultiply(op, c), tb.multiply(c))
		}
	}
}

// Past maxShiftTables lengths, values are still digested right (without a
// table).
func TestValueDigestsManyLengths(t *testing.T) {
	memo := NewValueDigests(nil)
	v := make([]byte, 65+2*maxShiftTables)
	for i := range v {
		v[i] = byte(i * 7)
	}
	for n := 65; n <= len(v); n++ {
		c := uint32(n) * 2654435761
		require.Equal(t, crc32.Update(c, castagnoli, v[:n]), memo.extend(c, v[:n]), "len %d", n)
		require.Equal(t, crc32.Update(c, castagnoli, v[:n]), memo.extend(c, v[:n]), "len %d, again", n)
	}
	require.Len(t, memo.tables, maxShiftTables)
}

// BenchmarkValueDigest compares checksumming a 1 KiB value in a frame with
// extending over the remembered value.
func BenchmarkValueDigest(b *testing.B) {
	v := make([]byte, 1024)
	for i := range v {
		v[i] = byte(i)
	}
	b.Run("checksum", func(b *testing.B) {
		c := uint32(1)
		for b.Loop() {
			c = crc32.Update(c, castagnoli, v)
		}
	})
	b.Run("remembered", func(b *testing.B) {
		memo := NewValueDigests(nil)
		c := uint32(1)
		for b.Loop() {
			c = memo.extend(c, v)
		}
	})
}

// A full table starts over, and what it then remembers is still right.
func TestValueDigestsStartOverWhenFull(t *testing.T) {
	memo := NewValueDigests(nil)
	values := make([][]byte, maxMemoSums+10)
	for i := range values {
		values[i] = []byte(strings.Repeat("x", 70) + strconv.Itoa(i))
	}
	for round := range 2 {
		for i, v := range values {
			c := uint32(i)
			require.Equal(t, crc32.Update(c, castagnoli, v), memo.extend(c, v), "round %d value %d", round, i)
			require.LessOrEqual(t, len(memo.sums.(*MemoSums).known), maxMemoSums)
		}
	}
}
