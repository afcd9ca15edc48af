package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// nodeHelperEnv makes the test binary act as `dynasim node` (a child
// process of TestNodeProcessesSurviveKill9), so the multi-process test
// needs no separate build.
const nodeHelperEnv = "DYNASIM_TEST_NODE_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(nodeHelperEnv); args != "" {
		os.Exit(execute(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// TestNodeProcessesSurviveKill9 runs a 3-process cluster (N=3 W=2 R=2) of
// `dynasim node`, writes through every node, kills one node with SIGKILL
// in the middle of the writes and restarts it, and checks that every
// acknowledged write is read back afterwards. Every child is killed by its
// PID when the test ends.
func TestNodeProcessesSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	clients := make([]string, 3)
	var members strings.Builder
	for i := range 3 {
		clients[i] = freePort(t)
		fmt.Fprintf(&members, "  - {id: %d, peer: %q, client: %q}\n", i+1, freePort(t), clients[i])
	}
	file := filepath.Join(dir, "cluster.yaml")
	require.NoError(t, os.WriteFile(file, []byte("data_dir: data\nnode: {n: 3, r: 2, w: 2, version_mode: dvv, request_timeout: 500ms}\nmembers:\n"+members.String()), 0o644))

	var mu sync.Mutex
	procs := map[int]*exec.Cmd{}
	start := func(i int) {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), nodeHelperEnv+"="+strings.Join([]string{"node", "--cluster", file, "--id", fmt.Sprint(i + 1), "--log-level", "warn"}, "\x1f"))
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		require.NoError(t, cmd.Start())
		mu.Lock()
		procs[i] = cmd
		mu.Unlock()
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	})
	for i := range 3 {
		start(i)
	}
	rc := make([]*redis.Client, 3)
	for i := range 3 {
		rc[i] = redis.NewClient(&redis.Options{Addr: clients[i], Protocol: 2, DisableIdentity: true, MaxRetries: -1,
			DialTimeout: time.Second, ReadTimeout: 3 * time.Second})
		defer rc[i].Close()
	}
	require.Eventually(t, func() bool {
		for _, r := range rc {
			if r.Ping(ctx).Err() != nil {
				return false
			}
		}
		return true
	}, 20*time.Second, 20*time.Millisecond, "the nodes did not come up")

	// Writers on nodes 1 and 2, each on its own keys; node 3 is killed
	// while they write.
	acked := make([]map[string]string, 2)
	var acks, afterKill atomic.Int64
	var killed atomic.Bool
	var wg sync.WaitGroup
	for w := range 2 {
		acked[w] = map[string]string{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				k, v := fmt.Sprintf("w%d-k%d", w, i%30), fmt.Sprintf("v%d", i)
				if rc[w].Set(ctx, k, v, 0).Err() == nil {
					acked[w][k] = v
					acks.Add(1)
					if killed.Load() {
						afterKill.Add(1)
					}
				}
			}
		}()
	}
	require.Eventually(t, func() bool { return acks.Load() >= 60 }, 20*time.Second, time.Millisecond)
	mu.Lock()
	victim := procs[2]
	mu.Unlock()
	require.NoError(t, victim.Process.Signal(syscall.SIGKILL))
	_ = victim.Wait()
	killed.Store(true)
	wg.Wait()
	require.Positive(t, afterKill.Load(), "writes went on being acknowledged with a node killed")
	start(2)
	require.Eventually(t, func() bool { return rc[2].Ping(ctx).Err() == nil }, 20*time.Second, 20*time.Millisecond)

	n := 0
	for w := range 2 {
		for k, v := range acked[w] {
			got, err := rc[(w+1)%3].Get(ctx, k).Result()
			require.NoError(t, err, k)
			require.Equal(t, v, got, "acknowledged write of %s lost", k)
			n++
		}
	}
	require.Equal(t, 60, n, "every key had an acknowledged write")
}
