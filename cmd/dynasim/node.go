package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"dynasim/host"
	"dynasim/node"
	"dynasim/runner"
	"dynasim/scenarios"
)

func newNodeCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		file        string
		id          int32
		logLevel    string
		metricsAddr string
	)
	cmd := &cobra.Command{
		Use:   "node --cluster FILE --id ID",
		Short: "Run one real node of a cluster over TCP, with a Redis-protocol client port",
		Long: `node runs the member ID of the cluster file on the OS clock, the OS
filesystem and TCP, until SIGTERM or SIGINT, then shuts down gracefully
(stops accepting, answers the requests in flight, syncs and closes its
storage). The cluster file names every member's id, peer address and client
address, the data directory and the node section (see host.ClusterFile), or
instead of the node section a scenario file (scenario: FILE) whose node and
membership sections configure the nodes as dynasim run configures simulated
ones — gossip, sloppy quorum, hinted handoff, anti-entropy, storage:

  data_dir: data
  node: {n: 3, r: 2, w: 2, version_mode: dvv}
  members:
    - {id: 1, peer: 127.0.0.1:7101, client: 127.0.0.1:6381}
    - {id: 2, peer: 127.0.0.1:7102, client: 127.0.0.1:6382}
    - {id: 3, peer: 127.0.0.1:7103, client: 127.0.0.1:6383}

Talk to it with any Redis client: redis-cli -p 6381 SET k v.

A member's metrics_addr (or --metrics-addr, which overrides it) serves
Prometheus metrics at http://ADDR/metrics; empty: off.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return withCode(exitInvalid, fmt.Errorf("--log-level: %w", err))
			}
			cf, err := host.LoadClusterFile(file)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			var fromScenario *node.Config
			if path := cf.ScenarioPath(); path != "" {
				nc, err := scenarioNodeConfig(path)
				if err != nil {
					return withCode(exitInvalid, err)
				}
				fromScenario = &nc
			}
			cfg, err := cf.HostConfigFor(id, fromScenario)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			if cmd.Flags().Changed("metrics-addr") {
				cfg.MetricsListen = metricsAddr
			}
			cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
			if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
				return withCode(exitError, err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			h, err := host.Start(cfg)
			if err != nil {
				return withCode(exitError, err)
			}
			fmt.Fprintf(stdout, "node %d: client %s peer %s data %s", id, h.ClientAddr(), h.PeerAddr(), cfg.Dir)
			if a := h.MetricsAddr(); a != nil {
				fmt.Fprintf(stdout, " metrics http://%s/metrics", a)
			}
			fmt.Fprintln(stdout)
			<-ctx.Done()
			if err := h.Close(); err != nil {
				return withCode(exitError, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "cluster", "", "the cluster file (YAML)")
	cmd.Flags().Int32Var(&id, "id", 0, "this node's member id in the cluster file")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	cmd.Flags().StringVar(&metricsAddr, "metrics-addr", "", "serve Prometheus /metrics on this address, overriding the member's metrics_addr (empty: off)")
	_ = cmd.MarkFlagRequired("cluster")
	_ = cmd.MarkFlagRequired("id")
	return cmd
}

// scenarioNodeConfig is the node configuration of the scenario at path,
// resolved at its own seed (so that every node of the cluster resolves the
// same ranges and choices to the same values, and builds the same ring).
func scenarioNodeConfig(path string) (node.Config, error) {
	sc, err := scenarios.Load(path)
	if err != nil {
		return node.Config{}, err
	}
	res, err := sc.Resolve(sc.DefaultSeed())
	if err != nil {
		return node.Config{}, err
	}
	nc, err := runner.NodeConfig(res)
	if err != nil {
		return node.Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return nc, nil
}
