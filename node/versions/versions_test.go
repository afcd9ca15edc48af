package versions

import (
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/wire"
)

func mustVersioner(t testing.TB, cfg Config) *Versioner {
	t.Helper()
	v, err := New(cfg)
	require.NoError(t, err)
	return v
}

var allModes = []Mode{ModeVClock, ModeDVV, ModeLWW}

// node is one replica in these tests: an actor and the set it stores.
type node struct {
	actor wire.ActorID
	set   wire.SiblingSet
}

// put writes value at n with the given context (clock), at time now.
func put(t *testing.T, v *Versioner, n *node, ctx wire.Clock, value string, now int64) {
	t.Helper()
	out, err := v.Update(n.set, Write{Actor: n.actor, Context: ctx, Value: []byte(value), NowNs: now})
	require.NoError(t, err)
	require.NoError(t, v.Check(out))
	n.set = out
}

func del(t *testing.T, v *Versioner, n *node, ctx wire.Clock, now int64) {
	t.Helper()
	out, err := v.Update(n.set, Write{Actor: n.actor, Context: ctx, Tombstone: true, NowNs: now})
	require.NoError(t, err)
	require.NoError(t, v.Check(out))
	n.set = out
}

// sync merges src's set into dst's (replication, read repair).
func sync(t *testing.T, v *Versioner, dst, src *node) {
	t.Helper()
	out, err := v.Merge(dst.set, src.set)
	require.NoError(t, err)
	require.NoError(t, v.Check(out))
	dst.set = out
}

// read merges the sets of the given replicas as a coordinator would and
// returns the sorted live values and the client context.
func read(t *testing.T, v *Versioner, ns ...*node) ([]string, wire.Clock) {
	t.Helper()
	sets := make([]wire.SiblingSet, len(ns))
	for i, n := range ns {
		sets[i] = n.set
	}
	merged, err := v.MergeAll(sets...)
	require.NoError(t, err)
	var vals []string
	for _, b := range Values(merged, nil) {
		vals = append(vals, string(b))
	}
	sort.Strings(vals)
	// The context survives the client round trip through its encoding.
	ctx, err := DecodeContext(AppendContext(nil, v.Context(merged)))
	require.NoError(t, err)
	return vals, ctx
}

// The design's D1…D5 example run through the vector-clock mode over three
// replicas, checking each version's clock against the design.
func TestDesignExampleInVectorClockMode(t *testing.T) {
	v := mustVersioner(t, Config{Mode: ModeVClock})
	x, y, z := &node{actor: sx}, &node{actor: sy}, &node{actor: sz}
	clockOf := func(n *node) wire.Clock {
		require.Len(t, n.set.Siblings, 1)
		return stripTimestamps(n.set.Siblings[0].Clock)
	}

	put(t, v, x, nil, "D1", 1)
	require.Equal(t, clk(1, 1), clockOf(x), "D1[Sx,1]")
	sync(t, v, y, x)
	sync(t, v, z, x)

	_, ctx := read(t, v, x)
	put(t, v, x, ctx, "D2", 2)
	require.Equal(t, clk(1, 2), clockOf(x), "D2[Sx,2] overwrites D1")
	sync(t, v, y, x)
	sync(t, v, z, x)

	_, ctx = read(t, v, y)
	put(t, v, y, ctx, "D3", 3)
	require.Equal(t, clk(1, 2, 2, 1), clockOf(y), "D3[Sx,2][Sy,1]")

	_, ctx = read(t, v, z)
	put(t, v, z, ctx, "D4", 4)
	require.Equal(t, clk(1, 2, 3, 1), clockOf(z), "D4[Sx,2][Sz,1]")

	vals, ctx := read(t, v, y, z)
	require.Equal(t, []string{"D3", "D4"}, vals, "the client sees the conflict")
	require.Equal(t, clk(1, 2, 2, 1, 3, 1), stripTimestamps(ctx))

	put(t, v, x, ctx, "D5", 5)
	require.Equal(t, clk(1, 3, 2, 1, 3, 1), clockOf(x), "D5[Sx,3][Sy,1][Sz,1]")
	for _, n := range []*node{y, z} {
		sync(t, v, n, x)
		vals, _ := read(t, v, n)
		require.Equal(t, []string{"D5"}, vals)
	}
}

// The same history in DVV mode: the same values are visible at every step.
func TestDesignExampleInDVVMode(t *testing.T) {
	v := mustVersioner(t, Config{Mode: ModeDVV})
	x, y, z := &node{actor: sx}, &node{actor: sy}, &node{actor: sz}
	put(t, v, x, nil, "D1", 1)
	_, ctx := read(t, v, x)
	put(t, v, x, ctx, "D2", 2)
	sync(t, v, y, x)
	sync(t, v, z, x)
	_, ctx = read(t, v, y)
	put(t, v, y, ctx, "D3", 3)
	_, ctx = read(t, v, z)
	put(t, v, z, ctx, "D4", 4)
	vals, ctx := read(t, v, y, z)
	require.Equal(t, []string{"D3", "D4"}, vals)
	require.Equal(t, clk(1, 2, 2, 1, 3, 1), ctx, "the causal context is the design's D5 minus the new event")
	put(t, v, x, ctx, "D5", 5)
	require.Equal(t, wire.Dot{Actor: sx, Counter: 3}, x.set.Siblings[0].Dot)
	sync(t, v, y, x)
	sync(t, v, z, y)
	vals, _ = read(t, v, z)
	require.Equal(t, []string{"D5"}, vals)
}

func TestConcurrentPutsBecomeSiblingsAndAMergedContextCollapsesThem(t *testing.T) {
	for _, mode := range []Mode{ModeVClock, ModeDVV} {
		t.Run(mode.String(), func(t *testing.T) {
			v := mustVersioner(t, Config{Mode: mode})
			x, y := &node{actor: sx}, &node{actor: sy}
			put(t, v, x, nil, "a", 1)
			put(t, v, y, nil, "b", 2)
			sync(t, v, x, y)
			sync(t, v, y, x)
			require.True(t, EqualSets(x.set, y.set), "replicas converge")
			vals, ctx := read(t, v, x)
			require.Equal(t, []string{"a", "b"}, vals)

			put(t, v, y, ctx, "c", 3)
			vals, _ = read(t, v, y)
			require.Equal(t, []string{"c"}, vals, "a put carrying the merged context replaces both")
			sync(t, v, x, y)
			vals, _ = read(t, v, x)
			require.Equal(t, []string{"c"}, vals)
		})
	}
	t.Run("lww", func(t *testing.T) {
		v := mustVersioner(t, Config{Mode: ModeLWW})
		x, y := &node{actor: sx}, &node{actor: sy}
		put(t, v, x, nil, "a", 1)
		put(t, v, y, nil, "b", 2)
		sync(t, v, x, y)
		vals, _ := read(t, v, x)
		require.Equal(t, []string{"b"}, vals, "last write wins, no siblings")
	})
}

// Two clients read the same version and write through the same coordinator.
// With server-id vector clocks the second write's clock descends the first
// (the coordinator's counter went up in between) and the first write is
// silently dropped. Dotted version vectors keep both.
func TestLostUpdateOfServerIDVectorClocks(t *testing.T) {
	history := func(mode Mode) ([]string, *Versioner, *node) {
		v := mustVersioner(t, Config{Mode: mode})
		x := &node{actor: sx}
		put(t, v, x, nil, "v0", 1)
		_, stale := read(t, v, x)
		put(t, v, x, stale, "from client A", 2)
		put(t, v, x, stale, "from client B", 3)
		vals, _ := read(t, v, x)
		return vals, v, x
	}

	vals, _, x := history(ModeVClock)
	require.Equal(t, []string{"from client B"}, vals, "vector clocks lose A's write")
	// B's clock [Sx,3] descends A's [Sx,2] though B never saw A's value.
	require.Equal(t, clk(1, 3), stripTimestamps(x.set.Siblings[0].Clock))
	require.Equal(t, After, Compare(clk(1, 3), clk(1, 2)))

	vals, v, x := history(ModeDVV)
	require.Equal(t, []string{"from client A", "from client B"}, vals, "DVV keeps both as siblings")
	_, ctx := read(t, v, x)
	put(t, v, x, ctx, "resolved", 4)
	vals, _ = read(t, v, x)
	require.Equal(t, []string{"resolved"}, vals)
}

// Riak 1.x-style sibling explosion does not happen with DVV: a client that
// keeps writing with its own last context replaces its own value.
func TestDVVBoundsSiblingsToConcurrentWriters(t *testing.T) {
	v := mustVersioner(t, Config{Mode: ModeDVV})
	x := &node{actor: sx}
	put(t, v, x, nil, "bob", 1)
	_, ctxA := read(t, v, x)
	put(t, v, x, nil, "sue", 2) // client B, blind
	put(t, v, x, ctxA, "rita", 3)
	vals, _ := read(t, v, x)
	require.Equal(t, []string{"rita", "sue"}, vals, "rita replaces bob, the value its writer saw")
}

// LWW orders by the coordinator's clock. A coordinator whose clock runs one
// second fast writes first; a client then reads that value and writes a
// newer one through a correct coordinator — and the newer write loses.
func TestLWWWithASkewedClockLosesTheLaterWrite(t *testing.T) {
	const sec = int64(time.Second)
	realNow := 100 * sec
	for _, tc := range []struct {
		skew int64
		want string
	}{{0, "newer"}, {sec, "older"}} {
		v := mustVersioner(t, Config{Mode: ModeLWW})
		fast, correct := &node{actor: sx}, &node{actor: sy}
		put(t, v, fast, nil, "older", realNow+tc.skew)
		sync(t, v, correct, fast)
		_, ctx := read(t, v, correct) // the writer has seen "older"
		put(t, v, correct, ctx, "newer", realNow+sec/2)
		sync(t, v, fast, correct)
		for _, n := range []*node{fast, correct} {
			vals, _ := read(t, v, n)
			require.Equal(t, []string{tc.want}, vals, "skew %v", time.Duration(tc.skew))
		}
	}
	// Equal timestamps break by actor, then counter: deterministic.
	v := mustVersioner(t, Config{Mode: ModeLWW})
	a, b := &node{actor: sx}, &node{actor: sy}
	put(t, v, a, nil, "from sx", 5)
	put(t, v, b, nil, "from sy", 5)
	sync(t, v, a, b)
	vals, _ := read(t, v, a)
	require.Equal(t, []string{"from sy"}, vals)
}

// A tombstone written with the right context hides every sibling it covers;
// a put concurrent with the delete survives it.
func TestTombstones(t *testing.T) {
	for _, mode := range []Mode{ModeVClock, ModeDVV} {
		t.Run(mode.String(), func(t *testing.T) {
			v := mustVersioner(t, Config{Mode: mode})
			x, y := &node{actor: sx}, &node{actor: sy}
			put(t, v, x, nil, "a", 1)
			sync(t, v, y, x)
			_, ctxA := read(t, v, y) // client C has read only "a"
			put(t, v, y, nil, "b", 2)
			sync(t, v, x, y)
			vals, ctx := read(t, v, x)
			require.Equal(t, []string{"a", "b"}, vals)

			del(t, v, x, ctx, 3)
			vals, tombCtx := read(t, v, x)
			require.Empty(t, vals, "the delete hides both siblings")
			require.Zero(t, Live(x.set))
			require.NotEmpty(t, tombCtx, "a deleted key still has a context")

			put(t, v, y, ctxA, "c", 4) // concurrent with the delete
			sync(t, v, x, y)
			sync(t, v, y, x)
			for _, n := range []*node{x, y} {
				vals, _ := read(t, v, n)
				require.Equal(t, []string{"c"}, vals, "the concurrent put survives the tombstone")
			}

			// Deleting with the context that covers c leaves only tombstones;
			// writing after that needs no siblings resolution.
			_, ctx = read(t, v, x)
			del(t, v, x, ctx, 5)
			require.Zero(t, Live(x.set))
			_, ctx = read(t, v, x)
			put(t, v, x, ctx, "fresh", 6)
			require.Len(t, x.set.Siblings, 1)
			vals, _ = read(t, v, x)
			require.Equal(t, []string{"fresh"}, vals)
		})
	}
	t.Run("lww", func(t *testing.T) {
		v := mustVersioner(t, Config{Mode: ModeLWW})
		x := &node{actor: sx}
		put(t, v, x, nil, "a", 1)
		del(t, v, x, nil, 2)
		vals, _ := read(t, v, x)
		require.Empty(t, vals, "a later tombstone wins")
		put(t, v, x, nil, "b", 3)
		vals, _ = read(t, v, x)
		require.Equal(t, []string{"b"}, vals, "a later put beats the tombstone")
		del(t, v, x, nil, 2)
		vals, _ = read(t, v, x)
		require.Equal(t, []string{"b"}, vals, "an older tombstone loses")
	})
}

// Pruning is lossy, both ways.
func TestPruningCanCreateFalseConcurrencyAndFalseDominance(t *testing.T) {
	const sec = int64(time.Second)
	aggressive := Config{Mode: ModeVClock, Prune: PruneConfig{SmallVClock: 1, BigVClock: 1, YoungVClock: time.Second, OldVClock: time.Second}}
	const sa, sb = wire.ActorID(20), wire.ActorID(21)

	t.Run("false concurrency: a descendant becomes a sibling", func(t *testing.T) {
		v := mustVersioner(t, aggressive)
		a, x, y := &node{actor: sa}, &node{actor: sx}, &node{actor: sy}
		put(t, v, a, nil, "Z", 0)
		_, ctx := read(t, v, a)
		put(t, v, x, ctx, "V", 100*sec) // [a:1, x:1] pruned to [x:1]
		require.Equal(t, clk(1, 1), stripTimestamps(x.set.Siblings[0].Clock))
		sync(t, v, y, x)
		_, ctx = read(t, v, y)          // this client has seen V
		put(t, v, y, ctx, "W", 200*sec) // [x:1, y:1] pruned to [y:1]
		require.Len(t, y.set.Siblings, 2, "even W's own coordinator keeps V")
		require.Equal(t, "W", string(y.set.Siblings[1].Value))
		require.Equal(t, clk(2, 1), stripTimestamps(y.set.Siblings[1].Clock))
		sync(t, v, x, y)
		vals, _ := read(t, v, x)
		require.Equal(t, []string{"V", "W"}, vals, "W descends V but pruning made them concurrent")

		// Without pruning W replaces V.
		v = mustVersioner(t, Config{Mode: ModeVClock})
		a, x, y = &node{actor: sa}, &node{actor: sx}, &node{actor: sy}
		put(t, v, a, nil, "Z", 0)
		_, ctx = read(t, v, a)
		put(t, v, x, ctx, "V", 100*sec)
		sync(t, v, y, x)
		_, ctx = read(t, v, y)
		put(t, v, y, ctx, "W", 200*sec)
		sync(t, v, x, y)
		vals, _ = read(t, v, x)
		require.Equal(t, []string{"W"}, vals)
	})

	t.Run("false dominance: a concurrent version is dropped", func(t *testing.T) {
		run := func(cfg Config) []string {
			v := mustVersioner(t, cfg)
			a, x, b := &node{actor: sa}, &node{actor: sx}, &node{actor: sb}
			for i := range 5 { // a:1 … a:5, all at time 0
				_, ctx := read(t, v, a)
				put(t, v, a, ctx, "A"+string(rune('1'+i)), 0)
				if i == 2 {
					sync(t, v, b, a)
				}
			}
			_, fresh := read(t, v, a) // [a:5]
			_, stale := read(t, v, b) // [a:3]
			// V = [a:5, x:1]: concurrent with U below because of a:5.
			put(t, v, x, fresh, "V", 100*sec)
			// U = [a:3, x:2]: it never saw V.
			put(t, v, x, stale, "U", 101*sec)
			vals, _ := read(t, v, x)
			return vals
		}
		require.Equal(t, []string{"U", "V"}, run(Config{Mode: ModeVClock}), "unpruned: concurrent, both kept")
		require.Equal(t, []string{"U"}, run(aggressive), "pruned: V = [x:1] < U = [x:2], V lost")
	})
}

func TestMaxSiblingsIsEnforced(t *testing.T) {
	for _, mode := range []Mode{ModeVClock, ModeDVV} {
		v := mustVersioner(t, Config{Mode: mode, MaxSiblings: 3})
		var set wire.SiblingSet
		var err error
		for i := range 4 {
			set, err = v.Update(set, Write{Actor: wire.ActorID(i + 1), Value: []byte{byte(i)}, NowNs: int64(i)})
			if i < 3 {
				require.NoError(t, err)
			}
		}
		require.ErrorIs(t, err, ErrTooMany)
		require.EqualError(t, err, "versions: 4 siblings exceeds the limit of 3")
	}
}

// The limit is on client writes. Two replicas each at it hold more
// together: their merge (and a read of it) still works, up to what a set
// can carry, and a client write whose context covers every sibling
// resolves the key to one version again.
func TestMergesMayPassTheSiblingLimit(t *testing.T) {
	v := mustVersioner(t, Config{Mode: ModeDVV, MaxSiblings: 3})
	var a, b wire.SiblingSet
	var err error
	for i := range 3 {
		a, err = v.Update(a, Write{Actor: wire.ActorID(10 + i), Value: []byte{'a', byte(i)}})
		require.NoError(t, err)
		b, err = v.Update(b, Write{Actor: wire.ActorID(20 + i), Value: []byte{'b', byte(i)}})
		require.NoError(t, err)
	}
	m, err := v.Merge(a, b)
	require.NoError(t, err)
	require.Len(t, m.Siblings, 6)
	require.NoError(t, v.Check(m), "a stored merge over the write limit reads back")
	_, err = v.Update(m, Write{Actor: 30, Value: []byte("blind")})
	require.ErrorIs(t, err, ErrTooMany, "a write that adds a seventh is refused")
	resolved, err := v.Update(m, Write{Actor: 30, Value: []byte("resolved"), Context: v.Context(m)})
	require.NoError(t, err)
	require.Len(t, resolved.Siblings, 1)
}

func TestUpdateRefusesBadWrites(t *testing.T) {
	v := mustVersioner(t, Config{})
	_, err := v.Update(wire.SiblingSet{}, Write{Actor: sx, Tombstone: true, Value: []byte("x")})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = v.Update(wire.SiblingSet{}, Write{Actor: sx, Context: wire.Clock{{Actor: 2, Counter: 1}, {Actor: 1, Counter: 1}}})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = v.Update(wire.SiblingSet{}, Write{Actor: sx, Context: wire.Clock{{Actor: 2, Counter: 0}}})
	require.ErrorIs(t, err, ErrInvalid)
}

func TestContextEncoding(t *testing.T) {
	c := wire.Clock{{Actor: 1, Counter: 3}, {Actor: wire.ActorOf(7, 2), Counter: 1, TimestampNs: -5}}
	b := AppendContext(nil, c)
	require.Len(t, b, ContextSize(c))
	require.Equal(t, byte(ContextFormat), b[0])
	got, err := DecodeContext(b)
	require.NoError(t, err)
	require.Equal(t, c, got)

	require.Empty(t, AppendContext(nil, nil), "the empty context is zero bytes")
	require.Zero(t, ContextSize(nil))
	got, err = DecodeContext(nil)
	require.NoError(t, err)
	require.Nil(t, got)

	for name, bad := range map[string][]byte{
		"unknown format": {9, 0},
		"truncated":      b[:len(b)-1],
		"trailing":       append(append([]byte(nil), b...), 0),
		"unsorted":       AppendContext(nil, wire.Clock{{Actor: 5, Counter: 1}, {Actor: 3, Counter: 1}}),
	} {
		_, err := DecodeContext(bad)
		require.ErrorIs(t, err, ErrInvalid, name)
	}
	_, err = DecodeContext(make([]byte, wire.MaxContextBytes+1))
	require.ErrorIs(t, err, wire.ErrTooLarge)
	require.ErrorContains(t, err, "context size 8193 bytes exceeds the limit of 8192 bytes")
}

func TestCheckRejectsMalformedSets(t *testing.T) {
	dvv := mustVersioner(t, Config{Mode: ModeDVV})
	vc := mustVersioner(t, Config{Mode: ModeVClock})
	lww := mustVersioner(t, Config{Mode: ModeLWW})
	sib := func(actor, counter uint64, value string) wire.Sibling {
		return wire.Sibling{Dot: wire.Dot{Actor: wire.ActorID(actor), Counter: counter}, Value: []byte(value)}
	}
	cases := []struct {
		name string
		v    *Versioner
		set  wire.SiblingSet
	}{
		{"dot not covered", dvv, wire.SiblingSet{Context: clk(1, 1), Siblings: []wire.Sibling{sib(1, 2, "a")}}},
		{"duplicate dot", dvv, wire.SiblingSet{Context: clk(1, 2), Siblings: []wire.Sibling{sib(1, 2, "a"), sib(1, 2, "b")}}},
		{"unsorted", dvv, wire.SiblingSet{Context: clk(1, 2), Siblings: []wire.Sibling{sib(1, 2, "a"), sib(1, 1, "b")}}},
		{"sibling clock in dvv", dvv, wire.SiblingSet{Context: clk(1, 1), Siblings: []wire.Sibling{{Dot: wire.Dot{Actor: 1, Counter: 1}, Clock: clk(1, 1)}}}},
		{"tombstone value", dvv, wire.SiblingSet{Context: clk(1, 1), Siblings: []wire.Sibling{{Dot: wire.Dot{Actor: 1, Counter: 1}, Tombstone: true, Value: []byte("x")}}}},
		{"zero dot", dvv, wire.SiblingSet{Context: clk(1, 1), Siblings: []wire.Sibling{sib(1, 0, "a")}}},
		{"bad context", dvv, wire.SiblingSet{Context: wire.Clock{{Actor: 2, Counter: 1}, {Actor: 1, Counter: 1}}}},
		{"vclock without clock", vc, wire.SiblingSet{Siblings: []wire.Sibling{sib(1, 1, "a")}}},
		{"vclock dominated sibling", vc, wire.SiblingSet{Siblings: []wire.Sibling{
			{Dot: wire.Dot{Actor: 1, Counter: 1}, Clock: clk(1, 1)}, {Dot: wire.Dot{Actor: 1, Counter: 2}, Clock: clk(1, 2)}}}},
		{"vclock with context", vc, wire.SiblingSet{Context: clk(1, 1), Siblings: []wire.Sibling{{Dot: wire.Dot{Actor: 1, Counter: 1}, Clock: clk(1, 1)}}}},
		{"lww two versions", lww, wire.SiblingSet{Context: clk(1, 2), Siblings: []wire.Sibling{sib(1, 1, "a"), sib(1, 2, "b")}}},
	}
	for _, tc := range cases {
		require.ErrorIs(t, tc.v.Check(tc.set), ErrInvalid, tc.name)
	}
	require.NoError(t, dvv.Check(wire.SiblingSet{}))
}

func TestConfig(t *testing.T) {
	c := Config{}.WithDefaults()
	require.Equal(t, ModeDVV, c.Mode)
	require.Equal(t, DefaultMaxSiblings, c.MaxSiblings)
	require.Equal(t, PruneConfig{SmallVClock: 50, BigVClock: 50, YoungVClock: 20 * time.Second, OldVClock: 24 * time.Hour}, c.Prune)
	for _, bad := range []Config{
		{Mode: 9},
		{MaxSiblings: wire.MaxSiblings + 1},
		{MaxSiblings: -1},
		{Prune: PruneConfig{SmallVClock: -1}},
		{Prune: PruneConfig{SmallVClock: 10, BigVClock: 5}},
		{Prune: PruneConfig{BigVClock: wire.MaxClockEntries + 1}},
		{Prune: PruneConfig{YoungVClock: -time.Second}},
		{Prune: PruneConfig{YoungVClock: time.Hour, OldVClock: time.Minute}},
	} {
		require.Error(t, bad.Validate(), "%+v", bad)
		_, err := New(bad)
		require.Error(t, err)
	}
	for _, m := range allModes {
		got, err := ParseMode(m.String())
		require.NoError(t, err)
		require.Equal(t, m, got)
	}
	_, err := ParseMode("crdt")
	require.Error(t, err)
}
