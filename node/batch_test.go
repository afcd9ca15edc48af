package node

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node/versions"
	"dynasim/wire"
)

// batchNode starts node 10 of validConfig's three on an empty disk.
func batchNode(t *testing.T) (*Node, *sendEnv) {
	t.Helper()
	fs, err := disk.NewMemFS(disk.DefaultMemFSConfig())
	require.NoError(t, err)
	env := &sendEnv{fakeEnv: fakeEnv{fs: fs}}
	n, err := New(validConfig(), 10, env)
	require.NoError(t, err)
	return n, env
}

// replicaWrites are k replica writes to distinct keys, as node 20 would
// send them, each carrying a set minted by actor 1.
func replicaWrites(t *testing.T, k int) []Event {
	t.Helper()
	v, err := versions.New(versions.Config{Mode: versions.ModeDVV})
	require.NoError(t, err)
	var evs []Event
	for i := range k {
		set, err := v.Update(wire.SiblingSet{}, versions.Write{Actor: 1, Value: []byte("v")})
		require.NoError(t, err)
		evs = append(evs, Event{Kind: MessageEvent, From: 20, Msg: &wire.WriteRequest{
			OpID: uint64(i + 1), Key: fmt.Appendf(nil, "k%d", i), Set: set}})
	}
	return evs
}

// acks are the OpIDs of the successful write acknowledgements sent.
func (e *sendEnv) acks() []uint64 {
	var out []uint64
	for _, s := range e.sent {
		if a, ok := s.msg.(*wire.WriteAck); ok && a.Status == wire.StatusOK {
			out = append(out, a.OpID)
		}
	}
	return out
}

// HandleBatch is group commit by arrival: the writes of a batch share one
// sync, and every acknowledgement leaves after it — where Handle, one
// event at a time, syncs once per write.
func TestHandleBatchSyncsOnceForTheBatch(t *testing.T) {
	one, oneEnv := batchNode(t)
	base := one.Stats().Syncs
	for _, ev := range replicaWrites(t, 8) {
		one.Handle(ev)
	}
	require.Equal(t, base+8, one.Stats().Syncs, "one sync per write-bearing event")
	require.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7, 8}, oneEnv.acks())

	batched, batchedEnv := batchNode(t)
	base = batched.Stats().Syncs
	batched.HandleBatch(replicaWrites(t, 8))
	require.Equal(t, base+1, batched.Stats().Syncs, "one sync for the whole batch")
	require.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7, 8}, batchedEnv.acks(), "every write acknowledged, in order, after the sync")
	require.False(t, batched.store.Dirty(), "nothing left unsynced after the batch")
	require.Equal(t, one.Stats().Events, batched.Stats().Events)
}
