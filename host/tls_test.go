package host

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"dynasim/node"
	"dynasim/node/ring"
)

// testCA is a throwaway certificate authority.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // the CA certificate, PEM
	dir  string
}

var serial int64

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "dynasim test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	ca := &testCA{cert: cert, key: key, dir: t.TempDir()}
	ca.file = filepath.Join(ca.dir, "ca.pem")
	writePEM(t, ca.file, "CERTIFICATE", der)
	return ca
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600))
}

// issue writes a certificate for the given IPs and DNS names, usable as
// server and client certificate, and returns its cert and key files.
func (ca *testCA) issue(t *testing.T, name string, ips []net.IP, dns ...string) (certFile, keyFile string) {
	t.Helper()
	return ca.issueURIs(t, name, ips, nil, dns...)
}

// issueURIs is issue with URI SANs too.
func (ca *testCA) issueURIs(t *testing.T, name string, ips []net.IP, uris []*url.URL, dns ...string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: ips, DNSNames: dns, URIs: uris,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(ca.dir, name+".pem"), filepath.Join(ca.dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}

var loopback = []net.IP{net.IPv4(127, 0, 0, 1)}

// startTLSCluster is 3 nodes with mutual TLS between them (each its own
// certificate for 127.0.0.1) and, when client is set, TLS on the client
// port.
func startTLSCluster(t *testing.T, ca *testCA, client bool) *testCluster {
	t.Helper()
	i := 0
	return startHostsWith(t, 3, func(c *Config) {
		cert, key := ca.issue(t, "node"+string(rune('a'+i)), loopback)
		i++
		c.TLS = TLSConfig{CertFile: cert, KeyFile: key, CAFile: ca.file, Peer: true, Client: client}
	})
}

func tlsClient(t *testing.T, addr string, cfg *tls.Config) *redis.Client {
	r := redis.NewClient(&redis.Options{
		Addr: addr, Protocol: 2, DisableIdentity: true, TLSConfig: cfg,
		MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: time.Second,
	})
	t.Cleanup(func() { r.Close() })
	return r
}

// Nodes speak mutual TLS to each other, clients TLS to the nodes (go-redis
// with a TLS config trusting the CA): writes through one node are read
// through another, so frames crossed the authenticated peer connections.
func TestMutualTLSRoundTrip(t *testing.T) {
	ca := newTestCA(t)
	c := startTLSCluster(t, ca, true)
	ctx := ctxT(t)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	rc := make([]*redis.Client, 3)
	for i, h := range c.hosts {
		rc[i] = tlsClient(t, h.ClientAddr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	}
	for i := range 20 {
		require.NoError(t, rc[i%3].Set(ctx, "k"+string(rune('a'+i)), "v", 0).Err())
	}
	for i := range 20 {
		require.Equal(t, "v", rc[(i+1)%3].Get(ctx, "k"+string(rune('a'+i))).Val())
	}
	for _, h := range c.hosts {
		st := h.TransportStats()
		require.Positive(t, st.FramesReceived)
		require.Zero(t, st.TLSRefused)
		require.Zero(t, st.Unauthenticated)
	}

	// A plaintext client on the TLS port fails, and the port goes on
	// serving TLS clients.
	plain := c.client(0)
	require.Error(t, plain.Ping(ctx).Err())
	require.NoError(t, rc[0].Ping(ctx).Err())
}

// rogueHello dials addr over TLS with the given certificate (not checking
// the server's), sends a hello naming member from and one frame, and
// returns once the node has closed the connection or after a second.
func rogueHello(t *testing.T, addr string, cert tls.Certificate, from uint32) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr,
		&tls.Config{Certificates: []tls.Certificate{cert}, InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
	if err != nil {
		return // refused during the handshake: counted by the node
	}
	defer c.Close()
	var hello [helloBytes]byte
	copy(hello[:], helloMagic[:])
	binary.LittleEndian.PutUint32(hello[4:], from)
	_, _ = c.Write(hello[:])
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	var b [1]byte
	_, _ = c.Read(b[:])
}

// Peers that cannot authenticate are refused and counted, and the cluster
// keeps serving: a certificate from another CA, plain TCP, and a
// certificate of the right CA that is not valid for the member the hello
// names.
func TestMutualTLSRefusesUnauthenticatedPeers(t *testing.T) {
	ca := newTestCA(t)
	c := startTLSCluster(t, ca, false)
	ctx := ctxT(t)
	target := c.hosts[0]
	addr := target.PeerAddr().String()

	other := newTestCA(t)
	cf, kf := other.issue(t, "intruder", loopback)
	foreign, err := tls.LoadX509KeyPair(cf, kf)
	require.NoError(t, err)
	rogueHello(t, addr, foreign, 1)
	require.Eventually(t, func() bool { return target.TransportStats().TLSRefused == 1 }, 5*time.Second, 5*time.Millisecond)

	// Plain TCP with a hello: not a TLS handshake.
	pc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	_, _ = pc.Write(append(helloMagic[:], 1, 0, 0, 0))
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = pc.Read(make([]byte, 1))
	pc.Close()
	require.Eventually(t, func() bool { return target.TransportStats().TLSRefused == 2 }, 5*time.Second, 5*time.Millisecond)

	// The cluster's CA, but a certificate for another host than member 1's.
	cf, kf = ca.issue(t, "elsewhere", nil, "elsewhere.example")
	wrongHost, err := tls.LoadX509KeyPair(cf, kf)
	require.NoError(t, err)
	rogueHello(t, addr, wrongHost, 1)
	require.Eventually(t, func() bool { return target.TransportStats().Unauthenticated == 1 }, 5*time.Second, 5*time.Millisecond)

	r0, r1 := c.client(0), c.client(1)
	require.NoError(t, r0.Set(ctx, "k", "v", 0).Err())
	require.Equal(t, "v", r1.Get(ctx, "k").Val())
	require.Zero(t, c.hosts[1].TransportStats().TLSRefused)
}

func TestTLSConfigValidate(t *testing.T) {
	require.NoError(t, TLSConfig{}.Validate())
	require.ErrorContains(t, TLSConfig{Peer: true, CertFile: "c", KeyFile: "k"}.Validate(), "ca_file")
	require.ErrorContains(t, TLSConfig{Client: true}.Validate(), "cert_file and key_file")
	require.ErrorContains(t, TLSConfig{ClientAuth: true, CAFile: "x"}.Validate(), "client_auth needs client TLS")
	require.ErrorContains(t, TLSConfig{CertFile: "c"}.Validate(), "neither peer nor client")
	require.NoError(t, TLSConfig{Client: true, CertFile: "c", KeyFile: "k"}.Validate())

	// Files that do not hold what they should are refused by Start, by
	// name; nothing is left listening.
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	require.NoError(t, os.WriteFile(bad, []byte("not pem"), 0o600))
	ca := newTestCA(t)
	cert, key := ca.issue(t, "n", loopback)
	for _, tc := range []struct {
		tls  TLSConfig
		want string
	}{
		{TLSConfig{Client: true, CertFile: bad, KeyFile: bad}, "bad.pem"},
		{TLSConfig{Peer: true, CertFile: cert, KeyFile: key, CAFile: bad}, "holds no PEM certificate"},
		{TLSConfig{Peer: true, CertFile: cert, KeyFile: key, CAFile: filepath.Join(dir, "missing.pem")}, "missing.pem"},
	} {
		_, err := Start(Config{Node: oneMember(), PeerListen: "127.0.0.1:0", ClientListen: "127.0.0.1:0", Dir: t.TempDir(), TLS: tc.tls, Logger: quietLog()})
		require.ErrorContains(t, err, tc.want)
	}
}

// Client-port client certificates: with ClientAuth a client without one
// is refused, one with a certificate of the CA is served.
func TestClientTLSWithClientAuth(t *testing.T) {
	ca := newTestCA(t)
	cert, key := ca.issue(t, "node", loopback)
	c := startHostsWith(t, 1, func(c *Config) {
		c.TLS = TLSConfig{CertFile: cert, KeyFile: key, CAFile: ca.file, Client: true, ClientAuth: true}
	})
	c.t = t
	ctx := ctxT(t)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	addr := c.hosts[0].ClientAddr().String()
	anon := tlsClient(t, addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	require.Error(t, anon.Ping(ctx).Err())
	ccf, ckf := ca.issue(t, "app", nil, "app.example")
	cc, err := tls.LoadX509KeyPair(ccf, ckf)
	require.NoError(t, err)
	ok := tlsClient(t, addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", Certificates: []tls.Certificate{cc}})
	require.NoError(t, ok.Set(ctx, "k", "v", 0).Err())
	require.Equal(t, "v", ok.Get(ctx, "k").Val())
}

// oneMember is the node configuration of a one-node cluster at address 0.
func oneMember() node.Config {
	return node.Config{Members: []ring.Member{{ID: 0, Addr: 0}}, Ring: ring.Config{Placement: ring.Placement{N: 1}}}
}

// Certificates that name their member (URI SAN dynasim:member:<id>)
// authenticate that member only, even on one host.
func TestMutualTLSMemberNamedCertificates(t *testing.T) {
	ca := newTestCA(t)
	i := 0
	c := startHostsWith(t, 3, func(cfg *Config) {
		cert, key := ca.issueURIs(t, fmt.Sprintf("member%d", i), loopback, []*url.URL{{Scheme: "dynasim", Opaque: fmt.Sprintf("member:%d", i)}})
		i++
		cfg.TLS = TLSConfig{CertFile: cert, KeyFile: key, CAFile: ca.file, Peer: true}
	})
	c.t = t
	ctx := ctxT(t)
	require.NoError(t, c.client(0).Set(ctx, "k", "v", 0).Err())
	require.Equal(t, "v", c.client(2).Get(ctx, "k").Val())

	// Member 2's certificate, a hello claiming member 1: refused.
	cf, kf := ca.issueURIs(t, "thief", loopback, []*url.URL{{Scheme: "dynasim", Opaque: "member:2"}})
	cert, err := tls.LoadX509KeyPair(cf, kf)
	require.NoError(t, err)
	target := c.hosts[0]
	rogueHello(t, target.PeerAddr().String(), cert, 1)
	require.Eventually(t, func() bool { return target.TransportStats().Unauthenticated == 1 }, 5*time.Second, 5*time.Millisecond)
	require.Zero(t, target.TransportStats().TLSRefused)
	require.NoError(t, c.client(0).Set(ctx, "k", "w", 0).Err())
}
