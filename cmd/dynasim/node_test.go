package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestNodeCommandServesRedisUntilCancelled runs `dynasim node` for a
// one-member cluster in-process, talks to it with go-redis, and stops it
// as a signal would (the command's context ends).
func TestNodeCommandServesRedisUntilCancelled(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cluster.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`data_dir: data
node: {n: 1, r: 1, w: 1, version_mode: dvv, request_timeout: 500ms}
members:
  - {id: 7, peer: "127.0.0.1:0", client: "127.0.0.1:0"}
`), 0o644))
	var stdout, stderr syncBuffer
	root := newRoot(time.Now(), &stdout, &stderr)
	root.SetArgs([]string{"node", "--cluster", file, "--id", "7", "--log-level", "warn"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(runCtx) }()

	re := regexp.MustCompile(`client (\S+) `)
	var addr string
	require.Eventually(t, func() bool {
		m := re.FindStringSubmatch(stdout.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, "stdout: %s stderr: %s", stdout.String(), stderr.String())

	r := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer r.Close()
	require.NoError(t, r.Set(ctx, "k", "v", 0).Err())
	require.Equal(t, "v", r.Get(ctx, "k").Val())

	stop()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("the node did not stop")
	}
	require.DirExists(t, filepath.Join(dir, "data", "7"))
}

func TestNodeCommandRefusesAnUnknownID(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cluster.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`members:
  - {id: 1, peer: "127.0.0.1:0", client: "127.0.0.1:0"}
`), 0o644))
	var stdout, stderr bytes.Buffer
	code := execute([]string{"node", "--cluster", file, "--id", "2"}, &stdout, &stderr)
	require.Equal(t, exitInvalid, code)
	require.Contains(t, stderr.String(), "no member with id 2")
}
