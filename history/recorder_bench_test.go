package history

import (
	"strconv"
	"testing"
)

// BenchmarkRecorder records what a simulated client records per operation:
// an invoke (half of them puts with a context of one value) and a return
// (the gets returning one value), 32 operations in flight.
func BenchmarkRecorder(b *testing.B) {
	r, err := NewRecorder(RecorderConfig{MaxOps: b.N + 64})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = "c" + strconv.Itoa(i%32) + "." + strconv.Itoa(i)
	}
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	ctx := []string{"c1.1"}
	vals := []string{"c2.2"}
	var inflight [32]uint64
	now := int64(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now += 100
		slot := i % len(inflight)
		if id := inflight[slot]; id != 0 {
			res := Result{Outcome: OK}
			if id%2 == 1 {
				res.Values = vals
			}
			if err := r.Return(now, id, res); err != nil {
				b.Fatal(err)
			}
		}
		inv := Invocation{Client: slot, Kind: Get, Key: keys[i%len(keys)], Coordinator: NoCoordinator, Consistency: Consistency{N: 3, W: 2, R: 2}}
		if i%2 == 1 {
			inv.Kind, inv.Value, inv.Context = Put, ids[i], ctx
		}
		id, err := r.Invoke(now, inv)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Reroute(id, int32(i%5)); err != nil {
			b.Fatal(err)
		}
		inflight[slot] = id
	}
}
