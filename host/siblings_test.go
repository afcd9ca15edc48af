package host

import (
	"sort"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Two blind VSETs (empty context) are concurrent: under the default
// version mode both survive as siblings. GET says so, VGET shows both with
// the context, and a VSET with that context resolves them.
func TestSiblingsThroughVGETAndVSET(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	r0, r1 := c.client(0), c.client(1)
	require.NoError(t, r0.Do(ctx, "VSET", "s", "", "a").Err())
	require.NoError(t, r1.Do(ctx, "VSET", "s", "", "b").Err())

	err := r0.Get(ctx, "s").Err()
	require.EqualError(t, err, "ERR key has 2 siblings (concurrent writes); read them with VGET and write the resolved value with VSET")

	got, err := r1.Do(ctx, "VGET", "s").Slice()
	require.NoError(t, err)
	require.Len(t, got, 3)
	token := got[0].(string)
	require.NotEmpty(t, token)
	vals := []string{got[1].(string), got[2].(string)}
	sort.Strings(vals)
	require.Equal(t, []string{"a", "b"}, vals)

	require.NoError(t, r0.Do(ctx, "VSET", "s", token, "ab").Err())
	v, err := r1.Get(ctx, "s").Result()
	require.NoError(t, err)
	require.Equal(t, "ab", v)

	// A missing key: the context alone.
	got, err = r0.Do(ctx, "VGET", "nothing").Slice()
	require.NoError(t, err)
	require.Len(t, got, 1)
}

func TestConsistencyPerConnection(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	r := redis.NewClient(&redis.Options{Addr: c.hosts[0].ClientAddr().String(), Protocol: 2, DisableIdentity: true, PoolSize: 1, MaxRetries: -1})
	defer r.Close()
	require.Equal(t, "R=DEFAULT W=DEFAULT", r.Do(ctx, "CONSISTENCY").Val())
	require.NoError(t, r.Do(ctx, "CONSISTENCY", "all", "one").Err())
	require.Equal(t, "R=ALL W=ONE", r.Do(ctx, "CONSISTENCY").Val())
	require.NoError(t, r.Set(ctx, "k", "v", 0).Err())
	require.Equal(t, "v", r.Get(ctx, "k").Val())
	require.ErrorContains(t, r.Do(ctx, "CONSISTENCY", "most").Err(), "unknown consistency level")
	// With one node closed, ALL cannot be met; ONE can.
	require.NoError(t, c.hosts[2].Close())
	require.Regexp(t, "^QUORUM quorum not met", r.Get(ctx, "k").Err().Error())
	require.NoError(t, r.Do(ctx, "CONSISTENCY", "one").Err())
	require.Equal(t, "v", r.Get(ctx, "k").Val())
}
