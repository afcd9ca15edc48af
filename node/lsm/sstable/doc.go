// Package sstable writes and reads the storage engine's sorted string
// tables: immutable files of internal keys (user key + sequence/kind
// trailer) in sorted order, each holding at most one version per user key.
//
// File layout:
//
//	[data block][crc] ... [data block][crc]
//	[filter block][crc]   Bloom filter over the table's user keys (package bloom)
//	[meta block][crc]     entry counts, sequence range, smallest/largest key
//	[index block][crc]    one entry per data block: its last key -> its handle
//	[footer]              handles of filter/meta/index, format version,
//	                      footer CRC, magic number (fixed 56 bytes)
//
// Every block is followed by the CRC-32C of its contents, checked on every
// read from disk; a mismatch is a *base.CorruptionError naming the file and
// the block's offset, never data. Blocks are not compressed: dynasim's
// values (versioned records, benchmark values) are mostly incompressible and
// the CPU is better spent elsewhere.
//
// Block format (data and index blocks alike, as in LevelDB): entries
//
//	uvarint shared | uvarint unshared | uvarint valueLen | key[shared:] | value
//
// where shared is the length of the prefix shared with the previous key,
// reset to 0 every RestartInterval entries ("restart points"); then the
// restart offsets as uint32s and their count as a uint32. A seek binary
// searches the restart points and scans forward. The index uses a restart
// interval of 1 so its binary search needs no scan.
//
// A Reader keeps the index, filter and meta blocks in memory for the
// table's life and reads data blocks through a shared, bounded LRU block
// cache. Every length read from disk is checked against the file size and
// the format's limits before anything is allocated.
package sstable
