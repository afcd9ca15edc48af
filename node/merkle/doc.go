// Package merkle is the hash tree anti-entropy compares (the design's
// 영구 장애 처리: Merkle trees over key ranges, compared top-down so that only
// the buckets that differ are synchronised).
//
// # The range unit
//
// A tree summarises one Arc of the ring, (Start, End] in key-hash space.
// The node builds one per ring range it replicates, where a range is a run
// of consecutive token ranges sharing one preference list (ring.Ranges).
// That is the natural unit: every key of the arc has the same replicas, so
// any two of them must hold the same data for the whole arc and one tree
// comparison between them is meaningful; and because stored keys sort by
// ring hash (package replica), an arc is one contiguous engine range, read
// by one ordered scan. Per-partition trees in the sense of a fixed
// partitioning (Riak's ring of 64 partitions) would cut across preference
// lists with this ring's random tokens; per-vnode token ranges would only
// split a run into more, smaller trees with identical replicas. Ranges are
// small with many vnodes, so one exchange carries many ranges' trees at
// once (node/antientropy.go) and pays one round trip per level for all.
//
// # The tree
//
// The arc is cut into Buckets equal slices of hash space (a power of two,
// Config.Buckets, default 64; depth = log2(Buckets)). A key belongs to
// bucket floor((h - Start - 1) · Buckets / width) where width = End -
// Start (2^64 for a whole-ring arc, Start == End). A leaf's hash is
// xxHash64 over, for each key of the bucket in key order, the key and its
// stored version set (the replica's encoded sibling set: uvarint length,
// bytes, for both); an empty bucket hashes to 0. An inner node is xxHash64
// of its two children's hashes (little-endian), 0 when both are 0, so an
// empty subtree costs nothing to compare. Equal sets encode to equal bytes
// (the encoding is canonical: siblings and clock entries in canonical
// order), so replicas holding the same versions agree on every hash.
//
// # Building: rebuilt per exchange, never kept
//
// A tree is built from one ordered scan of the engine over the arc
// (Builder.Add takes the keys in ascending order, one at a time, and keeps
// only the current leaf's running digest), and it is rebuilt for every
// exchange rather than maintained incrementally on writes: the write path
// pays nothing, there is nothing to persist or to recover after a crash
// (a wiped or corrupt disk cannot leave a stale tree that claims data it
// lost), and a tree always describes what the engine holds. The cost,
// per exchange and replica: CPU one hash of every key and set byte of the
// arc (xxHash, GB/s) plus 2·Buckets−1 node hashes; memory 8·(2·Buckets−1)
// bytes per arc for as long as the exchange lasts (1 KiB at the default
// 64 buckets), never the keys; disk one sequential read of the arc's live
// data, without filling the block cache (lsm.IterOptions.FillCache off).
// Riak's AAE instead keeps trees on disk, updates them on every write and
// rebuilds them weekly; Cassandra builds them on demand for a repair, as
// here. Stats say what the builds scanned (Tree.Keys, Tree.Bytes).
package merkle
