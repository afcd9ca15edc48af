package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"dynasim/history"
	"dynasim/host"
	"dynasim/node"
	"dynasim/node/coord"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/runner"
	"dynasim/scenarios"
	"dynasim/wire"
)

// inProcessCluster starts n hosts (N=3 R=2 W=2, mode, DEBUG commands on)
// on loopback :0 ports and returns their client addresses.
func inProcessCluster(t *testing.T, n int, mode versions.Mode, tweak ...func(*host.Config)) []string {
	t.Helper()
	var members []ring.Member
	var peers []host.Peer
	pls := make([]net.Listener, n)
	cls := make([]net.Listener, n)
	var addrs []string
	for i := range n {
		var err error
		pls[i], err = net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		cls[i], err = net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		members = append(members, ring.Member{ID: wire.Addr(i + 1), Addr: wire.Addr(i)})
		peers = append(peers, host.Peer{Addr: wire.Addr(i), TCP: pls[i].Addr().String()})
		addrs = append(addrs, cls[i].Addr().String())
	}
	cfg := node.Config{
		Members: members, Ring: ring.Config{Placement: ring.Placement{N: 3}},
		Coordinator: coord.Config{
			R: wire.Need{Level: wire.LevelCount, Count: 2}, W: wire.Need{Level: wire.LevelCount, Count: 2},
			RequestTimeout: 300 * time.Millisecond,
		},
	}
	cfg.Versions.Mode = mode
	for i := range n {
		hc := host.Config{
			Self: wire.Addr(i), Node: cfg, Peers: peers, PeerListener: pls[i], ClientListener: cls[i],
			Dir: t.TempDir(), Seed: uint64(i + 1), DebugCommands: true,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DrainTimeout: time.Second,
		}
		for _, f := range tweak {
			f(&hc)
		}
		h, err := host.Start(hc)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, h.Close()) })
	}
	return addrs
}

const targetScenario = `name: target-test
seed: 3
cluster: {nodes: 3}
node: {n: 3, r: 2, w: 2, version_mode: dvv, read_repair: async}
workload:
  clients: 4
  duration: %s
  think_time_ms: {dist: constant, value: 2}
  mix: {get: 0.5, put: 0.35, rmw: 0.1, delete: 0.05}
  keys: {count: 20}
  value_size_bytes: {dist: constant, value: 64}
  timeout: 1s
%s
quiet_period: 500ms
expect:
  lost_acked_writes: 0
  converged: true
`

func writeScenario(t *testing.T, duration, faults string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(p, []byte(fmt.Sprintf(targetScenario, duration, faults)), 0o644))
	return p
}

// readHistory reads the run's history.jsonl.
func readHistory(t *testing.T, dir string) *history.History {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "history.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	h, err := history.Read(f)
	require.NoError(t, err)
	return h
}

// A scenario with a partition runs against an in-process 3-node cluster:
// the history records real operations through every target, the partition
// and a one-way cut are injected with DEBUG PARTITION and DEBUG DROP
// (operations coordinated on the cut side fail inside them), the
// checks pass with no acknowledged write lost, and the report says the
// run is real and not replayable.
func TestRunTargetAgainstInProcessCluster(t *testing.T) {
	addrs := inProcessCluster(t, 3, versions.ModeDVV)
	file := writeScenario(t, "2s", "faults:\n  - {at: 700ms, for: 600ms, action: partition, sides: [[n1]]}\n  - {at: 1400ms, for: 400ms, action: partition_one_way, sides: [[n2], [n1, n3]]}")
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	code := execute([]string{"run", file, "--target", strings.Join(addrs, ","), "--out", out, "--json"}, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())

	var rep struct {
		Passed      bool     `json:"passed"`
		Targets     []string `json:"targets"`
		Fingerprint string   `json:"fingerprint"`
		Notes       []string `json:"notes"`
		Nodes       []struct {
			Coordinated   uint64 `json:"requests_coordinated"`
			StorageWrites uint64 `json:"storage_writes"`
		} `json:"nodes"`
		Expectations []struct {
			Name string `json:"name"`
			Pass bool   `json:"pass"`
		} `json:"expectations"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &rep), stdout.String())
	require.True(t, rep.Passed)
	require.Equal(t, addrs, rep.Targets)
	require.Empty(t, rep.Fingerprint)
	require.Len(t, rep.Nodes, 3)
	for _, n := range rep.Nodes {
		require.Positive(t, n.Coordinated, "INFO's coordinator counters over the run")
		require.Positive(t, n.StorageWrites)
	}
	require.Contains(t, strings.Join(rep.Notes, "\n"), "not replayable")
	require.Contains(t, strings.Join(rep.Notes, "\n"), "expectation converged not evaluated")
	names := []string{}
	for _, e := range rep.Expectations {
		names = append(names, e.Name)
		require.True(t, e.Pass, e.Name)
	}
	require.Equal(t, []string{"lost_acked_writes", "unverified_acked_writes"}, names)

	h := readHistory(t, out)
	require.NotNil(t, h.Run)
	require.Equal(t, addrs, h.Run.Targets)

	// dynasim check reads the history and says it is a real cluster's.
	stdout.Reset()
	require.Equal(t, exitOK, execute([]string{"check", filepath.Join(out, "history.jsonl")}, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "(a real cluster: not replayable)")
	coords := map[int32]int{}
	var ok, failedInPartition, failedOneWay, finals int
	for _, op := range h.Ops {
		if op.Final {
			finals++
			continue
		}
		coords[op.Coordinator]++
		if op.Outcome == history.OK {
			ok++
		} else if op.Coordinator == 0 && op.InvokeNs > int64(700*time.Millisecond) && op.ReturnNs < int64(1300*time.Millisecond) {
			failedInPartition++
		} else if op.Coordinator == 1 && op.InvokeNs > int64(1400*time.Millisecond) && op.ReturnNs < int64(1800*time.Millisecond) {
			failedOneWay++
		}
	}
	require.Greater(t, ok, 100)
	require.Len(t, coords, 3, "every target coordinated operations")
	require.Positive(t, failedInPartition, "n1, cut off from both others, cannot reach W=2 or R=2")
	require.Positive(t, finals)
	require.Positive(t, failedOneWay, "n2's frames to n1 and n3 are dropped: it cannot gather a quorum")
	require.Len(t, h.Faults, 2)
	require.Contains(t, stderr.String(), "partition")
}

// What a real cluster cannot run is refused before anything runs, and
// says why.
func TestRunTargetRefusals(t *testing.T) {
	addrs := inProcessCluster(t, 3, versions.ModeLWW)
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := execute(args, &stdout, &stderr)
		return code, stderr.String()
	}
	file := writeScenario(t, "1s", "")
	code, errs := run("run", file, "--target", strings.Join(addrs, ","), "--out", t.TempDir())
	require.Equal(t, exitError, code)
	require.Contains(t, errs, "runs version_mode lww, the scenario dvv")

	code, errs = run("run", file, file, "--target", addrs[0])
	require.Equal(t, exitInvalid, code)
	require.Contains(t, errs, "--target runs one scenario")
	code, errs = run("run", file, "--target", addrs[0]+",")
	require.Equal(t, exitInvalid, code)
	require.Contains(t, errs, "empty address")
	code, errs = run("run", file, "--cluster-dir", t.TempDir())
	require.Equal(t, exitInvalid, code)
	require.Contains(t, errs, "need --target")

	dvv := inProcessCluster(t, 3, versions.ModeDVV)
	crash := writeScenario(t, "1s", "faults:\n  - {at: 100ms, for: 100ms, action: crash, nodes: [n2]}")
	code, errs = run("run", crash, "--target", strings.Join(dvv, ","), "--out", t.TempDir())
	require.Equal(t, exitError, code)
	require.Contains(t, errs, "--cluster-dir")
	code, errs = run("cluster", "up", "--scenario", file, "--version-mode", "lww", "--dir", t.TempDir())
	require.Equal(t, exitInvalid, code)
	require.Contains(t, errs, "--version-mode and --scenario")
	code, errs = run("cluster", "up", "--scenario", file, "-n", "2", "--dir", t.TempDir())
	require.Equal(t, exitInvalid, code)
	require.Contains(t, errs, "needs at least 3 nodes")
	code, errs = run("run", file, "--target", "127.0.0.1:1", "--out", t.TempDir())
	require.Equal(t, exitError, code)
	require.Contains(t, errs, "INFO")
}

// TestRunTargetKill9 starts a 3-process cluster with `dynasim cluster up
// --debug-commands`, runs a scenario whose schedule kills node n3 with
// SIGKILL under load and restarts it, and checks through the history
// checker that no acknowledged write was lost. Every child is killed by
// its PID when the test ends.
func TestRunTargetKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	useNodeHelper(t)
	dir := t.TempDir()
	t.Cleanup(func() { killPIDs(dir) })
	base := freeBase(t, 3)
	file := writeScenario(t, "3s", "faults:\n  - {at: 1s, for: 1s, action: crash, nodes: [n3]}\n  - {at: 2500ms, for: 300ms, action: partition, sides: [[n1]]}")
	var stdout, stderr bytes.Buffer
	// The cluster is the scenario's: its node count and node section.
	code := execute([]string{"cluster", "up", "--scenario", file, "--dir", dir, "--base-port", fmt.Sprint(base), "--debug-commands", "--timeout", "20s"}, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	require.Equal(t, 3, strings.Count(stdout.String(), "metrics http://"))
	yml, err := os.ReadFile(filepath.Join(dir, "cluster.yaml"))
	require.NoError(t, err)
	require.Contains(t, string(yml), fmt.Sprintf("scenario: %q\n", file), "the nodes configure themselves from the scenario")
	addrs := []string{}
	for i := 1; i <= 3; i++ {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", base+i))
	}
	pidsBefore, err := readPIDs(dir)
	require.NoError(t, err)

	out := filepath.Join(t.TempDir(), "out")
	stdout.Reset()
	stderr.Reset()
	code = execute([]string{"run", file, "--target", strings.Join(addrs, ","), "--cluster-dir", dir, "--out", out}, &stdout, &stderr)
	require.Equal(t, exitOK, code, stdout.String()+stderr.String())
	require.Contains(t, stderr.String(), "1s: crash n3")
	require.Contains(t, stderr.String(), "2s: restart n3")
	require.Regexp(t, `lost_acked_writes\s.*\b0\b`, stdout.String())
	require.Contains(t, stdout.String(), "(a real cluster: not replayable)")

	pidsAfter, err := readPIDs(dir)
	require.NoError(t, err)
	require.NotEqual(t, pidsBefore[3], pidsAfter[3], "node 3 is a new process")
	require.Equal(t, pidsBefore[1], pidsAfter[1])

	h := readHistory(t, out)
	var ackedWhileDown, writes int
	for _, op := range h.Ops {
		if op.Kind == history.Put && op.Outcome == history.OK {
			writes++
			if op.InvokeNs > int64(1100*time.Millisecond) && op.ReturnNs < int64(1900*time.Millisecond) {
				ackedWhileDown++
			}
		}
	}
	require.Positive(t, ackedWhileDown, "writes were acknowledged with n3 killed")
	require.Greater(t, writes, 50)

	code = execute([]string{"cluster", "down", "--dir", dir}, io.Discard, io.Discard)
	require.Equal(t, exitOK, code)
}

// selfSigned writes a CA and a certificate it signs for 127.0.0.1 (server
// and client use) into dir; it returns the CA file, cert and key files.
func selfSigned(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "node"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
	require.NoError(t, err)
	kDER, err := x509.MarshalECPrivateKey(k)
	require.NoError(t, err)
	write := func(name, kind string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: b}), 0o600))
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("node.pem", "CERTIFICATE", der), write("node-key.pem", "EC PRIVATE KEY", kDER)
}

// run --target reaches a cluster whose client ports speak TLS (with client
// certificates required) through --tls-ca, --tls-cert and --tls-key.
func TestRunTargetOverTLS(t *testing.T) {
	ca, cert, key := selfSigned(t, t.TempDir())
	addrs := inProcessCluster(t, 3, versions.ModeDVV, func(c *host.Config) {
		c.TLS = host.TLSConfig{CertFile: cert, KeyFile: key, CAFile: ca, Client: true, ClientAuth: true, Peer: true}
	})
	file := writeScenario(t, "500ms", "")
	var stdout, stderr bytes.Buffer
	target := strings.Join(addrs, ",")
	code := execute([]string{"run", file, "--target", target, "--out", t.TempDir(), "--tls-ca", ca, "--tls-cert", cert, "--tls-key", key}, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	require.Contains(t, stdout.String(), "PASS")

	code = execute([]string{"run", file, "--target", target, "--out", t.TempDir()}, &stdout, &stderr)
	require.Equal(t, exitError, code, "plaintext clients cannot read INFO from a TLS port")
	code = execute([]string{"run", file, "--target", target, "--tls-cert", cert}, &stdout, &stderr)
	require.Equal(t, exitInvalid, code)
}

// The shipped real-cluster scenario is a valid scenario.
func TestShippedTargetScenarioValidates(t *testing.T) {
	code := execute([]string{"validate", filepath.Join("..", "..", "deploy", "target-smoke.yaml")}, io.Discard, io.Discard)
	require.Equal(t, exitOK, code)
}

// An interrupt (the context) cuts the workload short: the partition is
// healed, the keys are read back, and the report says so.
func TestRunTargetInterrupted(t *testing.T) {
	addrs := inProcessCluster(t, 3, versions.ModeDVV)
	file := writeScenario(t, "30s", "faults:\n  - {at: 100ms, action: partition, sides: [[n1]]}")
	sc, err := scenarios.Load(file)
	require.NoError(t, err)
	res, err := sc.Resolve(sc.DefaultSeed())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
	defer cancel()
	begin := time.Now()
	out, err := runner.RunTarget(res, runner.TargetOptions{Targets: addrs, Context: ctx})
	require.NoError(t, err)
	require.Less(t, time.Since(begin), 20*time.Second, "the 30 s workload stopped at the interrupt")
	require.Contains(t, strings.Join(out.Report.Notes, "\n"), "interrupted after")
	require.True(t, out.Passed, "no acknowledged write lost")
	// Healed: a write through n1 reaches a quorum again.
	r := redis.NewClient(&redis.Options{Addr: addrs[0], Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer r.Close()
	require.NoError(t, r.Set(context.Background(), "after", "v", 0).Err())
	require.Equal(t, "partitioned_from: dropping_to: delay:0s delayed_to:all", r.Do(context.Background(), "DEBUG", "FAULTS").Val())
}

// An open-loop workload (Poisson arrivals per client) runs against a real
// cluster too.
func TestRunTargetOpenLoop(t *testing.T) {
	addrs := inProcessCluster(t, 3, versions.ModeLWW)
	p := filepath.Join(t.TempDir(), "open.yaml")
	require.NoError(t, os.WriteFile(p, []byte(`name: open-loop
seed: 5
cluster: {nodes: 3}
node: {n: 3, r: 2, w: 2, version_mode: lww}
workload:
  clients: 2
  rate_per_client: 200
  duration: 1s
  mix: {get: 0.5, put: 0.5}
  keys: {count: 10}
quiet_period: 200ms
expect:
  lost_acked_writes: 0
`), 0o644))
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := execute([]string{"run", p, "--target", strings.Join(addrs, ","), "--out", out}, &stdout, &stderr)
	require.Equal(t, exitOK, code, stdout.String()+stderr.String())
	h := readHistory(t, out)
	n := 0
	for _, op := range h.Ops {
		if !op.Final && op.Outcome == history.OK {
			n++
		}
	}
	// 2 clients at 200/s for 1 s: about 400 arrivals (a loose bound: the
	// machine may be slow, the count is Poisson).
	require.Greater(t, n, 100)
	require.Less(t, n, 1000)
}

// workload.retries: an attempt that fails (n1 cut off) is retried at
// another target, and the history lists every coordinator tried.
func TestRunTargetRetries(t *testing.T) {
	addrs := inProcessCluster(t, 3, versions.ModeDVV)
	p := filepath.Join(t.TempDir(), "retry.yaml")
	require.NoError(t, os.WriteFile(p, []byte(`name: retries
seed: 9
cluster: {nodes: 3}
node: {n: 3, r: 2, w: 2, version_mode: dvv}
workload:
  clients: 4
  duration: 1s
  think_time_ms: {dist: constant, value: 2}
  mix: {get: 0.7, put: 0.3}
  keys: {count: 10}
  timeout: 1s
  retries: 3
faults:
  - {at: 0s, action: partition, sides: [[n1]]}
quiet_period: 200ms
expect:
  lost_acked_writes: 0
`), 0o644))
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := execute([]string{"run", p, "--target", strings.Join(addrs, ","), "--out", out}, &stdout, &stderr)
	require.Equal(t, exitOK, code, stdout.String()+stderr.String())
	retried := 0
	for _, op := range readHistory(t, out).Ops {
		if len(op.Tried) > 1 && op.Outcome == history.OK {
			retried++
			require.Equal(t, op.Tried[len(op.Tried)-1], op.Coordinator)
		}
	}
	require.Positive(t, retried, "operations that failed at n1 succeeded at another node")
}
