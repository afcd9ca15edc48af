package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"dynasim/host"
	"dynasim/reports"
	"dynasim/runner"
	"dynasim/scenarios"
)

// runTarget is `dynasim run FILE --target HOST:PORT,...`: the scenario's
// workload and faults against a real cluster, checked and reported as a
// simulated run is.
func runTarget(path string, res *scenarios.Resolved, targets []string, tc *tls.Config, clusterDir, outDir string, asJSON bool, start time.Time, stdout, stderr io.Writer) error {
	opt := runner.TargetOptions{
		Targets: targets, TLS: tc, ScenarioPath: path, Start: start,
		OutDir: defaultStr(outDir, filepath.Join("out", runner.DirName(res.Name)+"-target")),
		Logf:   func(f string, a ...any) { fmt.Fprintf(stderr, "dynasim: "+f+"\n", a...) },
	}
	if clusterDir != "" {
		ctc, err := clusterClientTLS(clusterDir)
		if err != nil {
			return withCode(exitInvalid, fmt.Errorf("--cluster-dir: %w", err))
		}
		if opt.TLS == nil {
			opt.TLS = ctc // a cluster up --tls cluster: its own CA
		}
		p, err := newClusterProcesses(clusterDir, targets)
		if err != nil {
			return withCode(exitInvalid, err)
		}
		p.tls = ctc
		opt.Processes = p
	}
	// go-redis logs every failed dial of its pools; a run against a
	// cluster whose nodes are killed on purpose expects them, and the
	// history records each failed operation.
	redis.SetLogger(quietRedisLog{})
	// An interrupt ends the workload early; the faults are still healed
	// and the keys read back, so the cluster is not left partitioned.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opt.Context = ctx
	out, err := runner.RunTarget(res, opt)
	if err != nil {
		return withCode(exitError, fmt.Errorf("%s: %w", path, err))
	}
	if asJSON {
		if err := writeJSONReports(stdout, []*reports.Report{out.Report}); err != nil {
			return withCode(exitError, err)
		}
	} else {
		if err := reports.WriteText(stdout, out.Report, reports.TextOptions{Color: isTerminal(stdout)}); err != nil {
			return withCode(exitError, err)
		}
		fmt.Fprintf(stdout, "files: %s/{%s}\n", opt.OutDir, joinNames(out.Files))
	}
	if !out.Passed {
		return withCode(exitFailed, errFailed)
	}
	return nil
}

type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}

// targetTLS is the clients' TLS configuration from --tls-ca, --tls-cert
// and --tls-key; nil when none is given.
func targetTLS(ca, cert, key string) (*tls.Config, error) {
	if ca == "" {
		if cert != "" || key != "" {
			return nil, fmt.Errorf("--tls-cert and --tls-key need --tls-ca")
		}
		return nil, nil
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		return nil, fmt.Errorf("--tls-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--tls-ca %s holds no PEM certificate", ca)
	}
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if cert != "" {
		c, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert %s / --tls-key %s: %w", cert, key, err)
		}
		tc.Certificates = []tls.Certificate{c}
	}
	return tc, nil
}

// clusterProcesses are the node processes of a cluster started by
// `dynasim cluster up` in dir, by the index of their target.
type clusterProcesses struct {
	dir, file string
	ids       []int    // member id of target i
	addrs     []string // client address of target i
	tls       *tls.Config
}

func newClusterProcesses(dir string, targets []string) (*clusterProcesses, error) {
	file := filepath.Join(dir, "cluster.yaml")
	cf, err := host.LoadClusterFile(file)
	if err != nil {
		return nil, fmt.Errorf("--cluster-dir: %w", err)
	}
	p := &clusterProcesses{dir: dir, file: file, addrs: targets}
	for _, t := range targets {
		id := -1
		for _, m := range cf.Members {
			if m.Client == t {
				id = int(m.ID)
			}
		}
		if id < 0 {
			return nil, fmt.Errorf("--cluster-dir %s: no member of %s has the client address %s", dir, file, t)
		}
		p.ids = append(p.ids, id)
	}
	return p, nil
}

func (p *clusterProcesses) pid(i int) (int, error) {
	pids, err := readPIDs(p.dir)
	if err != nil {
		return 0, err
	}
	pid, ok := pids[p.ids[i]]
	if !ok {
		return 0, fmt.Errorf("no PID file for node %d in %s", p.ids[i], p.dir)
	}
	return pid, nil
}

func (p *clusterProcesses) signal(i int, sig syscall.Signal) (int, error) {
	pid, err := p.pid(i)
	if err != nil {
		return 0, err
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return 0, fmt.Errorf("node %d (pid %d): %v: %w", p.ids[i], pid, sig, err)
	}
	return pid, nil
}

// Kill sends SIGKILL and waits until the process is gone.
func (p *clusterProcesses) Kill(i int) error {
	pid, err := p.signal(i, syscall.SIGKILL)
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(5 * time.Second); alive(pid); {
		if time.Now().After(deadline) {
			return fmt.Errorf("node %d (pid %d) still runs 5s after SIGKILL", p.ids[i], pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// Restart starts the node's process again (its log appended to) and waits
// until it answers PING.
func (p *clusterProcesses) Restart(i int) error {
	if pid, err := p.pid(i); err == nil && alive(pid) {
		return fmt.Errorf("node %d (pid %d) is running", p.ids[i], pid)
	}
	if err := startNode(p.dir, p.file, p.ids[i]); err != nil {
		return err
	}
	for deadline := time.Now().Add(20 * time.Second); !pingRESP(p.addrs[i], p.tls); {
		if time.Now().After(deadline) {
			return fmt.Errorf("node %d did not answer PING on %s within 20s of its restart", p.ids[i], p.addrs[i])
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func (p *clusterProcesses) Pause(i int) error {
	_, err := p.signal(i, syscall.SIGSTOP)
	return err
}

func (p *clusterProcesses) Resume(i int) error {
	_, err := p.signal(i, syscall.SIGCONT)
	return err
}

// splitTargets parses --target's comma-separated list.
func splitTargets(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			return nil, fmt.Errorf("--target %q: an empty address", s)
		}
		out = append(out, t)
	}
	return out, nil
}
