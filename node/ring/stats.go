package ring

import (
	"math"
	"slices"

	"dynasim/wire"
)

// ringSpan is 2^64, the size of the hash space, as a float.
const ringSpan = 18446744073709551616.0

// span is the fraction of the ring in (prev, cur]. A lone token owns all of
// it, which the wrapping difference (0) cannot express.
func span(prev, cur uint64, single bool) float64 {
	if single {
		return 1
	}
	return float64(cur-prev) / ringSpan
}

// Range is a contiguous arc of the hash space, (Start, End] wrapping past
// 2^64-1 when End < Start, whose keys share one preference list.
type Range struct {
	Start, End uint64
	Fraction   float64 // of the whole hash space
	Replicas   []wire.Addr
}

// Ranges calls fn for each run of consecutive token ranges sharing one
// preference list, in ring order starting with the arc that wraps past zero
// (so the first and last runs may share a list); fn returns false to stop. rg.Replicas is reused between calls. Anti-entropy and
// range streaming iterate the data a member must hold this way.
func (r *Ring) Ranges(fn func(rg Range) bool) {
	n := len(r.tokens)
	var cur, next []wire.Addr
	var chosen bitset
	rg := Range{Start: r.tokens[n-1]}
	for i := range n {
		chosen = bitset{}
		next = r.walk(i, next[:0], &chosen, r.ids)
		if i > 0 && !slices.Equal(cur, next) {
			rg.Replicas = cur
			if !fn(rg) {
				return
			}
			rg = Range{Start: r.tokens[i-1]}
		}
		rg.End = r.tokens[i]
		rg.Fraction += span(r.tokens[(i+n-1)%n], r.tokens[i], n == 1)
		cur, next = next, cur
	}
	rg.Replicas = cur
	fn(rg)
}

// Share is one member's part of the hash space.
type Share struct {
	ID     wire.Addr
	Weight float64
	VNodes int
	// Primary is the fraction of keys whose first token clockwise is this
	// member's (the raw consistent-hashing share, independent of placement).
	Primary float64
	// Replica is the fraction of keys whose preference list includes this
	// member; over all members it sums to about Replicas().
	Replica float64
}

// Spread summarises shares per unit of weight across members: Mean, the
// population StdDev, CV = StdDev/Mean, Min and Max.
type Spread struct {
	Mean, StdDev, CV, Min, Max float64
}

// Ownership is the ring's balance report.
type Ownership struct {
	Members []Share // sorted by ID
	Primary Spread  // of Share.Primary / Weight
	Replica Spread  // of Share.Replica / Weight
}

// Ownership computes every member's exact share of the hash space.
func (r *Ring) Ownership() Ownership {
	n := len(r.tokens)
	o := Ownership{Members: make([]Share, len(r.members))}
	for i, m := range r.members {
		o.Members[i] = Share{ID: m.ID, Weight: m.Weight, VNodes: r.vnodes[i]}
	}
	var list []wire.Addr
	var chosen bitset
	for i := range n {
		f := span(r.tokens[(i+n-1)%n], r.tokens[i], n == 1)
		o.Members[r.owners[i]].Primary += f
		chosen = bitset{}
		list = r.walk(i, list[:0], &chosen, r.ids)
		for m := range r.members {
			if chosen.has(uint16(m)) {
				o.Members[m].Replica += f
			}
		}
	}
	o.Primary = spreadOf(o.Members, func(s Share) float64 { return s.Primary / s.Weight })
	o.Replica = spreadOf(o.Members, func(s Share) float64 { return s.Replica / s.Weight })
	return o
}

func spreadOf(shares []Share, f func(Share) float64) Spread {
	s := Spread{Min: math.Inf(1), Max: math.Inf(-1)}
	for _, sh := range shares {
		v := f(sh)
		s.Mean += v
		s.Min = min(s.Min, v)
		s.Max = max(s.Max, v)
	}
	s.Mean /= float64(len(shares))
	for _, sh := range shares {
		d := f(sh) - s.Mean
		s.StdDev += d * d
	}
	s.StdDev = math.Sqrt(s.StdDev / float64(len(shares)))
	if s.Mean > 0 {
		s.CV = s.StdDev / s.Mean
	}
	return s
}

// Movement is what changing from one ring to another costs, as fractions of
// the hash space (equivalently, of uniformly hashed keys).
type Movement struct {
	// PrimaryMoved: keys whose first replica (the list head) changed.
	PrimaryMoved float64
	// ListsChanged: keys whose replica set changed at all.
	ListsChanged float64
	// ReplicasMoved: replica slots that must be filled by a member that did
	// not hold the key, over all slots — the data to copy relative to the
	// data stored. A join of one member into M moves about 1/(M+1).
	ReplicasMoved float64
}

// MovementBetween compares the preference lists of two rings exactly: the
// union of their tokens cuts the hash space into arcs on which both rings'
// lists are constant, and each arc is weighed by its length.
func MovementBetween(from, to *Ring) Movement {
	bounds := make([]uint64, 0, len(from.tokens)+len(to.tokens))
	bounds = append(append(bounds, from.tokens...), to.tokens...)
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	var mv Movement
	var a, b []wire.Addr
	var ca, cb bitset
	n := len(bounds)
	for i, u := range bounds {
		f := span(bounds[(i+n-1)%n], u, n == 1)
		ca, cb = bitset{}, bitset{}
		a = from.walk(from.search(u), a[:0], &ca, from.ids)
		b = to.walk(to.search(u), b[:0], &cb, to.ids)
		if len(a) == 0 || len(b) == 0 || a[0] != b[0] {
			mv.PrimaryMoved += f
		}
		fresh := 0
		for _, x := range b {
			if !slices.Contains(a, x) {
				fresh++
			}
		}
		if fresh > 0 || len(a) != len(b) {
			mv.ListsChanged += f
		}
		if len(b) > 0 {
			mv.ReplicasMoved += f * float64(fresh) / float64(len(b))
		}
	}
	return mv
}
