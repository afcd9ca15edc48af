package history

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func validOps(ids ...uint64) []Op {
	var ops []Op
	for i, id := range ids {
		ops = append(ops, Op{ID: id, Kind: Put, Key: "k", Value: "v" + string(rune('a'+i)), InvokeNs: int64(i), ReturnNs: int64(i) + 1, Outcome: OK})
	}
	return ops
}

// Validate finds a repeated ID whether IDs are dense (1..n, the bitmap) or
// not (the map), and names both operations.
func TestValidateFindsRepeatedIDs(t *testing.T) {
	for _, tc := range []struct {
		name string
		ids  []uint64
		at   int
		msg  string
	}{
		{"dense", []uint64{1, 2, 3, 2}, 3, "2 is also the id of op #1"},
		{"sparse", []uint64{1, 900, 7, 900}, 3, "900 is also the id of op #1"},
		{"the largest dense id", []uint64{4, 1, 2, 4}, 3, "4 is also the id of op #0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &History{Ops: validOps(tc.ids...)}
			err := h.Validate()
			var re *RecordError
			require.ErrorAs(t, err, &re)
			require.Equal(t, tc.at, re.Index)
			require.ErrorContains(t, err, tc.msg)
		})
	}
	h := &History{Ops: validOps(5, 900, 3, 1, 2)}
	require.NoError(t, h.Validate())
}

func TestValidateFindsRepeatedValues(t *testing.T) {
	h := &History{Ops: validOps(1, 2, 3)}
	h.Ops[2].Value = h.Ops[0].Value
	err := h.Validate()
	var re *RecordError
	require.ErrorAs(t, err, &re)
	require.Equal(t, 2, re.Index)
	require.ErrorContains(t, err, `"va" is also written by op #0`)
}
