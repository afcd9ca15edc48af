package memtable

import (
	"bytes"
	"encoding/binary"

	"dynasim/node/lsm/base"
)

const (
	maxHeight = 16
	// chunkBytes is the arena allocation unit; an entry larger than this
	// gets a chunk of its own.
	chunkBytes = 256 << 10
	// nodeOverhead is what each entry costs besides its key and value: the
	// node record and, on average, 4/3 forward pointers.
	nodeOverhead = 32 + 6
)

type node struct {
	// prefix is the user key's first 8 bytes, big-endian, zero-padded: a
	// search compares it first and reads the key from the arena only when
	// the prefixes tie, so most steps of a search touch no arena memory.
	prefix uint64
	kv     []byte // internal key then value, in the arena
	klen   uint32 // internal key length
	tower  uint32 // index of this node's level-0 pointer in links
}

// keyPrefix is the first 8 bytes of a user key as a big-endian number,
// zero-padded. For keys a and b, keyPrefix(a) < keyPrefix(b) implies
// a < b bytewise, and a < b implies keyPrefix(a) <= keyPrefix(b); equal
// prefixes decide nothing.
func keyPrefix(ukey []byte) uint64 {
	if len(ukey) >= 8 {
		return binary.BigEndian.Uint64(ukey)
	}
	var p uint64
	for i, c := range ukey {
		p |= uint64(c) << (56 - 8*i)
	}
	return p
}

// Memtable is a sorted set of internal keys with values.
type Memtable struct {
	chunk []byte // current arena chunk, appended to
	// chunks are the arena chunks of chunkBytes allocated so far, chunks[:used]
	// in use: Reset keeps them, so a recycled memtable allocates nothing.
	chunks  [][]byte
	used    int
	nodes   []node
	links   []uint32
	height  int
	rng     uint64
	bytes   int // key and value bytes stored
	scratch []byte
	prev    [maxHeight]uint32
}

// New returns an empty memtable.
func New() *Memtable {
	m := &Memtable{height: 1, rng: 0x9e3779b97f4a7c15}
	m.nodes = append(m.nodes, node{tower: 0})
	m.links = make([]uint32, maxHeight, 1024)
	return m
}

// Len is the number of entries.
func (m *Memtable) Len() int { return len(m.nodes) - 1 }

// SizeBytes estimates the memory the entries use, which is what the engine
// compares with its flush threshold.
func (m *Memtable) SizeBytes() int { return m.bytes + nodeOverhead*(len(m.nodes)-1) }

// Empty reports whether the memtable has no entries.
func (m *Memtable) Empty() bool { return len(m.nodes) == 1 }

func (m *Memtable) key(n uint32) []byte {
	nd := &m.nodes[n]
	return nd.kv[:nd.klen]
}

func (m *Memtable) next(n uint32, level int) uint32 {
	return m.links[int(m.nodes[n].tower)+level]
}

func (m *Memtable) randomHeight() int {
	x := m.rng
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	m.rng = x
	h := 1
	for h < maxHeight && x&3 == 0 {
		h++
		x >>= 2
	}
	return h
}

// findGE returns the first node whose key is >= ikey (0 if none) and, if
// record is set, the rightmost node before it on every level in m.prev.
func (m *Memtable) findGE(ikey []byte, record bool) uint32 {
	x := uint32(0)
	sp := keyPrefix(base.UserKey(ikey))
	for level := m.height - 1; level >= 0; level-- {
		for {
			nx := m.next(x, level)
			if nx == 0 {
				break
			}
			nd := &m.nodes[nx]
			if nd.prefix > sp || (nd.prefix == sp && base.CompareInternal(nd.kv[:nd.klen], ikey) >= 0) {
				break
			}
			x = nx
		}
		if record {
			m.prev[level] = x
		}
	}
	return m.next(x, 0)
}

// alloc returns n bytes of arena.
func (m *Memtable) alloc(n int) []byte {
	if len(m.chunk)+n > cap(m.chunk) {
		switch {
		case n > chunkBytes: // an outsize entry: a chunk of its own, not kept
			m.chunk = make([]byte, 0, n)
		case m.used < len(m.chunks):
			m.chunk = m.chunks[m.used][:0]
			m.used++
		default:
			m.chunk = make([]byte, 0, chunkBytes)
			m.chunks = append(m.chunks, m.chunk)
			m.used++
		}
	}
	start := len(m.chunk)
	m.chunk = m.chunk[:start+n]
	return m.chunk[start : start+n : start+n]
}

// Add inserts (ukey, seq, kind) -> value. The caller guarantees the internal
// key is new (sequence numbers are unique) and sizes are within the engine's
// limits.
func (m *Memtable) Add(ukey []byte, seq uint64, kind base.Kind, value []byte) {
	klen := len(ukey) + base.TrailerLen
	kv := m.alloc(klen + len(value))
	base.AppendInternalKey(kv[:0], ukey, seq, kind)
	copy(kv[klen:], value)

	m.findGE(kv[:klen], true)
	h := m.randomHeight()
	if h > m.height {
		for l := m.height; l < h; l++ {
			m.prev[l] = 0
		}
		m.height = h
	}
	n := uint32(len(m.nodes))
	tower := uint32(len(m.links))
	m.nodes = append(m.nodes, node{prefix: keyPrefix(ukey), kv: kv, klen: uint32(klen), tower: tower})
	for l := 0; l < h; l++ {
		p := int(m.nodes[m.prev[l]].tower) + l
		m.links = append(m.links, m.links[p])
		m.links[p] = n
	}
	m.bytes += len(kv)
}

// Reset empties the memtable for reuse, keeping its arena and index
// memory, so that an engine rotating memtables does not allocate (and the
// garbage collector does not reclaim) megabytes per flush. The caller
// guarantees that nothing reads the old entries any more: no iterator over
// the memtable is open, and no slice Get returned is still in use.
func (m *Memtable) Reset() {
	m.nodes = m.nodes[:1]
	clear(m.links[:maxHeight])
	m.links = m.links[:maxHeight]
	m.height = 1
	m.bytes = 0
	m.chunk = nil
	m.used = 0
}

// Get returns the newest entry for ukey with a sequence number <= seq.
func (m *Memtable) Get(ukey []byte, seq uint64) (value []byte, kind base.Kind, found bool) {
	m.scratch = base.SearchKey(m.scratch[:0], ukey, seq)
	n := m.findGE(m.scratch, false)
	if n == 0 {
		return nil, 0, false
	}
	k := m.key(n)
	if !bytes.Equal(base.UserKey(k), ukey) {
		return nil, 0, false
	}
	return m.nodes[n].kv[len(k):], base.KindOf(k), true
}

// Iter walks a memtable in internal-key order, hiding entries newer than its
// snapshot sequence.
type Iter struct {
	m    *Memtable
	n    uint32
	snap uint64
}

// NewIter returns an unpositioned iterator that shows entries with sequence
// numbers <= snap.
func (m *Memtable) NewIter(snap uint64) *Iter { return &Iter{m: m, snap: snap} }

func (it *Iter) skipInvisible() bool {
	for it.n != 0 && base.Seq(it.m.key(it.n)) > it.snap {
		it.n = it.m.next(it.n, 0)
	}
	return it.n != 0
}

// First moves to the first entry.
func (it *Iter) First() bool {
	it.n = it.m.next(0, 0)
	return it.skipInvisible()
}

// SeekGE moves to the first entry whose internal key is >= ikey.
func (it *Iter) SeekGE(ikey []byte) bool {
	it.n = it.m.findGE(ikey, false)
	return it.skipInvisible()
}

// Next moves to the next entry.
func (it *Iter) Next() bool {
	if it.n == 0 {
		return false
	}
	it.n = it.m.next(it.n, 0)
	return it.skipInvisible()
}

// Valid reports whether the iterator is at an entry.
func (it *Iter) Valid() bool { return it.n != 0 }

// Key is the current internal key.
func (it *Iter) Key() []byte { return it.m.key(it.n) }

// Value is the current value.
func (it *Iter) Value() []byte {
	nd := &it.m.nodes[it.n]
	return nd.kv[nd.klen:]
}
