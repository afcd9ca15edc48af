package scenarios

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Action is what a scheduled fault does.
type Action string

// Fault actions. The names are sim.FaultKind's, so the runner maps them
// one to one.
const (
	ActPartition       Action = "partition"         // cut sides[0] <-> sides[1]
	ActPartitionOneWay Action = "partition_one_way" // cut sides[0] -> sides[1] only
	ActPartitionDC     Action = "partition_dc"      // cut datacenters[0] <-> [1] (one_way: -> only)
	ActIsolate         Action = "isolate"           // cut each listed node from every other node
	ActHeal            Action = "heal"              // heal the partition called name
	ActHealAll         Action = "heal_all"          // heal every partition
	ActCrash           Action = "crash"             // crash nodes (disk per mode)
	ActRestart         Action = "restart"           // restart crashed nodes
	ActWipe            Action = "wipe"              // replace nodes' disks with empty ones and (re)start them
	ActCorruptTable    Action = "corrupt_table"     // flip bits in a storage table on each node's disk, for good
	ActPause           Action = "pause"             // freeze nodes (events queue up)
	ActResume          Action = "resume"            // unfreeze paused nodes
	ActClockJump       Action = "clock_jump"        // step nodes' clocks by `by`
	ActDiskFaultsOn    Action = "disk_faults_on"    // switch disk fault kinds on
	ActDiskFaultsOff   Action = "disk_faults_off"   // switch disk fault kinds off
	ActSlow            Action = "slow"              // multiply nodes' processing time by factor
	ActSlowOff         Action = "slow_off"          // back to normal speed
	ActJoin            Action = "join"              // a new node (nodes: [name], dc, rack, weight) joins the ring
	ActDecommission    Action = "decommission"      // a member streams its ranges away and leaves
)

// actionRule says which fields an action takes, which it needs, and what
// undoes it when the fault has a `for:` window ("" if it takes no window).
type actionRule struct {
	uses, needs []string
	reverse     Action
}

var actionRules = map[Action]actionRule{
	ActPartition:       {[]string{"name", "sides"}, []string{"sides"}, ActHeal},
	ActPartitionOneWay: {[]string{"name", "sides"}, []string{"sides"}, ActHeal},
	ActPartitionDC:     {[]string{"name", "datacenters", "one_way"}, []string{"datacenters"}, ActHeal},
	ActIsolate:         {[]string{"name", "nodes"}, []string{"nodes"}, ActHeal},
	ActHeal:            {[]string{"name"}, []string{"name"}, ""},
	ActHealAll:         {nil, nil, ""},
	ActCrash:           {[]string{"nodes", "mode"}, []string{"nodes"}, ActRestart},
	ActRestart:         {[]string{"nodes"}, []string{"nodes"}, ""},
	ActWipe:            {[]string{"nodes"}, []string{"nodes"}, ""},
	ActCorruptTable:    {[]string{"nodes"}, []string{"nodes"}, ""},
	ActPause:           {[]string{"nodes"}, []string{"nodes"}, ActResume},
	ActResume:          {[]string{"nodes"}, []string{"nodes"}, ""},
	ActClockJump:       {[]string{"nodes", "by"}, []string{"nodes", "by"}, ActClockJump},
	ActDiskFaultsOn:    {[]string{"nodes", "kinds"}, []string{"nodes"}, ActDiskFaultsOff},
	ActDiskFaultsOff:   {[]string{"nodes", "kinds"}, []string{"nodes"}, ActDiskFaultsOn},
	ActSlow:            {[]string{"nodes", "factor"}, []string{"nodes", "factor"}, ActSlowOff},
	ActSlowOff:         {[]string{"nodes"}, []string{"nodes"}, ""},
	ActJoin:            {[]string{"nodes", "dc", "rack", "weight"}, []string{"nodes"}, ""},
	ActDecommission:    {[]string{"nodes"}, []string{"nodes"}, ""},
}

var actionOrder = []Action{ActPartition, ActPartitionOneWay, ActPartitionDC, ActIsolate, ActHeal, ActHealAll, ActCrash, ActRestart,
	ActWipe, ActCorruptTable, ActPause, ActResume, ActClockJump, ActDiskFaultsOn, ActDiskFaultsOff, ActSlow, ActSlowOff, ActJoin, ActDecommission}

func (Action) enumValues() []string {
	out := make([]string, len(actionOrder))
	for i, a := range actionOrder {
		out[i] = string(a)
	}
	return out
}

// isPartition reports whether the action creates a named partition.
func (a Action) isPartition() bool {
	return a == ActPartition || a == ActPartitionOneWay || a == ActPartitionDC || a == ActIsolate
}

// Step is one thing the runner does to the world at one virtual time: a
// fault of the schedule, or the reverse action that ends a fault's `for:`
// window.
type Step struct {
	At time.Duration
	// Fault is the index in Resolved.Faults of the fault the step comes from.
	Fault int
	// Reverse marks the end of that fault's window.
	Reverse bool
	// Do is what to do; for a reverse step it is the undoing action (a heal
	// of the partition's name, a restart of the crashed nodes, a clock jump
	// by the opposite amount, ...).
	Do Fault
}

// reverseOf is the action that undoes f at the end of its window.
func reverseOf(f Fault) Fault {
	r := Fault{At: f.At + f.For, Action: actionRules[f.Action].reverse, Nodes: f.Nodes}
	switch f.Action {
	case ActPartition, ActPartitionOneWay, ActPartitionDC, ActIsolate:
		r.Name, r.Nodes = f.Name, nil
	case ActClockJump:
		r.By = -f.By
	case ActDiskFaultsOn, ActDiskFaultsOff:
		r.Kinds = f.Kinds
	}
	return r
}

// Steps lists the schedule in the order the runner must apply it: by time;
// at equal times, reverse steps (ends of windows) before new faults, so a
// window ending at t and a fault starting at t on the same node compose; then
// by position in the file.
func (r *Resolved) Steps() []Step {
	var out []Step
	for i, f := range r.Faults {
		out = append(out, Step{At: f.At.D(), Fault: i, Do: f})
		if f.For > 0 {
			out = append(out, Step{At: (f.At + f.For).D(), Fault: i, Reverse: true, Do: reverseOf(f)})
		}
	}
	slices.SortStableFunc(out, func(a, b Step) int {
		return cmp.Or(cmp.Compare(a.At, b.At), -cmpBool(a.Reverse, b.Reverse), cmp.Compare(a.Fault, b.Fault))
	})
	return out
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// FaultWindow is a stretch of virtual time during which a fault is active,
// for availability reporting.
type FaultWindow struct {
	Label      string // e.g. "partition {n1,n2} | {n3,n4,n5}"
	Start, End time.Duration
	Fault      int // index in Resolved.Faults
}

// FaultWindows lists the windows of the faults that disrupt service:
// partitions, crashes, pauses, slow nodes, disk faults switched on, and
// clock jumps with a `for:` window (joins and decommissions are not faults). A window ends when its `for:` runs out,
// or at the first later step that undoes all of it (a heal of its partition
// or heal_all, restarts of all its crashed nodes, ...), or else at end (the
// end of the workload, which the runner knows). Windows are in start order.
func (r *Resolved) FaultWindows(end time.Duration) []FaultWindow {
	steps := r.Steps()
	var out []FaultWindow
	for si, s := range steps {
		f := s.Do
		if s.Reverse || !opensWindow(f) {
			continue
		}
		w := FaultWindow{Label: label(f), Start: s.At, End: end, Fault: s.Fault}
		if f.For > 0 {
			w.End = min(end, (f.At + f.For).D())
		} else if t, ok := closedAt(f, steps[si+1:]); ok {
			w.End = min(end, t)
		}
		if w.Start < w.End {
			out = append(out, w)
		}
	}
	return out
}

func opensWindow(f Fault) bool {
	switch f.Action {
	case ActHeal, ActHealAll, ActRestart, ActResume, ActSlowOff, ActDiskFaultsOff, ActWipe, ActCorruptTable:
		return false
	case ActJoin, ActDecommission:
		// Membership changes, not faults: the cluster serves throughout
		// (the report's ring-change table says how long each took), and
		// a window open to the end of the workload would leave no
		// stretch "after the faults" to measure.
		return false
	case ActClockJump:
		return f.For > 0
	}
	return true
}

// closedAt finds when a later step undoes all of f.
func closedAt(f Fault, later []Step) (time.Duration, bool) {
	left := map[string]bool{}
	for _, n := range f.Nodes {
		left[n] = true
	}
	for _, s := range later {
		g := s.Do
		if f.Action.isPartition() {
			if g.Action == ActHealAll || g.Action == ActHeal && g.Name == f.Name {
				return s.At, true
			}
			continue
		}
		if g.Action != actionRules[f.Action].reverse {
			continue
		}
		for _, n := range g.Nodes {
			delete(left, n)
		}
		if len(left) == 0 {
			return s.At, true
		}
	}
	return 0, false
}

func label(f Fault) string {
	nodes := strings.Join(f.Nodes, ",")
	switch f.Action {
	case ActPartition, ActPartitionOneWay:
		sep := " | "
		if f.Action == ActPartitionOneWay {
			sep = " -> "
		}
		return fmt.Sprintf("partition {%s}%s{%s}", strings.Join(f.Sides[0], ","), sep, strings.Join(f.Sides[1], ","))
	case ActPartitionDC:
		sep := " | "
		if f.OneWay {
			sep = " -> "
		}
		return "partition_dc " + strings.Join(f.Datacenters, sep)
	case ActSlow:
		return fmt.Sprintf("slow %s x%g", nodes, f.Factor)
	case ActClockJump:
		by := f.By.String()
		if f.By > 0 {
			by = "+" + by
		}
		return fmt.Sprintf("clock_jump %s %s", nodes, by)
	case ActDiskFaultsOn:
		kinds := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			kinds[i] = string(k)
		}
		return fmt.Sprintf("disk_faults %s (%s)", nodes, strings.Join(kinds, ","))
	}
	return string(f.Action) + " " + nodes
}

// checkSchedule plays a concrete schedule through a model of node and
// partition state and reports steps that cannot apply: crashing a node that
// is down, restarting one that is up, resuming one not paused, reusing the
// name of an active partition, healing a partition that is not active.
// report gets the fault's index, whether the step is a window's end, and
// the message.
func checkSchedule(r *Resolved, report func(fault int, reverse bool, msg string)) {
	down, paused := map[string]string{}, map[string]string{}
	active := map[string]string{} // partition name -> who made it
	where := func(s Step) string {
		if s.Reverse {
			return fmt.Sprintf("the end of faults[%d]'s window at %v", s.Fault, s.At)
		}
		return fmt.Sprintf("faults[%d] at %v", s.Fault, s.At)
	}
	for _, s := range r.Steps() {
		f := s.Do
		bad := func(format string, args ...any) { report(s.Fault, s.Reverse, fmt.Sprintf(format, args...)) }
		switch f.Action {
		case ActPartition, ActPartitionOneWay, ActPartitionDC, ActIsolate:
			if by, ok := active[f.Name]; ok {
				bad("partition %q is still active (made by %s); give this one another name", f.Name, by)
				continue
			}
			active[f.Name] = where(s)
		case ActHeal:
			if _, ok := active[f.Name]; !ok {
				bad("no partition %q is active at %v", f.Name, s.At)
			}
			delete(active, f.Name)
		case ActHealAll:
			clear(active)
		case ActCrash:
			for _, n := range f.Nodes {
				if by, ok := down[n]; ok {
					bad("%s is already down (crashed by %s)", n, by)
				}
				down[n] = where(s)
				delete(paused, n)
			}
		case ActRestart:
			for _, n := range f.Nodes {
				if _, ok := down[n]; !ok {
					bad("%s is not down at %v, so it cannot restart", n, s.At)
				}
				delete(down, n)
			}
		case ActWipe:
			// Up or down, the node comes back on an empty disk.
			for _, n := range f.Nodes {
				delete(down, n)
				delete(paused, n)
			}
		case ActPause:
			for _, n := range f.Nodes {
				if by, ok := down[n]; ok {
					bad("%s is down (crashed by %s), so it cannot pause", n, by)
					continue
				}
				if by, ok := paused[n]; ok {
					bad("%s is already paused (by %s)", n, by)
				}
				paused[n] = where(s)
			}
		case ActResume:
			for _, n := range f.Nodes {
				if _, ok := paused[n]; !ok {
					bad("%s is not paused at %v, so it cannot resume", n, s.At)
				}
				delete(paused, n)
			}
		}
	}
}
