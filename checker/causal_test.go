package checker

import (
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

func TestRunsUnionAndContains(t *testing.T) {
	a := runs{{0, 2}, {5, 5}, {9, 12}}
	b := runs{{3, 3}, {6, 7}, {20, 20}}
	u := union(a, b)
	require.Equal(t, runs{{0, 3}, {5, 7}, {9, 12}, {20, 20}}, u, "adjacent runs merge")
	require.Equal(t, runs{{0, 2}, {5, 5}, {9, 12}}, a, "inputs untouched")
	for x, want := range map[int32]bool{0: true, 3: true, 4: false, 7: true, 8: false, 12: true, 13: false, 20: true, 21: false} {
		require.Equal(t, want, u.contains(x), "contains(%d)", x)
	}
	require.Equal(t, a, union(nil, a))
	require.Equal(t, runs{{1, 9}}, union(runs{{1, 9}}, runs{{2, 3}}))
}

func TestFenwickCounts(t *testing.T) {
	f := make(fenwick, 10)
	for _, i := range []int32{0, 3, 3, 9} {
		f.add(i)
	}
	require.Equal(t, 4, f.count(0, 9))
	require.Equal(t, 2, f.count(1, 3))
	require.Equal(t, 0, f.count(4, 8))
	require.Equal(t, 1, f.count(9, 9))
}

func TestPorcupineModelPartitionsWholeHistoryByKey(t *testing.T) {
	var b hb
	b.put(0, "b", "b1", nil, 0, 10).get(1, "b", ids("b1"), 20, 30).
		put(0, "a", "a1", nil, 0, 10).get(1, "a", ids("a1"), 20, 30)
	table := newValueTable()
	var res LinearizabilityResult
	keys := buildKeyHistories(b.history(), table, &res)
	var all []porcupine.Operation
	for _, k := range keys {
		all = append(all, k.ops...)
	}
	m := porcupineModel(Register, table)
	parts := m.Partition(all)
	require.Len(t, parts, 2)
	require.Equal(t, "a", parts[0][0].Input.(*linInput).key)
	require.True(t, porcupine.CheckOperations(m, all))
}
