package host

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/node"
	"dynasim/node/coord"
	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/wire"
)

func TestShippedClusterFileLoads(t *testing.T) {
	cf, err := LoadClusterFile(filepath.Join("..", "deploy", "local3.yaml"))
	require.NoError(t, err)
	cfg, err := cf.HostConfig(2)
	require.NoError(t, err)
	require.Equal(t, wire.Addr(1), cfg.Self)
	require.Equal(t, "127.0.0.1:7102", cfg.PeerListen)
	require.Equal(t, "127.0.0.1:6382", cfg.ClientListen)
	require.Len(t, cfg.Node.Members, 3)
	require.Equal(t, wire.Addr(2), cfg.Node.Members[1].ID)
	require.Equal(t, 3, cfg.Node.Ring.Placement.N)
	require.Equal(t, wire.Need{Level: wire.LevelCount, Count: 2}, cfg.Node.Coordinator.W)
	require.Equal(t, versions.ModeDVV, cfg.Node.Versions.Mode)
	require.Equal(t, 500*time.Millisecond, cfg.Node.Coordinator.RequestTimeout)
	require.Equal(t, filepath.Join("..", "data", "local3", "2"), cfg.Dir)
}

func TestClusterFileRefusesMistakes(t *testing.T) {
	dir := t.TempDir()
	load := func(body string) error {
		p := filepath.Join(dir, "c.yaml")
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		cf, err := LoadClusterFile(p)
		if err != nil {
			return err
		}
		_, err = cf.HostConfig(1)
		return err
	}
	require.ErrorContains(t, load("members: [{id: 1, peer: a:1, client: a:2}]\nbogus: 1\n"), "bogus")
	require.ErrorContains(t, load("members: [{id: 1, peer: a:1, client: a:2}, {id: 1, peer: a:3, client: a:4}]\n"), "appears twice")
	require.ErrorContains(t, load("members: [{id: 1, peer: a:1}]\n"), "needs both")
	require.ErrorContains(t, load("node: {version_mode: nope}\nmembers: [{id: 1, peer: a:1, client: a:2}]\n"), "version_mode")
	require.ErrorContains(t, load("node: {sync_delay: soon}\nmembers: [{id: 1, peer: a:1, client: a:2}]\n"), "sync_delay")
	require.ErrorContains(t, load("max_batch_events: -1\nmembers: [{id: 1, peer: a:1, client: a:2}]\n"), "max_batch_events -1 outside [1, 65536]")
	require.ErrorContains(t, load("max_batch_events: 70000\nmembers: [{id: 1, peer: a:1, client: a:2}]\n"), "max_batch_events 70000")
	require.NoError(t, load("max_batch_events: 1\nsync_on_loop: true\nmembers: [{id: 1, peer: a:1, client: a:2}]\n"))
}

func TestClusterFileTLSAndDebugKnobs(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(p, []byte(`tls: {peer_tls: true, client_tls: true, cert_file: certs/all.pem, key_file: certs/all-key.pem, ca_file: /etc/ca.pem}
debug_commands: true
members:
  - {id: 1, peer: "a:1", client: "a:2", cert_file: n1.pem, key_file: n1-key.pem}
  - {id: 2, peer: "a:3", client: "a:4"}
`), 0o644))
	cf, err := LoadClusterFile(p)
	require.NoError(t, err)
	c1, err := cf.HostConfig(1)
	require.NoError(t, err)
	require.Equal(t, TLSConfig{Peer: true, Client: true, CertFile: filepath.Join(dir, "n1.pem"), KeyFile: filepath.Join(dir, "n1-key.pem"), CAFile: "/etc/ca.pem"}, c1.TLS)
	require.True(t, c1.DebugCommands)
	c2, err := cf.HostConfig(2)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "certs", "all.pem"), c2.TLS.CertFile)

	require.NoError(t, os.WriteFile(p, []byte("tls: {peer_tls: true}\nmembers: [{id: 1, peer: a:1, client: a:2}]\n"), 0o644))
	cf, err = LoadClusterFile(p)
	require.NoError(t, err)
	_, err = cf.HostConfig(1)
	require.ErrorContains(t, err, "cert_file and key_file")
}

// A cluster file may name a scenario instead of a node section: the path
// is taken relative to the file, HostConfig refuses to guess its
// configuration, HostConfigFor takes it (members from the file, with
// their placement and weight), and a file with both is refused.
func TestClusterFileNamesAScenario(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(p, []byte(`scenario: s/x.yaml
members:
  - {id: 1, peer: "a:1", client: "a:2", dc: east, rack: r1, weight: 2}
  - {id: 2, peer: "a:3", client: "a:4", dc: west}
`), 0o644))
	cf, err := LoadClusterFile(p)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "s", "x.yaml"), cf.ScenarioPath())
	_, err = cf.HostConfig(1)
	require.ErrorContains(t, err, "configured by scenario")
	_, err = cf.HostConfigFor(1, nil)
	require.ErrorContains(t, err, "no configuration from it was given")

	fromScenario := node.Config{Coordinator: coord.Config{Quorum: coord.QuorumSloppy}, HintedHandoff: node.HintedHandoffConfig{Enabled: true}}
	cfg, err := cf.HostConfigFor(2, &fromScenario)
	require.NoError(t, err)
	require.Equal(t, coord.QuorumSloppy, cfg.Node.Coordinator.Quorum)
	require.True(t, cfg.Node.HintedHandoff.Enabled)
	require.Equal(t, []ring.Member{
		{ID: 1, Addr: 0, DC: "east", Rack: "r1", Weight: 2},
		{ID: 2, Addr: 1, DC: "west"},
	}, cfg.Node.Members)
	require.Equal(t, wire.Addr(1), cfg.Self)
	require.Empty(t, fromScenario.Members, "the caller's configuration is not modified")

	require.NoError(t, os.WriteFile(p, []byte("scenario: x.yaml\nnode: {n: 3}\nmembers: [{id: 1, peer: a:1, client: a:2}]\n"), 0o644))
	cf, err = LoadClusterFile(p)
	require.NoError(t, err)
	_, err = cf.HostConfigFor(1, &fromScenario)
	require.ErrorContains(t, err, "a node section and a scenario")

	require.NoError(t, os.WriteFile(p, []byte("members: [{id: 1, peer: a:1, client: a:2, weight: -1}]\n"), 0o644))
	cf, err = LoadClusterFile(p)
	require.NoError(t, err)
	_, err = cf.HostConfig(1)
	require.ErrorContains(t, err, "weight -1 is negative")
}
