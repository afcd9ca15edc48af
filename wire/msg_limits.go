package wire

import (
	"errors"
	"fmt"
)

// Protocol caps. They bound what a frame may carry so that Decode can refuse
// oversized input before allocating anything, and they are the ceiling for
// the configurable Limits a node enforces on client data. Raising one is a
// protocol change: old decoders refuse the new frames.
const (
	// MaxFrameBytes is the largest complete frame (length prefix included).
	// It fits MaxSiblings values of MaxValueBytes with their clocks.
	MaxFrameBytes = 16 << 20
	// MaxKeyBytes is the largest key any message may carry.
	MaxKeyBytes = 4 << 10
	// MaxValueBytes is the largest single value any message may carry.
	MaxValueBytes = 64 << 10
	// MaxSiblings is the most versions one sibling set or reply may carry.
	MaxSiblings = 128
	// MaxClockEntries is the most entries one clock (vector clock, causal
	// context) may carry. Vector-clock pruning keeps clocks far below it.
	MaxClockEntries = 256
	// MaxContextBytes is the largest opaque client context: a clock of
	// MaxClockEntries entries needs at most 1+2+256*(10+10+10) bytes.
	MaxContextBytes = 8 << 10
	// MaxErrorBytes is the longest error text a reply or ack may carry.
	MaxErrorBytes = 1 << 10
)

// Limits are the size limits a node enforces on client data at the
// coordinator, before anything is stored. A zero field means the default.
type Limits struct {
	// KeySizeBytes is the largest accepted key. Default 1 KiB: keys are
	// hashed, compared and stored in every index block, so the design wants
	// them short; 1 KiB leaves room for composite keys.
	KeySizeBytes int
	// ValueSizeBytes is the largest accepted value. Default 10 KiB, the
	// design's bound on a key-value pair's value.
	ValueSizeBytes int
}

// Default limits.
const (
	DefaultKeySizeBytes   = 1 << 10
	DefaultValueSizeBytes = 10 << 10
)

// ErrTooLarge is matched (errors.Is) by every *SizeError.
var ErrTooLarge = errors.New("too large")

// ErrEmptyKey is returned by CheckKey for a zero-length key.
var ErrEmptyKey = errors.New("key is empty")

// SizeError reports data over a size limit, stating both.
type SizeError struct {
	What  string // "key", "value", ...
	Size  int    // bytes offered
	Limit int    // bytes allowed
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("%s size %d bytes exceeds the limit of %d bytes", e.What, e.Size, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }

// WithDefaults returns l with zero fields replaced by the defaults.
func (l Limits) WithDefaults() Limits {
	if l.KeySizeBytes == 0 {
		l.KeySizeBytes = DefaultKeySizeBytes
	}
	if l.ValueSizeBytes == 0 {
		l.ValueSizeBytes = DefaultValueSizeBytes
	}
	return l
}

// Validate checks the limits (after defaults) against the protocol caps.
func (l Limits) Validate() error {
	l = l.WithDefaults()
	if l.KeySizeBytes < 1 || l.KeySizeBytes > MaxKeyBytes {
		return fmt.Errorf("net: Limits.KeySizeBytes %d outside [1, %d]", l.KeySizeBytes, MaxKeyBytes)
	}
	if l.ValueSizeBytes < 1 || l.ValueSizeBytes > MaxValueBytes {
		return fmt.Errorf("net: Limits.ValueSizeBytes %d outside [1, %d]", l.ValueSizeBytes, MaxValueBytes)
	}
	return nil
}

// CheckKey refuses an empty key or one over the key limit.
func (l Limits) CheckKey(key []byte) error {
	l = l.WithDefaults()
	if len(key) == 0 {
		return ErrEmptyKey
	}
	if len(key) > l.KeySizeBytes {
		return &SizeError{What: "key", Size: len(key), Limit: l.KeySizeBytes}
	}
	return nil
}

// CheckValue refuses a value over the value limit. Empty values are allowed.
func (l Limits) CheckValue(value []byte) error {
	l = l.WithDefaults()
	if len(value) > l.ValueSizeBytes {
		return &SizeError{What: "value", Size: len(value), Limit: l.ValueSizeBytes}
	}
	return nil
}

// CheckPut checks a put's key and value.
func (l Limits) CheckPut(key, value []byte) error {
	if err := l.CheckKey(key); err != nil {
		return err
	}
	return l.CheckValue(value)
}
