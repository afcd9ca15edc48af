package versions

import (
	"fmt"
	"time"

	"dynasim/wire"
)

// Mode is the versioning scheme.
type Mode uint8

const (
	// ModeVClock: per-version server-id vector clocks (the design's scheme).
	ModeVClock Mode = iota + 1
	// ModeDVV: dotted version vector sets.
	ModeDVV
	// ModeLWW: last-write-wins by the coordinator's clock.
	ModeLWW
)

var modeNames = [...]string{"", "vclock", "dvv", "lww"}

func (m Mode) String() string {
	if m >= ModeVClock && m <= ModeLWW {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ModeNames lists the modes' names, as ParseMode reads them.
func ModeNames() []string { return append([]string(nil), modeNames[1:]...) }

// DefaultMode is the mode of a Config that names none.
const DefaultMode = ModeDVV

// ParseMode parses "vclock", "dvv" or "lww".
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if n != "" && n == s {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("versions: unknown mode %q (want vclock, dvv or lww)", s)
}

// Config configures versioning. Zero fields take defaults.
type Config struct {
	// Mode is the scheme. Default ModeDVV.
	Mode Mode
	// MaxSiblings refuses a client write (Update) whose result would hold
	// more versions (Riak's max_siblings): the put fails, and the client
	// must read and resolve first. Merges of replicas' sets (replication,
	// repair, anti-entropy, a coordinator merging read answers) may hold
	// up to wire.MaxSiblings, what a set can carry: two replicas each under
	// the limit can hold more than it together, and refusing their merge
	// would leave the key unreadable (so never resolved) and the replicas
	// apart for good (fuzz eventual seed 1531). Default 100; at most
	// wire.MaxSiblings.
	MaxSiblings int
	// Prune bounds vector clocks (ModeVClock only).
	Prune PruneConfig
}

// PruneConfig holds Riak's vector-clock pruning knobs. After each update
// the clock's entries are considered oldest first (by the timestamp of
// their last increment): nothing is pruned while the clock has at most
// SmallVClock entries or its oldest entry is younger than YoungVClock;
// beyond that, the oldest entry is dropped while the clock has more than
// BigVClock entries or that entry is older than OldVClock.
type PruneConfig struct {
	SmallVClock int           // default 50
	BigVClock   int           // default 50; at most wire.MaxClockEntries
	YoungVClock time.Duration // default 20 s (0 means default: use 1ns to protect nothing)
	OldVClock   time.Duration // default 24 h
}

// Defaults (Riak's).
const (
	DefaultMaxSiblings = 100
	DefaultSmallVClock = 50
	DefaultBigVClock   = 50
	DefaultYoungVClock = 20 * time.Second
	DefaultOldVClock   = 24 * time.Hour
)

// WithDefaults returns c with zero fields replaced by defaults.
func (c Config) WithDefaults() Config {
	if c.Mode == 0 {
		c.Mode = DefaultMode
	}
	if c.MaxSiblings == 0 {
		c.MaxSiblings = DefaultMaxSiblings
	}
	p := &c.Prune
	if p.SmallVClock == 0 {
		p.SmallVClock = DefaultSmallVClock
	}
	if p.BigVClock == 0 {
		p.BigVClock = max(DefaultBigVClock, p.SmallVClock)
	}
	if p.YoungVClock == 0 {
		p.YoungVClock = DefaultYoungVClock
	}
	if p.OldVClock == 0 {
		p.OldVClock = max(DefaultOldVClock, p.YoungVClock)
	}
	return c
}

// Validate checks the configuration after defaults.
func (c Config) Validate() error {
	c = c.WithDefaults()
	if c.Mode < ModeVClock || c.Mode > ModeLWW {
		return fmt.Errorf("versions: unknown mode %d", c.Mode)
	}
	if c.MaxSiblings < 1 || c.MaxSiblings > wire.MaxSiblings {
		return fmt.Errorf("versions: MaxSiblings %d outside [1, %d]", c.MaxSiblings, wire.MaxSiblings)
	}
	p := c.Prune
	if p.SmallVClock < 1 {
		return fmt.Errorf("versions: SmallVClock %d must be at least 1", p.SmallVClock)
	}
	if p.BigVClock < p.SmallVClock || p.BigVClock > wire.MaxClockEntries {
		return fmt.Errorf("versions: BigVClock %d outside [SmallVClock %d, %d]", p.BigVClock, p.SmallVClock, wire.MaxClockEntries)
	}
	if p.YoungVClock < 0 {
		return fmt.Errorf("versions: YoungVClock %v is negative", p.YoungVClock)
	}
	if p.OldVClock < p.YoungVClock {
		return fmt.Errorf("versions: OldVClock %v is below YoungVClock %v", p.OldVClock, p.YoungVClock)
	}
	return nil
}
