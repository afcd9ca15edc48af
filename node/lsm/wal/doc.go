// Package wal is the storage engine's commit log: a sequence of segment
// files, each a sequence of checksummed, length-prefixed records. One record
// holds one write batch, so a batch is durable whole or not at all.
//
// Record layout (all integers little-endian):
//
//	[0:4)   header CRC-32C over bytes [4:20)
//	[4:8)   payload length
//	[8:12)  payload CRC-32C
//	[12:20) synced sequence: every sequence number <= this was durable
//	        (synced) before this record was written
//	[20:)   payload
//
// Why two checksums: the header checksum lets recovery tell a damaged
// header from a damaged payload and lets it scan a segment for any later
// valid record in one pass (checking 16 bytes per offset), which is how it
// tells a torn tail (nothing valid follows: truncate silently) from damage
// in the middle (a valid record follows: report it with file and offset).
//
// Why the synced sequence: a crash loses or tears only unsynced bytes. If a
// record that survives claims that sequence S was synced, then any record at
// or below S that is missing or damaged was synced and acknowledged, so
// recovery reports corruption instead of quietly dropping it. This is what
// lets the engine rotate segments without syncing them: a segment whose tail
// was lost is only acceptable if no later record depends on it.
//
// The Writer buffers records in memory and writes them to the file when the
// buffer fills, on Flush and on Sync; it never writes a partial record
// except through a failing file. Any write or sync error is sticky: a log
// whose state on disk is unknown must not be appended to again.
package wal
