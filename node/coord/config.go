package coord

import (
	"fmt"
	"time"

	"dynasim/wire"
)

// ReadRepair says what a get does about replicas it found stale.
type ReadRepair uint8

const (
	// ReadRepairOff: stale replicas stay stale until a write or
	// anti-entropy reaches them.
	ReadRepairOff ReadRepair = iota + 1
	// ReadRepairAsync: the get answers after R replies, then waits for the
	// remaining replicas (up to the request timeout) and writes the merged
	// set to every replica whose set differs. Nobody waits for the repair.
	ReadRepairAsync
	// ReadRepairBlocking: before answering, the get writes the merged set
	// back until W replicas hold it (replicas that already hold it count),
	// as the read phase of ABD does. With W+R>N this makes reads of a key
	// never go back in time (no new/old inversion between readers).
	ReadRepairBlocking
)

var readRepairNames = [...]string{"", "off", "async", "blocking"}

func (r ReadRepair) String() string {
	if r >= ReadRepairOff && r <= ReadRepairBlocking {
		return readRepairNames[r]
	}
	return fmt.Sprintf("ReadRepair(%d)", uint8(r))
}

// ReadRepairNames lists the read repair modes' names, as ParseReadRepair
// reads them.
func ReadRepairNames() []string { return append([]string(nil), readRepairNames[1:]...) }

// ParseReadRepair parses "off", "async" or "blocking".
func ParseReadRepair(s string) (ReadRepair, error) {
	for i, n := range readRepairNames {
		if n != "" && n == s {
			return ReadRepair(i), nil
		}
	}
	return 0, fmt.Errorf("coord: unknown read repair mode %q (want off, async or blocking)", s)
}

// Quorum says which nodes a request's N replicas are.
type Quorum uint8

const (
	// QuorumStrict: the first N members of the key's preference list,
	// whatever the view believes about them (a request fails when too
	// many are down).
	QuorumStrict Quorum = iota + 1
	// QuorumSloppy: the first N healthy members of the key's extended
	// preference list. A replica the view believes down is replaced by the
	// next member after the preference list that is believed up (a
	// distinct node, preferably of the replaced replica's datacenter and on
	// a rack the request does not use yet), and the write sent to it names
	// the replica it stands in for (WriteRequest.HintFor), so the fallback
	// keeps it as a hint and hands it over later. Reads may then be
	// answered by fallbacks that never saw the newest write: W+R>N no
	// longer implies that a read sees the last acknowledged write.
	QuorumSloppy
)

var quorumNames = [...]string{"", "strict", "sloppy"}

func (q Quorum) String() string {
	if q >= QuorumStrict && q <= QuorumSloppy {
		return quorumNames[q]
	}
	return fmt.Sprintf("Quorum(%d)", uint8(q))
}

// QuorumNames lists the quorum modes' names, as ParseQuorum reads them.
func QuorumNames() []string { return append([]string(nil), quorumNames[1:]...) }

// ParseQuorum parses "strict" or "sloppy".
func ParseQuorum(s string) (Quorum, error) {
	for i, n := range quorumNames {
		if n != "" && n == s {
			return Quorum(i), nil
		}
	}
	return 0, fmt.Errorf("coord: unknown quorum mode %q (want strict or sloppy)", s)
}

// Config holds the coordinator's knobs. Zero fields take the defaults
// documented on each; Validate checks the result.
type Config struct {
	// R and W are the read and write quorums used when a request does not
	// name its own (wire.LevelDefault). Default QUORUM (N/2+1 of the
	// request's N replicas). R is also the read quorum of a two-phase
	// write's read phase, and W the quorum a blocking read repair writes
	// back to.
	R, W wire.Need
	// ReadRepair is off, async or blocking. Default async (Dynamo's).
	ReadRepair ReadRepair
	// TwoPhaseWrites makes every put and delete first read the key from R
	// replicas, merge what they hold with the local set, and only then mint
	// the new version over that merge. The new version then dominates
	// everything a read quorum saw, and its timestamp is set past every
	// timestamp it saw, so last-write-wins orders it after them even when
	// the coordinator's clock is behind. Default false (one phase).
	TwoPhaseWrites bool
	// Quorum is strict (default) or sloppy: which nodes serve as a
	// request's N replicas (see Quorum).
	Quorum Quorum
	// RequestTimeout bounds a request from its arrival: a get that has not
	// reached R replies fails; a put that has not reached W acknowledgements
	// ends with an unknown outcome. Default 500 ms.
	RequestTimeout time.Duration
	// ForwardTimeout is how long a node that is not a replica of a key waits
	// for the replica it forwarded a put or delete to. It should exceed
	// RequestTimeout plus a round trip, so that the replica's own answer
	// (possibly "unknown outcome") arrives first. Default RequestTimeout +
	// 250 ms.
	ForwardTimeout time.Duration
	// TimeoutTick is the resolution of request and forward timeouts: a
	// request expires after its timeout, less than one tick later when the
	// tick divides both timeouts (see expiry.go). Default
	// RequestTimeout/20, at least 1 ms.
	TimeoutTick time.Duration
	// SuspectFor is how long a node that missed a reply stays suspected
	// (skipped when choosing where to forward) unless it answers again.
	// Default 2 s.
	SuspectFor time.Duration
	// MaxPending bounds the requests a node coordinates or forwards at
	// once; beyond it requests are refused with status failed. Default
	// 10,000.
	MaxPending int
	// MaxTrackedSenders bounds the senders (clients, forwarding nodes)
	// whose request IDs are remembered so that a duplicated request is
	// executed once (dedupe.go). Default 65,536 (about 3 MiB).
	MaxTrackedSenders int
	// StandInMaxBytes bounds what a stand-in coordinator remembers of the
	// versions it minted for keys it is no replica of (standin.go): one
	// encoded sibling set per such key, kept for the incarnation. A
	// stand-in put or delete that would exceed it fails before anything is
	// sent. Default 16 MiB.
	StandInMaxBytes int
	// Limits are the key and value size limits checked before anything is
	// stored. Zero fields take wire's defaults (1 KiB keys, 10 KiB values).
	Limits wire.Limits
}

// Defaults.
const (
	DefaultRequestTimeout = 500 * time.Millisecond
	DefaultForwardSlack   = 250 * time.Millisecond
	DefaultSuspectFor     = 2 * time.Second
	DefaultMaxPending     = 10_000
	// MaxMaxPending bounds MaxPending.
	MaxMaxPending            = 1 << 20
	DefaultMaxTrackedSenders = 1 << 16
	// MaxMaxTrackedSenders bounds MaxTrackedSenders.
	MaxMaxTrackedSenders   = 1 << 24
	DefaultStandInMaxBytes = 16 << 20
	// MaxStandInMaxBytes bounds StandInMaxBytes.
	MaxStandInMaxBytes = 1 << 30
)

// WithDefaults returns c with zero fields replaced by defaults.
func (c Config) WithDefaults() Config {
	if c.R.Level == wire.LevelDefault {
		c.R = wire.Need{Level: wire.LevelQuorum}
	}
	if c.W.Level == wire.LevelDefault {
		c.W = wire.Need{Level: wire.LevelQuorum}
	}
	if c.ReadRepair == 0 {
		c.ReadRepair = ReadRepairAsync
	}
	if c.Quorum == 0 {
		c.Quorum = QuorumStrict
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ForwardTimeout == 0 {
		c.ForwardTimeout = c.RequestTimeout + DefaultForwardSlack
	}
	if c.TimeoutTick == 0 {
		c.TimeoutTick = max(c.RequestTimeout/20, time.Millisecond)
	}
	if c.SuspectFor == 0 {
		c.SuspectFor = DefaultSuspectFor
	}
	if c.MaxPending == 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.MaxTrackedSenders == 0 {
		c.MaxTrackedSenders = DefaultMaxTrackedSenders
	}
	if c.StandInMaxBytes == 0 {
		c.StandInMaxBytes = DefaultStandInMaxBytes
	}
	c.Limits = c.Limits.WithDefaults()
	return c
}

// Validate checks the configuration after defaults.
func (c Config) Validate() error {
	c = c.WithDefaults()
	for _, q := range []struct {
		name string
		need wire.Need
	}{{"R", c.R}, {"W", c.W}} {
		if q.need.Level == wire.LevelCount && q.need.Count == 0 {
			return fmt.Errorf("coord: %s count must be at least 1", q.name)
		}
		if q.need.Level > wire.LevelEachQuorum {
			return fmt.Errorf("coord: %s has unknown level %d", q.name, q.need.Level)
		}
	}
	if c.ReadRepair < ReadRepairOff || c.ReadRepair > ReadRepairBlocking {
		return fmt.Errorf("coord: unknown read repair mode %d", c.ReadRepair)
	}
	if c.Quorum < QuorumStrict || c.Quorum > QuorumSloppy {
		return fmt.Errorf("coord: unknown quorum mode %d", c.Quorum)
	}
	if c.RequestTimeout < 0 || c.ForwardTimeout < 0 || c.SuspectFor < 0 {
		return fmt.Errorf("coord: timeouts must be positive (request %v, forward %v, suspect %v)", c.RequestTimeout, c.ForwardTimeout, c.SuspectFor)
	}
	if c.TimeoutTick <= 0 || c.TimeoutTick > c.RequestTimeout {
		return fmt.Errorf("coord: TimeoutTick %v outside (0, RequestTimeout %v]", c.TimeoutTick, c.RequestTimeout)
	}
	if c.ForwardTimeout < c.RequestTimeout {
		return fmt.Errorf("coord: ForwardTimeout %v is below RequestTimeout %v: a forwarder would give up before the replica answers", c.ForwardTimeout, c.RequestTimeout)
	}
	if c.MaxPending < 1 || c.MaxPending > MaxMaxPending {
		return fmt.Errorf("coord: MaxPending %d outside [1, %d]", c.MaxPending, MaxMaxPending)
	}
	if c.MaxTrackedSenders < 2 || c.MaxTrackedSenders > MaxMaxTrackedSenders {
		return fmt.Errorf("coord: MaxTrackedSenders %d outside [2, %d]", c.MaxTrackedSenders, MaxMaxTrackedSenders)
	}
	if c.StandInMaxBytes < 1 || c.StandInMaxBytes > MaxStandInMaxBytes {
		return fmt.Errorf("coord: StandInMaxBytes %d outside [1, %d]", c.StandInMaxBytes, MaxStandInMaxBytes)
	}
	return c.Limits.Validate()
}
