package node

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node/coord"
	"dynasim/node/lsm"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/wire"
)

func validConfig() Config {
	return Config{
		// IDs and addresses differ on purpose.
		Members: []ring.Member{{ID: 0, Addr: 10}, {ID: 1, Addr: 20}, {ID: 2, Addr: 30}},
	}
}

func TestConfigDefaultsAndValidation(t *testing.T) {
	require.NoError(t, validConfig().Validate())
	c := validConfig().WithDefaults()
	require.Equal(t, DefaultDir, c.Storage.Dir)
	require.Equal(t, versions.ModeDVV, c.Versions.Mode)
	require.Equal(t, ring.DefaultN, c.Ring.Placement.N)
	require.Equal(t, uint64(DefaultMembershipVersion), c.MembershipVersion)
	// Failure handling is off by default; its knobs take their defaults.
	require.False(t, c.Membership.Enabled)
	require.False(t, c.HintedHandoff.Enabled)
	require.Equal(t, coord.QuorumStrict, c.Coordinator.Quorum)
	require.Equal(t, time.Second, c.Membership.Gossip.GossipInterval)
	require.Equal(t, DefaultHintWindow, c.HintedHandoff.Window)
	require.Equal(t, DefaultHintWindow, c.HintedHandoff.Store.Window)
	require.Equal(t, "node/hints", c.HintedHandoff.Store.Dir)
	require.Equal(t, int64(DefaultHintRateBytesPerS), c.HintedHandoff.RateBytesPerS)
	on := validConfig()
	on.Membership.Enabled, on.HintedHandoff.Enabled, on.Coordinator.Quorum = true, true, coord.QuorumSloppy
	require.NoError(t, on.Validate())

	for name, mutate := range map[string]func(*Config){
		"no members":           func(c *Config) { c.Members = nil },
		"duplicate member":     func(c *Config) { c.Members = append(c.Members, ring.Member{ID: 1, Addr: 40}) },
		"duplicate address":    func(c *Config) { c.Members = append(c.Members, ring.Member{ID: 3, Addr: 20}) },
		"negative address":     func(c *Config) { c.Members = append(c.Members, ring.Member{ID: 3, Addr: -2}) },
		"root dir":             func(c *Config) { c.Storage.Dir = "/" },
		"negative delay":       func(c *Config) { c.Storage.SyncDelay = -time.Second },
		"engine sync mode":     func(c *Config) { c.Storage.Engine.Sync = lsm.SyncPeriodic },
		"engine key limit":     func(c *Config) { c.Storage.Engine.MaxKeySizeBytes = 100 },
		"engine options":       func(c *Config) { c.Storage.Engine.MemtableSizeBytes = 1 },
		"bad mode":             func(c *Config) { c.Versions.Mode = 7 },
		"bad quorum":           func(c *Config) { c.Coordinator.R = wire.Need{Level: 42} },
		"bad maintenance":      func(c *Config) { c.Storage.MaintenanceInterval = -1 },
		"too many deferred":    func(c *Config) { c.Storage.MaxDeferred = MaxMaxDeferred + 1 },
		"sloppy without hints": func(c *Config) { c.Coordinator.Quorum = coord.QuorumSloppy },
		"unknown quorum":       func(c *Config) { c.Coordinator.Quorum = 9 },
		"gossip fanout":        func(c *Config) { c.Membership.Gossip.Fanout = -1 },
		"gossip suspicion":     func(c *Config) { c.Membership.Gossip.SuspectAfter = time.Millisecond },
		"hint rate":            func(c *Config) { c.HintedHandoff.RateBytesPerS = -2 },
		"hints in flight":      func(c *Config) { c.HintedHandoff.MaxInFlight = MaxHintMaxInFlight + 1 },
		"hint window":          func(c *Config) { c.HintedHandoff.Window = -time.Second },
		"hints in the engine":  func(c *Config) { c.HintedHandoff.Store.Dir = "node/engine/hints" },
	} {
		cfg := validConfig()
		mutate(&cfg)
		require.Error(t, cfg.Validate(), name)
		_, err := NewFactory(cfg)
		require.Error(t, err, name)
	}
}

type fakeEnv struct{ fs disk.FS }

func (e fakeEnv) Now() time.Time                { return time.Unix(0, 0) }
func (e fakeEnv) Send(wire.Addr, wire.Message)  {}
func (e fakeEnv) SetTimer(time.Duration, Timer) {}
func (e fakeEnv) Rand() Rand                    { return nil }
func (e fakeEnv) FS() disk.FS                   { return e.fs }

func TestStartRefusesStrangersAndDisklessHosts(t *testing.T) {
	f, err := NewFactory(validConfig())
	require.NoError(t, err)
	fs, err := disk.NewMemFS(disk.DefaultMemFSConfig())
	require.NoError(t, err)
	_, err = f(1, fakeEnv{fs: fs})
	require.ErrorContains(t, err, "address 1 is not among the 3 members of ring version 1", "member IDs are not addresses")
	_, err = f(20, fakeEnv{})
	require.ErrorContains(t, err, "no disk")
}
