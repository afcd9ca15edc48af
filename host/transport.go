package host

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"dynasim/wire"
)

// helloMagic opens every peer connection, followed by the sender's wire
// address (int32 little-endian): frames carry no sender, the connection
// does.
var helloMagic = [4]byte{'D', 'Y', 'N', '1'}

const helloBytes = 8

// TransportConfig bounds the node-to-node transport. Zero fields take the
// defaults.
type TransportConfig struct {
	// QueueFrames is the send queue per peer, in frames. A frame sent to a
	// full queue is dropped and counted (Stats.Dropped): a slow or absent
	// peer cannot grow memory without limit. Default 4096.
	QueueFrames int
	// MaxFrameBytes is the largest frame read or written. Default
	// wire.MaxFrameBytes; a length over it closes the connection.
	MaxFrameBytes int
	// DialTimeout bounds one connection attempt. Default 1s.
	DialTimeout time.Duration
	// WriteTimeout is the write deadline of one batch of frames. Default 2s.
	WriteTimeout time.Duration
	// BackoffMin and BackoffMax bound the reconnect backoff, which doubles
	// after every failed attempt. Defaults 20ms and 1s.
	BackoffMin, BackoffMax time.Duration
}

// Validate refuses negative bounds (zero takes the default).
func (c TransportConfig) Validate() error {
	if c.QueueFrames < 0 || c.MaxFrameBytes < 0 || c.DialTimeout < 0 || c.WriteTimeout < 0 || c.BackoffMin < 0 || c.BackoffMax < 0 {
		return fmt.Errorf("host: transport bounds must not be negative: %+v", c)
	}
	return nil
}

func (c TransportConfig) withDefaults() TransportConfig {
	if c.QueueFrames <= 0 {
		c.QueueFrames = 4096
	}
	if c.MaxFrameBytes <= 0 || c.MaxFrameBytes > wire.MaxFrameBytes {
		c.MaxFrameBytes = wire.MaxFrameBytes
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 2 * time.Second
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = 20 * time.Millisecond
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = max(time.Second, c.BackoffMin)
	}
	return c
}

// TransportStats counts what the transport did. Every field is a running
// total.
type TransportStats struct {
	FramesSent, BytesSent         uint64
	FramesReceived, BytesReceived uint64
	// Dropped are frames refused because their peer's queue was full, or
	// sent to an address with no peer, or over MaxFrameBytes.
	Dropped uint64
	// BadChecksum are received frames that failed their CRC (dropped; the
	// connection stays open).
	BadChecksum uint64
	// Malformed are received frames with a valid CRC that did not decode
	// (dropped).
	Malformed uint64
	// BadLength are connections closed because a frame's length was
	// impossible (over MaxFrameBytes or under the frame minimum), and
	// BadHello those closed because they did not open with a hello.
	BadLength, BadHello uint64
	// Dials and DialFailures count outgoing connection attempts;
	// WriteErrors the outgoing connections lost to a failed write.
	Dials, DialFailures, WriteErrors uint64
	// Accepted counts incoming peer connections.
	Accepted uint64
	// With mutual TLS (TLSConfig.Peer): TLSRefused are incoming
	// connections refused because their TLS handshake failed (no client
	// certificate, one no configured CA signs, or no TLS at all), and
	// Unauthenticated those whose hello named a member the certificate is
	// not valid for.
	TLSRefused, Unauthenticated uint64
	// Partitioned are frames dropped, on send or on receipt, because a
	// DEBUG PARTITION cut this node off from their peer.
	Partitioned uint64
}

type transportCounters struct {
	framesSent, bytesSent, framesReceived, bytesReceived atomic.Uint64
	dropped, badChecksum, malformed, badLength, badHello atomic.Uint64
	dials, dialFailures, writeErrors, accepted           atomic.Uint64
	tlsRefused, unauthenticated, partitioned             atomic.Uint64
	// Per wire message kind (the frame's kind byte): frames and bytes
	// written to peers, and frames and bytes received that decoded.
	kindSent, kindSentBytes, kindRecv, kindRecvBytes [256]atomic.Uint64
}

// KindCount is one wire message kind's frames and bytes.
type KindCount struct {
	Kind          wire.Kind
	Frames, Bytes uint64
}

// byKind lists the kinds with a non-zero frame count.
func byKind(frames, bytes *[256]atomic.Uint64) []KindCount {
	var out []KindCount
	for k := range frames {
		if n := frames[k].Load(); n > 0 {
			out = append(out, KindCount{Kind: wire.Kind(k), Frames: n, Bytes: bytes[k].Load()})
		}
	}
	return out
}

func (c *transportCounters) snapshot() TransportStats {
	return TransportStats{
		FramesSent: c.framesSent.Load(), BytesSent: c.bytesSent.Load(),
		FramesReceived: c.framesReceived.Load(), BytesReceived: c.bytesReceived.Load(),
		Dropped: c.dropped.Load(), BadChecksum: c.badChecksum.Load(), Malformed: c.malformed.Load(),
		BadLength: c.badLength.Load(), BadHello: c.badHello.Load(),
		Dials: c.dials.Load(), DialFailures: c.dialFailures.Load(), WriteErrors: c.writeErrors.Load(),
		Accepted: c.accepted.Load(), TLSRefused: c.tlsRefused.Load(), Unauthenticated: c.unauthenticated.Load(),
		Partitioned: c.partitioned.Load(),
	}
}

// transport moves frames between this node and its peers: one outgoing
// connection per peer, written by its own goroutine from a bounded queue,
// and any number of incoming connections, each read by its own goroutine,
// whose decoded messages go to deliver.
type transport struct {
	self    wire.Addr
	cfg     TransportConfig
	log     *slog.Logger
	ln      net.Listener
	peers   map[wire.Addr]*peer
	deliver func(from wire.Addr, m wire.Message) bool // false: the host is closing
	stats   transportCounters
	// tlsServer and tlsClient, when set, are mutual TLS.
	tlsServer, tlsClient *tls.Config
	// faults are the DEBUG commands' injected faults; nil: none.
	faults atomic.Pointer[linkFaults]

	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	inbound map[net.Conn]struct{}
	closed  bool
}

type peer struct {
	addr  wire.Addr
	id    wire.Addr // member id (ring identity), which certificates name
	tcp   string
	queue chan []byte
}

func newTransport(self wire.Addr, ln net.Listener, peers map[wire.Addr]string, cfg TransportConfig, log *slog.Logger,
	deliver func(wire.Addr, wire.Message) bool) *transport {
	t := &transport{
		self: self, cfg: cfg.withDefaults(), log: log, ln: ln, deliver: deliver,
		peers: make(map[wire.Addr]*peer, len(peers)), done: make(chan struct{}), inbound: map[net.Conn]struct{}{},
	}
	for a, tcp := range peers {
		if a == self {
			continue
		}
		t.peers[a] = &peer{addr: a, id: a, tcp: tcp, queue: make(chan []byte, t.cfg.QueueFrames)}
	}
	return t
}

func (t *transport) start() {
	t.wg.Add(1)
	go t.acceptLoop()
	for _, p := range t.peers {
		t.wg.Add(1)
		go t.writeLoop(p)
	}
}

// linkFaults are the faults the DEBUG commands inject into the transport:
// peers cut off in both directions (frames to them dropped on send, frames
// from them dropped on receipt, both counted as Partitioned), peers cut
// off one way (frames to them dropped), and a delay added to every frame
// sent to the delayed peers.
type linkFaults struct {
	blocked map[wire.Addr]bool
	dropped map[wire.Addr]bool // one way: frames sent to these peers only
	delay   time.Duration
	delayed map[wire.Addr]bool // nil: every peer
}

// send queues one encoded frame for a peer without blocking.
func (t *transport) send(to wire.Addr, frame []byte) {
	p := t.peers[to]
	if p == nil || len(frame) > t.cfg.MaxFrameBytes {
		t.stats.dropped.Add(1)
		return
	}
	if f := t.faults.Load(); f != nil {
		if f.blocked[to] || f.dropped[to] {
			t.stats.partitioned.Add(1)
			return
		}
		if f.delay > 0 && (f.delayed == nil || f.delayed[to]) {
			time.AfterFunc(f.delay, func() { t.enqueue(p, frame) })
			return
		}
	}
	t.enqueue(p, frame)
}

func (t *transport) enqueue(p *peer, frame []byte) {
	select {
	case p.queue <- frame:
	default:
		t.stats.dropped.Add(1)
	}
}

// writeLoop keeps one connection to p, reconnecting with backoff, and
// writes its queue in batches under a write deadline. Frames queued while
// no connection can be made stay queued (up to the queue's bound); a batch
// lost with a broken connection is lost, as the network may lose messages.
func (t *transport) writeLoop(p *peer) {
	defer t.wg.Done()
	backoff := t.cfg.BackoffMin
	var hello [helloBytes]byte
	copy(hello[:], helloMagic[:])
	binary.LittleEndian.PutUint32(hello[4:], uint32(t.self))
	for {
		select {
		case <-t.done:
			return
		default:
		}
		t.stats.dials.Add(1)
		c, err := t.dial(p)
		if err == nil {
			_ = c.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
			_, err = c.Write(hello[:])
			if err != nil {
				c.Close()
			}
		}
		if err != nil {
			t.stats.dialFailures.Add(1)
			select {
			case <-t.done:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, t.cfg.BackoffMax)
			continue
		}
		backoff = t.cfg.BackoffMin
		t.writeConn(p, c)
		c.Close()
	}
}

// dial opens a connection to p: plain TCP, or TLS (handshake included in
// the dial timeout) verifying p's certificate for its address's host.
func (t *transport) dial(p *peer) (net.Conn, error) {
	d := &net.Dialer{Timeout: t.cfg.DialTimeout}
	if t.tlsClient == nil {
		return d.Dial("tcp", p.tcp)
	}
	cfg := t.tlsClient.Clone()
	cfg.ServerName = peerHost(p.tcp)
	return tls.DialWithDialer(d, "tcp", p.tcp, cfg)
}

// writeConn writes p's queue to c until a write fails or the transport
// closes (after flushing what is queued, within the write deadline).
func (t *transport) writeConn(p *peer, c net.Conn) {
	// A reader that notices the peer closing the connection.
	gone := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, c)
		close(gone)
	}()
	w := bufio.NewWriterSize(c, 64<<10)
	write := func(f []byte) bool {
		if _, err := w.Write(f); err != nil {
			t.stats.writeErrors.Add(1)
			return false
		}
		t.stats.framesSent.Add(1)
		t.stats.bytesSent.Add(uint64(len(f)))
		if len(f) > 5 {
			t.stats.kindSent[f[5]].Add(1)
			t.stats.kindSentBytes[f[5]].Add(uint64(len(f)))
		}
		return true
	}
	flush := func() bool {
		if err := w.Flush(); err != nil {
			t.stats.writeErrors.Add(1)
			return false
		}
		return true
	}
	for {
		select {
		case <-t.done:
			_ = c.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
			for {
				select {
				case f := <-p.queue:
					if !write(f) {
						return
					}
				default:
					flush()
					return
				}
			}
		case <-gone:
			return
		case f := <-p.queue:
			_ = c.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
			if !write(f) {
				return
			}
			// Batch what else is queued into the same flush.
			for more := true; more; {
				select {
				case f := <-p.queue:
					if !write(f) {
						return
					}
				default:
					more = false
				}
			}
			if !flush() {
				return
			}
		}
	}
}

func (t *transport) acceptLoop() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-t.done:
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			c.Close()
			return
		}
		t.inbound[c] = struct{}{}
		t.mu.Unlock()
		t.stats.accepted.Add(1)
		if t.tlsServer != nil {
			c = tls.Server(c, t.tlsServer)
		}
		t.wg.Add(1)
		go t.readLoop(c)
	}
}

// readLoop reads frames from one incoming connection. A frame failing its
// checksum or its decoding is dropped and counted; an impossible length
// closes the connection (the stream can no longer be split into frames).
func (t *transport) readLoop(c net.Conn) {
	defer t.wg.Done()
	defer func() {
		t.mu.Lock()
		delete(t.inbound, c)
		t.mu.Unlock()
		c.Close()
	}()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	tc, _ := c.(*tls.Conn)
	if tc != nil {
		if err := tc.HandshakeContext(context.Background()); err != nil {
			t.stats.tlsRefused.Add(1)
			t.log.Warn("peer connection refused: TLS handshake failed", "remote", c.RemoteAddr().String(), "err", err)
			return
		}
	}
	r := bufio.NewReaderSize(c, 64<<10)
	var hello [helloBytes]byte
	if _, err := io.ReadFull(r, hello[:]); err != nil || [4]byte(hello[:4]) != helloMagic {
		t.stats.badHello.Add(1)
		return
	}
	_ = c.SetDeadline(time.Time{})
	from := wire.Addr(int32(binary.LittleEndian.Uint32(hello[4:])))
	if tc != nil {
		if err := t.authenticate(tc, from); err != nil {
			t.stats.unauthenticated.Add(1)
			t.log.Warn("peer connection refused: hello not authenticated by the certificate", "from", from, "remote", c.RemoteAddr().String(), "err", err)
			return
		}
	}
	var buf []byte
	for {
		f, err := readFrame(r, buf, t.cfg.MaxFrameBytes)
		if err != nil {
			if errors.Is(err, wire.ErrMalformed) {
				t.stats.badLength.Add(1)
				t.log.Warn("peer connection closed: malformed frame length", "from", from, "remote", c.RemoteAddr().String(), "err", err)
			}
			return
		}
		buf = f
		t.stats.framesReceived.Add(1)
		t.stats.bytesReceived.Add(uint64(len(f)))
		m, err := wire.Decode(f)
		if err != nil {
			if errors.Is(err, wire.ErrChecksum) {
				t.stats.badChecksum.Add(1)
			} else {
				t.stats.malformed.Add(1)
			}
			t.log.Debug("peer frame dropped", "from", from, "err", err)
			continue
		}
		if f := t.faults.Load(); f != nil && f.blocked[from] {
			t.stats.partitioned.Add(1)
			continue
		}
		t.stats.kindRecv[m.Kind()].Add(1)
		t.stats.kindRecvBytes[m.Kind()].Add(uint64(len(f)))
		if !t.deliver(from, m) {
			return
		}
	}
}

// authenticate checks that the verified client certificate of c names the
// member its hello names (from): by a URI SAN dynasim:member:<id> when the
// certificate carries any such name, else by being valid for the host of
// that member's peer address.
func (t *transport) authenticate(c *tls.Conn, from wire.Addr) error {
	p := t.peers[from]
	if p == nil {
		return fmt.Errorf("the hello names %d, not a peer of this node", from)
	}
	certs := c.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return fmt.Errorf("no client certificate")
	}
	var named []string
	for _, u := range certs[0].URIs {
		if u.Scheme == "dynasim" && strings.HasPrefix(u.Opaque, "member:") {
			named = append(named, strings.TrimPrefix(u.Opaque, "member:"))
		}
	}
	if len(named) > 0 {
		if slices.Contains(named, strconv.Itoa(int(p.id))) {
			return nil
		}
		return fmt.Errorf("the certificate names members %v, the hello member %d", named, p.id)
	}
	return certs[0].VerifyHostname(peerHost(p.tcp))
}

// readFrame is wire.ReadFrame with the transport's own size bound.
func readFrame(r io.Reader, buf []byte, maxBytes int) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	total := uint64(binary.LittleEndian.Uint32(hdr[:])) + 4
	if total > uint64(maxBytes) {
		return nil, fmt.Errorf("frame size %d bytes exceeds the limit of %d bytes: %w", total, maxBytes, wire.ErrMalformed)
	}
	return wire.ReadFrame(io.MultiReader(bytesReader(hdr[:]), r), buf)
}

func bytesReader(b []byte) io.Reader { return &sliceReader{b: b} }

type sliceReader struct{ b []byte }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

// close stops accepting, flushes the queues (bounded by the write
// deadline), closes every connection and waits for the goroutines.
func (t *transport) close() {
	t.mu.Lock()
	t.closed = true
	for c := range t.inbound {
		c.Close()
	}
	t.mu.Unlock()
	t.ln.Close()
	close(t.done)
	t.wg.Wait()
}
