// Package disk defines the filesystem contract that every storage component of
// dynasim writes through, and three implementations of it:
//
//   - OS: the operating-system filesystem, for real deployments and for
//     benchmarks against other engines;
//   - MemFS: an in-memory filesystem with crash semantics, for simulation:
//     written bytes are volatile until File.Sync, and directory entries
//     (creates, renames, removes) are volatile until the directory is synced,
//     exactly the guarantees a careful engine may rely on with a real kernel;
//   - ErrorFS: a wrapper in the style of Pebble's errorfs that injects seeded
//     faults (latency, I/O errors, bit flips on read, disk full) into any FS.
//
// The contract is modelled on Pebble's vfs.FS but smaller: files are written
// sequentially (append-only), which is all a log-structured engine needs, and
// read at arbitrary offsets.
//
// Paths use forward slashes on every FS; OS converts them.
package disk
