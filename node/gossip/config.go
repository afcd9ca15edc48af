package gossip

import (
	"fmt"
	"math"
	"time"

	"dynasim/wire"
)

// Detector chooses how a member that stopped heartbeating is marked down.
type Detector uint8

const (
	// DetectorHeartbeat marks a member down when this node has seen no
	// newer heartbeat of it for SuspectAfter and at least ConfirmReporters
	// distinct members (this node included) report it suspected.
	DetectorHeartbeat Detector = iota + 1
	// DetectorPhi marks a member down when its phi-accrual value (see
	// phi.go) exceeds PhiThreshold; suspicion (and its reports) still
	// follow SuspectAfter, but they do not decide.
	DetectorPhi
)

func (d Detector) String() string {
	switch d {
	case DetectorHeartbeat:
		return "heartbeat"
	case DetectorPhi:
		return "phi"
	}
	return fmt.Sprintf("Detector(%d)", uint8(d))
}

// ParseDetector parses "heartbeat" or "phi".
func ParseDetector(s string) (Detector, error) {
	for d := DetectorHeartbeat; d <= DetectorPhi; d++ {
		if d.String() == s {
			return d, nil
		}
	}
	return 0, fmt.Errorf("gossip: unknown detector %q (want heartbeat or phi)", s)
}

// Config configures a node's gossip. Zero fields take the defaults.
type Config struct {
	// GossipInterval is how often the node bumps its heartbeat and gossips
	// (the caller calls Tick at this period). Default 1 s (Cassandra's).
	GossipInterval time.Duration
	// Fanout is how many peers each round pushes to. Default 2.
	Fanout int
	// SuspectAfter is how long a member's heartbeat may stand still before
	// this node suspects it. Default 5 s; at least 2 GossipIntervals.
	SuspectAfter time.Duration
	// ConfirmReporters is how many distinct members (this node included)
	// must report a member suspected before DetectorHeartbeat marks it
	// down. Default 2, as the design says. With M members at most M-1 can
	// report, so it must be below the member count for anything to be
	// marked down.
	ConfirmReporters int
	// Detector is DetectorHeartbeat (default) or DetectorPhi.
	Detector Detector
	// PhiThreshold is the phi value above which DetectorPhi marks a member
	// down. Default 8 (Cassandra's phi_convict_threshold).
	PhiThreshold float64
	// PhiWindow is how many inter-arrival times of heartbeat advances phi
	// keeps per member. Default 1000 (Cassandra's and Akka's).
	PhiWindow int
	// PhiBootstrap is the mean inter-arrival time phi assumes for a member
	// it has no sample of yet. Default 2 GossipIntervals.
	PhiBootstrap time.Duration
	// MaxMembers bounds the membership list, configured and learned
	// members together; entries of further members are dropped (counted).
	// Default 1024, at most wire.MaxGossipEntries.
	MaxMembers int
	// MaxRingPayloadBytes bounds the ring payload one entry may carry;
	// entries with a larger one are dropped (counted). Default 4 KiB, at
	// most wire.MaxRingPayloadBytes.
	MaxRingPayloadBytes int
	// MaxMessageBytes bounds one gossip message's frame. A list that does
	// not fit is sent in part: the node's own entry and, from a random
	// starting member on, as many others as fit (so every entry travels
	// within a few rounds). Default 1 MiB, within [4 KiB,
	// wire.MaxFrameBytes].
	MaxMessageBytes int
	// MaxTransitions bounds the kept log of down/up/left marks; later
	// marks are counted, not kept. Default 100,000.
	MaxTransitions int
}

// Defaults and bounds.
const (
	DefaultGossipInterval      = time.Second
	DefaultFanout              = 2
	DefaultSuspectAfter        = 5 * time.Second
	DefaultConfirmReporters    = 2
	DefaultPhiThreshold        = 8.0
	DefaultPhiWindow           = 1000
	DefaultMaxMembers          = 1024
	DefaultMaxRingPayloadBytes = 4 << 10
	DefaultMaxMessageBytes     = 1 << 20
	DefaultMaxTransitions      = 100_000

	MaxFanout           = 64
	MaxConfirmReporters = 64
	MaxPhiThreshold     = 1000
	MaxPhiWindow        = 100_000
	MinMaxMessageBytes  = 4 << 10
	MaxMaxTransitions   = 10_000_000
)

// WithDefaults returns c with zero fields replaced by defaults.
func (c Config) WithDefaults() Config {
	if c.GossipInterval == 0 {
		c.GossipInterval = DefaultGossipInterval
	}
	if c.Fanout == 0 {
		c.Fanout = DefaultFanout
	}
	if c.SuspectAfter == 0 {
		c.SuspectAfter = DefaultSuspectAfter
	}
	if c.ConfirmReporters == 0 {
		c.ConfirmReporters = DefaultConfirmReporters
	}
	if c.Detector == 0 {
		c.Detector = DetectorHeartbeat
	}
	if c.PhiThreshold == 0 {
		c.PhiThreshold = DefaultPhiThreshold
	}
	if c.PhiWindow == 0 {
		c.PhiWindow = DefaultPhiWindow
	}
	if c.PhiBootstrap == 0 {
		c.PhiBootstrap = 2 * c.GossipInterval
	}
	if c.MaxMembers == 0 {
		c.MaxMembers = DefaultMaxMembers
	}
	if c.MaxRingPayloadBytes == 0 {
		c.MaxRingPayloadBytes = DefaultMaxRingPayloadBytes
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxTransitions == 0 {
		c.MaxTransitions = DefaultMaxTransitions
	}
	return c
}

// Validate checks the configuration after defaults.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.GossipInterval < time.Millisecond:
		return fmt.Errorf("gossip: GossipInterval %v is below 1 ms", c.GossipInterval)
	case c.Fanout < 1 || c.Fanout > MaxFanout:
		return fmt.Errorf("gossip: Fanout %d outside [1, %d]", c.Fanout, MaxFanout)
	case c.SuspectAfter < 2*c.GossipInterval:
		return fmt.Errorf("gossip: SuspectAfter %v is below two GossipIntervals (%v): every member would be suspected between rounds", c.SuspectAfter, 2*c.GossipInterval)
	case c.ConfirmReporters < 1 || c.ConfirmReporters > MaxConfirmReporters:
		return fmt.Errorf("gossip: ConfirmReporters %d outside [1, %d]", c.ConfirmReporters, MaxConfirmReporters)
	case c.Detector != DetectorHeartbeat && c.Detector != DetectorPhi:
		return fmt.Errorf("gossip: unknown detector %d", uint8(c.Detector))
	case !(c.PhiThreshold > 0 && c.PhiThreshold <= MaxPhiThreshold) || math.IsNaN(c.PhiThreshold):
		return fmt.Errorf("gossip: PhiThreshold %v outside (0, %d]", c.PhiThreshold, MaxPhiThreshold)
	case c.PhiWindow < 1 || c.PhiWindow > MaxPhiWindow:
		return fmt.Errorf("gossip: PhiWindow %d outside [1, %d]", c.PhiWindow, MaxPhiWindow)
	case c.PhiBootstrap <= 0:
		return fmt.Errorf("gossip: PhiBootstrap %v must be positive", c.PhiBootstrap)
	case c.MaxMembers < 1 || c.MaxMembers > wire.MaxGossipEntries:
		return fmt.Errorf("gossip: MaxMembers %d outside [1, %d]", c.MaxMembers, wire.MaxGossipEntries)
	case c.MaxRingPayloadBytes < 0 || c.MaxRingPayloadBytes > wire.MaxRingPayloadBytes:
		return fmt.Errorf("gossip: MaxRingPayloadBytes %d outside [0, %d]", c.MaxRingPayloadBytes, wire.MaxRingPayloadBytes)
	case c.MaxMessageBytes < MinMaxMessageBytes || c.MaxMessageBytes > wire.MaxFrameBytes:
		return fmt.Errorf("gossip: MaxMessageBytes %d outside [%d, %d]", c.MaxMessageBytes, MinMaxMessageBytes, wire.MaxFrameBytes)
	case c.MaxTransitions < 1 || c.MaxTransitions > MaxMaxTransitions:
		return fmt.Errorf("gossip: MaxTransitions %d outside [1, %d]", c.MaxTransitions, MaxMaxTransitions)
	}
	return nil
}
