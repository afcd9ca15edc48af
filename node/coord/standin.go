package coord

import (
	"fmt"

	"dynasim/wire"
)

// standIns is what a stand-in coordinator remembers of the versions it
// minted for keys it is no replica of (see write in put.go): per key, the
// last set it minted, encoded.
//
// Why it exists. A dot (actor, counter) must never be minted twice for two
// different values of one key, and a new version must keep as siblings the
// actor's own earlier versions its client did not see: otherwise a reader
// of the new version gets a context whose counter for the actor covers the
// older concurrent sibling, and a write with that context drops it unseen
// (an acknowledged write lost). A replica gets both from its local copy of
// the key; a stand-in has no copy of its own, so it keeps this one.
//
// Why only in memory, and apart from the node's data. Its only reader is
// the stand-in's next mint under the same actor, and the actor ends with the
// incarnation: a restart, or a storage reopen, bumps the epoch and so the
// actor (Reincarnate clears the memory), and no later version can descend
// from the old actor's dots by mistake. Kept out of the node's data, the
// copy is never served to reads as if the node were a replica, and it does
// not linger there as a stale holder of a key the node does not own (it
// did: a convergence probe found keys that never converged, because a
// stand-in's copy kept an old sibling forever). The versions themselves
// reach the key's replicas as the fallbacks' hints.
//
// Bounded by Config.StandInMaxBytes: a stand-in write that would exceed it
// fails before anything is sent (the put has definitely not happened).
type standIns struct {
	sets  map[string][]byte
	bytes int
	max   int
}

func newStandIns(maxBytes int) standIns {
	return standIns{sets: map[string][]byte{}, max: maxBytes}
}

// entryOverhead approximates a map entry's cost beyond its key and value
// bytes (string and slice headers, bucket share), so that many small
// entries are bounded too.
const entryOverhead = 64

// get returns the last set minted for key as a stand-in (empty if none).
func (s *standIns) get(key []byte) (wire.SiblingSet, error) {
	b, ok := s.sets[string(key)]
	if !ok {
		return wire.SiblingSet{}, nil
	}
	return wire.DecodeSiblingSet(b)
}

// put remembers set as the last set minted for key, or refuses it if the
// memory would exceed its bound.
func (s *standIns) put(key []byte, set wire.SiblingSet) error {
	old, had := s.sets[string(key)]
	size := set.EncodedSize()
	grow := size + len(key) + entryOverhead
	if had {
		grow = size - len(old)
	}
	if s.bytes+grow > s.max {
		return fmt.Errorf("the stand-in memory is full (%d bytes in use of StandInMaxBytes %d; this version needs %d more)", s.bytes, s.max, grow)
	}
	s.sets[string(key)] = wire.AppendSiblingSet(make([]byte, 0, size), &set)
	s.bytes += grow
	return nil
}

// reset forgets everything: the actor the sets belong to has ended.
func (s *standIns) reset() {
	clear(s.sets)
	s.bytes = 0
}
