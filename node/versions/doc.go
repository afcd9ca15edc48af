// Package versions decides which versions of a key survive: it creates the
// version a coordinator writes, merges what replicas hold, and produces the
// causal context a client passes back on its next write. The data it works
// on (wire.Clock, wire.Sibling, wire.SiblingSet) is defined in wire, because
// it travels in messages; the algorithms live here.
//
// Three modes, chosen per scenario (Config.Mode), share one API (Versioner):
//
// # Vector clocks (ModeVClock)
//
// Exactly the design's scheme: every version carries its own clock of
// [server, counter] pairs. The coordinator takes the client's context (the
// merge of the clocks it read), sets its own entry to one more than any
// counter of its own it knows, and that is the new version's clock. A
// version whose clock another descends is dropped; concurrent ones are kept
// as siblings; the client resolves them by writing with their merged clock.
//
// Server-id vector clocks cannot tell two writes apart that went through the
// same coordinator with the same stale context: the second gets a higher
// counter and its clock descends the first's, so the first is silently
// dropped although neither client saw the other's value (false dominance,
// a lost update). The tests show it; dynasim scenarios measure it.
//
// Clocks grow with every coordinator that ever wrote the key, so they are
// pruned Riak-style (PruneConfig: small/big/young/old vclock). Pruning is
// lossy: dropping entries can make a descendant look concurrent (a spurious
// sibling) or a concurrent version look dominated (a lost update). The
// design accepts this; the tests demonstrate both.
//
// # Dotted version vectors (ModeDVV)
//
// Preguiça, Baquero, Almeida et al., "Dotted Version Vectors: Logical Clocks
// for Optimistic Replication" and "Scalable and Accurate Causality Tracking
// for Eventually Consistent Stores" (the DVV sets of Riak 2.0). Each version
// is named by a dot (server, counter) — one write event — and the stored set
// carries one causal context: the version vector of every dot it has seen.
// A write discards exactly the versions whose dots the client's context
// covers (the ones the client saw) and adds its new dot; everything else
// stays. Two writes with the same stale context through the same server
// therefore both survive as siblings, and the number of siblings is bounded
// by the number of truly concurrent writes (no sibling explosion). A replica
// merge keeps a version if the other side has it too or has not seen its dot.
//
// Dots must be unique: a server mints (server, n+1) only after seeing all of
// its own dots n for the key, so the coordinator that mints must be a
// replica holding the key (or forward to one), and a server that lost
// acknowledged state must come back under a new actor epoch (wire.ActorOf).
//
// # Last-write-wins (ModeLWW)
//
// One version per key: the greatest (timestamp, actor, counter), where the
// timestamp is the coordinator's own clock. Concurrent writes never become
// siblings; with skewed clocks a later write can lose to an earlier one.
// The set's context still tracks dots so counters stay unique.
//
// # Deletes
//
// A delete is a write of a tombstone sibling. It hides exactly what a put
// with the same context would replace; a concurrent put survives it.
// Values skips tombstones; a set holding only tombstones reads as not found
// but still returns a context, so the next write dominates the tombstone.
//
// # Sets and canonical form
//
// Every function returns sets in canonical form — siblings sorted by dot
// (then by content), clocks sorted by actor — so equal knowledge has equal
// bytes, and Merge is commutative, associative and idempotent. Results may
// share Value slices with the inputs; callers treat values as immutable.
package versions
