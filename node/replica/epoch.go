package replica

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"

	"dynasim/disk"
)

// Epoch file: "<dir>/EPOCH", 12 bytes:
//
//	[0:4)  magic "DSEP"
//	[4:8)  epoch, uint32 little-endian
//	[8:12) CRC-32C of bytes [0:8), little-endian
//
// It is replaced atomically: the new value is written to EPOCH.tmp, synced,
// renamed over EPOCH, and the directory synced. A crash leaves either the
// old or the new file whole.
const (
	epochFile    = "EPOCH"
	epochTmpFile = "EPOCH.tmp"
	epochMagic   = "DSEP"
	epochLen     = 12
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrEpochExhausted is returned when the epoch counter would wrap.
var ErrEpochExhausted = errors.New("replica: epoch counter exhausted")

// NextEpoch reads the epoch stored in dir (0 when there is none), stores
// epoch+1 durably and returns it. The first start of a fresh node gets
// epoch 1. A damaged epoch file is an error: the node must not guess its
// epoch, or it could reuse version counters.
func NextEpoch(fs disk.FS, dir string) (uint32, error) { return NextEpochAfter(fs, dir, 0) }

// NextEpochAfter is NextEpoch with a floor: the epoch returned is above
// both the stored one and floor. A node whose disk was replaced by an
// empty one (a wipe) has lost its epoch file; whoever knows the last epoch
// it used (the operator, or the harness) passes it as the floor so that
// the node never mints versions under an actor it used before.
func NextEpochAfter(fs disk.FS, dir string, floor uint32) (uint32, error) {
	if err := EnsureDir(fs, dir); err != nil {
		return 0, err
	}
	cur, err := readEpoch(fs, dir+"/"+epochFile)
	if err != nil {
		return 0, err
	}
	cur = max(cur, floor)
	if cur == math.MaxUint32 {
		return 0, ErrEpochExhausted
	}
	next := cur + 1
	if err := writeEpoch(fs, dir, next); err != nil {
		return 0, err
	}
	return next, nil
}

func readEpoch(fs disk.FS, name string) (uint32, error) {
	f, err := fs.Open(name)
	if errors.Is(err, disk.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("replica: open %s: %w", name, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return 0, fmt.Errorf("replica: size of %s: %w", name, err)
	}
	if size != epochLen {
		return 0, fmt.Errorf("replica: %s is %d bytes, want %d", name, size, epochLen)
	}
	var b [epochLen]byte
	if _, err := f.ReadAt(b[:], 0); err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("replica: read %s: %w", name, err)
	}
	if string(b[:4]) != epochMagic {
		return 0, fmt.Errorf("replica: %s has bad magic %q", name, b[:4])
	}
	if got, want := crc32.Checksum(b[:8], castagnoli), binary.LittleEndian.Uint32(b[8:]); got != want {
		return 0, fmt.Errorf("replica: %s checksum mismatch: computed %08x, file says %08x", name, got, want)
	}
	return binary.LittleEndian.Uint32(b[4:8]), nil
}

func writeEpoch(fs disk.FS, dir string, epoch uint32) error {
	var b [epochLen]byte
	copy(b[:4], epochMagic)
	binary.LittleEndian.PutUint32(b[4:8], epoch)
	binary.LittleEndian.PutUint32(b[8:], crc32.Checksum(b[:8], castagnoli))
	tmp := dir + "/" + epochTmpFile
	f, err := fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("replica: create %s: %w", tmp, err)
	}
	if _, err := f.Write(b[:]); err != nil {
		f.Close()
		return fmt.Errorf("replica: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("replica: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("replica: close %s: %w", tmp, err)
	}
	if err := fs.Rename(tmp, dir+"/"+epochFile); err != nil {
		return fmt.Errorf("replica: install %s: %w", epochFile, err)
	}
	return syncDir(fs, dir)
}

// EnsureDir creates dir and its parents and makes their entries durable:
// every directory on the path, from the root down, is synced, so a crash
// cannot make dir (and what is later synced inside it) disappear.
func EnsureDir(fs disk.FS, dir string) error {
	dir = disk.CleanPath(dir)
	if err := fs.MkdirAll(dir); err != nil {
		return fmt.Errorf("replica: create dir %s: %w", dir, err)
	}
	parent := "."
	for rest := dir; rest != "." && rest != ""; {
		if err := syncDir(fs, parent); err != nil {
			return err
		}
		elem, tail, more := strings.Cut(rest, "/")
		if parent == "." {
			parent = elem
		} else {
			parent += "/" + elem
		}
		if !more {
			break
		}
		rest = tail
	}
	return nil
}

func syncDir(fs disk.FS, dir string) error {
	d, err := fs.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("replica: open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("replica: sync dir %s: %w", dir, err)
	}
	return nil
}
