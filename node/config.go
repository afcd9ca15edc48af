package node

import (
	"fmt"
	"time"

	"dynasim/disk"
	"dynasim/node/coord"
	"dynasim/node/lsm"
	"dynasim/node/ring"
	"dynasim/node/versions"
)

// Config is everything a Dynamo node is configured with. Every node of a
// cluster gets the same Config (the harness or the launcher builds it);
// what differs per node — its address, clock, disk and random stream —
// comes from its Env. Zero fields take the defaults documented on each
// part; Validate checks the whole.
type Config struct {
	// Members are the ring's members: every node of the cluster with its
	// ID (the identity its tokens are hashed from), wire address,
	// datacenter, rack and weight. IDs and addresses are each distinct;
	// they need not be equal. A node must find its own address among them.
	// They form the node's first ring version; a host gives it later ones
	// (Node.SetMembership).
	Members []ring.Member
	// MembershipVersion is the version number of the ring version Members
	// describe. Default 1.
	MembershipVersion uint64
	// Ring is the consistent-hashing configuration: virtual nodes per unit
	// of weight, token seed, and the replica placement (N, or N per
	// datacenter). The placement's replica count is a request's default N.
	Ring ring.Config
	// Versions chooses the versioning mode (vclock, dvv, lww) and its
	// limits.
	Versions versions.Config
	// Coordinator holds the quorum defaults, timeouts, read repair mode,
	// two-phase writes and the client size limits.
	Coordinator coord.Config
	// Storage holds the data directory, the sync policy and the engine.
	Storage StorageConfig
	// Membership configures gossip membership and failure detection
	// (failure.go). Default disabled.
	Membership MembershipConfig
	// HintedHandoff configures the hint store a sloppy quorum's fallbacks
	// keep and the handoff of hints to their targets (handoff.go).
	// Default disabled; Coordinator.Quorum sloppy requires it.
	HintedHandoff HintedHandoffConfig
	// AntiEntropy configures Merkle-tree anti-entropy between replicas
	// (antientropy.go). Default disabled.
	AntiEntropy AntiEntropyConfig
	// Streaming configures range streaming during joins and
	// decommissions (streaming.go).
	Streaming StreamingConfig
}

// StorageConfig configures a node's storage.
type StorageConfig struct {
	// Dir is the node's directory on its FS: the epoch file lives there and
	// the engine under Dir/engine. Default "node".
	Dir string
	// SyncDelay is the group-commit window. 0 syncs at the end of every
	// event that wrote, before its acknowledgements leave; a positive
	// delay lets the writes of several events share one sync, and their
	// acknowledgements (and any read that could reveal them) wait for it.
	// Default 0.
	SyncDelay time.Duration
	// AckBeforeSync acknowledges writes (and answers reads) without waiting
	// for them to be durable, and syncs every SyncPeriod instead: the
	// "periodic" commit-log sync of Cassandra. It is faster, and a crash
	// loses the acknowledged writes made since the last sync — which is why
	// it exists here, to show that. Default false: nothing is revealed
	// before it is durable (SyncDelay then sets the group-commit window).
	AckBeforeSync bool
	// SyncPeriod is how often a node with AckBeforeSync syncs what it
	// wrote. Default 100 ms.
	SyncPeriod time.Duration
	// MaxDeferred bounds the acknowledgements and read answers waiting for
	// a sync; when it is reached the node syncs at once. Default 10,000.
	MaxDeferred int
	// MaintenanceInterval is how often the engine's background work
	// (memtable flushes, compactions) runs when it reports none pending.
	// While it reports more, the node comes back after a millisecond.
	// Default 100 ms.
	MaintenanceInterval time.Duration
	// MaintenanceBudgetBytes bounds the key and value bytes one round of
	// background work may process, so that requests are not starved.
	// Default 1 MiB.
	MaintenanceBudgetBytes int64
	// RowCacheBytes bounds the cache of decoded sibling sets of recently
	// used keys (a row cache: reads and merges of hot keys skip the engine
	// and the decoding). Default 8 MiB; -1 disables it.
	RowCacheBytes int64
	// Engine configures the storage engine (node/lsm) under Dir/engine.
	// The node sets its clock (Now), runs it in group-commit mode (leave
	// Sync unset: the node syncs before it acknowledges, see SyncDelay)
	// and drives its flushes and compactions from the maintenance timer.
	// Zero key and value limits are sized for the replica's records: the
	// client key limit plus 9 bytes, and the engine's hard value limit
	// (a sibling set may hold many values).
	Engine lsm.Options
}

// DefaultMembershipVersion is the version number of the configured ring.
const DefaultMembershipVersion = 1

// Storage defaults and bounds.
const (
	DefaultDir                    = "node"
	DefaultMaxDeferred            = 10_000
	DefaultSyncPeriod             = 100 * time.Millisecond
	DefaultMaintenanceInterval    = 100 * time.Millisecond
	DefaultMaintenanceBudgetBytes = 1 << 20
	DefaultRowCacheBytes          = 8 << 20
	MaxMaxDeferred                = 1 << 20
)

// WithDefaults returns c with zero fields replaced by defaults.
func (c StorageConfig) WithDefaults() StorageConfig {
	if c.Dir == "" {
		c.Dir = DefaultDir
	}
	if c.MaxDeferred == 0 {
		c.MaxDeferred = DefaultMaxDeferred
	}
	if c.SyncPeriod == 0 {
		c.SyncPeriod = DefaultSyncPeriod
	}
	if c.MaintenanceInterval == 0 {
		c.MaintenanceInterval = DefaultMaintenanceInterval
	}
	if c.MaintenanceBudgetBytes == 0 {
		c.MaintenanceBudgetBytes = DefaultMaintenanceBudgetBytes
	}
	if c.RowCacheBytes == 0 {
		c.RowCacheBytes = DefaultRowCacheBytes
	}
	return c
}

// Validate checks the storage configuration after defaults.
func (c StorageConfig) Validate() error {
	c = c.WithDefaults()
	if disk.CleanPath(c.Dir) == "." {
		return fmt.Errorf("node: Storage.Dir %q must name a directory below the root", c.Dir)
	}
	if c.SyncDelay < 0 {
		return fmt.Errorf("node: Storage.SyncDelay %v is negative", c.SyncDelay)
	}
	if c.SyncPeriod < 0 {
		return fmt.Errorf("node: Storage.SyncPeriod %v is negative", c.SyncPeriod)
	}
	if c.AckBeforeSync && c.SyncDelay != 0 {
		return fmt.Errorf("node: Storage.SyncDelay (a group-commit window) does not apply with AckBeforeSync; set SyncPeriod")
	}
	if c.MaxDeferred < 1 || c.MaxDeferred > MaxMaxDeferred {
		return fmt.Errorf("node: Storage.MaxDeferred %d outside [1, %d]", c.MaxDeferred, MaxMaxDeferred)
	}
	if c.MaintenanceInterval <= 0 {
		return fmt.Errorf("node: Storage.MaintenanceInterval %v must be positive", c.MaintenanceInterval)
	}
	if c.MaintenanceBudgetBytes <= 0 {
		return fmt.Errorf("node: Storage.MaintenanceBudgetBytes %d must be positive", c.MaintenanceBudgetBytes)
	}
	if c.RowCacheBytes < -1 {
		return fmt.Errorf("node: Storage.RowCacheBytes %d must be positive, or -1 for no cache", c.RowCacheBytes)
	}
	return nil
}

// WithDefaults returns c with every part's defaults applied.
func (c Config) WithDefaults() Config {
	if c.MembershipVersion == 0 {
		c.MembershipVersion = DefaultMembershipVersion
	}
	c.Ring = c.Ring.WithDefaults()
	c.Versions = c.Versions.WithDefaults()
	c.Coordinator = c.Coordinator.WithDefaults()
	c.Storage = c.Storage.WithDefaults()
	c.Membership = c.Membership.WithDefaults()
	c.HintedHandoff = c.HintedHandoff.withDefaults(c.Storage.Dir)
	c.AntiEntropy = c.AntiEntropy.withDefaults()
	c.Streaming = c.Streaming.withDefaults()
	return c
}

// Validate checks every part and the ring version built from Members.
func (c Config) Validate() error {
	_, err := prepare(c)
	return err
}
