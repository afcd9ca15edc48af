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
	// nodeOverhead is what SizeBytes counts for each entry besides its key
	// and value. It under-counts the index: an entry costs a 40-byte node
	// plus on average 4/3 links of 16 bytes (heights are geometric with
	// p = 1/4), about 61 bytes, so SizeBytes is about 23 bytes per entry
	// short (and ignores the slices' spare capacity);
	// TestNodeOverheadUnderestimatesTheLayout keeps these figures true.
	// The value is kept, not corrected, because it decides when the engine
	// rotates memtables and so where flushes fall: raising it to 61 changes
	// the shipped scenarios' simulation fingerprints. A fixed figure also
	// keeps flush points from moving whenever the layout changes.
	nodeOverhead = 32 + 6
)

type node struct {
	key   uint32 // offset of the internal key in keys
	klen  uint32 // internal key length
	value []byte // in the value arena
	tower uint32 // index of this node's level-0 link in links
}

// link is a forward pointer. It carries what a search needs to decide
// whether to follow it — the target's key prefix — and where the target's
// own links are, so a search step reads one link and not the node it
// points to (which it does only when prefixes tie). A node's links for
// every level are adjacent, so stepping down a level stays in the same
// cache line.
type link struct {
	// prefix is the target's user key's first 8 bytes, big-endian,
	// zero-padded: a search compares it first and reads the key only when
	// the prefixes tie, so most steps of a search touch no key memory.
	prefix uint64
	node   uint32 // the target; 0 means none
	tower  uint32 // the target's level-0 link in links
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
	// keys holds every internal key, back to back, apart from the values:
	// the keys a search compares (versions of one user key, when prefixes
	// tie) then share cache lines instead of each sitting in front of a
	// kilobyte of value.
	keys []byte
	// chunk is the current value arena chunk, appended to. It is never
	// nil (empty before the first chunk), so alloc(0) returns an empty
	// slice that is not nil and an empty value reads back as one.
	chunk []byte
	// chunks are the arena chunks of chunkBytes allocated so far, chunks[:used]
	// in use: Reset keeps them, so a recycled memtable allocates nothing.
	chunks  [][]byte
	used    int
	nodes   []node
	links   []link
	height  int
	rng     uint64
	bytes   int // key and value bytes stored
	scratch []byte
	prev    [maxHeight]uint32 // findGE with record: towers of the predecessors
}

// New returns an empty memtable.
func New() *Memtable {
	m := &Memtable{height: 1, rng: 0x9e3779b97f4a7c15, chunk: []byte{}}
	m.nodes = append(m.nodes, node{tower: 0})
	m.links = make([]link, maxHeight, 1024)
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
	end := nd.key + nd.klen
	return m.keys[nd.key:end:end]
}

func (m *Memtable) next(n uint32, level int) uint32 {
	return m.links[int(m.nodes[n].tower)+level].node
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
// record is set, the tower (links index) of the rightmost node before it on
// every level in m.prev.
func (m *Memtable) findGE(ikey []byte, record bool) uint32 {
	tower := uint32(0) // the head's
	sp := keyPrefix(base.UserKey(ikey))
	for level := m.height - 1; level >= 0; level-- {
		for {
			l := &m.links[int(tower)+level]
			if l.node == 0 || l.prefix > sp || (l.prefix == sp && base.CompareInternal(m.key(l.node), ikey) >= 0) {
				break
			}
			tower = l.tower
		}
		if record {
			m.prev[level] = tower
		}
	}
	return m.links[tower].node
}

// alloc returns n bytes of value arena; never nil, even for n == 0.
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
	koff := len(m.keys)
	m.keys = base.AppendInternalKey(m.keys, ukey, seq, kind)
	v := m.alloc(len(value))
	copy(v, value)

	m.findGE(m.keys[koff:], true)
	h := m.randomHeight()
	if h > m.height {
		for l := m.height; l < h; l++ {
			m.prev[l] = 0
		}
		m.height = h
	}
	n := uint32(len(m.nodes))
	tower := uint32(len(m.links))
	prefix := keyPrefix(ukey)
	m.nodes = append(m.nodes, node{key: uint32(koff), klen: uint32(klen), value: v, tower: tower})
	for l := 0; l < h; l++ {
		p := int(m.prev[l]) + l
		m.links = append(m.links, m.links[p])
		m.links[p] = link{prefix: prefix, node: n, tower: tower}
	}
	m.bytes += klen + len(value)
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
	m.keys = m.keys[:0]
	m.chunk = []byte{} // not the old chunk's [:0], which could pin an outsize chunk
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
	return m.nodes[n].value, base.KindOf(k), true
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
func (it *Iter) Value() []byte { return it.m.nodes[it.n].value }
