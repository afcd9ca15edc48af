package lsm

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUvarintLenMatchesEncoding: uvarintLen is the length encoding/binary
// produces, at every boundary where the encoding grows by a byte.
func TestUvarintLenMatchesEncoding(t *testing.T) {
	for shift := 0; shift < 64; shift++ {
		for _, x := range []uint64{1<<shift - 1, 1 << shift, 1<<shift + 1} {
			require.Equal(t, len(binary.AppendUvarint(nil, x)), uvarintLen(x), "x=%d", x)
		}
	}
	require.Equal(t, len(binary.AppendUvarint(nil, ^uint64(0))), uvarintLen(^uint64(0)))
}

// TestEncodeSinglePutIsASealedBatchOfOnePut: the fast path's record, into
// a buffer of exactly singlePutSize bytes (with garbage around it, as the
// log buffer has), equals a sealed one-put Batch, across key and value
// lengths whose length prefixes take one, two and three bytes.
func TestEncodeSinglePutIsASealedBatchOfOnePut(t *testing.T) {
	for _, klen := range []int{0, 1, 127, 128, 300} {
		for _, vlen := range []int{0, 5, 127, 128, 16383, 16384} {
			key, value := make([]byte, klen), make([]byte, vlen)
			for i := range key {
				key[i] = byte(i*7 + 1)
			}
			for i := range value {
				value[i] = byte(i*13 + 3)
			}
			b := NewBatch()
			b.Put(key, value)
			b.seal(42, 0)

			n := singlePutSize(key, value)
			require.Equal(t, len(b.data), n, "klen=%d vlen=%d", klen, vlen)
			buf := make([]byte, n+16)
			for i := range buf {
				buf[i] = 0xAA
			}
			encodeSinglePut(buf[8:8+n], 42, key, value)
			require.Equal(t, b.data, buf[8:8+n], "klen=%d vlen=%d", klen, vlen)
			require.Equal(t, []byte{0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA}, buf[n+8:], "wrote past the record")
		}
	}
}
