package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"dynasim/host"
	"dynasim/node"
)

// writeClusterCerts makes a throwaway CA for a local cluster and a
// certificate per member, in dir/certs: ca.pem and ca-key.pem (mode 0600,
// to issue client certificates), node-<id>.pem and node-<id>-key.pem. A
// member's certificate is valid for 127.0.0.1 and localhost, for server
// and client use, and names its member with the URI SAN
// dynasim:member:<id>, so that the transport's mutual TLS tells members
// apart on one machine. Valid for a year.
func writeClusterCerts(dir string, ids []int) error {
	cd := filepath.Join(dir, "certs")
	if err := os.MkdirAll(cd, 0o700); err != nil {
		return err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	serial := func() (*big.Int, error) { return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120)) }
	sn, err := serial()
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: sn, Subject: pkix.Name{CommonName: "dynasim local cluster CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	if err := writePEMFile(filepath.Join(cd, "ca.pem"), "CERTIFICATE", caDER, 0o644); err != nil {
		return err
	}
	if err := writeKey(filepath.Join(cd, "ca-key.pem"), caKey); err != nil {
		return err
	}
	for _, id := range ids {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		sn, err := serial()
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{
			SerialNumber: sn, Subject: pkix.Name{CommonName: fmt.Sprintf("dynasim node %d", id)},
			NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
			URIs: []*url.URL{{Scheme: "dynasim", Opaque: fmt.Sprintf("member:%d", id)}},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		if err := writePEMFile(filepath.Join(cd, fmt.Sprintf("node-%d.pem", id)), "CERTIFICATE", der, 0o644); err != nil {
			return err
		}
		if err := writeKey(filepath.Join(cd, fmt.Sprintf("node-%d-key.pem", id)), key); err != nil {
			return err
		}
	}
	return nil
}

func writeKey(path string, k *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return err
	}
	return writePEMFile(path, "EC PRIVATE KEY", der, 0o600)
}

func writePEMFile(path, kind string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), mode)
}

// clusterClientTLS is the client TLS configuration that reaches the
// client ports of the cluster in dir (nil when client_tls is off): it
// trusts the cluster's ca_file and, under client_auth, presents member
// id's own certificate (valid for client use when cluster up made it).
func clusterClientTLS(dir string) (*tls.Config, error) {
	cf, err := host.LoadClusterFile(filepath.Join(dir, "cluster.yaml"))
	if err != nil {
		return nil, err
	}
	if !cf.TLS.ClientTLS || len(cf.Members) == 0 {
		return nil, nil
	}
	// Only the TLS files matter here: a scenario-configured cluster's node
	// configuration is not needed (nor resolved).
	var fromScenario *node.Config
	if cf.ScenarioPath() != "" {
		fromScenario = &node.Config{}
	}
	cfg, err := cf.HostConfigFor(cf.Members[0].ID, fromScenario)
	if err != nil {
		return nil, err
	}
	if cfg.TLS.CAFile == "" {
		return nil, fmt.Errorf("%s: client_tls without a ca_file: the client port's certificate cannot be verified", filepath.Join(dir, "cluster.yaml"))
	}
	cert := ""
	if cf.TLS.ClientAuth {
		cert = cfg.TLS.CertFile
	}
	key := ""
	if cert != "" {
		key = cfg.TLS.KeyFile
	}
	return targetTLS(cfg.TLS.CAFile, cert, key)
}
