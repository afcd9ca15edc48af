package coord

import (
	"dynasim/wire"
)

// opKind is what a coordinated request is.
type opKind uint8

const (
	opGet   opKind = iota + 1
	opWrite        // put or delete
	opProxy        // a put or delete forwarded to a replica
)

// phase is where a request is.
type phase uint8

const (
	phaseRead      phase = iota + 1 // get: reading replicas
	phaseWriteBack                  // get, blocking read repair: writing the merged set back
	phaseLinger                     // get answered, waiting for the other replicas to repair them
	phaseTwoPhase                   // put/delete: the read phase of a two-phase write
	phaseWrite                      // put/delete: waiting for W acknowledgements
	phaseForward                    // proxy: waiting for the replica's answer
)

// op is one request in flight. Ops are recycled; reset clears everything.
type op struct {
	id    uint64
	kind  opKind
	phase phase

	// Who asked, and under which request ID.
	client  wire.Addr
	reqID   uint64
	replied bool

	key  []byte
	hash uint64

	// The request's replicas: a prefix of the key's preference list.
	n        int
	normal   int // replicas[:normal] are the read replicas; the rest are a transition's pending ones
	replicas [maxReplicas]wire.Addr
	self     int // index of this node in replicas, or -1
	// hintFor, per replica: the preference-list replica a sloppy quorum's
	// fallback stands in for, or wire.None for a replica of the
	// preference list (placeReplicas sets every entry).
	hintFor [maxReplicas]wire.Addr
	// fallbacks counts the replicas that are fallbacks.
	fallbacks int

	// rd and wr are per-replica progress of reads and writes.
	rd   [maxReplicas]uint8
	wr   [maxReplicas]uint8
	sets [maxReplicas]wire.SiblingSet // read responses

	rq, wq quorum // read and write quorums

	// Writes: what the client asked for, and the set that was written.
	ctx       wire.Clock
	value     []byte
	tombstone bool
	written   wire.SiblingSet
	sent      bool // something was sent to (or written on) a replica

	merged  wire.SiblingSet // gets: what was answered
	lastErr string          // the last failure a replica reported

	// Proxies: the forwarded-to replica.
	target wire.Addr
}

func (o *op) reset() {
	*o = op{}
}

// index returns the replica index of a, or -1.
func (o *op) index(a wire.Addr) int {
	for i := 0; i < o.n; i++ {
		if o.replicas[i] == a {
			return i
		}
	}
	return -1
}
