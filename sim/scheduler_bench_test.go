package sim

import (
	"fmt"
	"testing"

	"dynasim/internal/dist"
	"dynasim/node"
	"dynasim/sim/network"
	"dynasim/wire"
)

// The scheduler kernel against a bare hand-written binary-heap event loop,
// both running the same trivial workload: a steady population of pending
// events, each of which, when handled, schedules one more at a pseudo-random
// later time. events/s is the figure to compare; the kernel should reach at
// least half the bare loop's rate.

const benchPopulation = 1024

// xorshift is a tiny generator so the benchmark measures the queues, not
// the random numbers.
type xorshift uint64

func (x *xorshift) next() uint64 {
	*x ^= *x << 13
	*x ^= *x >> 7
	*x ^= *x << 17
	return uint64(*x)
}

type bareEvent struct {
	at      int64
	seq     uint64
	payload int32
}

// bareHeap is the baseline: a binary heap of events, inline, no slab, no
// dispatch, no fingerprint.
type bareHeap []bareEvent

func (h bareHeap) less(i, j int) bool {
	return h[i].at < h[j].at || (h[i].at == h[j].at && h[i].seq < h[j].seq)
}

func (h *bareHeap) push(e bareEvent) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *bareHeap) pop() bareEvent {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

func BenchmarkScheduler(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		h := make(bareHeap, 0, benchPopulation+1)
		rng := xorshift(88172645463325252)
		var seq uint64
		for i := 0; i < benchPopulation; i++ {
			seq++
			h.push(bareEvent{at: int64(rng.next() % 1000), seq: seq, payload: int32(i)})
		}
		var sink int32
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			e := h.pop()
			sink += e.payload
			seq++
			h.push(bareEvent{at: e.at + 1 + int64(rng.next()%1000), seq: seq, payload: e.payload})
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		_ = sink
	})
	b.Run("kernel", func(b *testing.B) {
		// The real event type the world schedules, and Run's dispatch through
		// a handler function, plus the fingerprint every delivered event
		// feeds.
		var s Scheduler[event]
		var fp Fingerprint
		rng := xorshift(88172645463325252)
		for i := 0; i < benchPopulation; i++ {
			s.Schedule(Time(rng.next()%1000), event{kind: evWake, to: 1})
		}
		handled := 0
		handler := func(at Time, e *event) bool {
			fp.Add(at, uint8(e.kind), int32(e.to), int32(e.from), e.digest)
			s.Schedule(at+1+Time(rng.next()%1000), *e)
			handled++
			return true
		}
		b.ResetTimer()
		s.Run(Limit{MaxEvents: uint64(b.N)}, handler)
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		if handled != b.N {
			b.Fatalf("handled %d events, want %d", handled, b.N)
		}
	})
}

// BenchmarkWorld measures the whole world — scheduler, network model,
// payload fingerprinting and process hosting — on a 5-node cluster of lean
// processes that keep 64 messages in flight, bouncing each to a random peer.
// One op is one delivered event.
func BenchmarkWorld(b *testing.B) {
	w, err := NewWorld(Config{Seed: 1, Network: network.Config{Default: network.LinkConfig{
		LatencyMs: dist.Spec{Dist: "lognormal", Median: 1, Sigma: 0.5},
	}}})
	if err != nil {
		b.Fatal(err)
	}
	const nodes = 5
	for i := 0; i < nodes; i++ {
		_, err := w.AddEndpoint(EndpointSpec{Name: fmt.Sprint("n", i), Factory: func(self wire.Addr, env node.Env) (node.Process, error) {
			return processFunc(func(ev node.Event) {
				to := wire.Addr(env.Rand().IntN(nodes))
				env.Send(to, ev.Msg)
			}), nil
		}})
		if err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 64; i++ {
		w.Endpoint(wire.Addr(i%nodes)).Send(wire.Addr((i+1)%nodes), &testMsg{kind: kindPing, seq: uint64(i), body: make([]byte, 100)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	w.Run(Limit{MaxEvents: uint64(b.N)})
	b.StopTimer()
	if w.Events() < uint64(b.N) {
		b.Fatalf("world went quiet after %d events", w.Events())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
