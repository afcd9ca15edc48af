package host

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// DEBUG PARTITION cuts a node's transport off from the members named,
// both ways; HEAL undoes it. Off unless Config.DebugCommands.
func TestDebugPartitionAndHeal(t *testing.T) {
	c := startHostsWith(t, 3, func(c *Config) { c.DebugCommands = true })
	c.t = t
	ctx := ctxT(t)
	r0, r1, r2 := c.client(0), c.client(1), c.client(2)
	require.NoError(t, r0.Set(ctx, "k", "v0", 0).Err())

	// Node 0 (member 0) cut off from members 1 and 2, and they from it.
	require.NoError(t, r0.Do(ctx, "DEBUG", "PARTITION", "1", "2").Err())
	require.NoError(t, r1.Do(ctx, "DEBUG", "PARTITION", "0").Err())
	require.NoError(t, r2.Do(ctx, "DEBUG", "PARTITION", "0").Err())
	require.Equal(t, "partitioned_from:1,2 dropping_to: delay:0s delayed_to:all", r0.Do(ctx, "DEBUG", "FAULTS").Val())
	err := r0.Set(ctx, "k", "v1", 0).Err()
	require.Error(t, err)
	require.Regexp(t, "^(QUORUM|UNKNOWN) ", err.Error())
	require.NoError(t, r1.Set(ctx, "k", "v2", 0).Err(), "the majority side still has W=2")
	require.Positive(t, c.hosts[0].TransportStats().Partitioned)

	for i, r := range [](func() error){
		func() error { return r0.Do(ctx, "DEBUG", "HEAL").Err() },
		func() error { return r1.Do(ctx, "DEBUG", "HEAL").Err() },
		func() error { return r2.Do(ctx, "DEBUG", "HEAL").Err() },
	} {
		require.NoError(t, r(), i)
	}
	require.Equal(t, "none", r0.Do(ctx, "DEBUG", "FAULTS").Val())
	require.NoError(t, r0.Set(ctx, "k", "v3", 0).Err())
	require.Equal(t, "v3", r2.Get(ctx, "k").Val())

	// One way: node 0 drops what it sends to 1 and 2, and still hears
	// them; its writes cannot reach W=2, theirs still can.
	require.NoError(t, r0.Do(ctx, "DEBUG", "DROP", "1", "2").Err())
	require.Equal(t, "partitioned_from: dropping_to:1,2 delay:0s delayed_to:all", r0.Do(ctx, "DEBUG", "FAULTS").Val())
	before := c.hosts[0].TransportStats().Partitioned
	require.Error(t, r0.Set(ctx, "k", "v5", 0).Err())
	require.Greater(t, c.hosts[0].TransportStats().Partitioned, before)
	require.NoError(t, r1.Set(ctx, "k", "v6", 0).Err())
	require.NoError(t, r0.Do(ctx, "DEBUG", "HEAL").Err())
	require.NoError(t, r0.Set(ctx, "k", "v7", 0).Err())

	// A delay on every peer: requests still complete (no timing asserted).
	require.NoError(t, r0.Do(ctx, "DEBUG", "DELAY", "20").Err())
	require.Equal(t, "partitioned_from: dropping_to: delay:20ms delayed_to:all", r0.Do(ctx, "DEBUG", "FAULTS").Val())
	require.NoError(t, r0.Set(ctx, "k", "v4", 0).Err())
	require.NoError(t, r0.Do(ctx, "DEBUG", "DELAY", "0").Err())

	for args, want := range map[[3]string]string{
		{"DEBUG", "PARTITION", "9"}: "no member with id 9",
		{"DEBUG", "PARTITION", "0"}: "is this node",
		{"DEBUG", "PARTITION", "x"}: "not a number",
		{"DEBUG", "DELAY", "-1"}:    "want milliseconds",
		{"DEBUG", "SEGFAULT", ""}:   "unknown DEBUG subcommand",
		{"DEBUG", "DELAY", "1e9"}:   "want milliseconds",
		{"DEBUG", "HEAL", "now"}:    "wrong number of arguments",
	} {
		a := []any{args[0], args[1]}
		if args[2] != "" {
			a = append(a, args[2])
		}
		require.ErrorContains(t, r0.Do(ctx, a...).Err(), want, args)
	}
}

func TestDebugCommandsOffByDefault(t *testing.T) {
	c := startCluster(t, 1)
	ctx := ctxT(t)
	require.ErrorContains(t, c.client(0).Do(ctx, "DEBUG", "PARTITION", "1").Err(), "DEBUG commands are off")
}

// VDEL deletes over the versions a VGET's context covers.
func TestVDel(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	r := c.client(0)
	require.NoError(t, r.Set(ctx, "k", "v", 0).Err())
	got, err := r.Do(ctx, "VGET", "k").Slice()
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.NoError(t, r.Do(ctx, "VDEL", "k", got[0]).Err())
	require.Zero(t, c.client(1).Exists(ctx, "k").Val())
}
