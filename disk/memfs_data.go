package disk

import "sync"

// chunkSize is the unit MemFS stores file bytes in. Fixed-size chunks make an
// append one copy, however large the file, instead of the repeated
// regrow-and-copy of one growing slice.
const chunkSize = 64 << 10

// chunkPool recycles the full-size chunks of freed files. Freed chunks are
// only ever written before they are read (fileData tracks lengths), so reuse
// cannot leak one file's bytes into another, and the pool empties itself at
// GC, so it pins no memory.
var chunkPool = sync.Pool{New: func() any { return new([chunkSize]byte) }}

// fileData is a file's bytes: chunk i holds offsets [i*chunkSize,
// (i+1)*chunkSize), and every chunk but the last is full. The first chunk
// grows by doubling, so a small file uses little memory; later chunks are
// allocated whole.
type fileData struct {
	chunks [][]byte
	size   int64
}

func (d *fileData) append(p []byte) {
	d.size += int64(len(p))
	for len(p) > 0 {
		last := len(d.chunks) - 1
		if last < 0 || len(d.chunks[last]) == chunkSize {
			if last < 0 {
				d.chunks = append(d.chunks, make([]byte, 0, min(max(len(p), 256), chunkSize)))
			} else {
				d.chunks = append(d.chunks, chunkPool.Get().(*[chunkSize]byte)[:0])
			}
			last++
		}
		ch := d.chunks[last]
		n := min(len(p), chunkSize-len(ch))
		if len(ch)+n > cap(ch) { // only the first chunk: double it
			grown := make([]byte, len(ch), min(max(2*cap(ch), len(ch)+n), chunkSize))
			copy(grown, ch)
			ch = grown
		}
		d.chunks[last] = append(ch, p[:n]...)
		p = p[n:]
	}
}

// readAt copies bytes from off (< size) into p and returns how many.
func (d *fileData) readAt(p []byte, off int64) int {
	n := 0
	for n < len(p) && off < d.size {
		c := copy(p[n:], d.chunks[off/chunkSize][off%chunkSize:])
		n += c
		off += int64(c)
	}
	return n
}

// truncate cuts the data to size bytes (<= d.size).
func (d *fileData) truncate(size int64) {
	keep := int((size + chunkSize - 1) / chunkSize)
	d.release(keep)
	d.chunks = d.chunks[:keep]
	if keep > 0 {
		d.chunks[keep-1] = d.chunks[keep-1][:size-int64(keep-1)*chunkSize]
	}
	d.size = size
}

// at returns a pointer to the byte at off (< size).
func (d *fileData) at(off int64) *byte { return &d.chunks[off/chunkSize][off%chunkSize] }

// release returns the chunks from index from on to the pool. Only chunks
// after the first are pooled: they were allocated whole.
func (d *fileData) release(from int) {
	for i := max(from, 1); i < len(d.chunks); i++ {
		chunkPool.Put((*[chunkSize]byte)(d.chunks[i][:chunkSize]))
	}
	clear(d.chunks[from:])
}
