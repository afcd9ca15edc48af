package node

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node/ring"
	"dynasim/wire"
)

// sendEnv records what the node sends.
type sendEnv struct {
	fakeEnv
	sent []sent
}

type sent struct {
	to  wire.Addr
	msg wire.Message
}

func (e *sendEnv) Send(to wire.Addr, m wire.Message) { e.sent = append(e.sent, sent{to, m}) }

// readTargets are the nodes the coordinator asked to read since the last call.
func (e *sendEnv) readTargets() []wire.Addr {
	var out []wire.Addr
	for _, s := range e.sent {
		if _, ok := s.msg.(*wire.ReadRequest); ok {
			out = append(out, s.to)
		}
	}
	e.sent = nil
	slices.Sort(out)
	return out
}

// A node given a new ring version places the next request by it: its own
// copy, not the configuration it started with.
func TestNodeRoutesByTheRingVersionItIsGiven(t *testing.T) {
	cfg := Config{Ring: ring.Config{VNodes: 8, Placement: ring.Placement{N: 2}}}
	for i := range 6 {
		cfg.Members = append(cfg.Members, ring.Member{ID: wire.Addr(100 + i), Addr: wire.Addr(10 * (i + 1))})
	}
	fs, err := disk.NewMemFS(disk.DefaultMemFSConfig())
	require.NoError(t, err)
	env := &sendEnv{fakeEnv: fakeEnv{fs: fs}}
	n, err := New(cfg, 10, env)
	require.NoError(t, err)
	require.Equal(t, uint64(1), n.Membership().Version())
	require.Equal(t, uint64(1), n.Stats().RingVersion)

	// Version 2: the same addresses, other IDs, so other tokens. Find a
	// key whose replicas (besides this node) differ between the versions.
	var ms []ring.Member
	for i := range 6 {
		ms = append(ms, ring.Member{ID: wire.Addr(200 + i), Addr: wire.Addr(10 * (i + 1))})
	}
	v2, err := n.Membership().Next(cfg.Ring, ms)
	require.NoError(t, err)
	others := func(m *ring.Membership, key string) []wire.Addr {
		var out []wire.Addr
		for _, a := range m.PreferenceList(ring.HashKey([]byte(key)), nil) {
			if a != 10 {
				out = append(out, a)
			}
		}
		slices.Sort(out)
		return out
	}
	key := ""
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		if !slices.Equal(others(n.Membership(), k), others(v2, k)) {
			key = k
			break
		}
	}
	require.NotEmpty(t, key)

	get := func(req uint64) {
		n.Handle(Event{Kind: MessageEvent, From: 1000, Msg: &wire.ClientGet{ReqID: req, ReplyTo: wire.None, Key: []byte(key)}})
	}
	get(1)
	require.Equal(t, others(n.Membership(), key), env.readTargets())

	require.NoError(t, n.SetMembership(v2))
	require.Same(t, v2, n.Membership())
	require.Equal(t, uint64(2), n.Stats().RingVersion)
	get(2)
	require.Equal(t, others(v2, key), env.readTargets(), "the next request is placed by version 2")

	// Versions only move forward, and the node must stay a member.
	require.NoError(t, n.SetMembership(v2), "the same version again is a no-op")
	v1again, err := ring.NewMembership(1, cfg.Ring, cfg.Members)
	require.NoError(t, err)
	require.ErrorContains(t, n.SetMembership(v1again), "not newer")
	v3, err := v2.Next(cfg.Ring, ms[1:])
	require.NoError(t, err)
	require.ErrorContains(t, n.SetMembership(v3), "not a member of ring version 3")
	require.Same(t, v2, n.Membership())
}
