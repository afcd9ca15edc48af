package runner

import (
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"dynasim/history"
)

// historyBytes counts the memory a history holds: its records, the backing
// arrays of their lists and the bytes of their strings, each shared string
// or list counted once (by its address). It is deterministic, unlike a heap
// measurement, so a bound on it can be a test. values is the part of it
// that is the data the history must keep: the bytes of keys, value IDs,
// versions and error texts, and the lists' entries.
func historyBytes(h *history.History) (total, values int) {
	seen := map[unsafe.Pointer]bool{}
	str := func(s string) int {
		if len(s) == 0 {
			return 0
		}
		p := unsafe.Pointer(unsafe.StringData(s))
		if seen[p] {
			return 0
		}
		seen[p] = true
		values += len(s)
		return len(s)
	}
	list := func(l []string) int {
		if cap(l) == 0 {
			return 0
		}
		p := unsafe.Pointer(unsafe.SliceData(l))
		if seen[p] {
			return 0
		}
		seen[p] = true
		n := cap(l) * int(unsafe.Sizeof(""))
		values += n
		for _, s := range l {
			n += str(s)
		}
		return n
	}
	n := cap(h.Ops)*int(unsafe.Sizeof(history.Op{})) + cap(h.Replicas)*int(unsafe.Sizeof(history.ReplicaState{}))
	for i := range h.Ops {
		o := &h.Ops[i]
		n += str(o.Key) + str(o.Value) + str(o.Error)
		if c := o.Consistency; c != nil && !seen[unsafe.Pointer(c)] {
			seen[unsafe.Pointer(c)] = true
			n += int(unsafe.Sizeof(*c)) + str(c.Level)
		}
		n += list(o.Context) + list(o.Values) + list(o.Versions)
		n += cap(o.Tried) * 4
		values += cap(o.Tried) * 4
	}
	for i := range h.Replicas {
		r := &h.Replicas[i]
		n += str(r.Key) + list(r.ValueIDs) + list(r.Versions)
	}
	return n, values
}

// The baseline's history holds a bounded number of bytes per recorded
// operation (issue 14.5: at most 300 beyond the values it must keep).
func TestHistoryBytesPerOp(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the baseline")
	}
	path := filepath.Join("..", "scenarios", "baseline.yaml")
	sim, err := Simulate(load(t, path, nil), nil)
	require.NoError(t, err)
	h := sim.History
	total, values := historyBytes(h)
	perOp := float64(total) / float64(len(h.Ops))
	beyond := float64(total-values) / float64(len(h.Ops))
	t.Logf("%d ops, %d replica states: %.0f bytes per op, %.0f beyond the values", len(h.Ops), len(h.Replicas), perOp, beyond)
	require.LessOrEqual(t, beyond, 300.0, "issue 14.5's bound")
	require.Less(t, perOp, 335.0, "no regression of the whole")
}
