package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// failoverScenario is a 4-node cluster with gossip, a sloppy quorum and
// hinted handoff, N=3 W=3 R=1: with one node killed, a strict quorum could
// not take a write of any key it replicates; a sloppy one writes a hint to
// the fourth node and hands it over when gossip sees the node back.
const failoverScenario = `name: real-failover
seed: 5
cluster: {nodes: 4}
membership: {enabled: true, interval: 100ms, suspect_after: 400ms}
node:
  n: 3
  r: 1
  w: 3
  version_mode: dvv
  quorum: sloppy
  hinted_handoff: {enabled: true}
  request_timeout: 500ms
workload:
  clients: 4
  duration: 4s
  think_time_ms: {dist: constant, value: 2}
  mix: {get: 0.3, put: 0.7}
  keys: {count: 40}
  value_size_bytes: {dist: constant, value: 64}
  timeout: 1s
  retries: 2
faults:
  - {at: 500ms, for: 2500ms, action: crash, nodes: [n4]}
quiet_period: 500ms
expect:
  lost_acked_writes: 0
`

// infoFields parses INFO's field:value lines.
func infoFields(s string) map[string]string {
	out := map[string]string{}
	for line := range strings.SplitSeq(s, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}

// A real cluster configured from a scenario runs the scenario's failure
// handling: gossip marks a killed node down (INFO's Membership section),
// the sloppy quorum keeps W=3 writes acknowledged while it is down by
// writing hints to the fourth node, and every hint is handed over after
// the restart — with no acknowledged write lost (the history checker).
func TestScenarioClusterHandsOffHintsAfterKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	useNodeHelper(t)
	dir := t.TempDir()
	t.Cleanup(func() { killPIDs(dir) })
	base := freeBase(t, 4)
	file := filepath.Join(t.TempDir(), "failover.yaml")
	require.NoError(t, os.WriteFile(file, []byte(failoverScenario), 0o644))
	var stdout, stderr bytes.Buffer
	code := execute([]string{"cluster", "up", "--scenario", file, "--dir", dir, "--base-port", fmt.Sprint(base), "--timeout", "20s"}, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	yml, err := os.ReadFile(filepath.Join(dir, "cluster.yaml"))
	require.NoError(t, err)
	require.Contains(t, string(yml), fmt.Sprintf("scenario: %q\n", file), "the nodes configure themselves from the scenario")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	clients := make([]*redis.Client, 4)
	var addrs []string
	for i := range clients {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", base+1+i))
		clients[i] = redis.NewClient(&redis.Options{Addr: addrs[i], Protocol: 2, DisableIdentity: true, MaxRetries: -1})
		defer clients[i].Close()
	}
	info := infoFields(clients[0].Info(ctx).Val())
	require.Equal(t, "sloppy", info["quorum"])
	require.Equal(t, "true", info["membership"])
	require.Equal(t, "true", info["hinted_handoff"])
	require.Equal(t, "addr=3,gossip=alive,up=true", info["member_4"])

	// The run kills n4 (kill -9) at 0.5 s and restarts it at 3 s.
	out := filepath.Join(t.TempDir(), "out")
	stdout.Reset()
	stderr.Reset()
	code = execute([]string{"run", file, "--target", strings.Join(addrs, ","), "--cluster-dir", dir, "--out", out}, &stdout, &stderr)
	require.Equal(t, exitOK, code, stdout.String()+stderr.String())
	require.Contains(t, stderr.String(), "crash n4")
	require.Regexp(t, `lost_acked_writes\s.*\b0\b`, stdout.String())

	// Writes taken for n4 while it was down became hints on the others,
	// and every one of them reaches n4 once gossip sees it back.
	num := func(m map[string]string, k string) int {
		v, err := strconv.Atoi(m[k])
		require.NoError(t, err, "INFO field %s", k)
		return v
	}
	var added, delivered, pending int
	deadline := time.Now().Add(20 * time.Second)
	for {
		added, delivered, pending = 0, 0, 0
		for _, c := range clients[:3] {
			m := infoFields(c.Info(ctx).Val())
			added += num(m, "hints_added")
			delivered += num(m, "hints_delivered")
			pending += num(m, "hints_pending")
		}
		if (added > 0 && pending == 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("hints: %d added, %d delivered, %d pending", added, delivered, pending)
	require.Positive(t, added, "the sloppy quorum wrote hints while n4 was down")
	require.Equal(t, added, delivered, "every hint handed over")
	require.Zero(t, pending)
	n4 := infoFields(clients[3].Info(ctx).Val())
	require.Positive(t, num(n4, "handoff_received"), "n4 took the handoffs")
	for _, c := range clients[:3] {
		require.Regexp(t, regexp.MustCompile(`gossip=alive,up=true`), infoFields(c.Info(ctx).Val())["member_4"])
	}
	require.Equal(t, exitOK, execute([]string{"cluster", "down", "--dir", dir}, io.Discard, io.Discard))
}
