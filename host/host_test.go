package host

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"dynasim/node"
	"dynasim/node/coord"
	"dynasim/node/ring"
	"dynasim/wire"
)

// testCluster is n hosts on loopback ports, N=3 W=2 R=2 (fewer with
// fewer nodes).
type testCluster struct {
	t     testing.TB
	hosts []*Host
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startCluster(t *testing.T, n int) *testCluster {
	t.Helper()
	c := startHosts(t, n)
	c.t = t
	return c
}

func startHosts(t testing.TB, n int, tweak ...func(*node.Config)) *testCluster {
	t.Helper()
	return startHostsWith(t, n, nil, tweak...)
}

// startHostsWith is startHosts with hostTweak, when not nil, applied to
// each host's Config before it starts.
func startHostsWith(t testing.TB, n int, hostTweak func(*Config), tweak ...func(*node.Config)) *testCluster {
	t.Helper()
	var members []ring.Member
	var peers []Peer
	pls := make([]net.Listener, n)
	cls := make([]net.Listener, n)
	for i := range n {
		var err error
		pls[i], err = net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		cls[i], err = net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		members = append(members, ring.Member{ID: wire.Addr(i), Addr: wire.Addr(i)})
		peers = append(peers, Peer{Addr: wire.Addr(i), TCP: pls[i].Addr().String()})
	}
	cfg := node.Config{
		Members: members,
		Ring:    ring.Config{Placement: ring.Placement{N: min(3, n)}},
		Coordinator: coord.Config{
			R:              wire.Need{Level: wire.LevelCount, Count: uint8(min(2, n))},
			W:              wire.Need{Level: wire.LevelCount, Count: uint8(min(2, n))},
			RequestTimeout: 500 * time.Millisecond,
		},
	}
	for _, f := range tweak {
		f(&cfg)
	}
	c := &testCluster{t: t}
	for i := range n {
		hc := Config{
			Self: wire.Addr(i), Node: cfg, Peers: peers,
			PeerListener: pls[i], ClientListener: cls[i],
			Dir: t.TempDir(), Seed: uint64(i + 1), Logger: quietLog(),
			DrainTimeout: time.Second,
		}
		if hostTweak != nil {
			hostTweak(&hc)
		}
		h, err := Start(hc)
		require.NoError(t, err)
		c.hosts = append(c.hosts, h)
	}
	t.Cleanup(func() {
		for _, h := range c.hosts {
			require.NoError(t, h.Close())
		}
	})
	return c
}

func (c *testCluster) client(i int) *redis.Client {
	r := redis.NewClient(&redis.Options{
		Addr: c.hosts[i].ClientAddr().String(), Protocol: 2, DisableIdentity: true,
		MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: time.Second,
	})
	c.t.Cleanup(func() { r.Close() })
	return r
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestClusterAnswersRedisCommands(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	r0, r1, r2 := c.client(0), c.client(1), c.client(2)

	require.Equal(t, "PONG", r0.Ping(ctx).Val())
	require.NoError(t, r0.Set(ctx, "k1", "v1", 0).Err())
	// Read through every other node: W=2 R=2 overlap.
	got, err := r1.Get(ctx, "k1").Result()
	require.NoError(t, err)
	require.Equal(t, "v1", got)
	require.NoError(t, r2.Set(ctx, "k1", "v2", 0).Err())
	got, err = r0.Get(ctx, "k1").Result()
	require.NoError(t, err)
	require.Equal(t, "v2", got, "SET overwrites: no sibling of the old value")

	_, err = r0.Get(ctx, "missing").Result()
	require.ErrorIs(t, err, redis.Nil)

	require.NoError(t, r1.Set(ctx, "k2", "x", 0).Err())
	n, err := r2.Exists(ctx, "k1", "k2", "missing").Result()
	require.NoError(t, err)
	require.EqualValues(t, 2, n)

	n, err = r0.Del(ctx, "k1", "missing").Result()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	_, err = r1.Get(ctx, "k1").Result()
	require.ErrorIs(t, err, redis.Nil)
	n, err = r2.Exists(ctx, "k1").Result()
	require.NoError(t, err)
	require.EqualValues(t, 0, n)

	info, err := r0.Info(ctx).Result()
	require.NoError(t, err)
	require.Contains(t, info, "dynasim_node:0")
	require.Contains(t, info, "member_id:0\r\n")
	require.Contains(t, info, "# Config\r\nversion_mode:dvv\r\nn:3\r\nr:2\r\nw:2\r\nread_repair:async\r\n")
	require.Contains(t, info, "frames_sent:")
	require.Regexp(t, `(?m)^coordinator_gets:[1-9]`, info)
	require.Regexp(t, `(?m)^store_puts:[1-9][0-9]*\r$`, info)
	seen := map[string]bool{}
	for _, line := range strings.Split(info, "\r\n") {
		if name, _, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			require.False(t, seen[name], "INFO field %s appears twice", name)
			seen[name] = true
		}
	}
	require.Regexp(t, `(?m)^engine_[a-z_]+:`, info)
	require.NotRegexp(t, `(?m)^[a-z_]*[A-Z]`, info, "field names are snake case")
}

func TestClientErrors(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	r := c.client(0)

	err := r.Set(ctx, "big", strings.Repeat("x", 10<<10+1), 0).Err()
	require.EqualError(t, err, "ERR value size 10241 bytes exceeds the limit of 10240 bytes")
	err = r.Set(ctx, strings.Repeat("k", 1025), "v", 0).Err()
	require.EqualError(t, err, "ERR key size 1025 bytes exceeds the limit of 1024 bytes")
	err = r.Do(ctx, "NOSUCH", "a").Err()
	require.EqualError(t, err, "ERR unknown command 'NOSUCH'")
	err = r.Set(ctx, "k", "v", time.Minute).Err()
	require.ErrorContains(t, err, "not supported")
	// Nothing was written by the refused requests.
	require.ErrorIs(t, r.Get(ctx, "big").Err(), redis.Nil)
}

func TestPipelining(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	r := c.client(1)
	cmds, err := r.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range 20 {
			p.Set(ctx, fmt.Sprint("p", i), fmt.Sprint("v", i), 0)
			p.Get(ctx, fmt.Sprint("p", i))
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, cmds, 40)
	for i := range 20 {
		require.Equal(t, fmt.Sprint("v", i), cmds[2*i+1].(*redis.StringCmd).Val(), "a pipeline's GET sees the SET before it")
	}
}

func TestQuorumSurvivesOneNodeClosed(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	r0 := c.client(0)
	for i := range 10 {
		require.NoError(t, r0.Set(ctx, fmt.Sprint("k", i), "before", 0).Err())
	}
	require.NoError(t, c.hosts[2].Close())
	r1 := c.client(1)
	for i := range 10 {
		got, err := r1.Get(ctx, fmt.Sprint("k", i)).Result()
		require.NoError(t, err)
		require.Equal(t, "before", got)
		require.NoError(t, r0.Set(ctx, fmt.Sprint("k", i), "after", 0).Err())
		got, err = r1.Get(ctx, fmt.Sprint("k", i)).Result()
		require.NoError(t, err)
		require.Equal(t, "after", got)
	}
	// With two of three down, W=2 cannot be met: a clear error.
	require.NoError(t, c.hosts[1].Close())
	err := r0.Set(ctx, "k0", "lonely", 0).Err()
	require.Error(t, err)
	require.Regexp(t, "^(QUORUM|UNKNOWN) ", err.Error())
}
