package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"slices"
	"time"

	"dynasim/disk"
	"dynasim/node/replica"
)

// logEngine is a test double for the storage engine: a map in memory and a
// checksummed append-only log on the node's disk, replayed at open (a torn
// tail is dropped) and compacted into a fresh log. It honours the Engine
// durability contract: a Put is durable once Sync returns.
type logEngine struct {
	fs   disk.FS
	dir  string
	f    disk.File
	m    map[string][]byte
	buf  []byte
	dead error
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func openLogEngine(fs disk.FS, dir string, _ func() time.Time) (replica.Engine, error) {
	if err := replica.EnsureDir(fs, dir); err != nil {
		return nil, err
	}
	e := &logEngine{fs: fs, dir: dir, m: map[string][]byte{}}
	if err := e.replay(dir + "/log"); err != nil {
		return nil, err
	}
	// Rewrite the live entries into a fresh log and install it atomically.
	tmp := dir + "/log.tmp"
	f, err := fs.Create(tmp)
	if err != nil {
		return nil, err
	}
	keys := slices.Sorted(maps.Keys(e.m))
	for _, k := range keys {
		e.buf = appendRecord(e.buf, []byte(k), e.m[k])
	}
	if _, err := f.Write(e.buf); err != nil {
		return nil, err
	}
	e.buf = e.buf[:0]
	if err := f.Sync(); err != nil {
		return nil, err
	}
	if err := fs.Rename(tmp, dir+"/log"); err != nil {
		return nil, err
	}
	d, err := fs.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return nil, err
	}
	e.f = f
	return e, nil
}

func appendRecord(b, k, v []byte) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	b = binary.AppendUvarint(b, uint64(len(k)))
	b = append(b, k...)
	b = append(b, v...)
	body := b[start+8:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(body)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(body, castagnoli))
	return b
}

func (e *logEngine) replay(name string) error {
	f, err := e.fs.Open(name)
	if errors.Is(err, disk.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return err
	}
	data := make([]byte, size)
	if _, err := f.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	for len(data) >= 8 {
		n := int(binary.LittleEndian.Uint32(data))
		if n > len(data)-8 || crc32.Checksum(data[8:8+n], castagnoli) != binary.LittleEndian.Uint32(data[4:]) {
			return nil // torn tail: everything synced before it is intact
		}
		body := data[8 : 8+n]
		kl, w := binary.Uvarint(body)
		if w <= 0 || int(kl) > len(body)-w {
			return fmt.Errorf("log engine: bad record in %s", name)
		}
		k := body[w : w+int(kl)]
		e.m[string(k)] = append([]byte(nil), body[w+int(kl):]...)
		data = data[8+n:]
	}
	return nil
}

func (e *logEngine) Get(key []byte) ([]byte, bool, error) {
	v, ok := e.m[string(key)]
	return v, ok, nil
}

func (e *logEngine) Put(key, value []byte) error {
	if e.dead != nil {
		return e.dead
	}
	e.m[string(key)] = append([]byte(nil), value...)
	e.buf = appendRecord(e.buf, key, value)
	return nil
}

func (e *logEngine) Sync() error {
	if e.dead != nil {
		return e.dead
	}
	if len(e.buf) > 0 {
		if _, err := e.f.Write(e.buf); err != nil {
			e.dead = err // the file's tail is now unknown
			return err
		}
		e.buf = e.buf[:0]
	}
	if err := e.f.Sync(); err != nil {
		e.dead = err
		return err
	}
	return nil
}

func (e *logEngine) Maintain(int64) (bool, error) { return false, nil }
func (e *logEngine) Close() error                 { return e.f.Close() }
