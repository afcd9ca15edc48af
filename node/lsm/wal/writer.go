package wal

import (
	"fmt"
	"slices"

	"dynasim/disk"
)

// Writer appends records to one segment file.
type Writer struct {
	f        disk.File
	name     string
	buf      []byte
	bufLimit int
	written  int64 // bytes handed to f.Write
	synced   int64 // bytes covered by the last successful Sync
	err      error
	retired  bool // a Successor took the buffer: no more records
	// discarded: Discard closed the file (its records are durable
	// elsewhere).
	discarded bool
}

// NewWriter writes records to f (a freshly created, empty file named name),
// buffering up to bufLimit bytes before writing them to the file.
func NewWriter(f disk.File, name string, bufLimit int) *Writer {
	return &Writer{f: f, name: name, bufLimit: bufLimit, buf: make([]byte, 0, bufLimit+HeaderLen)}
}

// Successor returns a writer for the next segment f that takes over this
// writer's buffer, once every record appended here is written to the file
// (this writer's own segment must take no more records; it can still be
// synced and closed). A log that rotates segments thereby keeps one buffer
// instead of one per segment still waiting for its checkpoint.
func (w *Writer) Successor(f disk.File, name string) (*Writer, error) {
	if err := w.Flush(); err != nil {
		return nil, err
	}
	buf := w.buf[:0]
	w.buf, w.retired = nil, true
	return &Writer{f: f, name: name, bufLimit: w.bufLimit, buf: buf}, nil
}

// Name is the segment's path.
func (w *Writer) Name() string { return w.name }

// Append adds one record. It is in memory (and lost by a crash) until the
// buffer fills or Flush or Sync is called.
func (w *Writer) Append(payload []byte, syncedSeq uint64) error {
	p, err := w.reserve(len(payload))
	if err != nil {
		return err
	}
	copy(p, payload)
	return w.commit(p, syncedSeq)
}

// AppendFunc adds one record of n payload bytes that fill writes in place,
// which saves the copy Append makes of a payload built elsewhere. fill
// must write all n bytes and must not keep the slice.
func (w *Writer) AppendFunc(n int, syncedSeq uint64, fill func(payload []byte)) error {
	p, err := w.reserve(n)
	if err != nil {
		return err
	}
	fill(p)
	return w.commit(p, syncedSeq)
}

// reserve makes room for a record of n payload bytes at the end of the
// buffer and returns its payload; commit completes it.
func (w *Writer) reserve(n int) ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.retired {
		return nil, fmt.Errorf("wal: %s takes no more records: the log moved on to its successor", w.name)
	}
	if n > MaxRecordBytes {
		return nil, fmt.Errorf("wal: record of %d bytes is over the limit of %d bytes", n, MaxRecordBytes)
	}
	start := len(w.buf)
	w.buf = slices.Grow(w.buf, HeaderLen+n)[:start+HeaderLen+n]
	return w.buf[start+HeaderLen:], nil
}

// commit writes the header of the record whose payload reserve returned
// (the last bytes of the buffer) and writes the buffer out if it is full.
func (w *Writer) commit(payload []byte, syncedSeq uint64) error {
	start := len(w.buf) - len(payload) - HeaderLen
	putHeader(w.buf[start:start+HeaderLen], payload, syncedSeq)
	if len(w.buf) >= w.bufLimit {
		return w.Flush()
	}
	return nil
}

// Flush writes buffered records to the file (without syncing).
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	n, err := w.f.Write(w.buf)
	w.written += int64(n)
	if err != nil {
		w.err = fmt.Errorf("wal: writing %s at offset %d: %w", w.name, w.written, err)
		return w.err
	}
	w.buf = w.buf[:0]
	return nil
}

// Sync writes buffered records and makes every record appended so far
// durable.
func (w *Writer) Sync() error {
	if err := w.Flush(); err != nil {
		return err
	}
	if w.synced == w.written {
		return nil
	}
	if err := w.f.Sync(); err != nil {
		w.err = fmt.Errorf("wal: syncing %s: %w", w.name, err)
		return w.err
	}
	w.synced = w.written
	return nil
}

// StartSync is the first half of a Sync that runs its slow part
// elsewhere: it writes the buffered records to the file and returns the
// file and the length a sync of it will cover. The caller syncs f (on any
// goroutine: a file's Sync may run beside this writer's later writes and
// its Close) and reports the result with FinishSync.
func (w *Writer) StartSync() (f disk.File, upTo int64, err error) {
	if err := w.Flush(); err != nil {
		return nil, 0, err
	}
	return w.f, w.written, nil
}

// FinishSync records the outcome of syncing the file StartSync returned:
// on success every record up to upTo is durable; a failure is sticky, as
// in Sync.
func (w *Writer) FinishSync(upTo int64, err error) error {
	if err != nil {
		if w.err == nil {
			w.err = fmt.Errorf("wal: syncing %s: %w", w.name, err)
		}
		return w.err
	}
	w.synced = max(w.synced, upTo)
	return nil
}

// Discarded reports whether Discard closed the segment.
func (w *Writer) Discarded() bool { return w.discarded }

// Unsynced reports whether some appended record is not yet durable.
func (w *Writer) Unsynced() bool { return len(w.buf) > 0 || w.synced != w.written }

// Size is the segment's length including buffered records.
func (w *Writer) Size() int64 { return w.written + int64(len(w.buf)) }

// Err is the sticky error, if any.
func (w *Writer) Err() error { return w.err }

// Close writes buffered records and closes the file without syncing.
func (w *Writer) Close() error {
	ferr := w.Flush()
	cerr := w.f.Close()
	if ferr != nil {
		return ferr
	}
	if cerr != nil {
		return fmt.Errorf("wal: closing %s: %w", w.name, cerr)
	}
	return nil
}

// Discard closes the file without writing buffered records: for a segment
// that is about to be removed because everything in it is durable
// elsewhere.
func (w *Writer) Discard() {
	w.discarded = true
	w.buf = w.buf[:0]
	if w.err == nil {
		w.err = fmt.Errorf("wal: %s was discarded", w.name)
	}
	_ = w.f.Close()
}
