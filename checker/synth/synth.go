// Package synth generates synthetic histories, deterministically from a
// seed, for the checker's tests and benchmarks and for anyone who needs a
// realistic history without running the simulator.
//
// The generator runs an ideal store: one atomic register (or multi-value
// register) per key, each operation taking effect at a single instant
// strictly inside its [invoke, return] interval. Clients are closed loops
// with think time. So a generated history is linearizable under the matching
// model by construction, unless anomalies are injected on purpose
// (StaleReadFraction, LostWriteFraction).
package synth

import (
	"cmp"
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"

	"dynasim/history"
)

// Config describes a synthetic workload. Zero numeric fields take defaults.
type Config struct {
	// Seed fixes every draw.
	Seed uint64
	// Ops is how many operations to generate (before final reads).
	// Required, at most 10,000,000.
	Ops int
	// Keys is how many keys ("k0000"...), chosen uniformly. Default 100.
	Keys int
	// Clients is how many closed-loop clients. Default 32.
	Clients int
	// MultiValue selects multi-value register semantics (siblings); false
	// means a plain register.
	MultiValue bool
	// GetFraction and DeleteFraction split the mix; the rest are puts.
	// Defaults 0.5 and 0.05.
	GetFraction    float64
	DeleteFraction float64
	// BlindFraction is the fraction of puts and deletes that pass no
	// context; the others pass the values their client last read from that
	// key. Only meaningful with MultiValue. Default 0.2.
	BlindFraction float64
	// UnknownFraction of operations time out (outcome unknown); a timed-out
	// write takes effect with probability 1/2, possibly after the client gave
	// up. FailedFraction of operations fail without effect. Default 0.
	UnknownFraction float64
	FailedFraction  float64
	// StaleReadFraction of gets return the key's state from before its most
	// recent write instead of the current one: an injected anomaly. Default 0.
	StaleReadFraction float64
	// LostWriteFraction of ok puts are acknowledged but never take effect:
	// an injected lost write. Default 0.
	LostWriteFraction float64
	// LatencyMaxNs bounds the uniform delay from invoke to effect and from
	// effect to return. Default 2 ms.
	LatencyMaxNs int64
	// ThinkMaxNs bounds the uniform pause between a client's operations.
	// Default 1 ms.
	ThinkMaxNs int64
	// TimeoutNs is how long a client waits before an unknown outcome.
	// Default 5 ms.
	TimeoutNs int64
	// FinalReads appends, after a quiet gap, one final read per touched key
	// returning its final state.
	FinalReads bool
	// Replicas > 0 appends a final ReplicaState per key for nodes
	// 0..Replicas-1, all holding the final state.
	Replicas int
}

const maxOps = 10_000_000

func (c Config) withDefaults() Config {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Keys == 0 {
		c.Keys = 100
	}
	if c.Clients == 0 {
		c.Clients = 32
	}
	def(&c.GetFraction, 0.5)
	def(&c.DeleteFraction, 0.05)
	def(&c.BlindFraction, 0.2)
	if c.LatencyMaxNs == 0 {
		c.LatencyMaxNs = 2_000_000
	}
	if c.ThinkMaxNs == 0 {
		c.ThinkMaxNs = 1_000_000
	}
	if c.TimeoutNs == 0 {
		c.TimeoutNs = 5_000_000
	}
	return c
}

// Validate reports a knob out of range (after defaults are applied).
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Ops < 1 || c.Ops > maxOps:
		return fmt.Errorf("synth: Ops must be in [1, %d], got %d", maxOps, c.Ops)
	case c.Keys < 1 || c.Keys > 1_000_000:
		return fmt.Errorf("synth: Keys must be in [1, 1000000], got %d", c.Keys)
	case c.Clients < 1 || c.Clients > 100_000:
		return fmt.Errorf("synth: Clients must be in [1, 100000], got %d", c.Clients)
	case c.Replicas < 0 || c.Replicas > 100:
		return fmt.Errorf("synth: Replicas must be in [0, 100], got %d", c.Replicas)
	case c.LatencyMaxNs < 1 || c.ThinkMaxNs < 1 || c.TimeoutNs < 1:
		return fmt.Errorf("synth: LatencyMaxNs, ThinkMaxNs and TimeoutNs must be positive")
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"GetFraction", c.GetFraction}, {"DeleteFraction", c.DeleteFraction}, {"BlindFraction", c.BlindFraction},
		{"UnknownFraction", c.UnknownFraction}, {"FailedFraction", c.FailedFraction}, {"StaleReadFraction", c.StaleReadFraction},
		{"LostWriteFraction", c.LostWriteFraction}} {
		if !(f.v >= 0 && f.v <= 1) {
			return fmt.Errorf("synth: %s must be in [0, 1], got %v", f.name, f.v)
		}
	}
	if c.GetFraction+c.DeleteFraction > 1 {
		return fmt.Errorf("synth: GetFraction + DeleteFraction must be at most 1, got %v", c.GetFraction+c.DeleteFraction)
	}
	if c.UnknownFraction+c.FailedFraction > 1 {
		return fmt.Errorf("synth: UnknownFraction + FailedFraction must be at most 1, got %v", c.UnknownFraction+c.FailedFraction)
	}
	return nil
}

type eventKind uint8

const (
	invokeEvent eventKind = iota
	applyEvent
)

type event struct {
	at   int64
	seq  uint64 // insertion order breaks ties deterministically
	kind eventKind
	cl   int // invokeEvent
	op   int // applyEvent: index into gen.ops
}

type eventHeap []event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

type gen struct {
	cfg      Config
	rng      *rand.Rand
	events   eventHeap
	seq      uint64
	ops      []history.Op
	state    map[string][]string // current live values per key, sorted
	prev     map[string][]string // state before the key's latest write
	lastRead []map[string][]string
	values   int
	end      int64
}

// Generate returns the synthetic history cfg describes.
func Generate(cfg Config) (*history.History, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	g := &gen{
		cfg:      cfg,
		rng:      rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		state:    make(map[string][]string),
		prev:     make(map[string][]string),
		lastRead: make([]map[string][]string, cfg.Clients),
	}
	for c := range cfg.Clients {
		g.lastRead[c] = make(map[string][]string)
		g.push(event{at: g.uniform(cfg.ThinkMaxNs), kind: invokeEvent, cl: c})
	}
	for g.events.Len() > 0 {
		e := heap.Pop(&g.events).(event)
		g.end = max(g.end, e.at)
		if e.kind == applyEvent {
			g.apply(e.op)
		} else if len(g.ops) < cfg.Ops {
			g.invoke(e.cl, e.at)
		}
	}
	for i := range g.ops {
		g.end = max(g.end, g.ops[i].ReturnNs)
	}
	h := &history.History{}
	slices.SortStableFunc(g.ops, func(a, b history.Op) int { return cmp.Compare(a.InvokeNs, b.InvokeNs) })
	keys := make([]string, 0, len(g.state))
	for k := range g.state {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	at := g.end + cfg.TimeoutNs
	for i, k := range keys {
		if cfg.FinalReads {
			g.ops = append(g.ops, history.Op{Client: i % cfg.Clients, Kind: history.Get, Key: k,
				Values: slices.Clone(g.state[k]), InvokeNs: at + int64(2*i), ReturnNs: at + int64(2*i) + 1,
				Coordinator: 0, Outcome: history.OK, Final: true})
		}
		for n := range cfg.Replicas {
			h.Replicas = append(h.Replicas, history.ReplicaState{AtNs: at + int64(2*len(keys)), Key: k,
				Node: int32(n), ValueIDs: slices.Clone(g.state[k]), Tombstone: len(g.state[k]) == 0})
		}
	}
	for i := range g.ops {
		g.ops[i].ID = uint64(i) + 1
	}
	h.Ops = g.ops
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("synth: generated an invalid history (a bug): %w", err)
	}
	return h, nil
}

func (g *gen) push(e event) {
	e.seq = g.seq
	g.seq++
	heap.Push(&g.events, e)
}

// uniform draws from [1, n].
func (g *gen) uniform(n int64) int64 { return 1 + g.rng.Int64N(n) }

func (g *gen) invoke(cl int, at int64) {
	cfg := g.cfg
	key := fmt.Sprintf("k%04d", g.rng.IntN(cfg.Keys))
	if _, ok := g.state[key]; !ok {
		g.state[key] = nil // touched: gets a final read
	}
	op := history.Op{Client: cl, Key: key, InvokeNs: at, Coordinator: int32(g.rng.IntN(5)), Outcome: history.OK,
		Consistency: &history.Consistency{Level: "quorum", N: 3, W: 2, R: 2}}
	switch r := g.rng.Float64(); {
	case r < cfg.GetFraction:
		op.Kind = history.Get
	case r < cfg.GetFraction+cfg.DeleteFraction:
		op.Kind = history.Delete
	default:
		op.Kind = history.Put
		g.values++
		op.Value = fmt.Sprintf("v%d", g.values)
	}
	if op.Kind != history.Get && cfg.MultiValue && g.rng.Float64() >= cfg.BlindFraction {
		op.Context = slices.Clone(g.lastRead[cl][key])
	}
	effect := at + g.uniform(cfg.LatencyMaxNs)
	ret := effect + g.uniform(cfg.LatencyMaxNs)
	applies := true
	switch r := g.rng.Float64(); {
	case r < cfg.UnknownFraction:
		op.Outcome, op.Error = history.Unknown, "timeout"
		ret = at + cfg.TimeoutNs
		if op.Kind == history.Get {
			applies = false
		} else {
			// The write may land at any time until well after the client gave up.
			applies = g.rng.IntN(2) == 0
			effect = at + g.uniform(2*cfg.TimeoutNs)
		}
	case r < cfg.UnknownFraction+cfg.FailedFraction:
		op.Outcome, op.Error = history.Failed, "unavailable"
		applies = false
	}
	if op.Kind == history.Put && op.Outcome == history.OK && g.rng.Float64() < cfg.LostWriteFraction {
		applies = false
	}
	op.ReturnNs = ret
	g.ops = append(g.ops, op)
	if applies {
		g.push(event{at: effect, kind: applyEvent, op: len(g.ops) - 1})
	}
	g.push(event{at: ret + g.uniform(cfg.ThinkMaxNs), kind: invokeEvent, cl: cl})
}

func (g *gen) apply(i int) {
	op := &g.ops[i]
	cur := g.state[op.Key]
	switch op.Kind {
	case history.Get:
		seen := cur
		if g.rng.Float64() < g.cfg.StaleReadFraction {
			seen = g.prev[op.Key]
		}
		op.Values = slices.Clone(seen)
		g.lastRead[op.Client][op.Key] = op.Values
		return
	case history.Put:
		next := []string{op.Value}
		if g.cfg.MultiValue {
			next = append(without(cur, op.Context), op.Value)
		}
		g.set(op.Key, next)
	case history.Delete:
		var next []string
		if g.cfg.MultiValue {
			next = without(cur, op.Context)
		}
		g.set(op.Key, next)
	}
}

func (g *gen) set(key string, next []string) {
	slices.Sort(next)
	g.prev[key] = g.state[key]
	g.state[key] = next
}

func without(s, drop []string) []string {
	out := make([]string, 0, len(s)+1)
	for _, v := range s {
		if !slices.Contains(drop, v) {
			out = append(out, v)
		}
	}
	return out
}
