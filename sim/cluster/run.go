package cluster

import (
	"fmt"
	"time"

	"dynasim/checker/history"
	"dynasim/net"
	"dynasim/node/ring"
	"dynasim/sim"
)

func hashKey(k []byte) uint64 { return ring.HashKey(k) }

// RunConfig is one run of a workload against the cluster.
type RunConfig struct {
	// Workload is what the clients do.
	Workload sim.WorkloadConfig
	// Faults are scheduled before the run starts (times from the start of
	// the run).
	Faults []sim.Fault
	// MaxTime bounds the workload phase in virtual time. Default: the
	// workload's Duration plus a minute, or an hour for a count-bounded
	// workload.
	MaxTime time.Duration
	// Quiet is the pause after the workload, before the final reads, for
	// repairs and in-flight writes to settle. Default 2 s.
	Quiet time.Duration
	// NoFinalReads skips the final reads.
	NoFinalReads bool
	// FinalReadParallelism bounds the final reads in flight. Default 16.
	FinalReadParallelism int
	// Recorder bounds the history. Zero: history.DefaultRecorderConfig.
	Recorder history.RecorderConfig
}

// Defaults of RunConfig.
const (
	DefaultQuiet                = 2 * time.Second
	DefaultFinalReadParallelism = 16
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
	Events      uint64
	// End is the virtual time the run ended.
	End         sim.Time
	Nodes       []NodeStats
	Workload    sim.WorkloadStats
	World       sim.Stats
	Network     net.SimStats
	FaultErrors []sim.FaultError
}

// Run runs a workload on the cluster: schedule the faults, run the clients
// until they are done, wait the quiet period, read every key once more
// (final reads), record every replica's state, and close the history.
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
	if rc.MaxTime < 0 || rc.Quiet < 0 || rc.FinalReadParallelism < 0 {
		return nil, fmt.Errorf("cluster: negative MaxTime, Quiet or FinalReadParallelism")
	}
	rec, err := history.NewRecorder(rc.Recorder)
	if err != nil {
		return nil, err
	}
	wl, err := c.AddWorkload(wcfg, rec)
	if err != nil {
		return nil, err
	}
	if err := c.world.ScheduleFaults(rc.Faults); err != nil {
		return nil, err
	}
	finished, err := c.RunWorkload(rc.MaxTime)
	if err != nil {
		return nil, err
	}
	c.world.RunFor(rc.Quiet)
	keys := wl.KeyNames()
	if !rc.NoFinalReads {
		limit := time.Duration(len(keys)/rc.FinalReadParallelism+1) * wcfg.Timeout * time.Duration(wcfg.Retries+1)
		if _, err := c.FinalReads(keys, rc.FinalReadParallelism, limit+time.Second); err != nil {
			return nil, err
		}
	}
	states, err := c.ReplicaStates(keys, int(wcfg.N))
	if err != nil {
		return nil, err
	}
	for i := range states {
		if err := rec.AddReplicaState(states[i]); err != nil {
			return nil, err
		}
	}
	if err := firstErr(wl.Err(), c.world.Err(), c.Err()); err != nil {
		return nil, err
	}
	h, err := rec.Close(int64(c.world.Now()))
	if err != nil {
		return nil, err
	}
	return &Result{
		History:     h,
		Finished:    finished,
		Fingerprint: c.world.Fingerprint(),
		Events:      c.world.Events(),
		End:         c.world.Now(),
		Nodes:       c.Stats(),
		Workload:    wl.Stats(),
		World:       c.world.Stats(),
		Network:     c.world.Network().Stats(),
		FaultErrors: c.world.FaultErrors(),
	}, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
