package wal

import (
	"errors"
	"fmt"
	"io"

	"dynasim/node/lsm/base"
)

// readChunk is how much of a segment the reader fetches at a time.
const readChunk = 256 << 10

// Invalid describes why the bytes at an offset are not a valid record.
type Invalid struct {
	Offset int64
	Reason string
}

func (e *Invalid) Error() string {
	return fmt.Sprintf("invalid record at offset %d: %s", e.Offset, e.Reason)
}

// Reader reads the records of one segment in order.
type Reader struct {
	f         io.ReaderAt
	name      string
	size      int64
	maxRecord int
	off       int64 // offset of the next record

	win    []byte // file bytes [winOff, winOff+len(win))
	winOff int64
	err    error
}

// NewReader reads the segment f of the given size. Payloads longer than
// maxRecord bytes are treated as invalid records.
func NewReader(f io.ReaderAt, name string, size int64, maxRecord int) *Reader {
	return &Reader{f: f, name: name, size: size, maxRecord: min(maxRecord, MaxRecordBytes)}
}

// Offset is the offset of the next record (after the last one returned).
func (r *Reader) Offset() int64 { return r.off }

// read returns file bytes [off, off+n), which must lie within the file. The
// slice is valid until the next call.
func (r *Reader) read(off int64, n int) ([]byte, error) {
	if off >= r.winOff && off+int64(n) <= r.winOff+int64(len(r.win)) {
		s := off - r.winOff
		return r.win[s : s+int64(n)], nil
	}
	want := max(n, readChunk)
	want = int(min(int64(want), r.size-off))
	if cap(r.win) < want {
		r.win = make([]byte, want)
	}
	r.win = r.win[:want]
	m, err := r.f.ReadAt(r.win, off)
	if m < want {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		r.win = r.win[:0]
		return nil, fmt.Errorf("wal: reading %s at offset %d: %w", r.name, off, err)
	}
	r.winOff = off
	return r.win[:n], nil
}

// Next returns the next record. At a clean end of the segment it returns
// io.EOF. If the bytes at the current offset are not a valid record it
// returns an *Invalid (the reader does not advance). Other errors are I/O
// errors from the file. The payload is valid until the next call.
func (r *Reader) Next() (payload []byte, h Header, err error) {
	if r.err != nil {
		return nil, Header{}, r.err
	}
	p, h, n, err := r.at(r.off)
	if err != nil {
		return nil, Header{}, err
	}
	r.off += n
	return p, h, nil
}

// at decodes the record at off, returning it and its total length.
func (r *Reader) at(off int64) ([]byte, Header, int64, error) {
	rest := r.size - off
	if rest == 0 {
		return nil, Header{}, 0, io.EOF
	}
	if rest < HeaderLen {
		return nil, Header{}, 0, &Invalid{off, fmt.Sprintf("truncated header: %d bytes left", rest)}
	}
	hb, err := r.read(off, HeaderLen)
	if err != nil {
		return nil, Header{}, 0, err
	}
	h, ok := parseHeader(hb)
	if !ok {
		return nil, Header{}, 0, &Invalid{off, "header checksum mismatch"}
	}
	if int(h.PayloadLen) > r.maxRecord {
		return nil, Header{}, 0, &Invalid{off, fmt.Sprintf("payload length %d is over the limit of %d", h.PayloadLen, r.maxRecord)}
	}
	if int64(h.PayloadLen) > rest-HeaderLen {
		return nil, Header{}, 0, &Invalid{off, fmt.Sprintf("truncated payload: %d bytes of %d", rest-HeaderLen, h.PayloadLen)}
	}
	p, err := r.read(off+HeaderLen, int(h.PayloadLen))
	if err != nil {
		return nil, Header{}, 0, err
	}
	if base.CRC(p) != h.PayloadCRC {
		return nil, Header{}, 0, &Invalid{off, "payload checksum mismatch"}
	}
	return p, h, HeaderLen + int64(h.PayloadLen), nil
}

// ValidAfter reports whether any valid record starts after offset from,
// and the offset of the first one. Recovery uses it to tell damage in the
// middle of a segment (something valid follows) from a torn tail.
func (r *Reader) ValidAfter(from int64) (int64, bool, error) {
	for off := from + 1; off+HeaderLen <= r.size; off++ {
		hb, err := r.read(off, HeaderLen)
		if err != nil {
			return 0, false, err
		}
		if _, ok := parseHeader(hb); !ok {
			continue
		}
		_, _, _, err = r.at(off)
		var inv *Invalid
		switch {
		case err == nil:
			return off, true, nil
		case errors.As(err, &inv):
			continue
		default:
			return 0, false, err
		}
	}
	return 0, false, nil
}

// SyncedClaims returns the largest synced sequence claimed by any valid
// record at or after offset from, skipping invalid bytes. Recovery uses it
// to decide whether lost records had been acknowledged as durable.
func (r *Reader) SyncedClaims(from int64) (uint64, error) {
	var best uint64
	off := from
	for {
		next, ok, err := r.ValidAfter(off - 1)
		if err != nil || !ok {
			return best, err
		}
		_, h, n, err := r.at(next)
		if err != nil {
			return best, err
		}
		best = max(best, h.SyncedSeq)
		off = next + n
	}
}
