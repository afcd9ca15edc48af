package disk

// chunkSize is the unit MemFS stores file bytes in. Fixed-size chunks make an
// append one copy, however large the file, instead of the repeated
// regrow-and-copy of one growing slice.
const chunkSize = 64 << 10

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
			c := chunkSize
			if last < 0 {
				c = min(max(len(p), 256), chunkSize)
			}
			d.chunks = append(d.chunks, make([]byte, 0, c))
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
	clear(d.chunks[keep:]) // let the dropped chunks be collected
	d.chunks = d.chunks[:keep]
	if keep > 0 {
		d.chunks[keep-1] = d.chunks[keep-1][:size-int64(keep-1)*chunkSize]
	}
	d.size = size
}

// at returns a pointer to the byte at off (< size).
func (d *fileData) at(off int64) *byte { return &d.chunks[off/chunkSize][off%chunkSize] }
