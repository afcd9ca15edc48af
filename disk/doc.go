// Package disk defines the filesystem contract that every storage component of
// dynasim writes through, and three implementations of it:
//
//   - OS: the operating-system filesystem under a root directory, for real
//     deployments and for benchmarks against other engines;
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
// # Paths
//
// Paths use forward slashes on every FS; OS converts them. Every FS cleans a
// name with CleanPath first, so "/a/b", "a/b" and "a//b" are the same file,
// the root is "." (or "/"), and no name reaches above the root. OS is rooted
// at a directory for the same reason: node code written against MemFS runs
// unchanged inside a data directory.
//
// # Contract details every implementation shares
//
// These were settled while building the three implementations and are
// checked by one conformance suite run against all of them (conformance_test.go):
//
//   - Errors are reported through errors.Is with the sentinel errors of
//     fs.go. Added to the original set: ErrIsDir (a file operation on a
//     directory: Create/Open of a directory, Write/ReadAt/Size on a directory
//     handle), ErrNotDir (a directory operation on a file, or a path through
//     a file) and ErrInvalid (bad arguments: a negative offset, removing or
//     renaming the root, moving a directory into itself, invalid Config).
//     OS errors wrap both the sentinel and the original *os.PathError.
//   - A short ReadAt returns the bytes read and io.EOF; a negative offset is
//     ErrInvalid.
//   - Rename replaces an existing file but never an existing directory
//     (ErrExist), as Go's os.Rename; renaming a name onto itself, or onto
//     another name of the same file, does nothing.
//   - Remove removes a file or an empty directory (else ErrNotEmpty). An
//     open handle keeps working after its file is removed or replaced, as on
//     POSIX.
//   - Stat reports Size 0 for a directory. List returns base names, sorted.
//   - Every File method on a closed handle, Close included, returns
//     ErrClosed. A read-only handle (Open) may be synced; writing to it is
//     ErrReadOnly.
//   - MemFS and ErrorFS are not safe for concurrent use (the simulator runs
//     on one goroutine). OS may serve several goroutines, each handle used by
//     one at a time.
//
// # MemFS
//
// MemFS models a kernel: inodes hold bytes and a durable (synced) length;
// each directory holds a current and a durable entry table. Crash(mode, rng)
// replaces the current namespace by the durable one and trims each surviving
// file's unsynced bytes according to a CrashMode (lose them all, keep a
// random prefix, or tear the last write at a sector boundary), and kills
// every open handle. See MemFS and CrashMode for the exact rules, including
// what counts as used space for MemFSConfig.CapacityBytes. Two limits of the
// per-directory model are deliberate: a cross-directory rename is durable per
// directory (sync both), and a directory cannot be moved to another parent
// (ErrInvalid). Test helpers: FlipBit, Usage, DurableSize, Dump, Stats.
//
// File bytes are stored in 64 KiB chunks so that an append costs one copy,
// and the chunks of freed or truncated files are recycled through a
// sync.Pool: the simulator performs millions of small writes, and an append
// runs at memcpy speed with no allocation.
//
// # ErrorFS
//
// ErrorFS applies rules from an ErrorFSConfig, each aimed by a Target (a set
// of Op kinds and a path prefix and/or predicate): LatencyFault charges a
// sampled duration to IOTime (it implements IOClock; the simulator delays the
// node by it), ErrorFault fails an operation with ErrInjected before it
// reaches the wrapped FS, BitFlipFault flips one bit in a read's result, and
// the disk-full switch fails every write with ErrNoSpace. Families of faults
// are switched at runtime with SetEnabled (fault schedules); Stats counts what
// was injected. All randomness comes from the seeded stream given to
// NewErrorFS, so the same seed and operations give the same faults.
package disk
