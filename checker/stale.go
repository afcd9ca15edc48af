package checker

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"

	"dynasim/history"
)

// StalenessOptions configures Staleness. Zero fields take their defaults.
type StalenessOptions struct {
	// Model decides what "a read reflects a write" means (see Staleness).
	// Required.
	Model Model
	// TVisibilityMs are the thresholds of the t-visibility curve, ascending,
	// non-negative. Default 0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000,
	// 2000, 5000, 10000.
	TVisibilityMs []float64
	// MaxExamples bounds the stale reads listed. Default 20.
	MaxExamples int
}

var defaultTVisibilityMs = []float64{0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000}

const maxThresholds = 1000

func (o StalenessOptions) withDefaults() StalenessOptions {
	if o.TVisibilityMs == nil {
		o.TVisibilityMs = defaultTVisibilityMs
	}
	if o.MaxExamples == 0 {
		o.MaxExamples = defaultMaxExamples
	}
	return o
}

// Validate reports a knob out of range.
func (o StalenessOptions) Validate() error {
	o = o.withDefaults()
	if err := o.Model.Validate(); err != nil {
		return err
	}
	if len(o.TVisibilityMs) < 1 || len(o.TVisibilityMs) > maxThresholds {
		return fmt.Errorf("checker: StalenessOptions.TVisibilityMs must have 1 to %d thresholds, got %d", maxThresholds, len(o.TVisibilityMs))
	}
	for i, t := range o.TVisibilityMs {
		if !(t >= 0) || math.IsInf(t, 0) || (i > 0 && t <= o.TVisibilityMs[i-1]) {
			return fmt.Errorf("checker: StalenessOptions.TVisibilityMs must be finite, non-negative and strictly ascending, got %v", o.TVisibilityMs)
		}
	}
	return validateExamples("StalenessOptions", o.MaxExamples)
}

// StalenessResult measures how far behind the reads were.
type StalenessResult struct {
	// Reads is how many ok gets were measured (final reads excluded).
	Reads int `json:"reads"`
	// ReadsAfterWrite of them began after some write to their key was
	// acknowledged; Consistent of those reflected the newest such write.
	ReadsAfterWrite int `json:"reads_after_write"`
	Consistent      int `json:"consistent"`
	// Stale reads missed at least one acknowledged version (k >= 1);
	// StaleFraction = Stale / Reads (0 when there are no reads).
	Stale         int     `json:"stale"`
	StaleFraction float64 `json:"stale_fraction"`
	// TVisibility is the t-visibility curve, one point per threshold that
	// has reads at or beyond it.
	TVisibility []TVisibilityPoint `json:"t_visibility"`
	// KStaleness is the histogram of k over all measured reads, ascending k.
	KStaleness []KCount `json:"k_staleness"`
	MaxK       int      `json:"max_k"`
	MeanK      float64  `json:"mean_k"`
	// Examples are the first reads, by invocation time, that were stale or
	// inconsistent.
	Examples []StaleRead `json:"examples,omitempty"`
}

// TVisibilityPoint is P(consistent | t >= TMs), estimated from Reads reads.
type TVisibilityPoint struct {
	TMs         float64 `json:"t_ms"`
	PConsistent float64 `json:"p_consistent"`
	Reads       int     `json:"reads"`
}

// KCount is how many reads missed exactly K acknowledged versions.
type KCount struct {
	K     int `json:"k"`
	Reads int `json:"reads"`
}

// StaleRead is one read that missed acknowledged versions.
type StaleRead struct {
	OpID     uint64   `json:"op_id"`
	Key      string   `json:"key"`
	InvokeNs int64    `json:"invoke_ns"`
	Values   []string `json:"values"`
	K        int      `json:"k"`
	// TMs is the time since the newest acknowledged write completed, or -1
	// when no write was acknowledged before the read.
	TMs        float64 `json:"t_ms"`
	Consistent bool    `json:"consistent"`
}

// Staleness measures, for each ok get (final reads excluded), how stale it
// was, in the spirit of Probabilistically Bounded Staleness (Bailis et al.,
// VLDB 2012). "Before" means strictly before in real time: an operation
// ending at the same nanosecond another starts is concurrent with it.
//
// For a read r of key K invoked at T and returning values S at E:
//
//   - The newest acknowledged write wn is the ok put or delete of K whose
//     return is the latest one before T; t = T - wn.return. Reads with no
//     such write (nothing acknowledged yet) have no t.
//   - r reflects a put w when w's value is in S or is superseded by a value
//     in S; r is excused for w when a delete that might have taken effect
//     before r (not failed, invoked no later than E) superseded w.
//     MultiValue: "v supersedes w" means w is in the causal past of v's put
//     (its context, transitively); a delete supersedes what its context
//     names, transitively. Register: v supersedes w when v's put did not
//     return before w was invoked (it may be ordered after w); a delete
//     excuses w, only when S is empty, if it did not return before w was
//     invoked. Writes of unknown outcome count as returning never.
//   - k = how many ok puts of K returned before T that r neither reflects
//     nor is excused for: the acknowledged versions it missed.
//   - r is consistent when it reflects (or is excused for) wn; when wn is a
//     delete, when S holds no value wn superseded (MultiValue) or S is empty
//     or S's put may be ordered after wn (Register).
//
// The t-visibility curve is P(consistent | t >= τ) for each threshold τ:
// among reads that began at least τ after the newest acknowledged write to
// their key completed, the fraction that were consistent. Without failures
// it rises towards 1 as τ grows; how fast is what partial quorums trade.
// Stale reads are those with k >= 1.
func Staleness(h *history.History, opt StalenessOptions) (*StalenessResult, error) {
	return staleness(h, opt, false)
}

// staleness is Staleness; validated says h is known to be valid (Check validated it).
func staleness(h *history.History, opt StalenessOptions, validated bool) (*StalenessResult, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	if !validated {
		if err := h.Validate(); err != nil {
			return nil, fmt.Errorf("checker: %w", err)
		}
	}
	var samples []readSample
	keys, groups := byKey(h)
	for _, key := range keys {
		samples = append(samples, measureKey(groups[key], opt.Model)...)
	}
	return summarizeStaleness(samples, opt), nil
}

type readSample struct {
	op         *history.Op
	k          int
	hasT       bool
	tNs        int64
	consistent bool
}

// measureKey sweeps one key's reads in invocation order while marking, in a
// Fenwick tree, the ok puts acknowledged before each read.
func measureKey(ops []*history.Op, m Model) []readSample {
	kc := newKeyCausality(ops)
	var acked []*history.Op // ok puts and deletes by return time
	var reads []*history.Op
	for _, o := range ops {
		switch {
		case o.Kind == history.Get:
			if o.Outcome == history.OK && !o.Final {
				reads = append(reads, o)
			}
		case o.Outcome == history.OK:
			acked = append(acked, o)
		}
	}
	slices.SortStableFunc(acked, func(a, b *history.Op) int {
		if c := cmp.Compare(a.ReturnNs, b.ReturnNs); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	// Possibly-applied deletes by invocation, with the running union of
	// their pasts: excused[j] covers the first j.
	var deletes []*history.Op
	excused := []runs{nil}
	delPast := make(map[*history.Op]runs, len(kc.deletes))
	for i, d := range kc.deletes {
		delPast[d] = kc.delPast[i]
		if d.Outcome != history.Failed {
			deletes = append(deletes, d)
			if m == MultiValue {
				excused = append(excused, union(excused[len(excused)-1], kc.delPast[i]))
			}
		}
	}
	pos := make(map[*history.Op]int32, len(kc.puts))
	for i, p := range kc.puts {
		pos[p] = int32(i)
	}

	// MultiValue marks named puts by named index and counts unnamed ones;
	// Register marks every put by position.
	size := kc.named
	if m == Register {
		size = int32(len(kc.puts))
	}
	tree := make(fenwick, size)
	marked, unnamed := 0, 0
	var wn *history.Op
	next := 0
	samples := make([]readSample, 0, len(reads))
	for _, r := range reads {
		for next < len(acked) && acked[next].ReturnNs < r.InvokeNs {
			w := acked[next]
			if w.Kind == history.Put {
				switch i := pos[w]; {
				case m == Register:
					tree.add(i)
					marked++
				case kc.idx[i] >= 0:
					tree.add(kc.idx[i])
					marked++
				default:
					unnamed++
				}
			}
			wn = w
			next++
		}
		// Possibly-applied deletes invoked no later than the read returned.
		nDel := sort.Search(len(deletes), func(i int) bool { return deletes[i].InvokeNs > r.ReturnNs })
		s := readSample{op: r}
		if m == MultiValue {
			s.k, s.consistent = measureMultiValue(kc, r, wn, tree, marked, unnamed, excused[nDel], pos, delPast)
		} else {
			x := registerHorizon(kc, r, deletes[:nDel])
			// Missed: acknowledged puts invoked after the horizon.
			first := int32(sort.Search(len(kc.puts), func(i int) bool { return kc.puts[i].InvokeNs > x }))
			if first < int32(len(kc.puts)) {
				s.k = tree.count(first, int32(len(kc.puts))-1)
			}
			if wn != nil {
				if wn.Kind == history.Put || len(r.Values) > 0 {
					s.consistent = wn.InvokeNs <= x
				} else {
					s.consistent = true
				}
			}
		}
		if wn != nil {
			s.hasT, s.tNs = true, r.InvokeNs-wn.ReturnNs
		}
		samples = append(samples, s)
	}
	return samples
}

// measureMultiValue returns k and consistency of read r under MultiValue:
// marked named puts and unnamed acknowledged puts precede r; exc is the
// union of the pasts of the deletes that may precede r.
func measureMultiValue(kc *keyCausality, r, wn *history.Op, tree fenwick, marked, unnamed int, exc runs,
	pos map[*history.Op]int32, delPast map[*history.Op]runs) (int, bool) {
	refl := union(kc.reflected(r.Values), exc)
	covered := 0
	for _, x := range refl {
		covered += tree.count(x.lo, x.hi)
	}
	// An unnamed put is reflected only by being returned, once however
	// many times the read returns its value (a blindly retried put minted
	// twice keeps two siblings with one value).
	unnamedSeen := 0
	for i, v := range r.Values {
		if slices.Contains(r.Values[:i], v) {
			continue
		}
		if j, ok := kc.writer[v]; ok && kc.idx[j] < 0 {
			if p := kc.puts[j]; p.Outcome == history.OK && p.ReturnNs < r.InvokeNs {
				unnamedSeen++
			}
		}
	}
	k := marked - covered + unnamed - unnamedSeen
	switch {
	case wn == nil:
		return k, false
	case wn.Kind == history.Put:
		if i := kc.idx[pos[wn]]; i >= 0 {
			return k, refl.contains(i)
		}
		return k, slices.Contains(r.Values, wn.Value)
	default:
		// Consistent unless r returned a value wn superseded. The stored
		// past is augmented, so confirm a hit exactly.
		past := delPast[wn]
		for _, v := range r.Values {
			if j, ok := kc.writer[v]; ok && kc.idx[j] >= 0 && past.contains(kc.idx[j]) && kc.supersedes(wn.Context, v) {
				return k, false
			}
		}
		return k, true
	}
}

// registerHorizon is the register-model horizon X of a read: it reflects or
// is excused for exactly the puts invoked no later than X. With values, X is
// the latest effective return of their puts (a put not returned before w was
// invoked may be ordered after w); with none, the latest effective return of
// the possibly-applied deletes that may precede the read; -1 if nothing.
func registerHorizon(kc *keyCausality, r *history.Op, deletes []*history.Op) int64 {
	x := int64(-1)
	if len(r.Values) > 0 {
		for _, v := range r.Values {
			if j, ok := kc.writer[v]; ok {
				x = max(x, effectiveReturn(kc.puts[j]))
			}
		}
		return x
	}
	for _, d := range deletes {
		x = max(x, effectiveReturn(d))
	}
	return x
}

func summarizeStaleness(samples []readSample, opt StalenessOptions) *StalenessResult {
	res := &StalenessResult{Reads: len(samples), TVisibility: []TVisibilityPoint{}, KStaleness: []KCount{}}
	hist := make(map[int]int)
	sumK := 0
	var timed []readSample
	var bad []readSample
	for _, s := range samples {
		hist[s.k]++
		sumK += s.k
		res.MaxK = max(res.MaxK, s.k)
		if s.k > 0 {
			res.Stale++
		}
		if s.hasT {
			res.ReadsAfterWrite++
			if s.consistent {
				res.Consistent++
			}
			timed = append(timed, s)
		}
		if s.k > 0 || (s.hasT && !s.consistent) {
			bad = append(bad, s)
		}
	}
	if res.Reads > 0 {
		res.StaleFraction = float64(res.Stale) / float64(res.Reads)
		res.MeanK = float64(sumK) / float64(res.Reads)
	}
	for k := 0; k <= res.MaxK; k++ {
		if n := hist[k]; n > 0 {
			res.KStaleness = append(res.KStaleness, KCount{K: k, Reads: n})
		}
	}
	// t-visibility: suffix counts over reads sorted by t.
	slices.SortFunc(timed, func(a, b readSample) int { return cmp.Compare(a.tNs, b.tNs) })
	consistentFrom := make([]int, len(timed)+1) // consistent reads among timed[i:]
	for i := len(timed) - 1; i >= 0; i-- {
		consistentFrom[i] = consistentFrom[i+1]
		if timed[i].consistent {
			consistentFrom[i]++
		}
	}
	for _, tau := range opt.TVisibilityMs {
		i := sort.Search(len(timed), func(i int) bool { return nsToMs(timed[i].tNs) >= tau })
		if n := len(timed) - i; n > 0 {
			res.TVisibility = append(res.TVisibility, TVisibilityPoint{TMs: tau, PConsistent: float64(consistentFrom[i]) / float64(n), Reads: n})
		}
	}
	slices.SortFunc(bad, func(a, b readSample) int { return byInvoke(a.op, b.op) })
	for _, s := range bad[:min(len(bad), opt.MaxExamples)] {
		tms := -1.0
		if s.hasT {
			tms = nsToMs(s.tNs)
		}
		res.Examples = append(res.Examples, StaleRead{OpID: s.op.ID, Key: s.op.Key, InvokeNs: s.op.InvokeNs,
			Values: slices.Clone(s.op.Values), K: s.k, TMs: tms, Consistent: s.consistent})
	}
	return res
}

func nsToMs(ns int64) float64 { return float64(ns) / 1e6 }
