// Package hints is a node's persisted hint store for hinted handoff: the
// writes a fallback node took for a replica that was down or cut off,
// kept on the fallback's own disk, apart from its data, until the intended
// replica (the target) is back and has acknowledged them.
//
// It is pure like the rest of node/: single-threaded, over the disk.FS
// contract, with time passed in (Created, now) and no goroutines or
// timers; the node drives it from its event handlers.
//
// # Use
//
//   - Open(fs, cfg, now) recovers the store (see Recovery).
//   - Add(hint) makes the hint durable (synced) before it returns its ID,
//     so a fallback acknowledges a sloppy-quorum write only after Add.
//   - Pending(target) lists a target's hints; Targets lists the targets.
//     A hint is only ever listed, or handed out, under its own target.
//   - Deliver(now, target, throttle) hands out the next hints to send
//     when gossip shows the target up, within the Throttle given as input:
//     at most MaxInFlight unacknowledged per target, and a token bucket of
//     BytesPerSecond (burst one second) over the whole store. It returns
//     retryAt when the bucket stops it, for the caller's timer. Handed-out
//     state is in memory only: after a restart every hint is deliverable
//     again (the receiver merges by the normal version rules, so a
//     redelivery is harmless).
//   - Ack(ids...) deletes hints durably once the target acknowledged that
//     it merged them durably; duplicate acks are ignored. Release hands
//     back hints whose delivery failed or timed out; ReleaseTarget all of
//     a target's (when it goes down again).
//   - Expire(now) durably drops hints created Window (default 3 h) or more
//     before now, counting them in Stats.Dropped; Deliver never hands out
//     an expired hint even before Expire runs. What they carried is
//     anti-entropy's to repair.
//
// An error from a call that changes the disk means its outcome is unknown
// (a failed Add may have landed; a failed Ack may have taken), and it is
// sticky: the store refuses further changes until it is reopened, as the
// node does after a disk failure.
//
// # Format
//
// The store is a log of records in segment files Dir/hints-<16 digits>.log,
// written with the storage engine's commit-log record format (node/lsm/wal:
// length-prefixed, header and payload CRC-32C, and the sequence number
// synced before the record). Payloads: a base record (sequence, next ID)
// opening every segment; add (sequence, ID, target, created ns, key,
// version); delete (sequence, IDs). Every change is one record, synced
// before the call returns. When the bytes of dead records exceed both
// CompactBytes and the live bytes, the live hints are rewritten into a new
// segment (synced, directory synced) and the old one removed; Open does
// the same after recovery, so one segment is in use at a time.
//
// # Recovery
//
// Open replays the segments in order. A record that fails its checksum
// with no valid record after it in its segment is a torn or cut tail: the
// unsynced bytes of a call that never returned success (every crash mode
// of disk.MemFS produces only such tails: lose-unsynced none at all,
// keep-prefix and torn-write partial records). It is cut off and counted
// in Stats.TornTails. A damaged record followed by a valid one, or a
// record claiming (in its header) that a sequence was synced which the
// replay has not reached, is damage to synced data and fails Open with
// ErrCorrupt. As with any such log, damage to the very last synced record
// cannot be told from a torn tail.
package hints
