package checker

import (
	"cmp"
	"math"
	"slices"
	"sort"

	"dynasim/history"
)

// runs is a set of small non-negative integers (put indices) as sorted,
// disjoint, non-adjacent closed intervals. A causal past is usually "almost
// everything before some point", which a handful of runs describes, so
// unions stay cheap where a bitset per write would cost O(puts²) memory.
type runs []run

type run struct{ lo, hi int32 }

func (s runs) contains(x int32) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i].hi >= x })
	return i < len(s) && s[i].lo <= x
}

// union returns a new set; neither input is modified.
func union(a, b runs) runs {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	out := make(runs, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var r run
		if j >= len(b) || (i < len(a) && a[i].lo <= b[j].lo) {
			r, i = a[i], i+1
		} else {
			r, j = b[j], j+1
		}
		if n := len(out); n > 0 && r.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, r.hi)
		} else {
			out = append(out, r)
		}
	}
	return out
}

func single(x int32) runs { return runs{{x, x}} }

// never is the effective return time of an operation with unknown outcome:
// it may take effect at any time after its invocation.
const never = math.MaxInt64

// effectiveReturn is the latest time op may have taken effect.
func effectiveReturn(o *history.Op) int64 {
	if o.Outcome == history.Unknown {
		return never
	}
	return o.ReturnNs
}

// byKey groups the operations of h by key (keys sorted), each group in
// invocation order.
func byKey(h *history.History) ([]string, map[string][]*history.Op) {
	groups := make(map[string][]*history.Op)
	for i := range h.Ops {
		o := &h.Ops[i]
		groups[o.Key] = append(groups[o.Key], o)
	}
	keys := make([]string, 0, len(groups))
	for k, ops := range groups {
		keys = append(keys, k)
		slices.SortStableFunc(ops, byInvoke)
	}
	slices.Sort(keys)
	return keys, groups
}

func byInvoke(a, b *history.Op) int {
	if c := cmp.Compare(a.InvokeNs, b.InvokeNs); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// keyCausality is the causal structure of one key's writes, for the
// MultiValue staleness measure. The causal past of a write is the set of
// puts whose values it superseded through its context, directly or
// transitively (its context held v, v's put's context held u, ...).
//
// Representation. Pasts are sets of "named" puts only — puts whose value
// some context names. An unnamed put is superseded by nothing, so a read
// reflects it only by returning it; leaving unnamed puts out of the index
// space keeps lost and never-applied values from punching permanent holes
// into every later past. Deleted values would punch the same holes (a
// tombstone is not a value, so nothing later has it in its past); so each
// put's stored past is augmented with the pasts of the possibly-applied
// deletes invoked before it. A read r reflects exactly
// Reach(S) ∪ Exc(r), where Exc(r) is the union of the pasts of the
// possibly-applied deletes invoked no later than r returned; those deletes
// include every one the augmentation adds (the puts behind S were invoked
// before r returned), so the augmentation changes no answer, only the
// number of runs.
type keyCausality struct {
	puts    []*history.Op    // every put, by invocation
	deletes []*history.Op    // every delete, by invocation
	writer  map[string]int32 // value ID -> position in puts
	idx     []int32          // per put: index among named puts, or -1
	named   int32            // how many named puts
	putPast []runs           // per put: augmented past
	delPast []runs           // per delete: past (augmented through its chain)
}

// newKeyCausality builds the causal structure of one key's operations,
// given in invocation order. Every put counts whatever its outcome: a value
// that shows up in a context took effect, whatever its client was told.
func newKeyCausality(ops []*history.Op) *keyCausality {
	puts := 0
	for _, o := range ops {
		if o.Kind == history.Put {
			puts++
		}
	}
	kc := &keyCausality{writer: make(map[string]int32, puts)}
	namedSet := make(map[string]bool, puts)
	for _, o := range ops {
		switch o.Kind {
		case history.Put:
			kc.writer[o.Value] = int32(len(kc.puts))
			kc.puts = append(kc.puts, o)
		case history.Delete:
			kc.deletes = append(kc.deletes, o)
		}
		for _, v := range o.Context {
			namedSet[v] = true
		}
	}
	kc.idx = make([]int32, len(kc.puts))
	for i, p := range kc.puts {
		kc.idx[i] = -1
		if namedSet[p.Value] {
			kc.idx[i] = kc.named
			kc.named++
		}
	}
	// A context only names values read before the write was invoked, written
	// by puts invoked earlier still; so in invocation order every past a
	// context refers to is already computed. (A context naming a later put
	// — impossible in a real run — contributes that put alone.)
	kc.putPast = make([]runs, len(kc.puts))
	kc.delPast = make([]runs, len(kc.deletes))
	var excused runs // pasts of the possibly-applied deletes so far
	nPut, nDel := 0, 0
	for _, o := range ops {
		switch o.Kind {
		case history.Put:
			kc.putPast[nPut] = union(kc.pastOf(o.Context, int32(nPut)), excused)
			nPut++
		case history.Delete:
			kc.delPast[nDel] = kc.pastOf(o.Context, int32(nPut))
			if o.Outcome != history.Failed {
				excused = union(excused, kc.delPast[nDel])
			}
			nDel++
		}
	}
	return kc
}

// pastOf is the past of a write with context ctx; only puts at positions
// below limit have their own pasts computed yet.
func (kc *keyCausality) pastOf(ctx []string, limit int32) runs {
	var past runs
	for _, v := range ctx {
		j, ok := kc.writer[v]
		if !ok {
			continue // a value of another key, or never written: no causal link here
		}
		past = union(past, single(kc.idx[j])) // named: a context names it
		if j < limit {
			past = union(past, kc.putPast[j])
		}
	}
	return past
}

// reflected is the set of named puts a read returning vals reflects: the
// returned values and (augmented) everything in their causal pasts.
func (kc *keyCausality) reflected(vals []string) runs {
	var r runs
	for _, v := range vals {
		j, ok := kc.writer[v]
		if !ok {
			continue
		}
		if kc.idx[j] >= 0 {
			r = union(r, single(kc.idx[j]))
		}
		r = union(r, kc.putPast[j])
	}
	return r
}

// supersedes reports exactly whether the value v is in the causal past of
// a write with context ctx, by walking the contexts back. It answers the
// rare question the augmented pasts cannot.
func (kc *keyCausality) supersedes(ctx []string, v string) bool {
	seen := make(map[string]bool)
	stack := slices.Clone(ctx)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x == v {
			return true
		}
		if seen[x] {
			continue
		}
		seen[x] = true
		if j, ok := kc.writer[x]; ok {
			stack = append(stack, kc.puts[j].Context...)
		}
	}
	return false
}

// fenwick counts marked put indices in ranges.
type fenwick []int32

func (f fenwick) add(i int32) {
	for i++; int(i) <= len(f); i += i & -i {
		f[i-1]++
	}
}

// prefix counts marks in [0, i).
func (f fenwick) prefix(i int32) int {
	n := 0
	for ; i > 0; i -= i & -i {
		n += int(f[i-1])
	}
	return n
}

// count counts marks in the closed range [lo, hi].
func (f fenwick) count(lo, hi int32) int { return f.prefix(hi+1) - f.prefix(lo) }
