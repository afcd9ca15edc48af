// Package memtable is the storage engine's in-memory write buffer: a
// skiplist of internal keys (user key + sequence/kind trailer) whose entries
// live in an append-only arena.
//
// Why a skiplist over an arena: the engine is single-threaded, so no
// lock-free tricks are needed, but it must not allocate per write. Entries
// (key, trailer and value, contiguous) are copied into 256 KB chunks that are
// never moved or reused; nodes are fixed-size records in one slice and their
// forward pointers are uint32 indexes in another, so an insert costs one copy
// and a few slice appends. Node 0 is the head, which nothing points to, so
// index 0 doubles as nil.
//
// A memtable is never modified in place except by Add, and entries are never
// removed, so an iterator stays valid while writes continue: it sees entries
// inserted after it was created and filters them by sequence number. Slices
// returned by Get and iterators stay valid for the memtable's lifetime.
//
// Heights are drawn from a private xorshift generator with a fixed seed, so
// the structure (and therefore every run) is deterministic.
package memtable
