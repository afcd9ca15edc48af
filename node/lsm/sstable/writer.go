package sstable

import (
	"encoding/binary"
	"fmt"

	"dynasim/disk"
	"dynasim/node/lsm/base"
	"dynasim/node/lsm/bloom"
)

// WriterOptions shape the tables a Writer produces.
type WriterOptions struct {
	BlockSizeBytes  int // target data block size
	RestartInterval int // entries between restart points in data blocks
	BloomBitsPerKey int // 0 means no filter
	// WriteBufferBytes is how much output is gathered before one File.Write.
	WriteBufferBytes int
}

// Writer writes one table. Entries must be added in increasing internal-key
// order with at most one entry per user key.
type Writer struct {
	f         disk.File
	name      string
	opts      WriterOptions
	data      blockWriter
	index     blockWriter
	out       []byte // buffered output
	offset    uint64 // file offset of out[0]
	hashes    []uint64
	props     Props
	err       error
	handleBuf []byte
	closed    bool
}

// NewWriter starts a table in f, a freshly created empty file named name.
func NewWriter(f disk.File, name string, o WriterOptions) *Writer {
	w := &Writer{f: f, name: name, opts: o}
	w.data.restartInterval = max(1, o.RestartInterval)
	w.index.restartInterval = 1
	w.out = make([]byte, 0, o.WriteBufferBytes+o.BlockSizeBytes+64)
	return w
}

// Add appends an entry.
func (w *Writer) Add(ikey, value []byte) error {
	if w.err != nil {
		return w.err
	}
	if len(ikey) < base.TrailerLen || len(ikey) > MaxKeyBytes {
		return fmt.Errorf("sstable: key of %d bytes is outside [%d, %d]", len(ikey), base.TrailerLen, MaxKeyBytes)
	}
	if w.props.Entries > 0 && base.CompareInternal(w.props.Largest, ikey) >= 0 {
		return fmt.Errorf("sstable: keys added out of order to %s", w.name)
	}
	if w.opts.BloomBitsPerKey > 0 {
		w.hashes = append(w.hashes, bloom.Hash(base.UserKey(ikey)))
	}
	w.data.add(ikey, value)
	p := &w.props
	if p.Entries == 0 {
		p.Smallest = append(p.Smallest[:0], ikey...)
		p.MinSeq = base.Seq(ikey)
	}
	p.Largest = append(p.Largest[:0], ikey...)
	p.Entries++
	seq := base.Seq(ikey)
	p.MinSeq = min(p.MinSeq, seq)
	p.MaxSeq = max(p.MaxSeq, seq)
	if base.KindOf(ikey) == base.KindDelete {
		p.Deletions++
	}
	p.KeyBytes += uint64(len(ikey))
	p.ValueBytes += uint64(len(value))
	if w.data.estimate() >= w.opts.BlockSizeBytes {
		return w.finishDataBlock()
	}
	return nil
}

// EstimatedSize is the file size so far plus the open block.
func (w *Writer) EstimatedSize() uint64 {
	return w.offset + uint64(len(w.out)) + uint64(w.data.estimate())
}

// Entries is the number of entries added.
func (w *Writer) Entries() uint64 { return w.props.Entries }

func (w *Writer) finishDataBlock() error {
	if w.data.entries == 0 {
		return nil
	}
	h := w.writeBlock(w.data.finish())
	w.handleBuf = appendHandle(w.handleBuf[:0], h)
	w.index.add(w.data.lastKey, w.handleBuf)
	w.props.DataBlocks++
	w.data.reset()
	return w.maybeFlush()
}

// writeBlock appends a block and its CRC to the output.
func (w *Writer) writeBlock(b []byte) Handle {
	h := Handle{Offset: w.offset + uint64(len(w.out)), Length: uint64(len(b))}
	w.out = append(w.out, b...)
	w.out = binary.LittleEndian.AppendUint32(w.out, base.CRC(b))
	return h
}

func (w *Writer) maybeFlush() error {
	if len(w.out) < w.opts.WriteBufferBytes {
		return nil
	}
	return w.flush()
}

func (w *Writer) flush() error {
	n, err := w.f.Write(w.out)
	w.offset += uint64(n)
	if err != nil {
		w.err = fmt.Errorf("sstable: writing %s at offset %d: %w", w.name, w.offset, err)
		return w.err
	}
	w.out = w.out[:0]
	return nil
}

// Finish writes the filter, meta and index blocks and the footer, syncs the
// file if sync is set, and closes it. It returns the table's properties and
// size. The caller must still sync the directory for the file's name to be
// durable.
func (w *Writer) Finish(sync bool) (Props, uint64, error) {
	if w.err != nil {
		return Props{}, 0, w.err
	}
	if w.props.Entries == 0 {
		return Props{}, 0, fmt.Errorf("sstable: %s has no entries", w.name)
	}
	if err := w.finishDataBlock(); err != nil {
		return Props{}, 0, err
	}
	var ft footer
	ft.version = FormatVersion
	if w.opts.BloomBitsPerKey > 0 {
		fb, err := bloom.Build(nil, w.hashes, w.opts.BloomBitsPerKey)
		if err != nil {
			return Props{}, 0, err
		}
		ft.filter = w.writeBlock(fb)
	} else {
		ft.filter = Handle{Offset: w.offset + uint64(len(w.out))}
	}
	ft.meta = w.writeBlock(w.props.encode(nil))
	ft.index = w.writeBlock(w.index.finish())
	w.out = append(w.out, ft.encode()...)
	if err := w.flush(); err != nil {
		return Props{}, 0, err
	}
	if sync {
		if err := w.f.Sync(); err != nil {
			w.err = fmt.Errorf("sstable: syncing %s: %w", w.name, err)
			return Props{}, 0, w.err
		}
	}
	if err := w.f.Close(); err != nil {
		w.err = fmt.Errorf("sstable: closing %s: %w", w.name, err)
		return Props{}, 0, w.err
	}
	w.err = fmt.Errorf("sstable: %s is already finished", w.name)
	w.closed = true
	return w.props, w.offset, nil
}

// Abort closes the file without finishing it; the caller removes it.
func (w *Writer) Abort() {
	if w.err == nil {
		w.err = fmt.Errorf("sstable: %s was aborted", w.name)
	}
	if !w.closed {
		w.closed = true
		_ = w.f.Close()
	}
}
