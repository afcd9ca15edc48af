package node

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node/coord"
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

// sixMemberNode starts node 10 of six members (IDs 100-105 at addresses
// 10-60) under cfg, which it completes with them, and records its sends.
func sixMemberNode(t *testing.T, cfg *Config) (*Node, *sendEnv) {
	t.Helper()
	for i := range 6 {
		cfg.Members = append(cfg.Members, ring.Member{ID: wire.Addr(100 + i), Addr: wire.Addr(10 * (i + 1))})
	}
	fs, err := disk.NewMemFS(disk.DefaultMemFSConfig())
	require.NoError(t, err)
	env := &sendEnv{fakeEnv: fakeEnv{fs: fs}}
	n, err := New(*cfg, 10, env)
	require.NoError(t, err)
	return n, env
}

// A node given a new ring version places the next request by it: its own
// copy, not the configuration it started with.
func TestNodeRoutesByTheRingVersionItIsGiven(t *testing.T) {
	cfg := Config{Ring: ring.Config{VNodes: 8, Placement: ring.Placement{N: 2}}}
	n, env := sixMemberNode(t, &cfg)
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

// A ring transition places requests by its step: in the first, reads ask
// the old replicas and a blocking read repair writes back to the pending
// (new) replica too; in the second, reads ask the new replicas; a write
// goes to both sets in both steps.
func TestTransitionStepsPlaceReadsAndWriteBacks(t *testing.T) {
	cfg := Config{Ring: ring.Config{VNodes: 8, Placement: ring.Placement{N: 3}}}
	cfg.Coordinator.ReadRepair = coord.ReadRepairBlocking
	n, env := sixMemberNode(t, &cfg)
	joined := append(n.Membership().Members(), ring.Member{ID: 106, Addr: 70})
	t2, err := n.Membership().Transition(joined, 70)
	require.NoError(t, err)
	sorted := func(l []wire.Addr) []wire.Addr { l = slices.Clone(l); slices.Sort(l); return l }
	// A key this node does not replicate in either version, whose
	// replicas the join changes.
	key := ""
	var old, next []wire.Addr
	for i := 0; i < 1000 && key == ""; i++ {
		k := fmt.Sprint("k", i)
		h := ring.HashKey([]byte(k))
		old, next = sorted(t2.Prev().PreferenceList(h, nil)), sorted(t2.PreferenceList(h, nil))
		if !slices.Contains(old, 10) && !slices.Contains(next, 10) && slices.Contains(next, 70) {
			key = k
		}
	}
	require.NotEmpty(t, key)
	require.NoError(t, n.SetMembership(t2))
	env.sent = nil

	n.Handle(Event{Kind: MessageEvent, From: 1000, Msg: &wire.ClientGet{ReqID: 1, ReplyTo: wire.None, Key: []byte(key)}})
	var reads []*sent
	for i := range env.sent {
		if _, ok := env.sent[i].msg.(*wire.ReadRequest); ok {
			reads = append(reads, &env.sent[i])
		}
	}
	var asked []wire.Addr
	for _, r := range reads {
		asked = append(asked, r.to)
	}
	require.Equal(t, old, sorted(asked), "step 1 reads the old replicas")
	// Two old replicas answer alike: R is met, the write-back needs W
	// plus one for the pending replica, so the merged set goes to the
	// old replica that did not answer and to the new one.
	env.sent = nil
	for _, r := range reads[:2] {
		op := r.msg.(*wire.ReadRequest).OpID
		n.Handle(Event{Kind: MessageEvent, From: r.to, Msg: &wire.ReadResponse{OpID: op, Status: wire.StatusOK}})
	}
	var backs []wire.Addr
	for _, s := range env.sent {
		if w, ok := s.msg.(*wire.WriteRequest); ok && w.Purpose == wire.PurposeWriteBack {
			backs = append(backs, s.to)
		}
	}
	require.Equal(t, sorted([]wire.Addr{reads[2].to, 70}), sorted(backs), "the write-back reaches the pending replica")

	m3, err := t2.MoveReads()
	require.NoError(t, err)
	require.NoError(t, n.SetMembership(m3))
	env.sent = nil
	n.Handle(Event{Kind: MessageEvent, From: 1000, Msg: &wire.ClientGet{ReqID: 2, ReplyTo: wire.None, Key: []byte(key)}})
	require.Equal(t, next, env.readTargets(), "step 2 reads the new replicas")
}
