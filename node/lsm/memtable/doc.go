// Package memtable is the storage engine's in-memory write buffer: a
// skiplist of internal keys (user key + sequence/kind trailer) whose entries
// live in an append-only arena.
//
// Why a skiplist over an arena: the engine is single-threaded, so no
// lock-free tricks are needed, but it must not allocate per write. Values
// are copied into 256 KB chunks that are never moved or reused, internal
// keys (key and trailer) back to back into a separate key arena; nodes are
// fixed-size records in one slice and their forward pointers (links) are
// records in another, so an insert costs two copies and a few slice
// appends. Node 0 is the head, which nothing points to, so index 0 doubles
// as nil.
//
// Why links carry the target's key prefix and link index: a search is a
// chain of dependent memory reads, and in a busy process most of them miss
// the cache. With the prefix in the link, a step reads one link (whose
// neighbours, the same node's lower levels, share its cache line) instead
// of a link and then the node it points to; keys are read only when
// prefixes tie, and then from the compact key arena.
//
// A memtable is never modified in place except by Add, and entries are never
// removed, so an iterator stays valid while writes continue: it sees entries
// inserted after it was created and filters them by sequence number. Slices
// returned by Get and iterators stay valid for the memtable's lifetime.
//
// Heights are drawn from a private xorshift generator with a fixed seed, so
// the structure (and therefore every run) is deterministic.
package memtable
