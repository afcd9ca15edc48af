package checker

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"

	"dynasim/history"
)

// Model names the sequential specification a history is checked against.
type Model string

const (
	// Register: a single-value register. put(v) makes the state v,
	// delete makes it empty, get must return the state: no value or exactly
	// one. Use it for last-write-wins, or for any mode when no read returned
	// siblings. A get that returns siblings can never match it.
	Register Model = "register"
	// MultiValue: the state is the set of live written values.
	// put(v, ctx) makes it (state \ ctx) ∪ {v}, delete(ctx) makes it
	// state \ ctx, and get must return exactly the state, as a set. Use it
	// for the sibling-returning modes (vector clocks, dotted version
	// vectors).
	MultiValue Model = "multi_value"
)

// Validate reports an unknown model.
func (m Model) Validate() error {
	if m != Register && m != MultiValue {
		return fmt.Errorf("checker: model must be %q or %q, got %q", Register, MultiValue, m)
	}
	return nil
}

// valueTable interns value IDs as dense uint32s so a model state can be a
// short comparable string: the sorted IDs, 4 bytes each. Porcupine then
// compares and hashes states without allocating.
type valueTable struct {
	ids   map[string]uint32
	names []string
}

func newValueTable() *valueTable { return newValueTableSized(0) }

// newValueTableSized is newValueTable with room for about n values, so that
// interning a history's values does not grow the table step by step.
func newValueTableSized(n int) *valueTable {
	return &valueTable{ids: make(map[string]uint32, n), names: make([]string, 0, n)}
}

func (t *valueTable) intern(id string) uint32 {
	if n, ok := t.ids[id]; ok {
		return n
	}
	n := uint32(len(t.names))
	t.ids[id] = n
	t.names = append(t.names, id)
	return n
}

// set interns ids and returns them sorted and deduplicated.
func (t *valueTable) set(ids []string) []uint32 {
	s := make([]uint32, len(ids))
	for i, id := range ids {
		s[i] = t.intern(id)
	}
	slices.Sort(s)
	return slices.Compact(s)
}

func encodeSet(s []uint32) string {
	b := make([]byte, 4*len(s))
	for i, v := range s {
		binary.BigEndian.PutUint32(b[4*i:], v)
	}
	return string(b)
}

func (t *valueTable) describe(state string) string {
	if state == "" {
		return "∅"
	}
	parts := make([]string, 0, len(state)/4)
	for i := 0; i+4 <= len(state); i += 4 {
		parts = append(parts, t.names[elemAt(state, i)])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// linInput is a porcupine operation input, held by pointer (as linOutput
// is): buildKeyHistories allocates them in one array each rather
// than boxing one per operation. It is never mutated after construction:
// porcupine requires Step to be pure.
type linInput struct {
	key   string
	ctx   []uint32 // put/delete, sorted
	value uint32   // put
	kind  linKind
}

// linKind is an operation's kind in a byte (history.OpKind is a string).
type linKind uint8

const (
	linGet linKind = iota
	linPut
	linDelete
)

func linKindOf(k history.OpKind) linKind {
	switch k {
	case history.Put:
		return linPut
	case history.Delete:
		return linDelete
	}
	return linGet
}

// linOutput is a porcupine operation output.
type linOutput struct {
	values string // get: encoded set of returned values
	open   bool   // put/delete with unknown outcome, left open
}

func registerStep(state, input, output any) (bool, any) {
	in := input.(*linInput)
	switch in.kind {
	case linPut:
		return true, encodeSet([]uint32{in.value})
	case linDelete:
		return true, ""
	default:
		return output.(*linOutput).values == state.(string), state
	}
}

func multiValueStep(state, input, output any) (bool, any) {
	in := input.(*linInput)
	switch in.kind {
	case linPut:
		return true, applyWrite(state.(string), in.ctx, in.value, true)
	case linDelete:
		return true, applyWrite(state.(string), in.ctx, 0, false)
	default:
		return output.(*linOutput).values == state.(string), state
	}
}

// applyWrite returns (state \ ctx) ∪ {v} (or just state \ ctx when !put), as
// a fresh encoded set; state is never modified.
func applyWrite(state string, ctx []uint32, v uint32, put bool) string {
	out := make([]byte, 0, len(state)+4)
	j := 0
	for i := 0; i+4 <= len(state); i += 4 {
		x := elemAt(state, i)
		if put && v < x {
			out = binary.BigEndian.AppendUint32(out, v)
			put = false
		}
		for j < len(ctx) && ctx[j] < x {
			j++
		}
		if j < len(ctx) && ctx[j] == x {
			continue
		}
		out = binary.BigEndian.AppendUint32(out, x)
	}
	if put {
		out = binary.BigEndian.AppendUint32(out, v)
	}
	return string(out)
}

// elemAt decodes the set element at byte offset i of an encoded set.
func elemAt(s string, i int) uint32 {
	return uint32(s[i])<<24 | uint32(s[i+1])<<16 | uint32(s[i+2])<<8 | uint32(s[i+3])
}

// fnv1a hashes a state for porcupine's cache; Equal states hash equally
// because equal sets have one encoding.
func fnv1a(state any) uint64 {
	s := state.(string)
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// porcupineModel returns the porcupine model for m. Values are described
// through t, which must have interned every value the history mentions.
// Partition splits by key in sorted key order, so the model also works when
// handed a whole history; the driver (CheckLinearizability) already calls it
// one key at a time.
func porcupineModel(m Model, t *valueTable) porcupine.Model {
	step := registerStep
	if m == MultiValue {
		step = multiValueStep
	}
	return porcupine.Model{
		Partition: partitionByKey,
		Init:      func() any { return "" },
		Step:      step,
		Equal:     func(a, b any) bool { return a.(string) == b.(string) },
		Hash:      fnv1a,
		DescribeOperation: func(input, output any) string {
			in, out := input.(*linInput), output.(*linOutput)
			switch in.kind {
			case linGet:
				return "get → " + t.describe(out.values)
			case linPut:
				s := "put " + t.names[in.value]
				if m == MultiValue || len(in.ctx) > 0 {
					s += " ctx " + t.describe(encodeSet(in.ctx))
				}
				if out.open {
					s += " (unknown outcome)"
				}
				return s
			default:
				s := "delete"
				if m == MultiValue || len(in.ctx) > 0 {
					s += " ctx " + t.describe(encodeSet(in.ctx))
				}
				if out.open {
					s += " (unknown outcome)"
				}
				return s
			}
		},
		DescribeState: func(state any) string { return t.describe(state.(string)) },
		DescribeOperationMetadata: func(info any) string {
			// The operation's own record travels with it (by pointer).
			o, ok := info.(*history.Op)
			if !ok {
				return ""
			}
			return fmt.Sprintf("op %d, coordinator %d, outcome %s", o.ID, o.Coordinator, o.Outcome)
		},
	}
}

func partitionByKey(ops []porcupine.Operation) [][]porcupine.Operation {
	byKey := make(map[string][]porcupine.Operation)
	for _, op := range ops {
		k := op.Input.(*linInput).key
		byKey[k] = append(byKey[k], op)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([][]porcupine.Operation, len(keys))
	for i, k := range keys {
		parts[i] = byKey[k]
	}
	return parts
}
