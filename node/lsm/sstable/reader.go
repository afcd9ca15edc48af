package sstable

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"dynasim/disk"
	"dynasim/node/lsm/base"
	"dynasim/node/lsm/bloom"
)

// ReadStats count what reads cost. The engine shares one among all its
// readers.
type ReadStats struct {
	BloomChecks         uint64 // filters consulted by point reads
	BloomNegatives      uint64 // ... that ruled the table out
	BloomTruePositives  uint64 // ... that said "maybe" and the key was there
	BloomFalsePositives uint64 // ... that said "maybe" and it was not
	BlocksRead          uint64 // data blocks read from disk
	BlockBytesRead      uint64
}

// Reader reads one table. It is not safe for concurrent use (the engine is
// single-threaded).
type Reader struct {
	f       disk.File
	name    string
	num     uint64
	size    int64
	dataEnd uint64
	props   Props
	filter  bloom.Filter
	hasFilt bool
	index   *index
	cache   *Cache
	stats   *ReadStats
	getData blockIter
}

// Open reads the footer, meta, index and filter blocks of table f (named
// name, with file number num). Data blocks are read later, through cache.
func Open(f disk.File, name string, num uint64, cache *Cache, stats *ReadStats) (*Reader, error) {
	size, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("sstable: size of %s: %w", name, err)
	}
	if size < FooterLen {
		return nil, base.Corruptf(name, 0, "file of %d bytes is shorter than a footer", size)
	}
	if size > MaxTableBytes {
		return nil, base.Corruptf(name, 0, "file of %d bytes is over the limit of %d", size, int64(MaxTableBytes))
	}
	r := &Reader{f: f, name: name, num: num, size: size, cache: cache, stats: stats}
	fb := make([]byte, FooterLen)
	if err := r.readAt(fb, size-FooterLen); err != nil {
		return nil, err
	}
	ft, bad := decodeFooter(fb)
	if bad != "" {
		return nil, base.Corruptf(name, size-FooterLen, "%s", bad)
	}
	metaEnd := uint64(size - FooterLen)
	// The blocks are laid out data, filter, meta, index, footer.
	if ft.index.Offset+ft.index.Length+blockTrailerLen != metaEnd ||
		ft.meta.Offset+ft.meta.Length+blockTrailerLen != ft.index.Offset ||
		ft.filter.Offset > ft.meta.Offset {
		return nil, base.Corruptf(name, size-FooterLen, "footer block handles are inconsistent with a %d-byte file", size)
	}
	r.dataEnd = ft.filter.Offset
	meta, err := r.readBlock(ft.meta)
	if err != nil {
		return nil, err
	}
	if r.props, err = decodeProps(meta); err != nil {
		return nil, base.Corruptf(name, int64(ft.meta.Offset), "%v", err)
	}
	ib, err := r.readBlock(ft.index)
	if err != nil {
		return nil, err
	}
	if r.index, err = decodeIndex(ib, r.dataEnd); err != nil {
		return nil, base.Corruptf(name, int64(ft.index.Offset), "index: %v", err)
	}
	if uint64(r.index.len()) != r.props.DataBlocks {
		return nil, base.Corruptf(name, int64(ft.index.Offset), "index has %d entries for %d data blocks", r.index.len(), r.props.DataBlocks)
	}
	if ft.filter.Length > 0 {
		if ft.filter.Offset+ft.filter.Length+blockTrailerLen != ft.meta.Offset {
			return nil, base.Corruptf(name, size-FooterLen, "filter handle is inconsistent")
		}
		fblock, err := r.readBlock(ft.filter)
		if err != nil {
			return nil, err
		}
		if r.filter, err = bloom.Decode(fblock); err != nil {
			return nil, base.Corruptf(name, int64(ft.filter.Offset), "filter: %v", err)
		}
		r.hasFilt = true
	}
	return r, nil
}

func (r *Reader) readAt(p []byte, off int64) error {
	n, err := r.f.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return base.Corruptf(r.name, off, "short read: %d of %d bytes", n, len(p))
	}
	return fmt.Errorf("sstable: reading %s at offset %d: %w", r.name, off, err)
}

// readBlock reads and checksums a block, bypassing the cache.
func (r *Reader) readBlock(h Handle) ([]byte, error) {
	if h.Length > MaxBlockBytes || h.Offset+h.Length+blockTrailerLen > uint64(r.size) {
		return nil, base.Corruptf(r.name, int64(h.Offset), "block of %d bytes does not fit the %d-byte file (limit %d)", h.Length, r.size, MaxBlockBytes)
	}
	buf := make([]byte, h.Length+blockTrailerLen)
	if err := r.readAt(buf, int64(h.Offset)); err != nil {
		return nil, err
	}
	return r.checkBlock(buf, h)
}

func (r *Reader) checkBlock(buf []byte, h Handle) ([]byte, error) {
	b := buf[:h.Length]
	want := uint32(buf[h.Length]) | uint32(buf[h.Length+1])<<8 | uint32(buf[h.Length+2])<<16 | uint32(buf[h.Length+3])<<24
	if base.CRC(b) != want {
		return nil, base.Corruptf(r.name, int64(h.Offset), "block checksum mismatch")
	}
	return b, nil
}

// dataBlock returns a data block's contents, from the cache or disk.
func (r *Reader) dataBlock(h Handle, fillCache bool) ([]byte, error) {
	if h.Offset+h.Length+blockTrailerLen > r.dataEnd || h.Length > MaxBlockBytes {
		return nil, base.Corruptf(r.name, int64(h.Offset), "data block handle (%d bytes) outside the data region", h.Length)
	}
	if r.cache != nil {
		if b, ok := r.cache.get(r.num, h.Offset); ok {
			return b, nil
		}
	}
	b, err := r.readBlock(h)
	if err != nil {
		return nil, err
	}
	r.stats.BlocksRead++
	r.stats.BlockBytesRead += h.Length
	if fillCache && r.cache != nil {
		r.cache.put(r.num, h.Offset, b)
	}
	return b, nil
}

// Props returns the table's properties.
func (r *Reader) Props() *Props { return &r.props }

// Name is the table's path.
func (r *Reader) Name() string { return r.name }

// FileNum is the table's file number.
func (r *Reader) FileNum() uint64 { return r.num }

// Size is the table file's size.
func (r *Reader) Size() int64 { return r.size }

// MayContain consults the Bloom filter without counting it in the stats;
// compaction uses it to decide whether an older table may hold a key.
func (r *Reader) MayContain(hash uint64) bool {
	return !r.hasFilt || r.filter.MayContain(hash)
}

// Get finds the entry for the user key ukey at or below the sequence in
// ikey (the search key for ukey). hash is bloom.Hash(ukey). The value is
// valid until the block leaves the cache and the caller copies it.
func (r *Reader) Get(ukey, ikey []byte, hash uint64) (value []byte, kind base.Kind, found bool, err error) {
	if r.hasFilt {
		r.stats.BloomChecks++
		if !r.filter.MayContain(hash) {
			r.stats.BloomNegatives++
			return nil, 0, false, nil
		}
	}
	i := r.index.search(ikey)
	if i == r.index.len() {
		r.miss()
		return nil, 0, false, nil
	}
	h := r.index.handle(i)
	b, err := r.dataBlock(h, true)
	if err != nil {
		return nil, 0, false, err
	}
	if err := r.getData.init(b); err != nil {
		return nil, 0, false, base.Corruptf(r.name, int64(h.Offset), "data block: %v", err)
	}
	if !r.getData.seekGE(ikey) {
		if r.getData.err != nil {
			return nil, 0, false, base.Corruptf(r.name, int64(h.Offset), "data block: %v", r.getData.err)
		}
		r.miss()
		return nil, 0, false, nil
	}
	k := r.getData.key
	if !bytes.Equal(base.UserKey(k), ukey) {
		r.miss()
		return nil, 0, false, nil
	}
	if r.hasFilt {
		r.stats.BloomTruePositives++
	}
	return r.getData.val, base.KindOf(k), true, nil
}

func (r *Reader) miss() {
	if r.hasFilt {
		r.stats.BloomFalsePositives++
	}
}

// Sync makes the table file durable (a table may be written without a
// sync and synced later, when it is about to be listed in a manifest).
func (r *Reader) Sync() error {
	if err := r.f.Sync(); err != nil {
		return fmt.Errorf("sstable: syncing %s: %w", r.name, err)
	}
	return nil
}

// Close closes the table file.
func (r *Reader) Close() error { return r.f.Close() }
