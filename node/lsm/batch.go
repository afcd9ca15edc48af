package lsm

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"dynasim/node/lsm/base"
)

// batchHeaderLen is the encoded batch header: sequence number (uint64) of
// the first entry, entry count (uint32), commit time in Unix nanoseconds
// (int64; stored in tombstones for the grace period).
const batchHeaderLen = 20

// maxBatchEntries bounds the entries of one batch (checked on replay too).
const maxBatchEntries = 1 << 24

// Batch is a set of writes applied atomically by DB.Apply: after a crash
// either all of them are recovered or none. Entries apply in order, so a
// later write to the same key in one batch wins. A Batch is not safe for
// concurrent use; it may be reused after Reset.
//
// Encoding (which is also the commit-log record payload): the header, then
// per entry: kind (1 byte), uvarint key length, key, and for a put a
// uvarint value length and the value.
type Batch struct {
	data      []byte
	count     uint32
	hasDelete bool
}

// NewBatch returns an empty batch.
func NewBatch() *Batch {
	b := &Batch{}
	b.Reset()
	return b
}

// Reset empties the batch, keeping its memory.
func (b *Batch) Reset() {
	if cap(b.data) < batchHeaderLen {
		b.data = make([]byte, batchHeaderLen, 256)
	}
	b.data = b.data[:batchHeaderLen]
	clear(b.data)
	b.count = 0
	b.hasDelete = false
}

// Put adds a write of value under key. The batch copies both.
func (b *Batch) Put(key, value []byte) {
	if len(b.data) < batchHeaderLen {
		b.Reset()
	}
	b.data = appendPutEntry(b.data, key, value)
	b.count++
}

// Delete adds a deletion of key.
func (b *Batch) Delete(key []byte) {
	if len(b.data) < batchHeaderLen {
		b.Reset()
	}
	b.data = append(b.data, byte(base.KindDelete))
	b.data = binary.AppendUvarint(b.data, uint64(len(key)))
	b.data = append(b.data, key...)
	b.count++
	b.hasDelete = true
}

// Len is the number of entries.
func (b *Batch) Len() int { return int(b.count) }

// SizeBytes is the encoded size, which DB.Apply compares with
// Options.MaxBatchSizeBytes.
func (b *Batch) SizeBytes() int { return len(b.data) }

func (b *Batch) seal(seq uint64, nowNanos int64) {
	putBatchHeader(b.data, seq, b.count, nowNanos)
}

// putBatchHeader writes the batch header into dst[:batchHeaderLen].
func putBatchHeader(dst []byte, seq uint64, count uint32, nowNanos int64) {
	binary.LittleEndian.PutUint64(dst[0:8], seq)
	binary.LittleEndian.PutUint32(dst[8:12], count)
	binary.LittleEndian.PutUint64(dst[12:20], uint64(nowNanos))
}

// appendPutEntry appends the encoding of one put entry to dst. Batch.Put
// and encodeSinglePut both use it, so a put logged without a Batch has
// the bytes a Batch would log.
func appendPutEntry(dst, key, value []byte) []byte {
	dst = append(dst, byte(base.KindSet))
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	dst = append(dst, key...)
	dst = binary.AppendUvarint(dst, uint64(len(value)))
	return append(dst, value...)
}

// putEntryLen is the length appendPutEntry appends.
func putEntryLen(key, value []byte) int {
	return 1 + uvarintLen(uint64(len(key))) + len(key) + uvarintLen(uint64(len(value))) + len(value)
}

// singlePutSize is the encoded size of a batch holding one put.
func singlePutSize(key, value []byte) int {
	return batchHeaderLen + putEntryLen(key, value)
}

// encodeSinglePut writes into p (singlePutSize bytes) exactly what a Batch
// holding Put(key, value) holds once sealed with seq: commit time 0, as a
// batch without deletes has. The entry is appended to p's own first bytes,
// so nothing is copied or allocated while p is as long as singlePutSize
// says.
func encodeSinglePut(p []byte, seq uint64, key, value []byte) {
	putBatchHeader(p, seq, 1, 0)
	appendPutEntry(p[batchHeaderLen:batchHeaderLen:len(p)], key, value)
}

// uvarintLen is the length of binary.AppendUvarint's encoding of x. It is
// the same one-liner as wire's sizeUvarint on purpose: wire is the
// protocol between nodes and the storage engine sits below it, so lsm
// does not import wire (nor would wire export an encoding helper) for one
// line; TestUvarintLenMatchesEncoding pins it to encoding/binary.
func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

// batchEntry is one decoded entry.
type batchEntry struct {
	kind  base.Kind
	key   []byte
	value []byte
}

// batchReader decodes an encoded batch, checking every length against the
// payload so that malformed input yields an error, not a panic.
type batchReader struct {
	data  []byte
	left  uint32
	seq   uint64
	count uint32
	time  int64
}

func newBatchReader(data []byte) (batchReader, error) {
	if len(data) < batchHeaderLen {
		return batchReader{}, fmt.Errorf("batch of %d bytes is shorter than its %d-byte header", len(data), batchHeaderLen)
	}
	r := batchReader{
		seq:   binary.LittleEndian.Uint64(data[0:8]),
		count: binary.LittleEndian.Uint32(data[8:12]),
		time:  int64(binary.LittleEndian.Uint64(data[12:20])),
		data:  data[batchHeaderLen:],
	}
	r.left = r.count
	if r.count == 0 || r.count > maxBatchEntries {
		return batchReader{}, fmt.Errorf("batch entry count %d is outside [1, %d]", r.count, maxBatchEntries)
	}
	if r.seq == 0 || r.seq > base.MaxSeq-uint64(r.count) {
		return batchReader{}, fmt.Errorf("batch sequence %d (+%d entries) is out of range", r.seq, r.count)
	}
	return r, nil
}

// next decodes the next entry; ok is false after the last one. An error
// means the encoding is malformed (including trailing bytes).
func (r *batchReader) next() (e batchEntry, ok bool, err error) {
	if r.left == 0 {
		if len(r.data) != 0 {
			return e, false, fmt.Errorf("%d trailing bytes after the last batch entry", len(r.data))
		}
		return e, false, nil
	}
	if len(r.data) < 1 {
		return e, false, fmt.Errorf("batch ends with %d entries missing", r.left)
	}
	e.kind = base.Kind(r.data[0])
	if !e.kind.Valid() {
		return e, false, fmt.Errorf("batch entry has unknown kind %d", r.data[0])
	}
	p := r.data[1:]
	klen, n := binary.Uvarint(p)
	if n <= 0 || klen > uint64(len(p)-n) {
		return e, false, fmt.Errorf("batch entry key length is malformed or exceeds the batch")
	}
	e.key = p[n : n+int(klen) : n+int(klen)]
	p = p[n+int(klen):]
	if e.kind == base.KindSet {
		vlen, m := binary.Uvarint(p)
		if m <= 0 || vlen > uint64(len(p)-m) {
			return e, false, fmt.Errorf("batch entry value length is malformed or exceeds the batch")
		}
		e.value = p[m : m+int(vlen) : m+int(vlen)]
		p = p[m+int(vlen):]
	}
	r.data = p
	r.left--
	return e, true, nil
}
