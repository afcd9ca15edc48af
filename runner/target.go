package runner

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"dynasim/checker"
	"dynasim/history"
	"dynasim/internal/dist"
	"dynasim/reports"
	"dynasim/scenarios"
	"dynasim/sim"
	"dynasim/wire"
)

// TargetOptions configures RunTarget: a scenario's workload run against a
// real cluster through its Redis-protocol client ports.
type TargetOptions struct {
	// Targets are the cluster's client addresses (host:port). The
	// scenario's node i (cluster order: n1 first) is Targets[i]: faults
	// naming it act on that node. Required.
	Targets []string
	// TLS, when set, is the clients' TLS configuration (a cluster with
	// client_tls on).
	TLS *tls.Config
	// Processes, when set, kills (SIGKILL), restarts, pauses and resumes
	// node processes: the scenario's crash, restart, pause and resume
	// faults act through it. Without it a schedule with such faults is
	// refused.
	Processes NodeProcesses
	// OutDir receives history.jsonl and the reports; empty: nothing is
	// written.
	OutDir string
	// ScenarioPath is the scenario's file, for the report.
	ScenarioPath string
	// Start is when the run's total wall time starts counting; zero: when
	// RunTarget is called.
	Start time.Time
	// Logf, when set, receives a line per fault applied and per phase.
	Logf func(format string, args ...any)
	// Context, when set and cancelled (an interrupt), ends the workload
	// and the quiet period early; the faults are healed, the keys read
	// back, and the report says the run was interrupted.
	Context context.Context
}

// NodeProcesses controls the processes of a real cluster's nodes, by the
// scenario's node index.
type NodeProcesses interface {
	// Kill kills node i's process with SIGKILL (kill -9) and waits until
	// it is gone.
	Kill(i int) error
	// Restart starts node i's process again and waits until it answers.
	Restart(i int) error
	// Pause and Resume stop and continue node i's process (SIGSTOP,
	// SIGCONT).
	Pause(i int) error
	Resume(i int) error
}

// Final reads against a real cluster: as the simulator's (FinalReadAttempts
// tries per key), a backoff apart, at most finalReadParallelism at a time.
const (
	targetFinalAttempts    = 10
	targetFinalBackoff     = 50 * time.Millisecond
	targetFinalParallelism = 16
)

// RunTarget runs r's workload — the same clients, operation mix, keys,
// value sizes, consistency levels, timeouts and retries as in simulation
// — against the real cluster at opt.Targets, applies its fault schedule
// to the real cluster (partitions through the nodes' DEBUG PARTITION
// command, crashes and pauses through opt.Processes), waits the quiet
// period, reads every written key back, and checks and reports the
// history as Run does. Time is wall time since the start of the run; the
// run is not replayable (the seed drives the clients' choices only), and
// the report says so.
//
// The cluster's configuration must match the scenario's node section
// (version mode, N, R, W, read by INFO); scenario knobs that only the
// simulator has (network and disk models, clocks, the simulated client
// policy and routing) do not apply and are listed in the report's notes,
// as are faults that cannot be injected into a real cluster (clock jumps,
// disk faults, slow nodes).
func RunTarget(r *scenarios.Resolved, opt TargetOptions) (*Outcome, error) {
	if opt.Start.IsZero() {
		opt.Start = time.Now()
	}
	if len(opt.Targets) == 0 {
		return nil, fmt.Errorf("runner: no target addresses")
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	wcfg, err := workloadConfig(r)
	if err != nil {
		return nil, err
	}
	if wcfg.Probe != nil {
		return nil, fmt.Errorf("runner: the scenario's workload is a staleness probe, which runs only in simulation")
	}
	wcfg = wcfg.WithDefaults()
	if err := wcfg.Validate(); err != nil {
		return nil, err
	}
	finalR, err := r.FinalReadLevel.Need()
	if err != nil {
		return nil, fmt.Errorf("runner: final_read_level: %w", err)
	}
	t := &targetRun{r: r, cfg: wcfg, opt: opt, keys: sim.NewKeyPicker(wcfg.Keys, wcfg.Clients), written: make([]bool, wcfg.Keys.Count)}
	if t.valueSize, err = wcfg.ValueSizeBytes.Compile(); err != nil {
		return nil, fmt.Errorf("runner: workload value size: %w", err)
	}
	if !wcfg.ThinkTimeMs.IsZero() {
		if t.think, err = wcfg.ThinkTimeMs.Compile(); err != nil {
			return nil, fmt.Errorf("runner: workload think time: %w", err)
		}
	}
	if t.rec, err = history.NewRecorder(history.DefaultRecorderConfig()); err != nil {
		return nil, err
	}
	defer t.closeClients()
	if err := t.connect(finalR); err != nil {
		return nil, err
	}
	if err := t.checkCluster(); err != nil {
		return nil, err
	}
	before := t.counters()
	steps, err := t.planFaults()
	if err != nil {
		return nil, err
	}
	t.consistency, err = targetConsistency(r, wcfg)
	if err != nil {
		return nil, err
	}
	t.noteKnobs()
	t.logf("running %s against %s for %v (quiet period %v)", r.Name, strings.Join(opt.Targets, ","), wcfg.Duration, time.Duration(r.QuietPeriod))

	// The workload and the fault schedule run on wall time from here.
	t.start = time.Now()
	parent := opt.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	faultsDone := make(chan struct{})
	go func() {
		defer close(faultsDone)
		t.runFaults(ctx, steps)
	}()
	var wg sync.WaitGroup
	for c := range wcfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.client(ctx, c)
		}()
	}
	wg.Wait()
	workloadEnd := t.since()
	if r.HealAtEnd {
		cancel()
		<-faultsDone
		t.healAll("heal_at_end")
	}
	quietEnd := t.start.Add(workloadEnd + time.Duration(r.QuietPeriod))
	t.logf("workload done after %v; quiet period", workloadEnd.Round(time.Millisecond))
	select {
	case <-time.After(time.Until(quietEnd)):
	case <-parent.Done():
	}
	if parent.Err() != nil {
		t.note(fmt.Sprintf("interrupted after %v: the workload or the quiet period was cut short", t.since().Round(time.Millisecond)))
	}
	cancel()
	<-faultsDone
	keys := t.writtenKeys()
	if r.FinalReadKeys == "all" {
		keys = t.keys.Names()
	}
	t.logf("final reads of %d keys at %s", len(keys), finalR)
	t.finalReads(keys)
	// What the schedule left broken is repaired after the final reads, so
	// the cluster is left as it was found (the simulation just ends).
	if !r.HealAtEnd && t.anyFault() {
		t.note("faults still active after the final reads were healed then (heal_at_end is off)")
	}
	t.healAll("cleanup")

	after := t.counters()
	t.mu.Lock()
	end := t.since()
	h, err := t.rec.Close(end.Nanoseconds())
	recErr := t.recErr
	t.mu.Unlock()
	if err = errors.Join(recErr, err); err != nil {
		return nil, err
	}
	for _, fw := range r.FaultWindows(workloadEnd) {
		h.Faults = append(h.Faults, history.FaultWindow{Label: fw.Label, StartNs: int64(fw.Start), EndNs: int64(fw.End)})
	}
	h.Run = t.runInfo(end)
	return t.checkAndReport(h, end, diffCounters(before, after))
}

// infoCounters are the INFO counters a real run reports per node.
var infoCounters = []string{"coordinator_gets", "coordinator_puts", "coordinator_deletes", "store_puts", "store_bytes_written",
	"frames_sent", "bytes_sent", "frames_dropped", "frames_partitioned"}

// counters reads infoCounters from every target; a target that does not
// answer has none.
func (t *targetRun) counters() []map[string]uint64 {
	out := make([]map[string]uint64, len(t.opt.Targets))
	for i := range t.opt.Targets {
		f, err := t.info(i)
		if err != nil {
			continue
		}
		out[i] = map[string]uint64{}
		for _, k := range infoCounters {
			v, _ := strconv.ParseUint(f[k], 10, 64)
			out[i][k] = v
		}
	}
	return out
}

// diffCounters is after minus before per node; a counter that went down
// belongs to a restarted process, and counts from its restart.
func diffCounters(before, after []map[string]uint64) []map[string]uint64 {
	out := make([]map[string]uint64, len(after))
	for i, a := range after {
		if a == nil {
			continue
		}
		out[i] = map[string]uint64{}
		for k, v := range a {
			if b := before[i][k]; v >= b {
				v -= b
			}
			out[i][k] = v
		}
	}
	return out
}

// targetRun is one run against a real cluster.
type targetRun struct {
	r         *scenarios.Resolved
	cfg       sim.WorkloadConfig
	opt       TargetOptions
	keys      *sim.KeyPicker
	valueSize *dist.Sampler
	think     *dist.Sampler
	start     time.Time

	// conns are the workload's clients of each target (their connections
	// set the workload's levels), finals those of the final reads.
	conns, finals []*redis.Client
	members       []int // each target's member id (INFO)
	debug         []bool

	consistency history.Consistency
	started     atomic.Int64 // operations started, for MaxOps

	mu      sync.Mutex // guards what follows
	rec     *history.Recorder
	recErr  error
	written []bool
	notes   []string
	// Fault state: active partitions by name (each a set of cut links),
	// crashed and paused nodes.
	cuts    map[string][]cut
	crashed map[int]bool
	paused  map[int]bool
}

func (t *targetRun) logf(format string, args ...any) {
	if t.opt.Logf != nil {
		t.opt.Logf(format, args...)
	}
}

func (t *targetRun) note(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.notes = append(t.notes, s)
}

// since is the run's clock: wall time since the workload started.
func (t *targetRun) since() time.Duration { return time.Since(t.start) }

func (t *targetRun) connect(finalR wire.Need) error {
	poolSize := min(max(t.cfg.Clients, 4), 256)
	for _, addr := range t.opt.Targets {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("runner: target %q: want host:port: %w", addr, err)
		}
		mk := func(r, w wire.Need, pool int) *redis.Client {
			return redis.NewClient(&redis.Options{
				Addr: addr, Protocol: 2, DisableIdentity: true, TLSConfig: t.opt.TLS,
				MaxRetries: -1, PoolSize: pool, DialTimeout: t.cfg.Timeout,
				ReadTimeout: t.cfg.Timeout + time.Second, WriteTimeout: t.cfg.Timeout + time.Second,
				ContextTimeoutEnabled: true,
				OnConnect: func(ctx context.Context, cn *redis.Conn) error {
					return cn.Do(ctx, "CONSISTENCY", r.String(), w.String()).Err()
				},
			})
		}
		t.conns = append(t.conns, mk(t.cfg.R, t.cfg.W, poolSize))
		t.finals = append(t.finals, mk(finalR, t.cfg.W, targetFinalParallelism))
	}
	return nil
}

func (t *targetRun) closeClients() {
	for _, c := range append(t.conns, t.finals...) {
		c.Close()
	}
}

// info reads INFO fields of target i.
func (t *targetRun) info(i int) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := t.conns[i].Info(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("runner: target %s: INFO: %w", t.opt.Targets[i], err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out, nil
}

// checkCluster reads every target's configuration and refuses a cluster
// whose version mode, N, R or W is not the scenario's: the checks would
// judge the history by the wrong rules.
func (t *targetRun) checkCluster() error {
	want := map[string]string{
		"version_mode": string(t.r.Node.VersionMode), "n": strconv.Itoa(t.r.Node.N),
		"r": strconv.Itoa(t.r.Node.R), "w": strconv.Itoa(t.r.Node.W),
	}
	var errs []error
	for i := range t.opt.Targets {
		f, err := t.info(i)
		if err != nil {
			return err
		}
		id, err := strconv.Atoi(f["member_id"])
		if err != nil {
			return fmt.Errorf("runner: target %s does not say its member_id in INFO: is it a dynasim node?", t.opt.Targets[i])
		}
		if slices.Contains(t.members, id) {
			return fmt.Errorf("runner: targets %s and %s are the same member %d", t.opt.Targets[slices.Index(t.members, id)], t.opt.Targets[i], id)
		}
		t.members = append(t.members, id)
		t.debug = append(t.debug, f["debug_commands"] == "true")
		for _, k := range []string{"version_mode", "n", "r", "w"} {
			if f[k] != want[k] {
				errs = append(errs, fmt.Errorf("runner: target %s runs %s %s, the scenario %s", t.opt.Targets[i], k, f[k], want[k]))
			}
		}
		if rr := f["read_repair"]; rr != string(t.r.Node.ReadRepair) && i == 0 {
			t.note(fmt.Sprintf("the cluster runs read_repair %s, the scenario %s", rr, t.r.Node.ReadRepair))
		}
		if tp := f["two_phase_writes"]; tp != strconv.FormatBool(t.r.Node.TwoPhaseWrites) && i == 0 {
			t.note(fmt.Sprintf("the cluster runs two_phase_writes %s, the scenario %v", tp, t.r.Node.TwoPhaseWrites))
		}
	}
	if len(errs) > 0 {
		errs = append(errs, fmt.Errorf("start the cluster with the scenario's node section (cluster file node: n, r, w, version_mode)"))
	}
	return errors.Join(errs...)
}

// noteKnobs lists what of the scenario a real cluster does not apply.
func (t *targetRun) noteKnobs() {
	n := len(t.r.Cluster.Nodes)
	if n != len(t.opt.Targets) {
		t.note(fmt.Sprintf("the scenario has %d nodes, the run %d targets: clients spread over the targets", n, len(t.opt.Targets)))
	}
	if t.cfg.Routing != sim.RouteRandom {
		t.note(fmt.Sprintf("routing %s not applied: each attempt goes to a target chosen at random", t.cfg.Routing))
	}
	if t.cfg.Policy.Enabled {
		t.note("the client policy is not applied: attempts go to random targets, retried as workload.retries says")
	}
	if t.cfg.N != 0 {
		t.note(fmt.Sprintf("the per-request replica count n=%d is not sent: the Redis port uses the cluster's N", t.cfg.N))
	}
	t.note("the scenario's network, disk and clock models do not apply: the real network, disks and clocks do")
}

// planFaults checks the schedule before the run: every fault names nodes
// that have targets, network faults need the DEBUG commands, process
// faults need Processes; faults a real cluster cannot have are noted.
func (t *targetRun) planFaults() ([]scenarios.Step, error) {
	t.cuts, t.crashed, t.paused = map[string][]cut{}, map[int]bool{}, map[int]bool{}
	var out []scenarios.Step
	for _, st := range t.r.Steps() {
		f := st.Do
		switch f.Action {
		case scenarios.ActPartition, scenarios.ActPartitionOneWay, scenarios.ActIsolate, scenarios.ActPartitionDC, scenarios.ActHeal, scenarios.ActHealAll:
			for i, d := range t.debug {
				if !d {
					return nil, fmt.Errorf("runner: the schedule partitions the network, but target %s has its DEBUG commands off (debug_commands: true in the cluster file, or cluster up --debug-commands)", t.opt.Targets[i])
				}
			}
		case scenarios.ActCrash, scenarios.ActRestart, scenarios.ActPause, scenarios.ActResume:
			if t.opt.Processes == nil {
				return nil, fmt.Errorf("runner: the schedule %ss nodes at %v, which needs the nodes' processes: run against a cluster started by dynasim cluster up and pass its --cluster-dir", f.Action, st.At)
			}
			if f.Action == scenarios.ActCrash && f.Mode != "" {
				t.note(fmt.Sprintf("crash at %v is kill -9: the mode %s does not apply (the OS keeps what the process wrote)", st.At, f.Mode))
			}
		default:
			t.note(fmt.Sprintf("fault %s at %v not applied: a real cluster has no such fault injection", f.Action, st.At))
			continue
		}
		if _, err := t.nodeIndexes(f); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// nodeIndexes resolves the nodes a fault names to target indexes.
func (t *targetRun) nodeIndexes(f scenarios.Fault) ([]int, error) {
	var names []string
	names = append(names, f.Nodes...)
	for _, s := range f.Sides {
		names = append(names, s...)
	}
	var out []int
	for _, name := range names {
		i := slices.IndexFunc(t.r.Cluster.Nodes, func(m scenarios.Member) bool { return m.Name == name })
		if i < 0 || i >= len(t.opt.Targets) {
			return nil, fmt.Errorf("runner: a fault names node %s, which has no target (node i of the scenario is the i-th --target)", name)
		}
		out = append(out, i)
	}
	return out, nil
}

// runFaults applies the schedule at its times until ctx ends.
func (t *targetRun) runFaults(ctx context.Context, steps []scenarios.Step) {
	for _, st := range steps {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(t.start.Add(st.At))):
		}
		if err := t.apply(st.Do); err != nil {
			t.note(fmt.Sprintf("fault %s at %v: %v", st.Do.Action, st.At, err))
			t.logf("fault %s at %v failed: %v", st.Do.Action, st.At, err)
			continue
		}
		t.logf("%v: %s %s (done at %v)", st.At, st.Do.Action, strings.Join(append(append([]string(nil), st.Do.Nodes...), joinSides(st.Do.Sides)...), " "), t.since().Round(time.Millisecond))
	}
}

func joinSides(sides [][]string) []string {
	var out []string
	for _, s := range sides {
		out = append(out, "["+strings.Join(s, ",")+"]")
	}
	return out
}

func (t *targetRun) apply(f scenarios.Fault) error {
	nodes, err := t.nodeIndexes(f)
	if err != nil {
		return err
	}
	n := len(t.opt.Targets)
	switch f.Action {
	case scenarios.ActPartition, scenarios.ActPartitionOneWay, scenarios.ActIsolate, scenarios.ActPartitionDC:
		var a, b []int
		oneWay := f.Action == scenarios.ActPartitionOneWay || f.Action == scenarios.ActPartitionDC && f.OneWay
		switch f.Action {
		case scenarios.ActPartition, scenarios.ActPartitionOneWay:
			a = t.indexesOf(f.Sides[0])
			if len(f.Sides) > 1 {
				b = t.indexesOf(f.Sides[1])
			} else {
				b = others(n, a)
			}
		case scenarios.ActPartitionDC:
			for i := range min(n, len(t.r.Cluster.Nodes)) {
				switch t.r.Cluster.Nodes[i].Datacenter {
				case f.Datacenters[0]:
					a = append(a, i)
				case f.Datacenters[1]:
					b = append(b, i)
				}
			}
		}
		var cuts []cut
		if f.Action == scenarios.ActIsolate {
			for _, i := range nodes {
				for j := range n {
					if j != i {
						cuts = append(cuts, cut{i, j, false})
					}
				}
			}
		} else {
			for _, i := range a {
				for _, j := range b {
					cuts = append(cuts, cut{i, j, oneWay})
				}
			}
		}
		t.mu.Lock()
		t.cuts[f.Name] = append(t.cuts[f.Name], cuts...)
		t.mu.Unlock()
		return t.pushPartitions()
	case scenarios.ActHeal:
		t.mu.Lock()
		delete(t.cuts, f.Name)
		t.mu.Unlock()
		return t.pushPartitions()
	case scenarios.ActHealAll:
		t.mu.Lock()
		clear(t.cuts)
		t.mu.Unlock()
		return t.pushPartitions()
	}
	var errs []error
	for _, i := range nodes {
		var err error
		switch f.Action {
		case scenarios.ActCrash:
			if err = t.opt.Processes.Kill(i); err == nil {
				t.setState(t.crashed, i, true)
			}
		case scenarios.ActRestart:
			if err = t.opt.Processes.Restart(i); err == nil {
				t.setState(t.crashed, i, false)
				// A new process has no injected faults: give it its own.
				err = t.pushPartitions()
			}
		case scenarios.ActPause:
			if err = t.opt.Processes.Pause(i); err == nil {
				t.setState(t.paused, i, true)
			}
		case scenarios.ActResume:
			if err = t.opt.Processes.Resume(i); err == nil {
				t.setState(t.paused, i, false)
			}
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (t *targetRun) setState(m map[int]bool, i int, on bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if on {
		m[i] = true
	} else {
		delete(m, i)
	}
}

func (t *targetRun) indexesOf(names []string) []int {
	var out []int
	for _, name := range names {
		if i := slices.IndexFunc(t.r.Cluster.Nodes, func(m scenarios.Member) bool { return m.Name == name }); i >= 0 && i < len(t.opt.Targets) {
			out = append(out, i)
		}
	}
	return out
}

func others(n int, a []int) []int {
	var out []int
	for i := range n {
		if !slices.Contains(a, i) {
			out = append(out, i)
		}
	}
	return out
}

// cut is one cut link: a and b (target indexes) cannot exchange frames;
// oneWay: only what a sends b is lost.
type cut struct {
	a, b   int
	oneWay bool
}

// pushPartitions tells every running node which members it is cut off
// from, both ways (DEBUG PARTITION) and one way (DEBUG DROP: what it
// sends them); each replaces the node's earlier list.
func (t *targetRun) pushPartitions() error {
	t.mu.Lock()
	blocked := make([][]string, len(t.opt.Targets))
	dropped := make([][]string, len(t.opt.Targets))
	for _, cs := range t.cuts {
		for _, c := range cs {
			if c.oneWay {
				dropped[c.a] = append(dropped[c.a], strconv.Itoa(t.members[c.b]))
				continue
			}
			blocked[c.a] = append(blocked[c.a], strconv.Itoa(t.members[c.b]))
			blocked[c.b] = append(blocked[c.b], strconv.Itoa(t.members[c.a]))
		}
	}
	var up []int
	for i := range t.opt.Targets {
		if !t.crashed[i] && !t.paused[i] {
			up = append(up, i)
		}
	}
	t.mu.Unlock()
	var errs []error
	for _, i := range up {
		for sub, list := range map[string][]string{"PARTITION": blocked[i], "DROP": dropped[i]} {
			args := []any{"DEBUG", sub}
			for _, id := range slices.Compact(slices.Sorted(slices.Values(list))) {
				args = append(args, id)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := t.finals[i].Do(ctx, args...).Err(); err != nil {
				errs = append(errs, fmt.Errorf("target %s: DEBUG %s: %w", t.opt.Targets[i], sub, err))
			}
			cancel()
		}
	}
	return errors.Join(errs...)
}

func (t *targetRun) anyFault() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.cuts) > 0 || len(t.crashed) > 0 || len(t.paused) > 0
}

// healAll undoes every fault: partitions healed, paused nodes resumed,
// crashed nodes restarted.
func (t *targetRun) healAll(why string) {
	t.mu.Lock()
	hadCuts := len(t.cuts) > 0
	clear(t.cuts)
	paused := slices.Sorted(maps.Keys(t.paused))
	crashed := slices.Sorted(maps.Keys(t.crashed))
	t.mu.Unlock()
	for _, i := range paused {
		if err := t.opt.Processes.Resume(i); err != nil {
			t.note(fmt.Sprintf("%s: resume node %d: %v", why, i, err))
		}
		t.setState(t.paused, i, false)
	}
	for _, i := range crashed {
		if err := t.opt.Processes.Restart(i); err != nil {
			t.note(fmt.Sprintf("%s: restart node %d: %v", why, i, err))
			continue
		}
		t.setState(t.crashed, i, false)
	}
	if hadCuts || len(crashed) > 0 {
		if err := t.pushPartitions(); err != nil {
			t.note(fmt.Sprintf("%s: %v", why, err))
		}
	}
}

// The history, recorded under t.mu with times taken under it, so that
// they never decrease in call order.

func (t *targetRun) invoke(inv history.Invocation) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if inv.Kind != history.Get && inv.Key != "" {
		if i, ok := t.keyIndex(inv.Key); ok {
			t.written[i] = true
		}
	}
	id, err := t.rec.Invoke(t.since().Nanoseconds(), inv)
	if err != nil && t.recErr == nil {
		t.recErr = err
	}
	return id
}

func (t *targetRun) reroute(id uint64, target int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.rec.Reroute(id, int32(target)); err != nil && t.recErr == nil {
		t.recErr = err
	}
}

func (t *targetRun) finish(id uint64, res history.Result) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.rec.Return(t.since().Nanoseconds(), id, res); err != nil && t.recErr == nil {
		t.recErr = err
	}
}

func (t *targetRun) keyIndex(key string) (int, bool) {
	names := t.keys.Names()
	i, ok := slices.BinarySearch(names, key) // names are zero-padded: sorted
	return i, ok
}

func (t *targetRun) writtenKeys() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for i, w := range t.written {
		if w {
			out = append(out, t.keys.Names()[i])
		}
	}
	return out
}

// cached is a client's last read of a key: the context token and the
// value IDs it covers.
type cached struct {
	token []byte
	ids   []string
}

// realClient is one workload client.
type realClient struct {
	t     *targetRun
	id    int
	rng   *rand.Rand
	seq   uint64
	mu    sync.Mutex // the cache (open-loop operations overlap)
	cache map[int]cached
}

func (t *targetRun) client(ctx context.Context, id int) {
	// Each client's own stream, from the scenario's seed.
	c := &realClient{t: t, id: id, rng: rand.New(rand.NewPCG(t.r.Seed, uint64(id)+1)), cache: map[int]cached{}}
	cfg := &t.cfg
	spent := func() bool {
		if cfg.Duration > 0 && t.since() >= cfg.Duration {
			return true
		}
		return cfg.MaxOps > 0 && t.started.Load() >= int64(cfg.MaxOps)
	}
	if cfg.RatePerClient > 0 {
		// Open loop: Poisson arrivals, at most MaxOutstanding in flight.
		var wg sync.WaitGroup
		defer wg.Wait()
		slots := make(chan struct{}, cfg.MaxOutstanding)
		for {
			time.Sleep(time.Duration(c.rng.ExpFloat64() / cfg.RatePerClient * float64(time.Second)))
			if spent() || ctx.Err() != nil {
				return
			}
			select {
			case slots <- struct{}{}:
			default:
				continue // shed
			}
			if cfg.MaxOps > 0 && t.started.Add(1) > int64(cfg.MaxOps) {
				return
			}
			kind, idx := c.draw()
			seed := c.rng.Uint64()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				c.run(ctx, kind, idx, rand.New(rand.NewPCG(seed, 1)))
			}()
		}
	}
	for first := true; ; first = false {
		if !first && t.think != nil {
			time.Sleep(time.Duration(t.think.Sample(c.rng) * float64(time.Millisecond)))
		}
		if spent() || ctx.Err() != nil {
			return
		}
		if cfg.MaxOps > 0 && t.started.Add(1) > int64(cfg.MaxOps) {
			return
		}
		kind, idx := c.draw()
		c.run(ctx, kind, idx, c.rng)
	}
}

// Operation kinds as the mix draws them.
const (
	drawGet = iota
	drawPut
	drawDelete // a get, then a delete over what it read
	drawRMW    // a get, then a put over what it read
)

func (c *realClient) draw() (int, int) {
	m := c.t.cfg.Mix
	x := c.rng.Float64() * (m.Get + m.Put + m.Delete + m.ReadModifyWrite)
	c.mu.Lock()
	c.seq++
	seq := c.seq
	c.mu.Unlock()
	idx := c.t.keys.Pick(c.rng, c.id, seq)
	switch {
	case x < m.Get:
		return drawGet, idx
	case x < m.Get+m.Put:
		return drawPut, idx
	case x < m.Get+m.Put+m.Delete:
		return drawDelete, idx
	}
	return drawRMW, idx
}

// run performs one drawn operation (two history operations for delete and
// read-modify-write).
func (c *realClient) run(ctx context.Context, kind, idx int, rng *rand.Rand) {
	key := c.t.keys.Names()[idx]
	switch kind {
	case drawGet:
		c.get(ctx, key, idx, rng)
	case drawPut:
		c.mu.Lock()
		cc := c.cache[idx]
		c.mu.Unlock()
		c.put(ctx, key, cc, rng)
	case drawDelete, drawRMW:
		cc, ok := c.get(ctx, key, idx, rng)
		if !ok {
			return
		}
		if kind == drawRMW {
			c.put(ctx, key, cc, rng)
		} else {
			c.del(ctx, key, cc, rng)
		}
	}
}

func (c *realClient) get(ctx context.Context, key string, idx int, rng *rand.Rand) (cached, bool) {
	id := c.t.invoke(history.Invocation{Client: c.id, Kind: history.Get, Key: key, Coordinator: history.NoCoordinator, Consistency: c.t.consistency})
	var out cached
	ok := c.t.attempts(ctx, id, history.Get, rng, c.t.conns, func(ctx context.Context, r *redis.Client) (history.Result, error) {
		vals, err := r.Do(ctx, "VGET", key).Slice()
		if err != nil {
			return history.Result{}, err
		}
		res, cc, err := parseVGET(vals)
		out = cc
		return res, err
	})
	if ok {
		c.mu.Lock()
		c.cache[idx] = out
		c.mu.Unlock()
	}
	return out, ok
}

func (c *realClient) put(ctx context.Context, key string, cc cached, rng *rand.Rand) {
	c.mu.Lock()
	c.seq++
	vid := "c" + strconv.Itoa(c.id) + "." + strconv.FormatUint(c.seq, 10)
	c.mu.Unlock()
	value := makeValue(vid, int(c.t.valueSize.Sample(rng)))
	id := c.t.invoke(history.Invocation{Client: c.id, Kind: history.Put, Key: key, Value: vid, Context: cc.ids, Coordinator: history.NoCoordinator, Consistency: c.t.consistency})
	c.t.attempts(ctx, id, history.Put, rng, c.t.conns, func(ctx context.Context, r *redis.Client) (history.Result, error) {
		return history.Result{Outcome: history.OK}, r.Do(ctx, "VSET", key, cc.token, value).Err()
	})
}

func (c *realClient) del(ctx context.Context, key string, cc cached, rng *rand.Rand) {
	id := c.t.invoke(history.Invocation{Client: c.id, Kind: history.Delete, Key: key, Context: cc.ids, Coordinator: history.NoCoordinator, Consistency: c.t.consistency})
	c.t.attempts(ctx, id, history.Delete, rng, c.t.conns, func(ctx context.Context, r *redis.Client) (history.Result, error) {
		return history.Result{Outcome: history.OK}, r.Do(ctx, "VDEL", key, cc.token).Err()
	})
}

// parseVGET reads VGET's answer: the context token, then the values.
func parseVGET(vals []any) (history.Result, cached, error) {
	if len(vals) == 0 {
		return history.Result{}, cached{}, fmt.Errorf("VGET answered an empty array")
	}
	tok, ok := vals[0].(string)
	if !ok {
		return history.Result{}, cached{}, fmt.Errorf("VGET answered a %T context", vals[0])
	}
	res := history.Result{Outcome: history.OK}
	for _, v := range vals[1:] {
		s, ok := v.(string)
		if !ok {
			return history.Result{}, cached{}, fmt.Errorf("VGET answered a %T value", v)
		}
		res.Values = append(res.Values, sim.ValueID([]byte(s)))
	}
	return res, cached{token: []byte(tok), ids: res.Values}, nil
}

// makeValue is a value as the simulated clients make them: its unique ID,
// the separator, filler up to size.
func makeValue(id string, size int) []byte {
	size = max(size, len(id)+1)
	v := make([]byte, size)
	n := copy(v, id)
	v[n] = '|'
	for i := n + 1; i < size; i++ {
		v[i] = byte('a' + (i-n-1)%26)
	}
	return v
}

// attempts runs an operation's attempts — each at a target chosen at
// random, under the workload's timeout, up to 1+Retries — and records
// its outcome: ok; failed when no attempt can have taken effect; unknown
// when a write's attempt may have (a timeout, a lost connection, the
// node's UNKNOWN).
func (t *targetRun) attempts(ctx context.Context, id uint64, kind history.OpKind, rng *rand.Rand, conns []*redis.Client,
	do func(context.Context, *redis.Client) (history.Result, error)) bool {
	mayHaveApplied := false
	var why string
	for attempt := 0; attempt <= t.cfg.Retries; attempt++ {
		target := rng.IntN(len(conns))
		t.reroute(id, target)
		actx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
		res, err := do(actx, conns[target])
		cancel()
		if err == nil || errors.Is(err, redis.Nil) {
			t.finish(id, res)
			return true
		}
		definite, bad := classify(err)
		if !definite && kind != history.Get {
			mayHaveApplied = true
		}
		why = err.Error()
		if bad {
			t.finish(id, history.Result{Outcome: history.Failed, Error: "bad request: " + why})
			return false
		}
	}
	out := history.Failed
	if mayHaveApplied {
		out = history.Unknown
	}
	t.finish(id, history.Result{Outcome: out, Error: why})
	return false
}

// classify says whether a failed attempt definitely had no effect, and
// whether it was refused as a bad request (not retried).
func classify(err error) (definite, bad bool) {
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		switch {
		case strings.HasPrefix(msg, "QUORUM "):
			return true, false // too few replicas; nothing applied
		case strings.HasPrefix(msg, "UNKNOWN "), strings.Contains(msg, "shutting down"):
			return false, false
		}
		return true, true // ERR: refused before anything was applied
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" || errors.Is(err, redis.ErrPoolTimeout) {
		return true, false // never sent: no connection, or none free in time
	}
	return false, false // a timeout or a lost connection: it may have arrived
}

// finalReads reads every key back at the final read level through the
// final reader (client index Clients), each key up to targetFinalAttempts
// times.
func (t *targetRun) finalReads(keys []string) {
	reader := t.cfg.Clients
	ch := make(chan string)
	var wg sync.WaitGroup
	for w := range targetFinalParallelism {
		rng := rand.New(rand.NewPCG(t.r.Seed, uint64(1<<32+w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range ch {
				for try := range targetFinalAttempts {
					if try > 0 {
						time.Sleep(targetFinalBackoff)
					}
					id := t.invoke(history.Invocation{Client: reader, Kind: history.Get, Key: key, Coordinator: history.NoCoordinator, Consistency: t.consistency, Final: true})
					ok := t.attempts(context.Background(), id, history.Get, rng, t.finals, func(ctx context.Context, r *redis.Client) (history.Result, error) {
						vals, err := r.Do(ctx, "VGET", key).Slice()
						if err != nil {
							return history.Result{}, err
						}
						res, _, err := parseVGET(vals)
						return res, err
					})
					if ok {
						break
					}
				}
			}
		}()
	}
	for _, k := range keys {
		ch <- k
	}
	close(ch)
	wg.Wait()
}

// targetConsistency is what the workload's requests ask for, as the
// history records it (as the simulated cluster's Consistency does).
func targetConsistency(r *scenarios.Resolved, cfg sim.WorkloadConfig) (history.Consistency, error) {
	nc, err := nodeConfig(r)
	if err != nil {
		return history.Consistency{}, err
	}
	n := int(cfg.N)
	if n == 0 {
		n = r.Node.N
	}
	co := nc.Coordinator.WithDefaults()
	resolve := func(req, def wire.Need) (int, wire.Need) {
		if req.Level == wire.LevelDefault {
			req = def
		}
		k, _ := req.Fixed(n)
		return k, req
	}
	w, wl := resolve(cfg.W, co.W)
	rr, rl := resolve(cfg.R, co.R)
	level := strings.ToLower(rl.String())
	if rl != wl {
		level = "r=" + strings.ToLower(rl.String()) + ",w=" + strings.ToLower(wl.String())
	}
	return history.Consistency{Level: level, N: n, W: w, R: rr}, nil
}

func (t *targetRun) runInfo(end time.Duration) *history.RunInfo {
	r := t.r
	info := &history.RunInfo{
		Scenario: r.Name, Seed: r.Seed, Fingerprint: fmt.Sprintf("%016x", 0), EndNs: end.Nanoseconds(),
		VersionMode: string(r.Node.VersionMode), N: r.Node.N, W: r.Node.W, R: r.Node.R,
		WorkloadN: t.consistency.N, ReadLevel: string(r.Workload.ReadLevel), WriteLevel: string(r.Workload.WriteLevel),
		FinalReadLevel: string(r.FinalReadLevel), FinalReadKeys: string(r.FinalReadKeys),
		Linearizability: r.LinearizabilityEnabled(), ReadRepair: string(r.Node.ReadRepair), TwoPhaseWrites: r.Node.TwoPhaseWrites,
		Clients: r.Workload.Clients, Keys: r.Workload.Keys.Count,
		Targets: slices.Clone(t.opt.Targets),
	}
	for i, addr := range t.opt.Targets {
		name := "target" + strconv.Itoa(i)
		dc := ""
		if i < len(r.Cluster.Nodes) {
			name, dc = r.Cluster.Nodes[i].Name, r.Cluster.Nodes[i].Datacenter
		}
		info.Nodes = append(info.Nodes, history.NodeInfo{Name: name + "@" + addr, DC: dc})
	}
	return info
}

// realOnly are the expectations a real cluster's history cannot measure:
// replica states (convergence) and the simulator's own facts.
func realOnly(name string) bool {
	if name == "converged" || name == "prediction_agrees" {
		return true
	}
	_, handled := measureRun(name, nil, nil)
	return handled
}

func (t *targetRun) checkAndReport(h *history.History, end time.Duration, counts []map[string]uint64) (*Outcome, error) {
	r, opt := t.r, t.opt
	checkStart := time.Now()
	var want []scenarios.Expectation
	for _, e := range r.Expect.List() {
		if realOnly(e.Name) {
			t.note(fmt.Sprintf("expectation %s not evaluated: a real cluster's history has no replica states or simulator facts", e.Name))
			continue
		}
		want = append(want, e)
	}
	vis := ""
	if opt.OutDir != "" {
		if err := os.MkdirAll(opt.OutDir, 0o755); err != nil {
			return nil, err
		}
		vis = filepath.Join(opt.OutDir, "linearizability.html")
		if err := os.Remove(vis); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	v, err := verdict(h, checker.Options{
		Model:             ModelFor(string(r.Node.VersionMode)),
		Linearizability:   r.LinearizabilityEnabled(),
		LinTimeLimit:      time.Duration(r.Checks.LinTimeLimit),
		LinStepBudget:     r.Checks.LinStepBudget,
		LinMemoryBytes:    r.Checks.LinMemoryMB << 20,
		ReplicasPerKey:    t.consistency.N,
		TVisibilityMs:     r.Checks.TVisibilityMs,
		MaxExamples:       r.Checks.MaxExamples,
		VisualizationPath: vis,
	}, want, nil, nil)
	if err != nil {
		return nil, err
	}
	notes := []string{fmt.Sprintf("real cluster at %s: times are wall-clock, the network, disks and clocks real; the run is not replayable (the seed drives only the clients' choices) and has no fingerprint", strings.Join(opt.Targets, ","))}
	t.mu.Lock()
	notes = append(notes, t.notes...)
	t.mu.Unlock()
	notes = append(notes, v.Notes...)
	var nodes []reports.NodeStats
	var frames reports.MessageStats
	for i, n := range h.Run.Nodes {
		ns := reports.NodeStats{Node: i, Name: n.Name, DC: n.DC}
		if c := counts[i]; c != nil {
			ns.RequestsCoordinated = c["coordinator_gets"] + c["coordinator_puts"] + c["coordinator_deletes"]
			ns.StorageWrites, ns.StorageBytes = c["store_puts"], c["store_bytes_written"]
			frames.Sent += c["frames_sent"]
			frames.Bytes += c["bytes_sent"]
			frames.Lost += c["frames_dropped"] + c["frames_partitioned"]
		}
		nodes = append(nodes, ns)
	}
	var messages []reports.MessageStats
	if frames.Sent > 0 {
		frames.Kind = "all peer frames (INFO)"
		messages = append(messages, frames)
	}
	meta := reports.Meta{
		Scenario: r.Name, Description: r.Description, ScenarioPath: opt.ScenarioPath, OutDir: opt.OutDir,
		Seed: r.Seed, VirtualDuration: end, Wall: end, Config: configSummary(r),
		Repro: fmt.Sprintf("dynasim run %s --target %s (a real cluster: not replayable)", cmp.Or(opt.ScenarioPath, r.Name), strings.Join(opt.Targets, ",")),
	}
	meta.Config.Nodes = len(opt.Targets)
	meta.Targets = opt.Targets
	rep, err := reports.Build(reports.Input{
		Meta: meta, History: h, Results: v.Results, Expectations: v.Expectations, Nodes: nodes, Messages: messages, Notes: notes,
		HistoryValidated: v.validated == h,
	})
	if err != nil {
		return nil, err
	}
	out := &Outcome{Report: rep, History: h, Results: v.Results, Resolved: r, Passed: v.Passed}
	phases := reports.PhaseSeconds{Simulate: end.Seconds(), Check: time.Since(checkStart).Seconds()}
	if opt.OutDir == "" {
		rep.SetWallClock(time.Since(opt.Start), phases)
		return out, nil
	}
	var names []string
	var errs []error
	names, errs = writeFile(opt.OutDir, "history.jsonl", names, errs, func(w io.Writer) error { return history.Write(w, h) })
	rep.SetWallClock(time.Since(opt.Start), phases)
	files, err := writeReports(opt.OutDir, rep)
	out.Files = append(names, files...)
	slices.Sort(out.Files)
	return out, errors.Join(append(errs, err)...)
}
