package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// freeBase finds a base port whose client (base+i), peer (base+10000+i)
// and metrics (base+20000+i) ports, i in 1..n, can all be bound now.
func freeBase(t *testing.T, n int) int {
	t.Helper()
	for base := 11000 + os.Getpid()%5000; base < 20000; base += 97 {
		ok := true
		for i := 1; i <= n && ok; i++ {
			for _, p := range []int{base + i, base + 10000 + i, base + 20000 + i} {
				ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
				if err != nil {
					ok = false
					break
				}
				ln.Close()
			}
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

// useNodeHelper makes the node processes that cluster up starts run this
// test binary as dynasim node (TestMain), for the rest of the test.
func useNodeHelper(t *testing.T) {
	old := nodeProcess
	nodeProcess = func(args []string) (*exec.Cmd, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), nodeHelperEnv+"="+strings.Join(append([]string{"node", "--log-level", "warn"}, args...), "\x1f"))
		return cmd, nil
	}
	t.Cleanup(func() { nodeProcess = old })
}

// killPIDs kills every node process whose PID file is in dir.
func killPIDs(dir string) {
	pids, _ := readPIDs(dir)
	for _, pid := range pids {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
}

// TestClusterUpStatusDown starts a local 3-process cluster with `dynasim
// cluster up`, checks `status`, stops it with `down`; the children run the
// test binary as `dynasim node` (TestMain), and any left are killed by PID.
func TestClusterUpStatusDown(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	useNodeHelper(t)
	dir := t.TempDir()
	t.Cleanup(func() { killPIDs(dir) })
	base := freeBase(t, 3)
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := execute(args, &out, &errb)
		return code, out.String(), errb.String()
	}
	code, _, errs := run("cluster", "up", "--dir", dir, "--version-mode", "newest")
	require.Equal(t, exitInvalid, code)
	require.Contains(t, errs, "--version-mode")

	code, out, errs := run("cluster", "up", "-n", "3", "--dir", dir, "--base-port", fmt.Sprint(base), "--timeout", "20s")
	require.Equal(t, exitOK, code, errs)
	var want strings.Builder
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&want, "node %d: 127.0.0.1:%d metrics http://127.0.0.1:%d/metrics\n", i, base+i, base+20000+i)
	}
	require.Equal(t, want.String(), out)
	// Each node serves its metrics where cluster up said.
	for i := 1; i <= 3; i++ {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", base+20000+i))
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, string(body), "dynasim_transport_frames_sent_total")
	}

	code, _, errs = run("cluster", "up", "-n", "3", "--dir", dir, "--base-port", fmt.Sprint(base))
	require.Equal(t, exitInvalid, code)
	require.Contains(t, errs, "cluster down")

	code, out, _ = run("cluster", "status", "--dir", dir)
	require.Equal(t, exitOK, code, out)
	require.Equal(t, 3, strings.Count(out, ": up\n"), out)

	// A write through one node is read through another.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, v := range []string{"set", "get"} {
		r := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", base+1+i), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
		if v == "set" {
			require.NoError(t, r.Set(ctx, "k", "v", 0).Err())
		} else {
			require.Equal(t, "v", r.Get(ctx, "k").Val())
		}
		r.Close()
	}

	code, out, _ = run("cluster", "down", "--dir", dir, "--timeout", "10s")
	require.Equal(t, exitOK, code)
	require.Equal(t, 3, strings.Count(out, ": stopped\n"), out)
	pids, err := readPIDs(dir)
	require.NoError(t, err)
	require.Empty(t, pids)
}

// TestClusterUpTLS starts 3 processes with `cluster up --tls`: the nodes
// speak mutual TLS to each other with the certificates cluster up made,
// the client ports TLS; go-redis trusting DIR/certs/ca.pem writes through
// one node and reads through another, status sees every node up over TLS,
// and a plaintext client is refused.
func TestClusterUpTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	useNodeHelper(t)
	dir := t.TempDir()
	t.Cleanup(func() { killPIDs(dir) })
	base := freeBase(t, 3)
	var out, errb bytes.Buffer
	code := execute([]string{"cluster", "up", "-n", "3", "--tls", "--dir", dir, "--base-port", fmt.Sprint(base), "--timeout", "20s"}, &out, &errb)
	require.Equal(t, exitOK, code, errb.String())
	out.Reset()
	require.Equal(t, exitOK, execute([]string{"cluster", "status", "--dir", dir}, &out, &errb), out.String())
	require.Equal(t, 3, strings.Count(out.String(), ": up\n"), out.String())

	tc, err := targetTLS(filepath.Join(dir, "certs", "ca.pem"), "", "")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts := func(i int, tc *tls.Config) *redis.Options {
		return &redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", base+i), Protocol: 2, DisableIdentity: true, MaxRetries: -1, TLSConfig: tc}
	}
	r1, r2 := redis.NewClient(opts(1, tc)), redis.NewClient(opts(2, tc))
	defer r1.Close()
	defer r2.Close()
	require.NoError(t, r1.Set(ctx, "k", "v", 0).Err())
	require.Equal(t, "v", r2.Get(ctx, "k").Val())
	info := r2.Info(ctx).Val()
	require.Contains(t, info, "conns_tls_refused:0\r\n")
	require.Contains(t, info, "conns_unauthenticated:0\r\n")
	plain := redis.NewClient(opts(3, nil))
	defer plain.Close()
	require.Error(t, plain.Ping(ctx).Err())

	require.Equal(t, exitOK, execute([]string{"cluster", "down", "--dir", dir}, io.Discard, io.Discard))
}
