package merkle

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/cespare/xxhash/v2"
)

// Arc is the hash interval (Start, End], wrapping past 2^64-1 when End <
// Start; Start == End is the whole ring.
type Arc struct{ Start, End uint64 }

// Contains reports whether hash h lies in the arc.
func (a Arc) Contains(h uint64) bool {
	if a.Start == a.End {
		return true
	}
	return h-a.Start-1 < a.End-a.Start
}

// BucketOf is the bucket of hash h in an arc cut into buckets (a power of
// two); h must lie in the arc.
func BucketOf(a Arc, h uint64, buckets int) int {
	off := h - a.Start - 1
	if a.Start == a.End {
		return int(off >> (64 - Depth(buckets)) & uint64(buckets-1))
	}
	w := a.End - a.Start
	hi, lo := bits.Mul64(off, uint64(buckets))
	q, _ := bits.Div64(hi, lo, w) // hi < w: off < w and buckets < 2^64
	return int(q)
}

// firstOffset is the smallest offset (h - Start - 1) of bucket b:
// ceil(b · width / buckets).
func firstOffset(a Arc, b, buckets int) (off uint64, end bool) {
	d := Depth(buckets)
	if b >= buckets {
		return 0, true
	}
	if a.Start == a.End {
		return uint64(b) << (64 - d), false
	}
	hi, lo := bits.Mul64(uint64(b), a.End-a.Start)
	// (hi:lo) >> d, rounded up.
	q := lo>>d | hi<<(64-d)
	if d == 0 {
		q = lo
	}
	if lo&(1<<d-1) != 0 {
		q++
	}
	return q, false
}

// BucketArc is the hash interval bucket b of an arc covers; ok is false for
// a bucket too narrow to hold any hash (an arc narrower than its bucket
// count).
func BucketArc(a Arc, b, buckets int) (Arc, bool) {
	first, _ := firstOffset(a, b, buckets)
	next, end := firstOffset(a, b+1, buckets)
	if end {
		// The last bucket runs to the arc's end.
		return Arc{Start: a.Start + first, End: a.End}, a.Start+first != a.End || (a.Start == a.End && first == 0)
	}
	if next == first {
		return Arc{}, false
	}
	return Arc{Start: a.Start + first, End: a.Start + next}, true
}

// Tree is a built hash tree: levels 0 (the root) to Depth (the leaves),
// stored heap-like, node i of level l at index 2^l - 1 + i.
type Tree struct {
	depth int
	nodes []uint64
	keys  int
	bytes int64
}

// Depth is the leaves' level.
func (t *Tree) Depth() int { return t.depth }

// Buckets is the number of leaves.
func (t *Tree) Buckets() int { return 1 << t.depth }

// Root is the root hash (0 for an empty arc).
func (t *Tree) Root() uint64 { return t.nodes[0] }

// Hash is node i of level l; ok is false outside the tree.
func (t *Tree) Hash(level, i int) (uint64, bool) {
	if level < 0 || level > t.depth || i < 0 || i >= 1<<level {
		return 0, false
	}
	return t.nodes[1<<level-1+i], true
}

// Keys is the number of keys the tree covers; Bytes their key and set
// bytes (what copying the whole arc would send, before framing).
func (t *Tree) Keys() int { return t.keys }

// Bytes is the key and set bytes the tree covers.
func (t *Tree) Bytes() int64 { return t.bytes }

// Builder builds a tree from keys given in ascending bucket order.
type Builder struct {
	t      *Tree
	leaf   int // current bucket, -1 before the first key
	d      *xxhash.Digest
	buf    [binary.MaxVarintLen64]byte
	failed error
}

// NewBuilder starts a tree of buckets leaves (a power of two in [1,
// MaxBuckets]).
func NewBuilder(buckets int) (*Builder, error) {
	if err := CheckBuckets(buckets); err != nil {
		return nil, err
	}
	return &Builder{t: &Tree{depth: Depth(buckets), nodes: make([]uint64, 2*buckets-1)}, leaf: -1, d: xxhash.New()}, nil
}

func (b *Builder) closeLeaf() {
	if b.leaf >= 0 {
		b.t.nodes[len(b.t.nodes)/2+b.leaf] = b.d.Sum64()
	}
}

// Add covers one key and its encoded version set, in bucket. Buckets must
// not go down; a key that breaks the order fails the build (Finish reports
// it).
func (b *Builder) Add(bucket int, key, set []byte) {
	if b.failed != nil {
		return
	}
	if bucket < b.leaf || bucket >= b.t.Buckets() {
		b.failed = fmt.Errorf("merkle: key in bucket %d after bucket %d (of %d)", bucket, b.leaf, b.t.Buckets())
		return
	}
	if bucket != b.leaf {
		b.closeLeaf()
		b.leaf = bucket
		b.d.Reset()
	}
	b.write(key)
	b.write(set)
	b.t.keys++
	b.t.bytes += int64(len(key) + len(set))
}

func (b *Builder) write(p []byte) {
	n := binary.PutUvarint(b.buf[:], uint64(len(p)))
	_, _ = b.d.Write(b.buf[:n])
	_, _ = b.d.Write(p)
}

// Finish computes the inner nodes and returns the tree.
func (b *Builder) Finish() (*Tree, error) {
	if b.failed != nil {
		return nil, b.failed
	}
	b.closeLeaf()
	b.leaf = b.t.Buckets()
	t := b.t
	var pair [16]byte
	for i := len(t.nodes)/2 - 1; i >= 0; i-- {
		l, r := t.nodes[2*i+1], t.nodes[2*i+2]
		if l == 0 && r == 0 {
			continue
		}
		binary.LittleEndian.PutUint64(pair[:8], l)
		binary.LittleEndian.PutUint64(pair[8:], r)
		t.nodes[i] = xxhash.Sum64(pair[:])
	}
	return t, nil
}

// Diff compares two trees of the same shape top-down, as an exchange does
// across the network, and returns the differing leaves in ascending order
// and the number of node hashes compared. It is the reference the exchange
// is tested against.
func Diff(a, b *Tree) (buckets []int, compared int, err error) {
	if a.depth != b.depth {
		return nil, 0, fmt.Errorf("merkle: trees of depth %d and %d", a.depth, b.depth)
	}
	level := []int{0}
	for l := 0; l <= a.depth && len(level) > 0; l++ {
		var next []int
		for _, i := range level {
			compared++
			x, _ := a.Hash(l, i)
			y, _ := b.Hash(l, i)
			if x == y {
				continue
			}
			if l == a.depth {
				buckets = append(buckets, i)
			} else {
				next = append(next, 2*i, 2*i+1)
			}
		}
		level = next
	}
	return buckets, compared, nil
}
