// Package replica is the storage side of a Dynamo node: what a replica
// keeps for each key and how an incoming version set joins it.
//
// # What is stored
//
// For every key a replica stores one sibling set (wire.SiblingSet): the
// causally maximal versions it knows plus, in the dotted and last-write-wins
// modes, the causal context that covers every dot it has seen. Sets are
// encoded with wire.AppendSiblingSet and kept in a storage engine (Engine)
// under a storage key that puts the key's 64-bit ring hash first:
//
//	'd' | ring hash (8 bytes, big-endian) | key
//
// so the engine's key order is ring order, as in Cassandra, where
// partitions sort by token. A range of the ring — what a Merkle tree
// summarises for anti-entropy and what a joining node must receive — is then
// one contiguous engine range. The leading namespace byte leaves room for
// other records (hints for hinted handoff) without colliding with data.
//
// # Merging
//
// Store.Merge is the replica's half of every write: the incoming set is
// checked (versions.Versioner.Check — it came from the network), merged
// with the stored one (dominated versions dropped, concurrent ones kept,
// dominating ones replace) and written back only if the merge changed
// anything. Store.Put is the coordinator's half: it stores the set that
// versions.Versioner.Update computed from the current stored set.
//
// # Durability
//
// Writes reach the engine's commit log unsynced; Store.Sync makes every
// earlier write durable at once (group commit). The node acknowledges a
// write, and reveals data it read, only after the sync that covers it, so
// an acknowledged write survives a crash that loses unsynced data. Dirty
// says whether such a sync is owed.
//
// # Epochs
//
// A node that restarts may have lost writes it had made but not synced. If
// it then minted version counters from its remaining state it could reuse
// a counter it had already given to a different value — the same dot
// naming two versions. NextEpoch prevents it: every start reads a durable
// epoch counter, increments it and syncs it before the node does anything,
// and the node's actor ID (wire.ActorOf) carries the new epoch.
package replica
