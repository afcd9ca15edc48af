// Package host runs a dynasim node for real: the same node.Node the
// simulator drives, on the OS clock, the OS filesystem and TCP.
//
// One Host is one node. Its event loop is one goroutine that feeds the
// node its events — peer messages, timers firing, client requests — so the
// node is single-threaded here as it is in simulation. The loop hands over
// every event that queued while the node was busy as one batch
// (node.HandleBatch, up to Config.MaxBatchEvents): the node then syncs
// once for the whole batch before any of its acknowledgements leave, which
// is group commit without a timer — an idle node still syncs each write at
// once, a loaded one pays one fsync for many. Nothing under node/ knows the
// difference: the Host is the node's node.Env.
//
//   - Now is time.Now; SetTimer is time.AfterFunc feeding the loop; Rand is
//     a PCG stream seeded from Config.Seed, or from crypto/rand when it is
//     0; FS is disk.NewOS(Config.Dir).
//   - Send to a peer encodes the message's wire frame (length, version,
//     kind, payload, CRC-32C) and queues it on that peer's bounded queue;
//     a full queue drops the frame and counts it (TransportStats.Dropped).
//     Send to the node itself goes back through the loop.
//
// The transport keeps one outgoing connection per peer, written by its own
// goroutine: it dials with a timeout, reconnects with doubling backoff,
// opens with an 8-byte hello ("DYN1" and the sender's wire address, since
// frames name no sender), and writes batches under a write deadline.
// Incoming connections are read one goroutine each: a frame failing its
// checksum is dropped and counted (BadChecksum), one that does not decode
// is dropped and counted (Malformed), and a length over MaxFrameBytes or
// under the frame minimum closes that connection (BadLength) — the stream
// can no longer be split. Other connections are not affected.
//
// The client port speaks the Redis protocol (github.com/tidwall/redcon).
// A client command becomes a wire.ClientGet, ClientPut or ClientDelete
// handed to the node from the address ClientAddr, exactly as a simulated
// client's request reaches its coordinator; the coordinator's ClientReply
// comes back through Send and is matched by the request ID the loop gave
// it. Commands:
//
//	PING [msg]            PONG, or msg
//	GET key               the value; nil when absent; an error naming the
//	                      sibling count when concurrent writes left
//	                      siblings (never under version_mode lww)
//	SET key value         overwrite: under vclock/dvv it reads the key
//	                      first and writes over every version it saw, so
//	                      the old value does not survive as a sibling
//	DEL key [key ...]     how many existed (each read, then deleted over
//	                      the versions read)
//	EXISTS key [key ...]  how many hold a live value
//	VGET key              array: the opaque causal context, then every
//	                      sibling value
//	VSET key ctx value    write value over the versions ctx covers
//	VDEL key ctx          delete over the versions ctx covers
//	CONSISTENCY [R [W]]   this connection's read and write levels (ONE,
//	                      TWO, QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM,
//	                      DEFAULT or a count); with no argument, show them
//	INFO                  the node's configuration (version mode, N, R, W,
//	                      read repair, ...), node, engine and transport
//	                      counters
//	QUIT                  OK, then close
//	DEBUG PARTITION id... cut this node's transport off from these members
//	                      (by member id), both ways: frames to and from
//	                      them are dropped and counted (Partitioned);
//	                      replaces any earlier partition
//	DEBUG DROP id...      cut it off one way: frames it sends these
//	                      members are dropped (counted as Partitioned)
//	DEBUG DELAY ms [id...] delay every frame sent to these members (all
//	                      when none named); 0 removes the delay
//	DEBUG HEAL            remove every injected fault
//	DEBUG FAULTS          show them
//
// The DEBUG commands are a fault-injection backdoor for `dynasim run
// --target` (partitions without root or iptables): they answer an error
// unless Config.DebugCommands (debug_commands in the cluster file) is on.
// A symmetric partition is DEBUG PARTITION on both sides.
//
// TLS (Config.TLS, the cluster file's tls section; off by default): with
// Peer, nodes speak mutual TLS 1.3 to each other — each presents its
// certificate, accepts only peers whose certificate the CA file signs,
// and authenticates the hello by the certificate: a certificate with URI
// SANs dynasim:member:<id> authenticates those members only; one without
// must be valid for the host of the peer address the cluster file gives
// the member the hello names (as a server certificate is for the host a
// client dials — on one machine, for every member on it). Refused peers are counted: TLSRefused (handshake failed —
// no certificate, another CA, plain TCP) and Unauthenticated (a valid
// certificate for another host). With Client the Redis port serves TLS;
// with ClientAuth clients must present a certificate of the CA.
//
// Errors: "ERR key size S bytes exceeds the limit of L bytes" and the same
// for values (Config.Node.Coordinator.Limits; values default to 10 KiB);
// "QUORUM quorum not met: ..." when too few replicas answered and nothing
// was applied; "UNKNOWN outcome unknown ..." when a write timed out after
// reaching replicas (it may yet appear); "ERR unknown command ...".
// Malformed RESP gets a protocol error and closes that connection only, as
// does input more than MaxUnansweredBytes ahead of the answers (a huge
// announced argument: the RESP reader would otherwise buffer it whole).
// Pipelined commands run in order, each seeing the ones before it.
//
// Close is graceful: the client port stops accepting, requests in flight
// get their replies (up to DrainTimeout), the loop stops, the node syncs
// and closes its storage engine, and the transport flushes its queues
// within the write deadline and closes.
package host
