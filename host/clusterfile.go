package host

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/goccy/go-yaml"

	"dynasim/node"
	"dynasim/node/coord"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/wire"
)

// ClusterFile is a real cluster's description, read by `dynasim node`:
//
//	data_dir: data            # node i keeps its data in data_dir/<id>
//	seed: 0                   # 0: crypto/rand
//	node:                     # a subset of a scenario's node section
//	  n: 3
//	  r: 2
//	  w: 2
//	  version_mode: dvv       # vclock, dvv, lww
//	  read_repair: async      # off, async, blocking
//	  two_phase_writes: false
//	  request_timeout: 500ms
//	  sync_delay: 0s          # group-commit window; 0 syncs before every ack
//	tls:                      # optional; default: plaintext (see TLSConfig)
//	  peer_tls: false         # mutual TLS between nodes
//	  client_tls: false       # TLS on the Redis-protocol port
//	  client_auth: false      # client_tls clients must show a ca_file-signed certificate
//	  cert_file: ""           # PEM certificate chain (a member's own overrides it)
//	  key_file: ""            # PEM private key
//	  ca_file: ""             # PEM CA certificates signing the members' certificates
//	scenario: ""              # or: a scenario file whose node and membership sections
//	                          # configure every node instead of the node section above
//	                          # (gossip, sloppy quorum, hinted handoff, anti-entropy,
//	                          # storage); resolved at its own seed; relative to this file
//	debug_commands: false     # DEBUG PARTITION/HEAL/DELAY on the client port (fault injection)
//	max_batch_events: 256     # events handed to the node at once, sharing one fsync (1..65536; 0: default)
//	sync_on_loop: false       # fsync on the event loop (as simulated); default: on a goroutine beside it
//	members:
//	  - id: 1
//	    peer: 127.0.0.1:7101  # node-to-node listener
//	    client: 127.0.0.1:6381 # Redis-protocol listener
//	    metrics_addr: 127.0.0.1:9101 # optional: Prometheus /metrics; empty: off
//	    cert_file: ""         # optional: this member's certificate and key,
//	    key_file: ""          # overriding tls.cert_file and tls.key_file
//	    ca_file: ""           # optional: overrides tls.ca_file
//	    dc: ""                # optional
//	    rack: ""
//	    weight: 0             # optional: virtual nodes relative to the others (0 means 1)
//
// Member i of the list has wire address i; its id places its tokens on the
// ring. Relative file paths (data_dir, certificates) are relative to the
// cluster file's directory. Unknown keys are refused.
type ClusterFile struct {
	DataDir string      `yaml:"data_dir"`
	Seed    uint64      `yaml:"seed"`
	Node    ClusterNode `yaml:"node"`
	TLS     ClusterTLS  `yaml:"tls"`
	// Scenario names a scenario file (relative paths: to the cluster
	// file's directory) whose node and membership sections configure the
	// nodes instead of Node, mapped exactly as dynasim run maps them for
	// the simulation: every knob of the simulated node — gossip, sloppy
	// quorum, hinted handoff, anti-entropy, storage — runs for real too.
	// The package reads only the path (ScenarioPath); the dynasim node
	// command resolves the scenario and passes its node configuration to
	// HostConfigFor.
	Scenario string `yaml:"scenario"`
	// DebugCommands turns on the client port's fault-injection commands
	// (Config.DebugCommands). Default off.
	DebugCommands bool `yaml:"debug_commands"`
	// MaxBatchEvents bounds the events the loop hands the node at once
	// (Config.MaxBatchEvents). 0: the default.
	MaxBatchEvents int `yaml:"max_batch_events"`
	// SyncOnLoop makes the nodes fsync on their event loops
	// (Config.SyncOnLoop). Default false.
	SyncOnLoop bool            `yaml:"sync_on_loop"`
	Members    []ClusterMember `yaml:"members"`

	dir string // the file's directory, for relative certificate paths
}

// ClusterTLS is the tls section of a cluster file (see TLSConfig).
type ClusterTLS struct {
	PeerTLS    bool   `yaml:"peer_tls"`
	ClientTLS  bool   `yaml:"client_tls"`
	ClientAuth bool   `yaml:"client_auth"`
	CertFile   string `yaml:"cert_file"`
	KeyFile    string `yaml:"key_file"`
	CAFile     string `yaml:"ca_file"`
}

// ClusterNode is the node section of a cluster file. Zero values take the
// node's defaults.
type ClusterNode struct {
	N              int    `yaml:"n"`
	R              int    `yaml:"r"`
	W              int    `yaml:"w"`
	VersionMode    string `yaml:"version_mode"`
	ReadRepair     string `yaml:"read_repair"`
	TwoPhaseWrites bool   `yaml:"two_phase_writes"`
	RequestTimeout string `yaml:"request_timeout"`
	SyncDelay      string `yaml:"sync_delay"`
}

// ClusterMember is one member of a cluster file.
type ClusterMember struct {
	ID     int32  `yaml:"id"`
	Peer   string `yaml:"peer"`
	Client string `yaml:"client"`
	// MetricsAddr is the Prometheus /metrics HTTP listener; empty: off.
	MetricsAddr string `yaml:"metrics_addr"`
	// CertFile, KeyFile and CAFile override the tls section's for this
	// member.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	CAFile   string `yaml:"ca_file"`
	DC       string `yaml:"dc"`
	Rack     string `yaml:"rack"`
	// Weight scales the member's virtual nodes (ring.Member.Weight); 0
	// means 1.
	Weight float64 `yaml:"weight"`
}

// LoadClusterFile reads and parses a cluster file.
func LoadClusterFile(path string) (*ClusterFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cf ClusterFile
	if err := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField()).Decode(&cf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cf.dir = filepath.Dir(path)
	if cf.DataDir != "" && !filepath.IsAbs(cf.DataDir) {
		cf.DataDir = filepath.Join(filepath.Dir(path), cf.DataDir)
	}
	if cf.Scenario != "" && !filepath.IsAbs(cf.Scenario) {
		cf.Scenario = filepath.Join(filepath.Dir(path), cf.Scenario)
	}
	return &cf, nil
}

// ScenarioPath is the scenario file that configures the nodes (absolute
// once loaded from a file), or "" when the node section does.
func (cf *ClusterFile) ScenarioPath() string { return cf.Scenario }

// HostConfig builds the Config of the member with the given id from the
// node section. A cluster file that names a scenario needs HostConfigFor.
func (cf *ClusterFile) HostConfig(id int32) (Config, error) {
	if cf.Scenario != "" {
		return Config{}, fmt.Errorf("cluster file: the nodes are configured by scenario %s: resolve it and use HostConfigFor", cf.Scenario)
	}
	return cf.HostConfigFor(id, nil)
}

// HostConfigFor builds the Config of the member with the given id. With
// fromScenario nil the node section configures the node; otherwise
// fromScenario does (the node configuration of ScenarioPath's scenario),
// its members replaced by the cluster file's, and the node section must be
// empty.
func (cf *ClusterFile) HostConfigFor(id int32, fromScenario *node.Config) (Config, error) {
	if len(cf.Members) == 0 {
		return Config{}, fmt.Errorf("cluster file: no members")
	}
	if fromScenario != nil && cf.Node != (ClusterNode{}) {
		return Config{}, fmt.Errorf("cluster file: a node section and a scenario (%s) both configure the nodes: keep one", cf.Scenario)
	}
	if fromScenario == nil && cf.Scenario != "" {
		return Config{}, fmt.Errorf("cluster file: the nodes are configured by scenario %s, but no configuration from it was given", cf.Scenario)
	}
	self := -1
	var members []ring.Member
	var peers []Peer
	seen := map[int32]bool{}
	for i, m := range cf.Members {
		if seen[m.ID] {
			return Config{}, fmt.Errorf("cluster file: member id %d appears twice", m.ID)
		}
		seen[m.ID] = true
		if m.Peer == "" || m.Client == "" {
			return Config{}, fmt.Errorf("cluster file: member %d needs both a peer and a client address", m.ID)
		}
		if m.ID == id {
			self = i
		}
		if m.Weight < 0 {
			return Config{}, fmt.Errorf("cluster file: member %d: weight %v is negative", m.ID, m.Weight)
		}
		members = append(members, ring.Member{ID: wire.Addr(m.ID), Addr: wire.Addr(i), DC: m.DC, Rack: m.Rack, Weight: m.Weight})
		peers = append(peers, Peer{Addr: wire.Addr(i), TCP: m.Peer})
	}
	if self < 0 {
		return Config{}, fmt.Errorf("cluster file: no member with id %d", id)
	}
	var nc node.Config
	if fromScenario != nil {
		nc = *fromScenario
	} else {
		var err error
		if nc, err = cf.Node.config(); err != nil {
			return Config{}, err
		}
	}
	nc.Members = members
	dir := cf.DataDir
	if dir == "" {
		dir = "data"
	}
	me := cf.Members[self]
	file := func(member, cluster string) string {
		f := cmp.Or(member, cluster)
		if f != "" && !filepath.IsAbs(f) && cf.dir != "" {
			f = filepath.Join(cf.dir, f)
		}
		return f
	}
	t := cf.TLS
	cfg := Config{
		Self: wire.Addr(self), Node: nc, Peers: peers,
		PeerListen: me.Peer, ClientListen: me.Client, MetricsListen: me.MetricsAddr,
		Dir:  filepath.Join(dir, fmt.Sprint(me.ID)),
		Seed: cf.Seed,
		TLS: TLSConfig{
			Peer: t.PeerTLS, Client: t.ClientTLS, ClientAuth: t.ClientAuth,
			CertFile: file(me.CertFile, t.CertFile), KeyFile: file(me.KeyFile, t.KeyFile), CAFile: file(me.CAFile, t.CAFile),
		},
		DebugCommands:  cf.DebugCommands,
		MaxBatchEvents: cf.MaxBatchEvents,
		SyncOnLoop:     cf.SyncOnLoop,
	}
	if err := cfg.TLS.Validate(); err != nil {
		return Config{}, fmt.Errorf("cluster file: member %d: %w", me.ID, err)
	}
	if cfg.MaxBatchEvents < 0 || cfg.MaxBatchEvents > MaxMaxBatchEvents {
		return Config{}, fmt.Errorf("cluster file: max_batch_events %d outside [1, %d] (0 takes the default %d)", cfg.MaxBatchEvents, MaxMaxBatchEvents, DefaultMaxBatchEvents)
	}
	return cfg, nil
}

func (n ClusterNode) config() (node.Config, error) {
	var c node.Config
	c.Ring.Placement.N = n.N
	need := func(what string, v int) (wire.Need, error) {
		if v < 0 || v > 255 {
			return wire.Need{}, fmt.Errorf("cluster file: node.%s %d outside [0, 255]", what, v)
		}
		if v == 0 {
			return wire.Need{}, nil
		}
		return wire.Need{Level: wire.LevelCount, Count: uint8(v)}, nil
	}
	var err error
	if c.Coordinator.R, err = need("r", n.R); err != nil {
		return c, err
	}
	if c.Coordinator.W, err = need("w", n.W); err != nil {
		return c, err
	}
	if n.VersionMode != "" {
		if c.Versions.Mode, err = versions.ParseMode(n.VersionMode); err != nil {
			return c, fmt.Errorf("cluster file: node.version_mode: %w", err)
		}
	}
	if n.ReadRepair != "" {
		if c.Coordinator.ReadRepair, err = coord.ParseReadRepair(n.ReadRepair); err != nil {
			return c, fmt.Errorf("cluster file: node.read_repair: %w", err)
		}
	}
	c.Coordinator.TwoPhaseWrites = n.TwoPhaseWrites
	dur := func(what, s string) (time.Duration, error) {
		if s == "" {
			return 0, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("cluster file: node.%s: %w", what, err)
		}
		return d, nil
	}
	if c.Coordinator.RequestTimeout, err = dur("request_timeout", n.RequestTimeout); err != nil {
		return c, err
	}
	if c.Storage.SyncDelay, err = dur("sync_delay", n.SyncDelay); err != nil {
		return c, err
	}
	return c, nil
}
