package host

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/wire"
)

// A peer that cannot be reached does not grow the queue: past its bound,
// frames are dropped and counted; oversized frames are refused before
// queueing.
func TestSendQueueIsBounded(t *testing.T) {
	// A port with nothing listening.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())
	own, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)

	tr := newTransport(0, own, map[wire.Addr]string{1: dead},
		TransportConfig{QueueFrames: 4, MaxFrameBytes: 64, BackoffMin: time.Hour}, quietLog(),
		func(wire.Addr, wire.Message) bool { return true })
	tr.start()
	defer tr.close()
	f := (&wire.ClientGet{ReplyTo: wire.None, Key: []byte("k")}).AppendFrame(nil)
	for range 10 {
		tr.send(1, f)
	}
	tr.send(1, make([]byte, 65)) // over MaxFrameBytes
	tr.send(7, f)                // no such peer
	require.EqualValues(t, 10-4+2, tr.stats.snapshot().Dropped)
	require.Len(t, tr.peers[1].queue, 4)
	require.Eventually(t, func() bool { return tr.stats.snapshot().DialFailures >= 1 }, 3*time.Second, 5*time.Millisecond)
}

// A peer that comes up later is reached: the writer reconnects, and the
// frames queued meanwhile arrive.
func TestTransportReconnectsAndDelivers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	own, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	sender := newTransport(0, own, map[wire.Addr]string{1: addr},
		TransportConfig{BackoffMin: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond}, quietLog(),
		func(wire.Addr, wire.Message) bool { return true })
	sender.start()
	defer sender.close()
	sender.send(1, (&wire.ClientGet{ReqID: 7, ReplyTo: wire.None, Key: []byte("early")}).AppendFrame(nil))
	require.Eventually(t, func() bool { return sender.stats.snapshot().DialFailures >= 2 }, 3*time.Second, time.Millisecond)

	got := make(chan *wire.ClientGet, 1)
	peerLn, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	receiver := newTransport(1, peerLn, nil, TransportConfig{}, quietLog(), func(from wire.Addr, m wire.Message) bool {
		if g, ok := m.(*wire.ClientGet); ok && from == 0 {
			got <- g
		}
		return true
	})
	receiver.start()
	defer receiver.close()
	select {
	case g := <-got:
		require.Equal(t, "early", string(g.Key))
		require.EqualValues(t, 7, g.ReqID)
	case <-time.After(5 * time.Second):
		t.Fatal("the queued frame never arrived")
	}
}
