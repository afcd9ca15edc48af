package sim

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"dynasim/disk"
	"dynasim/wire"
)

// FaultKind names a scheduled fault action.
type FaultKind string

// Fault actions. Each is one instantaneous change; a fault that lasts (a
// partition, a crash) is two actions, e.g. partition then heal.
const (
	FaultPartition       FaultKind = "partition"         // cut SideA <-> SideB (named Name)
	FaultPartitionOneWay FaultKind = "partition_one_way" // cut SideA -> SideB only
	FaultPartitionDC     FaultKind = "partition_dc"      // cut DCA <-> DCB (OneWay: DCA -> DCB)
	FaultIsolate         FaultKind = "isolate"           // cut each of Nodes from everyone
	FaultHeal            FaultKind = "heal"              // remove partition Name
	FaultHealAll         FaultKind = "heal_all"          // remove every partition
	FaultCrash           FaultKind = "crash"             // crash Nodes (CrashMode, or the disk's default)
	FaultRestart         FaultKind = "restart"           // restart crashed Nodes
	FaultWipe            FaultKind = "wipe"              // replace Nodes' disks with empty ones and restart them
	FaultCorruptTable    FaultKind = "corrupt_table"     // flip bits in a storage table on each of Nodes' disks, for good
	FaultPause           FaultKind = "pause"             // pause Nodes
	FaultResume          FaultKind = "resume"            // resume paused Nodes
	FaultClockJump       FaultKind = "clock_jump"        // step the clocks of Nodes by ClockJump
	FaultDiskOn          FaultKind = "disk_faults_on"    // enable DiskFaults on Nodes' disks
	FaultDiskOff         FaultKind = "disk_faults_off"   // disable DiskFaults on Nodes' disks
	FaultSlow            FaultKind = "slow"              // multiply Nodes' processing time by SlowFactor
	FaultSlowOff         FaultKind = "slow_off"          // back to normal speed
)

// Fault is one scheduled action.
type Fault struct {
	At   time.Duration
	Kind FaultKind
	// Name identifies a partition (partition kinds, isolate, heal).
	Name string
	// Nodes are the endpoints a process, clock, disk or isolate fault
	// applies to, by name.
	Nodes []string
	// SideA and SideB are a partition's sides, by endpoint name.
	SideA, SideB []string
	// DCA and DCB are a datacenter partition's datacenters; OneWay cuts
	// DCA -> DCB only.
	DCA, DCB string
	OneWay   bool
	// CrashMode overrides the disk's crash mode when set.
	CrashMode *disk.CrashMode
	// ClockJump is the clock step (negative: backwards).
	ClockJump time.Duration
	// DiskFaults are the fault families a disk fault switches.
	DiskFaults []disk.FaultKind
	// SlowFactor is the processing-time multiplier (>= 1).
	SlowFactor float64
}

// String renders the fault for logs and reports, e.g.
// "1.5s crash n1,n2".
func (f Fault) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v %s", f.At, f.Kind)
	if f.Name != "" {
		fmt.Fprintf(&b, " %s", f.Name)
	}
	if len(f.Nodes) > 0 {
		fmt.Fprintf(&b, " %s", strings.Join(f.Nodes, ","))
	}
	if len(f.SideA) > 0 || len(f.SideB) > 0 {
		fmt.Fprintf(&b, " [%s | %s]", strings.Join(f.SideA, ","), strings.Join(f.SideB, ","))
	}
	if f.DCA != "" {
		fmt.Fprintf(&b, " %s|%s", f.DCA, f.DCB)
	}
	return b.String()
}

// FaultError is a scheduled fault that could not be applied when it fired
// (say, restarting a node that is up). The run goes on; reports list these.
type FaultError struct {
	Fault Fault
	Err   error
}

func (e FaultError) Error() string { return fmt.Sprintf("fault %s: %v", e.Fault, e.Err) }

// ScheduleFaults validates the faults against the world's endpoints and
// schedules them. Problems found now (unknown node names, bad factors) are
// returned and nothing is scheduled; problems at fire time are collected
// in FaultErrors.
func (w *World) ScheduleFaults(faults []Fault) error {
	var problems []string
	for i := range faults {
		if err := w.checkFault(&faults[i]); err != nil {
			problems = append(problems, fmt.Sprintf("fault %d (%s): %v", i, faults[i], err))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("sim: invalid fault schedule:\n  %s", strings.Join(problems, "\n  "))
	}
	// Stable order by time so that same-time faults apply in list order.
	order := make([]int, len(faults))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return faults[order[a]].At < faults[order[b]].At })
	for _, i := range order {
		f := faults[i]
		w.At(At(f.At), f.String(), func() {
			if err := w.applyFault(f); err != nil {
				w.faultErrs = append(w.faultErrs, FaultError{Fault: f, Err: err})
			}
		})
	}
	return nil
}

// NoteFaultError records a fault a harness applied itself that failed, so
// that it is reported with the scheduled ones.
func (w *World) NoteFaultError(f Fault, err error) {
	w.faultErrs = append(w.faultErrs, FaultError{Fault: f, Err: err})
}

// FaultErrors lists the scheduled faults that failed when they fired.
func (w *World) FaultErrors() []FaultError { return w.faultErrs }

func (w *World) addrs(names []string) ([]wire.Addr, error) {
	out := make([]wire.Addr, 0, len(names))
	for _, n := range names {
		ep := w.byName[n]
		if ep == nil {
			return nil, fmt.Errorf("unknown endpoint %q", n)
		}
		out = append(out, ep.addr)
	}
	return out, nil
}

func (w *World) checkFault(f *Fault) error {
	if f.At < 0 {
		return fmt.Errorf("time %v is negative", f.At)
	}
	need := func(what string, ok bool) error {
		if !ok {
			return fmt.Errorf("%s needs %s", f.Kind, what)
		}
		return nil
	}
	if _, err := w.addrs(f.Nodes); err != nil {
		return err
	}
	if _, err := w.addrs(f.SideA); err != nil {
		return err
	}
	if _, err := w.addrs(f.SideB); err != nil {
		return err
	}
	switch f.Kind {
	case FaultPartition, FaultPartitionOneWay:
		return need("a name and two sides", f.Name != "" && len(f.SideA) > 0 && len(f.SideB) > 0)
	case FaultPartitionDC:
		return need("a name and two datacenters", f.Name != "" && f.DCA != "" && f.DCB != "")
	case FaultIsolate:
		return need("a name and nodes", f.Name != "" && len(f.Nodes) > 0)
	case FaultHeal:
		return need("a partition name", f.Name != "")
	case FaultHealAll:
		return nil
	case FaultCrash, FaultRestart, FaultPause, FaultResume, FaultSlowOff:
		return need("nodes", len(f.Nodes) > 0)
	case FaultWipe, FaultCorruptTable:
		if err := need("nodes", len(f.Nodes) > 0); err != nil {
			return err
		}
		for _, n := range f.Nodes {
			if w.byName[n].mem == nil {
				return fmt.Errorf("%s has no disk", n)
			}
		}
		return nil
	case FaultClockJump:
		return need("nodes and a jump", len(f.Nodes) > 0 && f.ClockJump != 0)
	case FaultDiskOn, FaultDiskOff:
		if err := need("nodes and fault kinds", len(f.Nodes) > 0 && len(f.DiskFaults) > 0); err != nil {
			return err
		}
		for _, n := range f.Nodes {
			if w.byName[n].efs == nil {
				return fmt.Errorf("%s has no disk", n)
			}
		}
		return nil
	case FaultSlow:
		if err := need("nodes", len(f.Nodes) > 0); err != nil {
			return err
		}
		if !(f.SlowFactor >= 1 && f.SlowFactor <= MaxSlowFactor) {
			return fmt.Errorf("slow factor %g must be within [1, %g]", f.SlowFactor, float64(MaxSlowFactor))
		}
		return nil
	}
	return fmt.Errorf("unknown fault kind %q", f.Kind)
}

// applyFault performs a validated fault now. With several nodes it applies
// to each and reports the first error.
func (w *World) applyFault(f Fault) error {
	nodes, _ := w.addrs(f.Nodes)
	each := func(fn func(a wire.Addr) error) error {
		var first error
		for _, a := range nodes {
			if err := fn(a); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	nw := w.network
	switch f.Kind {
	case FaultPartition, FaultPartitionOneWay:
		a, _ := w.addrs(f.SideA)
		b, _ := w.addrs(f.SideB)
		return nw.Partition(f.Name, a, b, f.Kind == FaultPartitionOneWay)
	case FaultPartitionDC:
		return nw.PartitionDC(f.Name, f.DCA, f.DCB, f.OneWay)
	case FaultIsolate:
		if len(nodes) == 1 {
			return nw.Isolate(f.Name, nodes[0])
		}
		// Several nodes: each is cut from every other endpoint, including
		// the others in the list, under one name per node.
		return each(func(a wire.Addr) error { return nw.Isolate(f.Name+"/"+w.eps[a].spec.Name, a) })
	case FaultHeal:
		err := nw.Heal(f.Name)
		if err != nil && w.healGroup(f.Name) > 0 {
			return nil // the name was a multi-node isolate
		}
		return err
	case FaultHealAll:
		nw.HealAll()
		return nil
	case FaultCrash:
		return each(func(a wire.Addr) error {
			if f.CrashMode != nil {
				return w.Crash(a, *f.CrashMode)
			}
			return w.CrashDefault(a)
		})
	case FaultRestart:
		return each(w.Restart)
	case FaultWipe:
		return each(w.Wipe)
	case FaultCorruptTable:
		return each(w.CorruptTable)
	case FaultPause:
		return each(w.Pause)
	case FaultResume:
		return each(w.Resume)
	case FaultClockJump:
		return each(func(a wire.Addr) error { return w.JumpClock(a, f.ClockJump) })
	case FaultDiskOn, FaultDiskOff:
		return each(func(a wire.Addr) error {
			for _, k := range f.DiskFaults {
				if err := w.eps[a].efs.SetEnabled(k, f.Kind == FaultDiskOn); err != nil {
					return err
				}
			}
			return nil
		})
	case FaultSlow:
		return each(func(a wire.Addr) error { return w.SetSlow(a, f.SlowFactor) })
	case FaultSlowOff:
		return each(func(a wire.Addr) error { return w.SetSlow(a, 1) })
	}
	return fmt.Errorf("unknown fault kind %q", f.Kind)
}

// healGroup heals the per-node partitions an isolate of several nodes
// created under name; it returns how many it healed.
func (w *World) healGroup(name string) int {
	healed := 0
	for _, p := range w.network.Partitions() {
		if strings.HasPrefix(p, name+"/") {
			if w.network.Heal(p) == nil {
				healed++
			}
		}
	}
	return healed
}
