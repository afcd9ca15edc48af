package host

import (
	"bufio"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/wire"
)

// dialPeer opens a peer connection to h as member from, hello sent.
func dialPeer(t *testing.T, h *Host, from wire.Addr) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", h.PeerAddr().String(), time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	var hello [helloBytes]byte
	copy(hello[:], helloMagic[:])
	binary.LittleEndian.PutUint32(hello[4:], uint32(from))
	_, err = c.Write(hello[:])
	require.NoError(t, err)
	return c
}

// closedByPeer reports whether the server closed c within the deadline.
func closedByPeer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	var b [1]byte
	_, err := c.Read(b[:])
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil
}

func TestMalformedPeerFramesAreRefusedAndCounted(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	h := c.hosts[0]
	before := h.TransportStats()

	// A frame whose checksum fails is dropped; the connection stays.
	bad := dialPeer(t, h, 1)
	f := (&wire.ClientGet{ReqID: 1, ReplyTo: wire.None, Key: []byte("k")}).AppendFrame(nil)
	f[len(f)-1] ^= 0xff
	_, err := bad.Write(f)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return h.TransportStats().BadChecksum == before.BadChecksum+1 },
		3*time.Second, 5*time.Millisecond)
	require.False(t, closedByPeerWithin(bad, 100*time.Millisecond), "a bad checksum does not close the connection")

	// A huge length closes the connection.
	var huge [4]byte
	binary.LittleEndian.PutUint32(huge[:], 1<<31)
	_, err = bad.Write(huge[:])
	require.NoError(t, err)
	require.True(t, closedByPeer(bad), "an impossible length closes the connection")
	require.Equal(t, before.BadLength+1, h.TransportStats().BadLength)

	// A connection without the hello is closed too.
	raw, err := net.DialTimeout("tcp", h.PeerAddr().String(), time.Second)
	require.NoError(t, err)
	defer raw.Close()
	_, err = raw.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	require.NoError(t, err)
	require.True(t, closedByPeer(raw))
	require.Equal(t, before.BadHello+1, h.TransportStats().BadHello)

	// The real peers' connections were not harmed.
	r := c.client(0)
	require.NoError(t, r.Set(ctx, "after", "ok", 0).Err())
	require.Equal(t, "ok", c.client(1).Get(ctx, "after").Val())
}

func closedByPeerWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	var b [1]byte
	_, err := c.Read(b[:])
	_ = c.SetReadDeadline(time.Time{})
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil
}

func TestMalformedRESPClosesOnlyThatConnection(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	good := c.client(0)
	require.NoError(t, good.Set(ctx, "k", "v", 0).Err())

	bad, err := net.DialTimeout("tcp", c.hosts[0].ClientAddr().String(), time.Second)
	require.NoError(t, err)
	defer bad.Close()
	// An array header that promises a bulk string and sends junk.
	_, err = bad.Write([]byte("*2\r\n$3\r\nGET\r\n$x\r\n"))
	require.NoError(t, err)
	_ = bad.SetReadDeadline(time.Now().Add(3 * time.Second))
	line, err := bufio.NewReader(bad).ReadString('\n')
	require.NoError(t, err)
	require.Regexp(t, `^-ERR Protocol error`, line)
	require.True(t, closedByPeer(bad))

	require.Equal(t, "v", good.Get(ctx, "k").Val(), "other connections keep working")
}

// A client announcing a huge argument and streaming it is cut off once it
// is MaxUnansweredBytes ahead of any answer; others are unaffected.
func TestHugeClientArgumentClosesThatConnection(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	bad, err := net.DialTimeout("tcp", c.hosts[0].ClientAddr().String(), time.Second)
	require.NoError(t, err)
	defer bad.Close()
	_, err = bad.Write([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000000\r\n"))
	require.NoError(t, err)
	chunk := make([]byte, 64<<10)
	_ = bad.SetWriteDeadline(time.Now().Add(10 * time.Second))
	sent := 0
	for ; sent < 2*MaxUnansweredBytes; sent += len(chunk) {
		if _, err = bad.Write(chunk); err != nil {
			break
		}
	}
	require.True(t, closedByPeer(bad), "the server closed the connection (%d bytes sent)", sent)
	require.Eventually(t, func() bool { return c.hosts[0].clientOverruns.Load() == 1 }, 3*time.Second, time.Millisecond)
	good := c.client(0)
	require.NoError(t, good.Set(ctx, "k", "v", 0).Err())
	require.Equal(t, "v", good.Get(ctx, "k").Val())
}
