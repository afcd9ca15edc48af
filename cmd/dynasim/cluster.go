package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"dynasim/host"
	"dynasim/node/versions"
	"dynasim/scenarios"
)

// nodeProcess builds the command that runs `dynasim node` with args as a
// child process; tests replace it (the test binary is not dynasim).
var nodeProcess = func(args []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.Command(exe, append([]string{"node"}, args...)...), nil
}

func newClusterCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Start, stop and inspect a local cluster of dynasim node processes",
	}
	var dir string
	cmd.PersistentFlags().StringVar(&dir, "dir", "cluster", "the cluster's directory: cluster.yaml, data, logs and PID files")

	var n, basePort int
	var timeout time.Duration
	var mode, scenarioFile string
	var debug, useTLS bool
	up := &cobra.Command{
		Use:   "up",
		Short: "Write DIR/cluster.yaml and start -n node processes (N=min(3,n), R=W=majority)",
		Long: `up writes DIR/cluster.yaml for n members on 127.0.0.1 — member i (1..n) has
client port BASE+i, peer port BASE+10000+i and Prometheus metrics on
BASE+20000+i (http://127.0.0.1:BASE+20000+i/metrics) — starts one dynasim
node process per member in the background (log DIR/node-i.log, PID
DIR/node-i.pid), waits until each answers PING, and prints the client and
metrics addresses. --debug-commands turns on the nodes' DEBUG
PARTITION/DROP/DELAY/HEAL commands, which dynasim run --target uses to
inject network faults; --scenario FILE makes the cluster the one the
scenario describes: the cluster file names the scenario, whose node and
membership sections configure every node as dynasim run configures the
simulated ones (gossip, sloppy quorum, hinted handoff and anti-entropy
included), and the scenario's node count, datacenters and racks are used.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			node := host.ClusterNode{VersionMode: mode}
			var placed []host.ClusterMember // each member's dc, rack and weight, from the scenario
			if scenarioFile != "" {
				if cmd.Flags().Changed("version-mode") {
					return withCode(exitInvalid, fmt.Errorf("--version-mode and --scenario: the scenario's node section sets the version mode"))
				}
				sc, err := scenarios.Load(scenarioFile)
				if err != nil {
					return withCode(exitInvalid, err)
				}
				res, err := sc.Resolve(sc.DefaultSeed())
				if err != nil {
					return withCode(exitInvalid, err)
				}
				// The node processes configure themselves from the scenario
				// (the cluster file names it); node here is only for the
				// checks below and the printed summary.
				nd := res.Node
				node = host.ClusterNode{
					N: nd.N, R: nd.R, W: nd.W, VersionMode: string(nd.VersionMode), ReadRepair: string(nd.ReadRepair),
					TwoPhaseWrites: nd.TwoPhaseWrites, RequestTimeout: nd.RequestTimeout.String(),
				}
				if !cmd.Flags().Changed("nodes") {
					n = len(res.Cluster.Nodes)
				}
				if len(nd.ReplicasPerDatacenter) > 0 && n != len(res.Cluster.Nodes) {
					return withCode(exitInvalid, fmt.Errorf("-n %d: the scenario places replicas per datacenter over its %d nodes; start exactly those", n, len(res.Cluster.Nodes)))
				}
				if scenarioFile, err = filepath.Abs(scenarioFile); err != nil {
					return withCode(exitError, err)
				}
				for i, m := range res.Cluster.Nodes {
					placed = append(placed, host.ClusterMember{ID: int32(i + 1), DC: m.Datacenter, Rack: m.Rack, Weight: m.Weight})
				}
			} else {
				node.N = min(3, n)
				node.R, node.W = node.N/2+1, node.N/2+1
			}
			if n < 1 || n > 100 {
				return withCode(exitInvalid, fmt.Errorf("-n %d outside [1, 100]", n))
			}
			if basePort < 1 || basePort+20000+n > 65535 {
				return withCode(exitInvalid, fmt.Errorf("--base-port %d: ports up to %d do not fit", basePort, basePort+20000+n))
			}
			if _, err := versions.ParseMode(node.VersionMode); err != nil {
				return withCode(exitInvalid, fmt.Errorf("--version-mode: %w", err))
			}
			if node.N > n {
				return withCode(exitInvalid, fmt.Errorf("the scenario's n=%d needs at least %d nodes, not %d", node.N, node.N, n))
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return withCode(exitError, err)
			}
			if pids, _ := readPIDs(dir); len(pids) > 0 {
				return withCode(exitInvalid, fmt.Errorf("%s already has node PID files: run dynasim cluster down --dir %s first", dir, dir))
			}
			file := filepath.Join(dir, "cluster.yaml")
			if useTLS {
				ids := make([]int, n)
				for i := range ids {
					ids[i] = i + 1
				}
				if err := writeClusterCerts(dir, ids); err != nil {
					return withCode(exitError, fmt.Errorf("--tls: %w", err))
				}
			}
			if err := os.WriteFile(file, []byte(clusterYAML(n, basePort, node, scenarioFile, placed, debug, useTLS)), 0o644); err != nil {
				return withCode(exitError, err)
			}
			tc, err := clusterClientTLS(dir)
			if err != nil {
				return withCode(exitError, err)
			}
			for i := 1; i <= n; i++ {
				if err := startNode(dir, file, i); err != nil {
					return withCode(exitError, err)
				}
			}
			deadline := time.Now().Add(timeout)
			for i := 1; i <= n; i++ {
				addr := fmt.Sprintf("127.0.0.1:%d", basePort+i)
				for !pingRESP(addr, tc) {
					if time.Now().After(deadline) {
						return withCode(exitError, fmt.Errorf("node %d did not answer PING on %s within %v (see %s)", i, addr, timeout, filepath.Join(dir, fmt.Sprintf("node-%d.log", i))))
					}
					time.Sleep(20 * time.Millisecond)
				}
				fmt.Fprintf(stdout, "node %d: %s metrics http://127.0.0.1:%d/metrics\n", i, addr, basePort+20000+i)
			}
			return nil
		},
	}
	up.Flags().IntVarP(&n, "nodes", "n", 3, "how many nodes")
	up.Flags().IntVar(&basePort, "base-port", 6380, "node i listens for clients on BASE+i, for peers on BASE+10000+i and serves metrics on BASE+20000+i")
	up.Flags().StringVar(&scenarioFile, "scenario", "", "configure the nodes from this scenario's node and membership sections (every knob: quorums, versions, gossip, sloppy quorum, hinted handoff, anti-entropy, storage) and, unless -n is given, take its node count and placement; for dynasim run --target")
	up.Flags().BoolVar(&useTLS, "tls", false, "mutual TLS between the nodes and TLS on the client ports, with a throwaway CA and per-member certificates written to DIR/certs (redis-cli --tls --cacert DIR/certs/ca.pem)")
	up.Flags().BoolVar(&debug, "debug-commands", false, "turn on the nodes' DEBUG fault-injection commands (for dynasim run --target)")
	up.Flags().DurationVar(&timeout, "timeout", 15*time.Second, "how long to wait for every node to answer")
	up.Flags().StringVar(&mode, "version-mode", "dvv", "vclock, dvv (concurrent SETs of a key become siblings) or lww (the last write wins, as Redis users expect)")

	var downTimeout time.Duration
	down := &cobra.Command{
		Use:   "down",
		Short: "Stop the cluster's node processes (SIGTERM, then SIGKILL after --timeout)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			pids, err := readPIDs(dir)
			if err != nil {
				return withCode(exitError, err)
			}
			for _, id := range sortedIDs(pids) {
				pid := pids[id]
				_ = syscall.Kill(pid, syscall.SIGTERM)
				deadline := time.Now().Add(downTimeout)
				for alive(pid) && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				how := "stopped"
				if alive(pid) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
					how = "killed"
				}
				_ = os.Remove(pidFile(dir, id))
				fmt.Fprintf(stdout, "node %d (pid %d): %s\n", id, pid, how)
			}
			return nil
		},
	}
	down.Flags().DurationVar(&downTimeout, "timeout", 10*time.Second, "how long each node may take to shut down gracefully")

	status := &cobra.Command{
		Use:   "status",
		Short: "Say which of the cluster's nodes run and answer PING",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			pids, err := readPIDs(dir)
			if err != nil {
				return withCode(exitError, err)
			}
			base, err := readBasePort(dir)
			if err != nil {
				return withCode(exitError, err)
			}
			tc, err := clusterClientTLS(dir)
			if err != nil {
				return withCode(exitError, err)
			}
			down := 0
			for _, id := range sortedIDs(pids) {
				pid := pids[id]
				addr := fmt.Sprintf("127.0.0.1:%d", base+id)
				state := "down"
				if alive(pid) {
					state = "running, not answering"
					if pingRESP(addr, tc) {
						state = "up"
					}
				}
				if state != "up" {
					down++
				}
				fmt.Fprintf(stdout, "node %d (pid %d) %s: %s\n", id, pid, addr, state)
			}
			if down > 0 {
				return withCode(exitFailed, errFailed)
			}
			return nil
		},
	}
	cmd.AddCommand(up, down, status)
	return cmd
}

func clusterYAML(n, base int, node host.ClusterNode, scenario string, placed []host.ClusterMember, debug, useTLS bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# written by dynasim cluster up; base_port %d\ndata_dir: data\ndebug_commands: %v\n", base, debug)
	if scenario != "" {
		// Every node knob, gossip and failure handling included, from the
		// scenario, mapped as dynasim run maps it.
		fmt.Fprintf(&b, "scenario: %q\n", scenario)
	} else {
		fmt.Fprintf(&b, "node:\n  n: %d\n  r: %d\n  w: %d\n  version_mode: %s\n", node.N, node.R, node.W, node.VersionMode)
		if node.ReadRepair != "" {
			fmt.Fprintf(&b, "  read_repair: %s\n", node.ReadRepair)
		}
		if node.TwoPhaseWrites {
			b.WriteString("  two_phase_writes: true\n")
		}
		if node.RequestTimeout != "" {
			fmt.Fprintf(&b, "  request_timeout: %s\n", node.RequestTimeout)
		}
	}
	if useTLS {
		b.WriteString("tls: {peer_tls: true, client_tls: true, ca_file: certs/ca.pem}\n")
	}
	b.WriteString("members:\n")
	for i := 1; i <= n; i++ {
		extra := ""
		if useTLS {
			extra = fmt.Sprintf(", cert_file: certs/node-%d.pem, key_file: certs/node-%d-key.pem", i, i)
		}
		if i <= len(placed) {
			m := placed[i-1]
			if m.DC != "" {
				extra += fmt.Sprintf(", dc: %q", m.DC)
			}
			if m.Rack != "" {
				extra += fmt.Sprintf(", rack: %q", m.Rack)
			}
			if m.Weight != 0 {
				extra += fmt.Sprintf(", weight: %v", m.Weight)
			}
		}
		fmt.Fprintf(&b, "  - {id: %d, peer: \"127.0.0.1:%d\", client: \"127.0.0.1:%d\", metrics_addr: \"127.0.0.1:%d\"%s}\n", i, base+10000+i, base+i, base+20000+i, extra)
	}
	return b.String()
}

func readBasePort(dir string) (int, error) {
	f, err := os.Open(filepath.Join(dir, "cluster.yaml"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	_, after, ok := strings.Cut(line, "base_port ")
	if !ok {
		return 0, fmt.Errorf("%s was not written by dynasim cluster up", f.Name())
	}
	return strconv.Atoi(strings.TrimSpace(after))
}

func pidFile(dir string, id int) string { return filepath.Join(dir, fmt.Sprintf("node-%d.pid", id)) }

func startNode(dir, file string, id int) error {
	cmd, err := nodeProcess([]string{"--cluster", file, "--id", strconv.Itoa(id)})
	if err != nil {
		return err
	}
	// Appended to: a restarted node's log follows its earlier run's.
	log, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("node-%d.log", id)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // outlives this command
	if err := cmd.Start(); err != nil {
		return err
	}
	if err := os.WriteFile(pidFile(dir, id), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return err
	}
	return cmd.Process.Release()
}

// readPIDs reads DIR/node-*.pid: member id -> PID.
func readPIDs(dir string) (map[int]int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "node-*.pid"))
	if err != nil {
		return nil, err
	}
	out := map[int]int{}
	for _, f := range files {
		id, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "node-"), ".pid"))
		if err != nil {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out[id] = pid
	}
	return out, nil
}

// alive reports whether pid runs (a zombie, exited but not yet reaped by
// its parent, does not count).
func alive(pid int) bool {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X') {
			return false
		}
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// sortedIDs returns the member ids of pids in ascending order.
func sortedIDs(pids map[int]int) []int {
	ids := make([]int, 0, len(pids))
	for id := range pids {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// pingRESP reports whether addr answers a RESP PING with +PONG, over TLS
// when tc is set.
func pingRESP(addr string, tc *tls.Config) bool {
	d := &net.Dialer{Timeout: 200 * time.Millisecond}
	var c net.Conn
	var err error
	if tc != nil {
		c, err = tls.DialWithDialer(d, "tcp", addr, tc)
	} else {
		c, err = d.Dial("tcp", addr)
	}
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}
