package merkle

import (
	"fmt"
	"math/bits"
)

// Config shapes a tree.
type Config struct {
	// Buckets is the number of leaves (buckets of keys) a tree cuts its arc
	// into: a power of two in [1, MaxBuckets]. More buckets find a few
	// differing keys more precisely (fewer keys exchanged per difference)
	// at the price of more node hashes and one more round trip per
	// doubling. Default DefaultBuckets.
	Buckets int
}

// Tree shape defaults and bounds.
const (
	DefaultBuckets = 64
	MaxBuckets     = 1 << 16
)

// WithDefaults returns c with zero fields replaced by defaults.
func (c Config) WithDefaults() Config {
	if c.Buckets == 0 {
		c.Buckets = DefaultBuckets
	}
	return c
}

// Validate checks the configuration after defaults.
func (c Config) Validate() error {
	return CheckBuckets(c.WithDefaults().Buckets)
}

// CheckBuckets refuses a bucket count that is not a power of two in
// [1, MaxBuckets].
func CheckBuckets(b int) error {
	if b < 1 || b > MaxBuckets || b&(b-1) != 0 {
		return fmt.Errorf("merkle: Buckets %d must be a power of two in [1, %d]", b, MaxBuckets)
	}
	return nil
}

// Depth is log2 of a valid bucket count: the level of the leaves (the root
// is level 0).
func Depth(buckets int) int { return bits.Len(uint(buckets)) - 1 }
