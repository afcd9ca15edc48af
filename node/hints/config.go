package hints

import (
	"fmt"
	"time"

	"dynasim/disk"
	"dynasim/node/lsm/wal"
)

// Config configures a hint store. Zero fields take the defaults.
type Config struct {
	// Dir is the store's directory on its FS, apart from the node's data.
	// Default "hints".
	Dir string
	// Window is how long a hint is kept: a hint whose Created is Window or
	// more before now is dropped by Expire (counted in Stats.Dropped) and
	// never delivered; repairing what it carried is anti-entropy's job.
	// Default 3 h (Cassandra's max_hint_window).
	Window time.Duration
	// MaxHintBytes bounds one hint's key plus version. Default 1 MiB.
	MaxHintBytes int
	// MaxPendingHints and MaxPendingBytes bound what the store holds; Add
	// refuses more with ErrFull. Defaults 1,048,576 hints and 256 MiB.
	MaxPendingHints int
	MaxPendingBytes int64
	// CompactBytes: the log is rewritten with only the live hints when the
	// bytes of dead records (acknowledged or expired hints, deletes)
	// exceed both CompactBytes and the live bytes. Default 4 MiB.
	CompactBytes int64
}

// Defaults and bounds.
const (
	DefaultDir             = "hints"
	DefaultWindow          = 3 * time.Hour
	DefaultMaxHintBytes    = 1 << 20
	DefaultMaxPendingHints = 1 << 20
	DefaultMaxPendingBytes = 256 << 20
	DefaultCompactBytes    = 4 << 20

	// MaxMaxHintBytes leaves room for a hint's other fields in one log
	// record.
	MaxMaxHintBytes    = wal.MaxRecordBytes - 64
	MaxMaxPendingHints = 1 << 26
)

// WithDefaults returns c with zero fields replaced by defaults.
func (c Config) WithDefaults() Config {
	if c.Dir == "" {
		c.Dir = DefaultDir
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.MaxHintBytes == 0 {
		c.MaxHintBytes = DefaultMaxHintBytes
	}
	if c.MaxPendingHints == 0 {
		c.MaxPendingHints = DefaultMaxPendingHints
	}
	if c.MaxPendingBytes == 0 {
		c.MaxPendingBytes = DefaultMaxPendingBytes
	}
	if c.CompactBytes == 0 {
		c.CompactBytes = DefaultCompactBytes
	}
	return c
}

// Validate checks the configuration after defaults.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch {
	case disk.CleanPath(c.Dir) == ".":
		return fmt.Errorf("hints: Dir %q must name a directory below the root", c.Dir)
	case c.Window <= 0:
		return fmt.Errorf("hints: Window %v must be positive", c.Window)
	case c.MaxHintBytes < 1 || c.MaxHintBytes > MaxMaxHintBytes:
		return fmt.Errorf("hints: MaxHintBytes %d outside [1, %d]", c.MaxHintBytes, MaxMaxHintBytes)
	case c.MaxPendingHints < 1 || c.MaxPendingHints > MaxMaxPendingHints:
		return fmt.Errorf("hints: MaxPendingHints %d outside [1, %d]", c.MaxPendingHints, MaxMaxPendingHints)
	case c.MaxPendingBytes < int64(c.MaxHintBytes):
		return fmt.Errorf("hints: MaxPendingBytes %d is below MaxHintBytes %d", c.MaxPendingBytes, c.MaxHintBytes)
	case c.CompactBytes < 1:
		return fmt.Errorf("hints: CompactBytes %d must be positive", c.CompactBytes)
	}
	return nil
}

// Throttle bounds a delivery; the caller passes it to every Deliver (it is
// an input, so it may change between calls).
type Throttle struct {
	// BytesPerSecond is the store's delivery rate over all targets (key
	// plus version bytes), as a token bucket holding at most one second's
	// worth; 0 means unlimited.
	BytesPerSecond int64
	// MaxInFlight bounds the hints handed out and not yet acknowledged or
	// released, per target; 0 means unlimited.
	MaxInFlight int
}
