package lsm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"dynasim/disk"
	"dynasim/node/lsm/base"
	"dynasim/node/lsm/sstable"
)

// The manifest is a snapshot of the engine's durable state, rewritten whole
// and replaced atomically (write MANIFEST.tmp, sync it, rename it over
// MANIFEST, sync the directory) at every checkpoint (see checkpoint.go).
//
// Layout (little-endian): magic "DSMF", format version (uint32), next file
// number, flushed sequence, log number (uint64 each), table count (uint32),
// then per table: file number, size, entries, deletions, min and max
// sequence (uint64 each), smallest and largest internal key (uvarint length
// + bytes); then the CRC-32C of everything before it.
const (
	manifestMagic   = 0x464d5344 // "DSMF"
	manifestVersion = 1
)

// tableMeta is what the manifest records about a live table.
type tableMeta struct {
	num       uint64
	size      uint64
	entries   uint64
	deletions uint64
	minSeq    uint64
	maxSeq    uint64
	smallest  []byte // internal keys
	largest   []byte
}

func metaFromProps(num, size uint64, p *sstable.Props) tableMeta {
	return tableMeta{
		num: num, size: size, entries: p.Entries, deletions: p.Deletions,
		minSeq: p.MinSeq, maxSeq: p.MaxSeq,
		smallest: append([]byte(nil), p.Smallest...),
		largest:  append([]byte(nil), p.Largest...),
	}
}

// manifest is the decoded durable state.
type manifest struct {
	nextFileNum uint64
	// flushedSeq: every write with a sequence number <= flushedSeq is in a
	// table; the commit log from logNum on holds flushedSeq+1 onwards.
	flushedSeq uint64
	// logNum is the oldest log segment still needed.
	logNum uint64
	tables []tableMeta // newest first
}

func (m *manifest) encode() []byte {
	b := binary.LittleEndian.AppendUint32(nil, manifestMagic)
	b = binary.LittleEndian.AppendUint32(b, manifestVersion)
	b = binary.LittleEndian.AppendUint64(b, m.nextFileNum)
	b = binary.LittleEndian.AppendUint64(b, m.flushedSeq)
	b = binary.LittleEndian.AppendUint64(b, m.logNum)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.tables)))
	for _, t := range m.tables {
		for _, v := range []uint64{t.num, t.size, t.entries, t.deletions, t.minSeq, t.maxSeq} {
			b = binary.LittleEndian.AppendUint64(b, v)
		}
		b = binary.AppendUvarint(b, uint64(len(t.smallest)))
		b = append(b, t.smallest...)
		b = binary.AppendUvarint(b, uint64(len(t.largest)))
		b = append(b, t.largest...)
	}
	return binary.LittleEndian.AppendUint32(b, base.CRC(b))
}

// decodeManifest parses b, reporting damage as a CorruptionError naming
// file and the offset of the bad field.
func decodeManifest(b []byte, file string) (*manifest, error) {
	bad := func(off int, format string, args ...any) error {
		return base.Corruptf(file, int64(off), format, args...)
	}
	const fixed = 4 + 4 + 8 + 8 + 8 + 4
	if len(b) < fixed+4 {
		return nil, bad(0, "manifest of %d bytes is too short", len(b))
	}
	body := b[:len(b)-4]
	if binary.LittleEndian.Uint32(b[len(b)-4:]) != base.CRC(body) {
		return nil, bad(len(b)-4, "manifest checksum mismatch")
	}
	if binary.LittleEndian.Uint32(b[0:]) != manifestMagic {
		return nil, bad(0, "bad manifest magic number")
	}
	if v := binary.LittleEndian.Uint32(b[4:]); v != manifestVersion {
		return nil, bad(4, "manifest format version %d, want %d", v, manifestVersion)
	}
	m := &manifest{
		nextFileNum: binary.LittleEndian.Uint64(b[8:]),
		flushedSeq:  binary.LittleEndian.Uint64(b[16:]),
		logNum:      binary.LittleEndian.Uint64(b[24:]),
	}
	n := binary.LittleEndian.Uint32(b[32:])
	if n > HardMaxTables {
		return nil, bad(32, "%d tables is over the limit of %d", n, HardMaxTables)
	}
	if m.flushedSeq > base.MaxSeq {
		return nil, bad(16, "flushed sequence %d is out of range", m.flushedSeq)
	}
	off := fixed
	for i := uint32(0); i < n; i++ {
		var t tableMeta
		vals := []*uint64{&t.num, &t.size, &t.entries, &t.deletions, &t.minSeq, &t.maxSeq}
		if len(body)-off < 8*len(vals) {
			return nil, bad(off, "table %d is truncated", i)
		}
		for _, v := range vals {
			*v = binary.LittleEndian.Uint64(body[off:])
			off += 8
		}
		for _, k := range []*[]byte{&t.smallest, &t.largest} {
			l, w := binary.Uvarint(body[off:])
			if w <= 0 || l < base.TrailerLen || l > sstable.MaxKeyBytes || l > uint64(len(body)-off-w) {
				return nil, bad(off, "table %d has a malformed key length", i)
			}
			*k = append([]byte(nil), body[off+w:off+w+int(l)]...)
			off += w + int(l)
		}
		if t.num == 0 || t.num >= m.nextFileNum || t.minSeq > t.maxSeq || t.maxSeq > m.flushedSeq ||
			base.CompareInternal(t.smallest, t.largest) > 0 {
			return nil, bad(off, "table %d (file %d) has inconsistent metadata", i, t.num)
		}
		m.tables = append(m.tables, t)
	}
	if off != len(body) {
		return nil, bad(off, "%d trailing bytes", len(body)-off)
	}
	return m, nil
}

// readManifest reads and decodes the manifest file at p.
func readManifest(fs disk.FS, p string) (*manifest, error) {
	f, err := fs.Open(p)
	if err != nil {
		return nil, fmt.Errorf("lsm: opening %s: %w", p, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("lsm: size of %s: %w", p, err)
	}
	if size > MaxManifestBytes {
		return nil, base.Corruptf(p, 0, "manifest of %d bytes is over the limit of %d", size, MaxManifestBytes)
	}
	b := make([]byte, size)
	n, err := f.ReadAt(b, 0)
	if n < len(b) {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, base.Corruptf(p, int64(n), "short read")
		}
		return nil, fmt.Errorf("lsm: reading %s: %w", p, err)
	}
	return decodeManifest(b, p)
}

// writeManifest makes m the durable state: write a temporary file, sync
// it, rename it over the manifest, sync the directory.
func (d *DB) writeManifest(m *manifest) error {
	tmp, final := d.path(manifestTmpName), d.path(manifestName)
	f, err := d.fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("lsm: creating %s: %w", tmp, err)
	}
	b := m.encode()
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		_ = d.fs.Remove(tmp)
		return fmt.Errorf("lsm: writing %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		_ = d.fs.Remove(tmp)
		return fmt.Errorf("lsm: syncing %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		_ = d.fs.Remove(tmp)
		return fmt.Errorf("lsm: closing %s: %w", tmp, err)
	}
	if err := d.fs.Rename(tmp, final); err != nil {
		_ = d.fs.Remove(tmp)
		return fmt.Errorf("lsm: renaming %s: %w", tmp, err)
	}
	// From here the new manifest may be the durable one, so the caller must
	// treat it as installed; if the directory sync fails we cannot know
	// which manifest a crash would leave, so the engine stops (sticky error)
	// rather than delete files the new one might still need.
	if err := d.syncDir(); err != nil {
		d.fail(err)
		return err
	}
	d.stats.ManifestWrites++
	return nil
}
