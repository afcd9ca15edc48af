package merkle

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

type kv struct {
	h   uint64
	key string
	set string
}

// build builds a tree over the records of arc a, sorted as the engine
// would iterate them (by arc offset, then key).
func build(t *testing.T, a Arc, buckets int, recs []kv) *Tree {
	t.Helper()
	in := slices.Clone(recs)
	sort.Slice(in, func(i, j int) bool {
		oi, oj := in[i].h-a.Start-1, in[j].h-a.Start-1
		if oi != oj {
			return oi < oj
		}
		return in[i].key < in[j].key
	})
	b, err := NewBuilder(buckets)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range in {
		if !a.Contains(r.h) {
			t.Fatalf("record %x outside arc %+v", r.h, a)
		}
		b.Add(BucketOf(a, r.h, buckets), []byte(r.key), []byte(r.set))
	}
	tr, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func randomRecs(rng *rand.Rand, a Arc, n int) []kv {
	out := make([]kv, 0, n)
	for i := range n {
		h := rng.Uint64()
		if a.Start != a.End {
			h = a.Start + 1 + rng.Uint64N(a.End-a.Start)
		}
		out = append(out, kv{h: h, key: fmt.Sprintf("k%06d", i), set: fmt.Sprintf("v%d-%d", i, rng.IntN(1000))})
	}
	return out
}

// TestDiffFindsExactlyTheChangedBuckets: two replicas of an arc with k
// records changed, added or missing differ in exactly the buckets of those
// records, and a top-down descent finds them.
func TestDiffFindsExactlyTheChangedBuckets(t *testing.T) {
	arcs := []Arc{{0, 0}, {100, 1 << 40}, {math.MaxUint64 - 1<<50, 1 << 50}, {5, 5 + 1<<20}}
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		a := arcs[seed%uint64(len(arcs))]
		buckets := 1 << rng.IntN(11)
		recs := randomRecs(rng, a, 1+rng.IntN(2000))
		other := slices.Clone(recs)
		k := rng.IntN(6)
		want := map[int]bool{}
		for range k {
			i := rng.IntN(len(other))
			switch rng.IntN(3) {
			case 0:
				want[BucketOf(a, other[i].h, buckets)] = true
				other[i].set += "x"
			case 1:
				want[BucketOf(a, other[i].h, buckets)] = true
				other = append(other[:i], other[i+1:]...)
			default:
				extra := randomRecs(rng, a, 1)[0]
				extra.key = fmt.Sprintf("new%d", rng.Int())
				want[BucketOf(a, extra.h, buckets)] = true
				other = append(other, extra)
			}
		}
		ta, tb := build(t, a, buckets, recs), build(t, a, buckets, other)
		got, compared, err := Diff(ta, tb)
		if err != nil {
			t.Fatal(err)
		}
		var wantList []int
		for b := range want {
			wantList = append(wantList, b)
		}
		slices.Sort(wantList)
		if !slices.Equal(got, wantList) {
			t.Fatalf("seed %d (%d buckets, %d changes): differing buckets %v, want %v", seed, buckets, k, got, wantList)
		}
		if (k == 0) != (ta.Root() == tb.Root()) {
			t.Fatalf("seed %d: roots equal=%v with %d changes", seed, ta.Root() == tb.Root(), k)
		}
		// The descent compares at most 1 + 2·depth hashes per difference.
		if max := 1 + 2*ta.Depth()*len(got); compared > max {
			t.Fatalf("seed %d: compared %d hashes for %d differences, over %d", seed, compared, len(got), max)
		}
	}
}

func TestEmptyVersusFull(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a := Arc{0, 0}
	recs := randomRecs(rng, a, 500)
	empty, full := build(t, a, 16, nil), build(t, a, 16, recs)
	if empty.Root() != 0 || empty.Keys() != 0 || empty.Bytes() != 0 {
		t.Fatalf("empty tree: root %x, %d keys, %d bytes", empty.Root(), empty.Keys(), empty.Bytes())
	}
	got, _, _ := Diff(empty, full)
	if len(got) != 16 { // 500 random keys fill all 16 buckets
		t.Fatalf("empty vs full: %d differing buckets, want 16", len(got))
	}
	var bytes int64
	for _, r := range recs {
		bytes += int64(len(r.key) + len(r.set))
	}
	if full.Keys() != 500 || full.Bytes() != bytes {
		t.Fatalf("full tree: %d keys, %d bytes; want 500, %d", full.Keys(), full.Bytes(), bytes)
	}
}

// TestBucketsByHand checks the bucket arithmetic against a hand
// calculation: the arc (100, 200] is 100 hashes wide; in 4 buckets of
// width 25 hash 101 (offset 0) is bucket 0, 125 (offset 24) bucket 0, 126
// bucket 1, 200 (offset 99) bucket 3; bucket 1 covers (125, 150].
func TestBucketsByHand(t *testing.T) {
	a := Arc{100, 200}
	for h, want := range map[uint64]int{101: 0, 125: 0, 126: 1, 150: 1, 151: 2, 176: 3, 200: 3} {
		if got := BucketOf(a, h, 4); got != want {
			t.Errorf("BucketOf(%d) = %d, want %d", h, got, want)
		}
	}
	if got, ok := BucketArc(a, 1, 4); !ok || got != (Arc{125, 150}) {
		t.Errorf("BucketArc(1) = %+v %v, want (125, 150]", got, ok)
	}
	if got, ok := BucketArc(a, 3, 4); !ok || got != (Arc{175, 200}) {
		t.Errorf("BucketArc(3) = %+v %v, want (175, 200]", got, ok)
	}
	// Whole ring in 2: the top bit.
	if BucketOf(Arc{0, 0}, 1<<63, 2) != 0 || BucketOf(Arc{0, 0}, 1<<63+1, 2) != 1 || BucketOf(Arc{0, 0}, 0, 2) != 1 {
		t.Error("whole-ring buckets")
	}
	// An arc of 3 hashes in 8 buckets leaves empty buckets.
	n := 0
	for b := range 8 {
		if _, ok := BucketArc(Arc{10, 13}, b, 8); ok {
			n++
		}
	}
	if n != 3 {
		t.Errorf("arc of 3 hashes: %d non-empty buckets, want 3", n)
	}
	// A tree of 4 hand-placed keys: bytes are key plus set bytes.
	b, _ := NewBuilder(4)
	b.Add(0, []byte("a"), []byte("xx"))
	b.Add(2, []byte("bb"), []byte("y"))
	tr, _ := b.Finish()
	if tr.Bytes() != 6 || tr.Keys() != 2 {
		t.Errorf("tree bytes %d keys %d, want 6, 2", tr.Bytes(), tr.Keys())
	}
	if h, _ := tr.Hash(2, 1); h != 0 {
		t.Error("empty leaf hashes to non-zero")
	}
	if h, _ := tr.Hash(1, 1); h == 0 {
		t.Error("non-empty subtree hashes to zero")
	}
}

// TestBucketArcMatchesBucketOf: every hash of a bucket's arc maps to that
// bucket, and the bucket arcs tile the arc.
func TestBucketArcMatchesBucketOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		a := Arc{rng.Uint64(), rng.Uint64()}
		if rng.IntN(5) == 0 {
			a.End = a.Start + uint64(rng.IntN(20)) + 1
		}
		if rng.IntN(10) == 0 {
			a.End = a.Start
		}
		buckets := 1 << rng.IntN(10)
		prev := a.Start
		for b := range buckets {
			ba, ok := BucketArc(a, b, buckets)
			if !ok {
				continue
			}
			if ba.Start != prev {
				t.Fatalf("arc %+v/%d: bucket %d starts at %d, previous ended at %d", a, buckets, b, ba.Start, prev)
			}
			prev = ba.End
			for _, h := range []uint64{ba.Start + 1, ba.End} {
				if got := BucketOf(a, h, buckets); got != b {
					t.Fatalf("arc %+v/%d: hash %d of bucket %d's arc %+v maps to %d", a, buckets, h, b, ba, got)
				}
			}
		}
		if prev != a.End {
			t.Fatalf("arc %+v/%d: buckets end at %d", a, buckets, prev)
		}
	}
}

func TestBuilderRefusesDisorderAndBadShapes(t *testing.T) {
	for _, n := range []int{0, 3, -1, MaxBuckets * 2} {
		if _, err := NewBuilder(n); err == nil {
			t.Errorf("NewBuilder(%d) accepted", n)
		}
	}
	b, _ := NewBuilder(4)
	b.Add(2, []byte("a"), nil)
	b.Add(1, []byte("b"), nil)
	if _, err := b.Finish(); err == nil {
		t.Error("out-of-order keys accepted")
	}
	b, _ = NewBuilder(4)
	b.Add(4, []byte("a"), nil)
	if _, err := b.Finish(); err == nil {
		t.Error("bucket out of range accepted")
	}
	if (Config{}).Validate() != nil || (Config{Buckets: 6}).Validate() == nil {
		t.Error("Config.Validate")
	}
}

func BenchmarkBuild(b *testing.B) {
	key, set := make([]byte, 16), make([]byte, 120)
	for b.Loop() {
		bl, _ := NewBuilder(64)
		for i := range 10000 {
			bl.Add(i*64/10000, key, set)
		}
		_, _ = bl.Finish()
	}
}
