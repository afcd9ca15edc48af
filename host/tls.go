package host

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
)

// TLSConfig turns on TLS between nodes and on the client port. The zero
// value is plaintext everywhere (the default).
//
// Between nodes (Peer) TLS is mutual: every node presents CertFile and
// accepts only peers whose certificate CAFile signs, and the hello that
// names the sender is authenticated by that certificate: a certificate
// that names members with URI SANs dynasim:member:<id> authenticates those
// members only; one that names none must be valid (x509 VerifyHostname)
// for the host of the peer address the cluster file gives the member the
// hello names, as a server certificate is for the host a client dials (on
// one machine, such certificates vouch for every member on it: name the
// members to tell them apart). A peer without a valid client
// certificate is refused and counted (TransportStats.TLSRefused), one whose
// certificate is not valid for the member it claims to be likewise
// (TransportStats.Unauthenticated). The dialing side verifies the peer's
// server certificate against CAFile and the peer address's host the same
// way. Peers use TLS 1.3.
//
// On the client port (Client) the node serves CertFile (TLS 1.2 or later);
// with ClientAuth a client must present a certificate CAFile signs.
type TLSConfig struct {
	// CertFile and KeyFile are this node's certificate chain and private
	// key (PEM). Needed by Peer and Client.
	CertFile, KeyFile string
	// CAFile holds the CA certificates (PEM) that sign the cluster's
	// certificates. Needed by Peer and ClientAuth.
	CAFile string
	// Peer turns on mutual TLS between nodes. Default off. Every member of
	// a cluster must agree: a plaintext peer cannot talk to a TLS one.
	Peer bool
	// Client turns on TLS on the Redis-protocol client port. Default off.
	Client bool
	// ClientAuth requires client-port clients to present a certificate
	// signed by CAFile. Default off; needs Client.
	ClientAuth bool
}

// Validate checks that every file the enabled modes need is named.
func (c TLSConfig) Validate() error {
	var errs []error
	if (c.Peer || c.Client) && (c.CertFile == "" || c.KeyFile == "") {
		errs = append(errs, fmt.Errorf("host: tls: peer or client TLS needs cert_file and key_file"))
	}
	if c.Peer && c.CAFile == "" {
		errs = append(errs, fmt.Errorf("host: tls: peer (mutual) TLS needs ca_file, the CA that signs the members' certificates"))
	}
	if c.ClientAuth && !c.Client {
		errs = append(errs, fmt.Errorf("host: tls: client_auth needs client TLS on"))
	}
	if c.ClientAuth && c.CAFile == "" {
		errs = append(errs, fmt.Errorf("host: tls: client_auth needs ca_file, the CA that signs client certificates"))
	}
	if !c.Peer && !c.Client && (c.CertFile != "" || c.KeyFile != "" || c.CAFile != "") {
		errs = append(errs, fmt.Errorf("host: tls: certificate files given but neither peer nor client TLS is on"))
	}
	return errors.Join(errs...)
}

// tlsSetup is a TLSConfig loaded: nil configs where TLS is off.
type tlsSetup struct {
	peerServer *tls.Config // accepting peers: client certificate required
	peerClient *tls.Config // dialing peers (ServerName set per peer)
	client     *tls.Config // the client port
}

func (c TLSConfig) load() (*tlsSetup, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s := &tlsSetup{}
	if !c.Peer && !c.Client {
		return s, nil
	}
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("host: tls: load cert_file %s and key_file %s: %w", c.CertFile, c.KeyFile, err)
	}
	var pool *x509.CertPool
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("host: tls: ca_file: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("host: tls: ca_file %s holds no PEM certificate", c.CAFile)
		}
	}
	if c.Peer {
		s.peerServer = &tls.Config{
			Certificates: []tls.Certificate{cert}, ClientCAs: pool,
			ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS13,
		}
		s.peerClient = &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS13}
	}
	if c.Client {
		s.client = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if c.ClientAuth {
			s.client.ClientCAs = pool
			s.client.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return s, nil
}

// peerHost is the host part of a peer's TCP address, which its
// certificate must be valid for.
func peerHost(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}
