package host

import (
	"fmt"
	"net"
	"sync/atomic"
)

// MaxUnansweredBytes bounds what a client connection may send without
// receiving an answer. The RESP reader (redcon) buffers a command's
// arguments whole before the port sees them, whatever length the client
// announces; every complete command is answered, so input this far ahead
// of the answers is one argument far over any limit (a key is at most
// 1 KiB, a value 10 KiB, a context 8 KiB by default), and the connection
// is closed instead of buffering it.
const MaxUnansweredBytes = 4 << 20

// limitListener wraps the client listener's connections in limitConn.
type limitListener struct {
	net.Listener
	max      int64
	overruns *atomic.Uint64
}

func (l *limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &limitConn{Conn: c, max: l.max, overruns: l.overruns}, nil
}

// limitConn counts the bytes read since the last write. redcon reads and
// writes a connection on one goroutine, so the count needs no lock.
type limitConn struct {
	net.Conn
	max        int64
	unanswered int64
	overruns   *atomic.Uint64
}

func (c *limitConn) Read(p []byte) (int, error) {
	if c.unanswered > c.max {
		c.overruns.Add(1)
		return 0, fmt.Errorf("host: client sent %d bytes without a complete command (limit %d bytes)", c.unanswered, c.max)
	}
	n, err := c.Conn.Read(p)
	c.unanswered += int64(n)
	return n, err
}

func (c *limitConn) Write(p []byte) (int, error) {
	c.unanswered = 0
	return c.Conn.Write(p)
}
