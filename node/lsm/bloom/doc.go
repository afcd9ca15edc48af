// Package bloom is the Bloom filter the storage engine keeps for every
// SSTable, so a point read skips tables that cannot hold the key without
// touching their data blocks.
//
// It is a cache-blocked Bloom filter (as in RocksDB's "fast local bloom"):
// a key's hash picks one 64-byte block and sets or tests all of its probe
// bits inside that block, so a lookup costs one cache miss instead of one
// per probe. A read checks the filter of every table whose key range covers
// the key, so this matters more than the small rise in the false-positive
// rate that blocking costs: with the default 10 bits per key and 6 probes
// the rate is about 1 % (TestFalsePositiveRate measures it).
//
// Encoding: numBlocks*64 bytes of bits, then one byte holding the number of
// probes and four bytes (little-endian) holding numBlocks. The table that
// holds a filter checksums it; Decode still validates the shape so that a
// bad length can never index out of range.
package bloom
