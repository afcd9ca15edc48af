package history

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func newRec(t *testing.T) *Recorder {
	t.Helper()
	r, err := NewRecorder(DefaultRecorderConfig())
	require.NoError(t, err)
	return r
}

func TestRecorderStampsDistinctIncreasingTimes(t *testing.T) {
	r := newRec(t)
	// Three events in the same virtual nanosecond, then one at an earlier
	// raw time than the bumped stamps but not earlier than the last raw time.
	a, err := r.Invoke(100, Invocation{Client: 0, Kind: Put, Key: "k", Value: "v1", Coordinator: 2})
	require.NoError(t, err)
	b, err := r.Invoke(100, Invocation{Client: 1, Kind: Get, Key: "k", Coordinator: 3})
	require.NoError(t, err)
	require.NoError(t, r.Return(100, a, Result{Outcome: OK}))
	require.NoError(t, r.Return(101, b, Result{Outcome: OK, Values: []string{"v1"}}))
	h, err := r.Close(200)
	require.NoError(t, err)

	require.Equal(t, uint64(1), h.Ops[0].ID)
	require.Equal(t, uint64(2), h.Ops[1].ID)
	require.Equal(t, int64(100), h.Ops[0].InvokeNs)
	require.Equal(t, int64(101), h.Ops[1].InvokeNs)
	require.Equal(t, int64(102), h.Ops[0].ReturnNs) // same raw time, bumped
	require.Equal(t, int64(103), h.Ops[1].ReturnNs) // raw 101 <= last stamp
	require.Equal(t, []string{"v1"}, h.Ops[1].Values)
	require.Equal(t, OK, h.Ops[1].Outcome)
}

func TestRecorderRefusesTimeGoingBackwards(t *testing.T) {
	r := newRec(t)
	_, err := r.Invoke(50, Invocation{Kind: Get, Key: "k"})
	require.NoError(t, err)
	_, err = r.Invoke(49, Invocation{Kind: Get, Key: "k"})
	require.ErrorContains(t, err, "time went backwards: 49 after 50")
}

func TestRecorderRefusesBadInvocationsAndResults(t *testing.T) {
	r := newRec(t)
	_, err := r.Invoke(1, Invocation{Kind: Put, Key: "k"})
	require.ErrorContains(t, err, `field "value": must not be empty`)
	_, err = r.Invoke(1, Invocation{Kind: Delete + 1, Key: "k"})
	require.ErrorContains(t, err, `field "op"`)
	id, err := r.Invoke(1, Invocation{Kind: Put, Key: "k", Value: "v"})
	require.NoError(t, err)
	_, err = r.Invoke(2, Invocation{Kind: Put, Key: "k2", Value: "v"})
	require.ErrorContains(t, err, `value "v" was already written`)
	require.ErrorContains(t, r.Return(3, id, Result{Outcome: OK, Values: []string{"x"}}), `field "values"`)
	require.ErrorContains(t, r.Return(3, id, Result{Outcome: 0}), `field "outcome"`)
	require.ErrorContains(t, r.Return(3, 99, Result{Outcome: OK}), "not pending")
	require.NoError(t, r.Return(3, id, Result{Outcome: OK}))
	require.ErrorContains(t, r.Return(4, id, Result{Outcome: OK}), "not pending")
}

func TestRecorderCloseLeavesPendingUnknownAndCopiesInputs(t *testing.T) {
	r := newRec(t)
	ctx := []string{"a"}
	id1, err := r.Invoke(10, Invocation{Client: 0, Kind: Put, Key: "k", Value: "v2", Context: ctx, Coordinator: 1})
	require.NoError(t, err)
	ctx[0] = "mutated"
	id2, err := r.Invoke(11, Invocation{Client: 1, Kind: Delete, Key: "k", Coordinator: 0})
	require.NoError(t, err)
	require.NoError(t, r.Reroute(id1, 4))
	require.NoError(t, r.AddFaultWindow(FaultWindow{Label: "crash n1", StartNs: 5, EndNs: 15}))
	require.NoError(t, r.AddReplicaState(ReplicaState{AtNs: 20, Key: "k", Node: 1, ValueIDs: []string{"v2"}}))
	require.Equal(t, 2, r.Pending())
	h, err := r.Close(20)
	require.NoError(t, err)
	require.Equal(t, 0, r.Pending())
	require.Len(t, h.Ops, 2)
	for i, id := range []uint64{id1, id2} {
		require.Equal(t, id, h.Ops[i].ID)
		require.Equal(t, Unknown, h.Ops[i].Outcome)
	}
	require.Equal(t, []string{"a"}, h.Ops[0].Context)
	require.Equal(t, int32(4), h.Ops[0].Coordinator)
	require.Equal(t, int64(20), h.Ops[0].ReturnNs)
	require.Equal(t, int64(21), h.Ops[1].ReturnNs)
	require.Len(t, h.Faults, 1)
	require.Len(t, h.Replicas, 1)
	_, err = r.Invoke(30, Invocation{Kind: Get, Key: "k"})
	require.ErrorContains(t, err, "closed")
	_, err = r.Close(30)
	require.ErrorContains(t, err, "already closed")
}

func TestRecorderMaxOps(t *testing.T) {
	r, err := NewRecorder(RecorderConfig{MaxOps: 2})
	require.NoError(t, err)
	for i := range 2 {
		_, err := r.Invoke(int64(i), Invocation{Kind: Get, Key: "k"})
		require.NoError(t, err)
	}
	_, err = r.Invoke(5, Invocation{Kind: Get, Key: "k"})
	require.ErrorContains(t, err, "2 operations recorded, the limit (RecorderConfig.MaxOps) is 2")
	_, err = NewRecorder(RecorderConfig{})
	require.ErrorContains(t, err, "MaxOps must be at least 1")
}

// Operations are stored in chunks; a history longer than several chunks
// comes back complete and in order, and updates reach operations in any
// chunk.
func TestRecorderAcrossChunks(t *testing.T) {
	r := newRec(t)
	const n = 3*opChunk + 17
	var ids []uint64
	for i := 0; i < n; i++ {
		id, err := r.Invoke(int64(i), Invocation{Client: i % 7, Kind: Put, Key: "k", Value: "v" + strconv.Itoa(i), Coordinator: 0})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	// Reroute and return in reverse order, so updates hit every chunk.
	for i := n - 1; i >= 0; i-- {
		require.NoError(t, r.Reroute(ids[i], int32(i%5)))
		require.NoError(t, r.Return(int64(n+(n-i)), ids[i], Result{Outcome: OK}))
	}
	h, err := r.Close(int64(3 * n))
	require.NoError(t, err)
	require.Len(t, h.Ops, n)
	for i, op := range h.Ops {
		require.Equal(t, uint64(i+1), op.ID)
		require.Equal(t, int32(i%5), op.Coordinator)
		require.Equal(t, OK, op.Outcome)
		require.Equal(t, i%7, op.Client)
	}
}

// A refused call records nothing: a put refused for its time does not
// claim its value, a refused invocation at a chunk boundary leaves the IDs
// dense, and a refused result leaves the operation pending as it was.
func TestRecorderRefusedCallsLeaveNoTrace(t *testing.T) {
	r := newRec(t)
	for i := range opChunk - 1 {
		_, err := r.Invoke(int64(10+i), Invocation{Kind: Get, Key: "k"})
		require.NoError(t, err)
	}
	now := int64(10 + opChunk)
	_, err := r.Invoke(now-opChunk, Invocation{Kind: Put, Key: "k", Value: "v"})
	require.ErrorContains(t, err, "time went backwards")
	_, err = r.Invoke(now, Invocation{Kind: Put, Key: "k"}) // would open a chunk
	require.ErrorContains(t, err, "must not be empty")
	id, err := r.Invoke(now, Invocation{Kind: Put, Key: "k", Value: "v", Context: []string{"a"}})
	require.NoError(t, err, "the value refused above must still be free")
	require.Equal(t, uint64(opChunk), id, "IDs stay dense across refusals")
	id2, err := r.Invoke(now+1, Invocation{Kind: Get, Key: "k"})
	require.NoError(t, err)
	require.Equal(t, uint64(opChunk+1), id2)

	require.ErrorContains(t, r.Return(now+2, id, Result{Outcome: OK, Values: []string{"x"}}), `field "values"`)
	require.ErrorContains(t, r.Return(now-5, id, Result{Outcome: OK}), "time went backwards")
	require.NoError(t, r.Return(now+3, id2, Result{Outcome: Failed, Error: "timeout"}))
	h, err := r.Close(now + 4)
	require.NoError(t, err)
	require.Len(t, h.Ops, opChunk+1)
	put := h.Ops[opChunk-1]
	require.Equal(t, Op{
		ID: id, Kind: Put, Key: "k", Value: "v", Context: []string{"a"},
		InvokeNs: put.InvokeNs, ReturnNs: put.ReturnNs, Outcome: Unknown,
		Error: "still pending when the history closed",
	}, put, "closed as unknown, untouched by the refused results")
	require.Less(t, put.InvokeNs, put.ReturnNs)
}

// Close does not validate the history again, so whatever mix of calls the
// Recorder accepts must add up to a valid history: random invocations,
// results, reroutes, replica states and same-nanosecond bursts, some of
// them refused, across chunk boundaries.
func TestRecorderAcceptsOnlyWhatMakesAValidHistory(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for round := 0; round < 20; round++ {
		r := newRec(t)
		now := int64(0)
		var pending []uint64
		for i := 0; i < opChunk+500; i++ {
			if rng.IntN(3) > 0 {
				now += rng.Int64N(3) // often the same nanosecond
			}
			switch rng.IntN(5) {
			case 0, 1:
				inv := Invocation{Client: rng.IntN(4), Kind: Get, Key: "k" + strconv.Itoa(rng.IntN(5)), Coordinator: int32(rng.IntN(3))}
				if rng.IntN(2) == 0 {
					inv.Kind, inv.Value = Put, "v"+strconv.Itoa(rng.IntN(3000)) // sometimes a repeat: refused
					inv.Context = []string{"v" + strconv.Itoa(rng.IntN(100))}
				}
				if id, err := r.Invoke(now, inv); err == nil {
					pending = append(pending, id)
				}
			case 2, 3:
				if len(pending) == 0 {
					continue
				}
				j := rng.IntN(len(pending))
				res := Result{Outcome: []Outcome{OK, Failed, Unknown}[rng.IntN(3)]}
				if res.Outcome == OK && rng.IntN(2) == 0 {
					res.Values = []string{"v" + strconv.Itoa(rng.IntN(100))} // refused for a put
				}
				if r.Return(now, pending[j], res) == nil {
					pending = slices.Delete(pending, j, j+1)
				}
			case 4:
				if len(pending) > 0 {
					require.NoError(t, r.Reroute(pending[rng.IntN(len(pending))], int32(rng.IntN(3))))
				}
				require.NoError(t, r.AddReplicaState(ReplicaState{AtNs: now, Key: "k1", Node: int32(rng.IntN(3)), ValueIDs: []string{"v1"}}))
			}
		}
		h, err := r.Close(now + 1)
		require.NoError(t, err)
		require.NoError(t, h.Validate())
	}
}

// Reroute after the first attempt lists every coordinator tried; a misuse
// after Close is an error, not a panic.
func TestRecorderTriedAndUseAfterClose(t *testing.T) {
	r := newRec(t)
	id, err := r.Invoke(1, Invocation{Kind: Get, Key: "k", Coordinator: NoCoordinator})
	require.NoError(t, err)
	require.NoError(t, r.Reroute(id, 3))
	once, err := r.Invoke(2, Invocation{Kind: Get, Key: "k", Coordinator: NoCoordinator})
	require.NoError(t, err)
	require.NoError(t, r.Reroute(once, 2))
	require.NoError(t, r.Reroute(id, 0))
	require.NoError(t, r.Reroute(id, 4))
	require.ErrorContains(t, r.Reroute(id, NoCoordinator), "invalid coordinator")
	require.NoError(t, r.Return(5, id, Result{Outcome: OK}))
	h, err := r.Close(10)
	require.NoError(t, err)
	require.Equal(t, []int32{3, 0, 4}, h.Ops[0].Tried)
	require.Equal(t, int32(4), h.Ops[0].Coordinator)
	require.Empty(t, h.Ops[1].Tried, "one attempt: the coordinator says it all")

	require.ErrorContains(t, r.Reroute(id, 1), "closed")
	require.ErrorContains(t, r.Reroute(once, 1), "closed")
	require.ErrorContains(t, r.Return(11, once, Result{Outcome: OK}), "closed")
	require.ErrorContains(t, r.Return(11, 99, Result{Outcome: OK}), "closed")
	require.ErrorContains(t, r.AddReplicaState(ReplicaState{Key: "k"}), "closed")
}

// A tried list must hold node indexes of the run and end at the
// coordinator.
func TestValidateTried(t *testing.T) {
	h := &History{Ops: validOps(1)}
	h.Ops[0].Coordinator = 2
	h.Ops[0].Tried = []int32{1, 2}
	require.NoError(t, h.Validate())
	h.Ops[0].Tried = []int32{2, 1}
	require.ErrorContains(t, h.Validate(), "ends with node 1, but the coordinator is 2")
	h.Ops[0].Tried = []int32{-3, 2}
	require.ErrorContains(t, h.Validate(), `"tried[0]": must be a node index`)
	h.Ops[0].Tried = []int32{7, 2}
	h.Run = sampleRun()
	h.Run.Nodes = h.Run.Nodes[:3]
	err := h.Validate()
	require.ErrorContains(t, err, "tried[0]")
	require.ErrorContains(t, err, "the run has 3 nodes")
}
