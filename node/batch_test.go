package node

import (
	"errors"
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

// splitEnv is a host that runs syncs off its loop when the test says so.
type splitEnv struct {
	sendEnv
	started []func() error
	ids     []uint64
}

func (e *splitEnv) SplitSync() bool { return true }
func (e *splitEnv) StartSync(id uint64, sync func() error) {
	e.ids = append(e.ids, id)
	e.started = append(e.started, sync)
}

// finish runs the oldest started sync and delivers its completion.
func (e *splitEnv) finish(t *testing.T, n *Node) {
	t.Helper()
	require.NotEmpty(t, e.started)
	err := e.started[0]()
	n.Handle(Event{Kind: SyncDoneEvent, SyncID: e.ids[0], SyncErr: err})
	e.started, e.ids = e.started[1:], e.ids[1:]
}

// With a host that syncs off its loop, acknowledgements wait for the sync
// that covers their write, writes that arrive while a sync runs wait for
// the next one (begun when the first is done), and a stale completion is
// ignored.
func TestSplitSyncReleasesAcksWhenTheirSyncIsDone(t *testing.T) {
	fs, err := disk.NewMemFS(disk.DefaultMemFSConfig())
	require.NoError(t, err)
	env := &splitEnv{sendEnv: sendEnv{fakeEnv: fakeEnv{fs: fs}}}
	n, err := New(validConfig(), 10, env)
	require.NoError(t, err)
	require.NotNil(t, n.split)
	writes := replicaWrites(t, 6)

	n.HandleBatch(writes[:3])
	require.Empty(t, env.acks(), "no ack before its sync is done")
	require.Len(t, env.started, 1, "one sync begun for the batch")
	n.HandleBatch(writes[3:])
	require.Empty(t, env.acks())
	require.Len(t, env.started, 1, "the later writes wait for the sync after it")

	n.Handle(Event{Kind: SyncDoneEvent, SyncID: 99})
	require.Empty(t, env.acks(), "a stale completion releases nothing")
	require.Equal(t, uint64(1), n.Stats().StaleSyncDone)

	env.finish(t, n)
	require.Equal(t, []uint64{1, 2, 3}, env.acks(), "the first batch's acks, after its sync")
	require.Len(t, env.started, 1, "the second batch's sync begun")
	env.finish(t, n)
	require.Equal(t, []uint64{1, 2, 3, 4, 5, 6}, env.acks())
	require.False(t, n.store.Dirty())
	require.Equal(t, uint64(2), n.Stats().SplitSyncs)
	require.Equal(t, n.engine.db.LastSeq(), n.engine.db.DurableSeq(), "every write durable")
}

// A split sync that fails turns the acknowledgements it covered into
// failures: nothing unsynced is acknowledged.
func TestSplitSyncFailureFailsItsAcks(t *testing.T) {
	fs, err := disk.NewMemFS(disk.DefaultMemFSConfig())
	require.NoError(t, err)
	env := &splitEnv{sendEnv: sendEnv{fakeEnv: fakeEnv{fs: fs}}}
	n, err := New(validConfig(), 10, env)
	require.NoError(t, err)
	n.HandleBatch(replicaWrites(t, 2))
	require.Len(t, env.started, 1)
	n.Handle(Event{Kind: SyncDoneEvent, SyncID: env.ids[0], SyncErr: errors.New("disk on fire")})
	require.Empty(t, env.acks())
	var failed int
	for _, s := range env.sent {
		if a, ok := s.msg.(*wire.WriteAck); ok {
			require.Equal(t, wire.StatusFailed, a.Status)
			require.Contains(t, a.Error, "disk on fire")
			failed++
		}
	}
	require.Equal(t, 2, failed)
	require.Equal(t, uint64(1), n.Stats().SyncFailures)
}
