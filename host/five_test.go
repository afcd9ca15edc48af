package host

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A 5-node cluster (N=3 W=2 R=2): a write through any node is read
// through every other, and a key's replicas are 3 of the 5.
func TestFiveNodeCluster(t *testing.T) {
	c := startCluster(t, 5)
	ctx := ctxT(t)
	for i := range 5 {
		require.NoError(t, c.client(i).Set(ctx, fmt.Sprint("k", i), fmt.Sprint("v", i), 0).Err())
	}
	for i := range 5 {
		for j := range 5 {
			require.Equal(t, fmt.Sprint("v", i), c.client(j).Get(ctx, fmt.Sprint("k", i)).Val(), "key %d through node %d", i, j)
		}
	}
	writes := uint64(0)
	for _, h := range c.hosts {
		writes += h.Stats().Replica.Puts
	}
	require.EqualValues(t, 5*3, writes, "every write stored on N=3 replicas")
}

// redis-cli (Debian redis-tools), when installed, talks to the cluster.
func TestRedisCLI(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed")
	}
	c := startCluster(t, 3)
	run := func(i int, args ...string) string {
		host, port, _ := strings.Cut(c.hosts[i].ClientAddr().String(), ":")
		out, err := exec.Command(cli, append([]string{"-h", host, "-p", port}, args...)...).CombinedOutput()
		require.NoError(t, err, string(out))
		return strings.TrimSpace(string(out))
	}
	require.Equal(t, "PONG", run(0, "PING"))
	require.Equal(t, "OK", run(0, "SET", "greeting", "hello"))
	require.Equal(t, "hello", run(1, "GET", "greeting"))
	require.Equal(t, "1", run(2, "DEL", "greeting"))
	require.Equal(t, "", run(0, "GET", "greeting"))
}
