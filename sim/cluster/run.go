package cluster

import (
	"dynasim/node/coord"
	"fmt"
	"slices"
	"time"

	"dynasim/disk"
	"dynasim/history"
	"dynasim/node/ring"
	"dynasim/sim"
	"dynasim/sim/network"
	"dynasim/wire"
)

func hashKey(k []byte) uint64 { return ring.HashKey(k) }

// RunConfig is one run of a workload against the cluster.
type RunConfig struct {
	// Workload is what the clients do.
	Workload sim.WorkloadConfig
	// Faults are scheduled before the run starts (times from the start of
	// the run).
	Faults []sim.Fault
	// Changes are joins and decommissions, scheduled likewise (join.go).
	Changes []MembershipChange
	// MaxTime bounds the workload phase in virtual time. Default: the
	// workload's Duration plus a minute, or an hour for a count-bounded
	// workload.
	MaxTime time.Duration
	// Quiet is the pause after the workload, before the final reads, for
	// repairs and in-flight writes to settle. Default 5 s (the scenario
	// default, scenarios.DefaultQuietPeriod).
	Quiet time.Duration
	// RepairProbe, when positive, follows every wiped node's repair: its
	// keys are recorded just before the wipe and read again at this
	// interval until it holds them all (Result.Repairs, see Repair).
	// The probes read the node's store, so they are off by default.
	RepairProbe time.Duration
	// NoFinalReads skips the final reads.
	NoFinalReads bool
	// NoReplicaStates records no replica states at all (ConvergenceProbes
	// is then ignored): a staleness probe's keys are each read once by its
	// own trial, and reading back every trial's key from every replica
	// would cost a quarter of the run. The convergence check has nothing
	// to check then.
	NoReplicaStates bool
	// FinalReadAllKeys reads back, and probes, every key of the key
	// space. By default only the keys a put or delete was issued for are
	// (sim.Workload.WrittenKeyNames): a key never written holds nothing on
	// any replica, and reading a million of them dominates a large run.
	FinalReadAllKeys bool
	// FinalReadParallelism bounds the final reads in flight. Default 16.
	FinalReadParallelism int
	// FinalReadAttempts is how often a key's final read is tried before
	// its key stays unread (and its acknowledged puts unverified).
	// Default 10.
	FinalReadAttempts int
	// Recorder bounds the history. Zero: history.DefaultRecorderConfig.
	Recorder history.RecorderConfig
	// FinalRead is the read quorum of the final reads: nil uses the
	// workload's R; ALL makes the final read see every replica; DEFAULT
	// (wire.Need{}) is sent as DEFAULT, so each node applies its own R.
	FinalRead *wire.Need
	// HealAtEnd undoes every fault still active when the workload ends —
	// partitions healed, crashed nodes restarted, paused nodes resumed,
	// slow nodes back to speed, injected disk errors, bit flips and full
	// disks switched off — so the quiet period shows whether the store
	// recovers. It happens at the workload's Duration, or, for a workload
	// bounded only by its operation count, when the last operation ends.
	// Clock errors stay.
	HealAtEnd bool
	// ConvergenceProbes is how many times during the quiet period every
	// replica's state is recorded (evenly spaced; one more is taken when
	// the workload ends and one after the final reads), so the
	// convergence check can tell when the replicas came to agree. 0 means
	// DefaultConvergenceProbes; -1 records only the final state.
	ConvergenceProbes int
	// Progress, when set, is called every 10 ms of virtual time with the
	// time reached and the time the run is expected to end (workload
	// duration plus quiet period; a count-bounded workload's end is
	// unknown, so its estimate grows).
	Progress func(now, end time.Duration)
}

// Defaults of RunConfig.
const (
	DefaultQuiet                = 5 * time.Second
	DefaultFinalReadParallelism = 16
	DefaultFinalReadAttempts    = 10
	DefaultConvergenceProbes    = 10
	MaxConvergenceProbes        = 1000
)

// Result is what a run produced.
type Result struct {
	// History holds every operation (final reads marked Final) and every
	// replica's final state per key.
	History *history.History
	// Finished reports that the workload completed within MaxTime.
	Finished bool
	// Fingerprint and Events identify the run: the same seed and config
	// give the same values.
	Fingerprint uint64
	// InFlightAtEnd is how many messages were still on their way when the
	// replicas' last states were recorded (after the final reads and a
	// bounded wait for the network to drain), gossip (which never drains)
	// left out.
	InFlightAtEnd int
	// ViewsSettled is false when, with a sloppy quorum, some running node
	// still believed another running node down when the final reads began
	// (after waiting for up to the quiet period, at least 10 s, for the
	// views to clear): those reads may then have been answered by
	// fallbacks (see settleViews).
	ViewsSettled bool
	Events       uint64
	// End is the virtual time the run ended; WorkloadEnd when the workload
	// ended (its last operation returned, or its time limit passed).
	End         sim.Time
	WorkloadEnd sim.Time
	Nodes       []NodeStats
	// RingVersions are the ring versions the nodes were given and when
	// each took effect (Cluster.RingChanges), as the history records them.
	RingVersions []history.RingVersion
	// Rings are the ring versions as they took effect (RingChanges) and
	// Changes the joins and decommissions (join.go).
	Rings   []RingChange
	Changes []ChangeRecord
	// Scaling are the autoscaler's decisions (autoscale.go).
	Scaling []ScaleDecision
	// ClientsPerDC counts the workload's clients per datacenter.
	ClientsPerDC map[string]int
	Workload     sim.WorkloadStats
	World        sim.Stats
	Network      network.Stats
	FaultErrors  []sim.FaultError
	// Repairs are the wiped nodes' repairs (with RunConfig.RepairProbe).
	Repairs []Repair
}

// Run runs a workload on the cluster: schedule the faults, run the clients
// until they are done, wait the quiet period, read every written key once
// more (final reads; every key with FinalReadAllKeys), record every
// replica's state, and close the history.
func (c *Cluster) Run(rc RunConfig) (*Result, error) {
	wcfg := rc.Workload.WithDefaults()
	if err := wcfg.Validate(); err != nil {
		return nil, err
	}
	if rc.MaxTime == 0 {
		rc.MaxTime = time.Hour
		if wcfg.Duration > 0 {
			rc.MaxTime = wcfg.Duration + time.Minute
		}
	}
	if rc.Quiet == 0 {
		rc.Quiet = DefaultQuiet
	}
	if rc.FinalReadParallelism == 0 {
		rc.FinalReadParallelism = DefaultFinalReadParallelism
	}
	if rc.Recorder == (history.RecorderConfig{}) {
		rc.Recorder = history.DefaultRecorderConfig()
	}
	if rc.ConvergenceProbes == 0 {
		rc.ConvergenceProbes = DefaultConvergenceProbes
	}
	if rc.FinalReadAttempts == 0 {
		rc.FinalReadAttempts = DefaultFinalReadAttempts
	}
	if rc.MaxTime < 0 || rc.Quiet < 0 || rc.FinalReadParallelism < 0 || rc.FinalReadAttempts < 0 {
		return nil, fmt.Errorf("cluster: negative MaxTime, Quiet, FinalReadParallelism or FinalReadAttempts")
	}
	if rc.ConvergenceProbes < -1 || rc.ConvergenceProbes > MaxConvergenceProbes {
		return nil, fmt.Errorf("cluster: ConvergenceProbes %d outside [-1, %d]", rc.ConvergenceProbes, MaxConvergenceProbes)
	}
	rec, err := history.NewRecorder(rc.Recorder)
	if err != nil {
		return nil, err
	}
	wl, err := c.AddWorkload(wcfg, rec)
	if err != nil {
		return nil, err
	}
	if rc.RepairProbe < 0 {
		return nil, fmt.Errorf("cluster: negative RepairProbe %v", rc.RepairProbe)
	}
	repairs := &[]*Repair{}
	if rc.RepairProbe > 0 {
		// Before the faults, so that each snapshot runs ahead of its wipe.
		if repairs, err = c.scheduleRepairProbes(rc.Faults, wl.WrittenKeyNames, rc.RepairProbe); err != nil {
			return nil, err
		}
	}
	if err := c.world.ScheduleFaults(rc.Faults); err != nil {
		return nil, err
	}
	if err := c.ScheduleChanges(rc.Changes); err != nil {
		return nil, err
	}
	c.startAutoscaler(wcfg.Duration)
	healed := false
	if rc.HealAtEnd && wcfg.Duration > 0 {
		c.world.At(sim.At(wcfg.Duration), "heal at end", func() { c.HealAll(); healed = true })
	}
	c.progress = rc.Progress
	c.expectedEnd = wcfg.Duration + rc.Quiet
	finished, err := c.RunWorkload(rc.MaxTime)
	if err != nil {
		return nil, err
	}
	workloadEnd := c.world.Now()
	if rc.HealAtEnd && !healed {
		c.HealAll()
	}
	c.expectedEnd = time.Duration(workloadEnd) + rc.Quiet
	viewsSettled := true
	keys := wl.WrittenKeyNames()
	if rc.FinalReadAllKeys {
		keys = wl.KeyNames()
	}
	probe := func() error {
		if rc.NoReplicaStates {
			return nil
		}
		// The recorder copies (or shares) what it keeps, so the records'
		// lists can be scratch buffers.
		return c.eachReplicaState(keys, int(wcfg.N), true, rec.AddReplicaState)
	}
	if rc.ConvergenceProbes > 0 {
		if err := probe(); err != nil {
			return nil, err
		}
		quietStart := c.world.Now()
		for i := 1; i <= rc.ConvergenceProbes; i++ {
			c.runReporting(quietStart + sim.Time(int64(rc.Quiet)*int64(i)/int64(rc.ConvergenceProbes)))
			if err := probe(); err != nil {
				return nil, err
			}
		}
	} else {
		c.runReporting(c.world.Now() + sim.Time(rc.Quiet))
	}
	if !rc.NoFinalReads {
		viewsSettled = c.settleViews(max(rc.Quiet, minViewSettle))
		perKey := (wcfg.Timeout*time.Duration(wcfg.AttemptsPerOp()) + finalReadBackoff) * time.Duration(rc.FinalReadAttempts)
		limit := time.Duration(len(keys)/rc.FinalReadParallelism+1) * perKey
		if _, err := c.FinalReads(keys, rc.FinalRead, rc.FinalReadParallelism, rc.FinalReadAttempts, limit+time.Second); err != nil {
			return nil, err
		}
	}
	// Let what the final reads and the last repairs sent arrive before the
	// replicas' last states are taken, for at most one more quiet period: a
	// replica that is behind only because a message is still on its way has
	// not diverged, it has not converged yet (Result.InFlightAtEnd).
	settleEnd := c.world.Now() + sim.Time(max(rc.Quiet, time.Second))
	for c.world.InFlightForeground() > 0 && c.world.Now() < settleEnd {
		c.world.Run(sim.Limit{Until: min(settleEnd, c.world.Now()+sim.Time(time.Millisecond))})
	}
	inFlightAtEnd := c.world.InFlightForeground()
	if err := probe(); err != nil {
		return nil, err
	}
	if err := firstErr(wl.Err(), c.world.Err(), c.Err()); err != nil {
		return nil, err
	}
	h, err := rec.Close(int64(c.world.Now()))
	if err != nil {
		return nil, err
	}
	return &Result{
		History:       h,
		Finished:      finished,
		Fingerprint:   c.world.Fingerprint(),
		InFlightAtEnd: inFlightAtEnd,
		ViewsSettled:  viewsSettled,
		Events:        c.world.Events(),
		End:           c.world.Now(),
		WorkloadEnd:   workloadEnd,
		Nodes:         c.Stats(),
		RingVersions:  c.RingVersions(),
		Rings:         c.RingChanges(),
		Changes:       c.Changes(),
		Scaling:       slices.Clone(c.scaling),
		ClientsPerDC:  c.ClientsPerDC(),
		Workload:      wl.Stats(),
		World:         c.world.Stats(),
		Network:       c.world.Network().Stats(),
		FaultErrors:   c.world.FaultErrors(),
		Repairs:       derefRepairs(*repairs),
	}, nil
}

// minViewSettle is the least time settleViews waits for the views.
const minViewSettle = 10 * time.Second

// settleViews lets virtual time run, for at most limit, until every
// running node of a sloppy quorum believes every other running node up,
// and reports whether they all do. Only a sloppy quorum's reads depend on
// the view: a coordinator that still suspects a replica (a lost handoff
// message is enough without gossip, for SuspectFor) reads the fallbacks
// instead, and a final read taken then would report the sloppy quorum's
// stale-read anomaly as a lost write, although every replica holds the
// write. A strict quorum reads the replicas whatever it believes, so its
// runs never wait here (nor change).
func (c *Cluster) settleViews(limit time.Duration) bool {
	if c.cfg.Node.Coordinator.Quorum != coord.QuorumSloppy {
		return true
	}
	end := c.world.Now() + sim.Time(limit)
	for {
		if c.viewsAgreeUp() {
			return true
		}
		if c.world.Now() >= end {
			return false
		}
		c.runReporting(min(end, c.world.Now()+sim.Time(viewSettleStep)))
	}
}

// viewSettleStep is how often settleViews looks at the views.
const viewSettleStep = 50 * time.Millisecond

// viewsAgreeUp reports whether every running node believes every other
// running node up.
func (c *Cluster) viewsAgreeUp() bool {
	for _, s := range c.nodes {
		if !s.ep.Up() || s.cur == nil {
			continue
		}
		for _, t := range c.nodes {
			if t.removed || t.spare {
				continue
			}
			if t != s && t.ep.Up() && t.cur != nil && !s.cur.BelievesUp(t.addr) {
				return false
			}
		}
	}
	return true
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// HealAll undoes every active fault now (see RunConfig.HealAtEnd).
// Failures (a node that cannot restart) are recorded with the world's
// fault errors.
func (c *Cluster) HealAll() {
	w := c.world
	w.Network().HealAll()
	for _, s := range c.nodes {
		if s.spare || s.removed {
			continue // never started, or decommissioned
		}
		ep := s.ep
		var err error
		// Disks first: a node whose disk was full can start again.
		if f := ep.Faults(); f != nil {
			for _, k := range []disk.FaultKind{disk.FaultError, disk.FaultBitFlip, disk.FaultDiskFull} {
				if err = f.SetEnabled(k, false); err != nil {
					break
				}
			}
		}
		if err == nil {
			switch {
			case !ep.Up():
				err = w.Restart(ep.Addr())
			case ep.Paused():
				err = w.Resume(ep.Addr())
			}
		}
		if err == nil {
			err = w.SetSlow(ep.Addr(), 1)
		}
		if err != nil {
			w.NoteFaultError(sim.Fault{At: time.Duration(w.Now()), Kind: "heal_at_end", Nodes: []string{ep.Name()}}, err)
		}
	}
}

// runReporting runs the world until virtual time t, reporting progress.
func (c *Cluster) runReporting(t sim.Time) {
	for c.world.Now() < t {
		c.world.Run(sim.Limit{Until: min(t, c.world.Now()+sim.Time(checkEvery))})
		c.reportProgress()
	}
}

func (c *Cluster) reportProgress() {
	if c.progress != nil {
		now := time.Duration(c.world.Now())
		c.progress(now, max(now, c.expectedEnd))
	}
}
