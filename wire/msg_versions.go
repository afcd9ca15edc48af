package wire

import "strconv"

// This file holds the plain data that versions travel as. The algorithms
// over them (compare, merge, update, prune) live in node/versions; wire only
// carries and validates the shape, since wire must not import node.

// ActorID names the author of version events: the node that coordinated a
// write. It is the node's Addr in the low 32 bits and an epoch in the high
// 32. A node that restarts without the state it had acknowledged (lost
// unsynced writes) must take a new epoch, or it could mint a dot or counter
// it had already used for a different value.
type ActorID uint64

// ActorOf builds the actor for a node address and epoch.
func ActorOf(a Addr, epoch uint32) ActorID {
	return ActorID(uint64(epoch)<<32 | uint64(uint32(a)))
}

// Addr is the node address part of the actor.
func (a ActorID) Addr() Addr { return Addr(int32(uint32(a))) }

// Epoch is the incarnation part of the actor.
func (a ActorID) Epoch() uint32 { return uint32(a >> 32) }

// String prints "n3", or "n3.e2" for a later epoch.
func (a ActorID) String() string {
	s := "n" + strconv.Itoa(int(a.Addr()))
	if e := a.Epoch(); e != 0 {
		s += ".e" + strconv.FormatUint(uint64(e), 10)
	}
	return s
}

// ClockEntry is one [server, counter] pair of a vector clock or causal
// context. TimestampNs is the coordinator's clock when the entry was last
// incremented; vector-clock pruning uses it, other modes leave it 0.
type ClockEntry struct {
	Actor       ActorID
	Counter     uint64
	TimestampNs int64
}

// Clock is a vector clock or version vector: entries sorted by strictly
// increasing Actor, every Counter >= 1. The codec refuses any other shape.
type Clock []ClockEntry

// Dot names one write event: the Counter-th event coordinated by Actor.
type Dot struct {
	Actor   ActorID
	Counter uint64
}

// Sibling is one stored version of a key.
type Sibling struct {
	// Dot is the write event that created this version (all modes).
	Dot Dot
	// Clock is this version's own vector clock (vector-clock mode only;
	// empty in the other modes, where causality is the set's Context).
	Clock Clock
	// Value is the client's value; empty for a tombstone.
	Value []byte
	// Tombstone marks a delete.
	Tombstone bool
	// TimestampNs is the coordinator's clock when the version was created,
	// in nanoseconds since the Unix epoch (last-write-wins orders by it).
	TimestampNs int64
}

// SiblingSet is everything a replica stores for a key: the causally maximal
// versions it knows (siblings) and, for dotted version vectors and
// last-write-wins, the causal context that covers every dot it has seen.
type SiblingSet struct {
	Context  Clock
	Siblings []Sibling
}
