package cluster

import (
	"fmt"
	"slices"
	"time"

	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/wire"
)

// Repair is how a node whose disk was wiped (or a storage table corrupted)
// got its data back (the repair probe, RunConfig.RepairProbe): just before
// the fault the harness records
// every key the node held and its set; from then on, every probe interval,
// it reads those keys from the node again, and the node is repaired once
// each key's set covers what it held — the set held now, merged with the
// one from before the wipe, is the set held now: every version it lost is
// back or superseded by a newer one.
type Repair struct {
	Node string
	// Kind is the fault (wipe or corrupt_table).
	Kind sim.FaultKind
	// WipedAt is the virtual time of the wipe.
	WipedAt sim.Time
	// Keys is how many keys the node held when it was wiped.
	Keys int
	// Repaired reports that every one of them was covered again, After
	// the wipe (to within the probe interval); Missing is how many were
	// still not when the run ended otherwise.
	Repaired bool
	After    time.Duration
	Missing  int
}

// lostKey is one key a wiped node held, and its set.
type lostKey struct {
	key []byte
	set wire.SiblingSet
}

// scheduleRepairProbes arranges a repair probe for every wipe in faults:
// a snapshot of the node's keys just before the wipe, and probes every
// interval after it until the node holds them all again. The probes read
// the node's store as a harness, which may warm its caches, so they run
// only when asked for (and then fold into the fingerprint as actions).
func (c *Cluster) scheduleRepairProbes(faults []sim.Fault, keys func() []string, interval time.Duration) (*[]*Repair, error) {
	out := &[]*Repair{}
	for _, f := range faults {
		if f.Kind != sim.FaultWipe && f.Kind != sim.FaultCorruptTable {
			continue
		}
		for _, name := range f.Nodes {
			i := slices.IndexFunc(c.nodes, func(s *slot) bool { return s.member.Name == name })
			if i < 0 {
				return nil, fmt.Errorf("cluster: repair probe: no node %q", name)
			}
			at, kind := sim.At(f.At), f.Kind
			c.world.At(at-1, "repair snapshot "+name, func() {
				lost, err := c.heldKeys(i, keys())
				if err != nil {
					c.setErr(err)
					return
				}
				r := &Repair{Node: name, Kind: kind, WipedAt: at, Keys: len(lost), Missing: len(lost)}
				*out = append(*out, r)
				c.probeRepair(i, r, lost, interval)
			})
		}
	}
	return out, nil
}

// heldKeys reads every key of keys node i holds (a running node's store; a
// down node's disk is read from a copy).
func (c *Cluster) heldKeys(i int, keys []string) ([]lostKey, error) {
	read, closeFn, err := c.stateReader(i)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	var out []lostKey
	for _, k := range keys {
		set, err := read([]byte(k))
		if err != nil {
			return nil, fmt.Errorf("cluster: repair snapshot of %q on %s: %w", k, c.nodes[i].member.Name, err)
		}
		if len(set.Siblings) > 0 || len(set.Context) > 0 {
			out = append(out, lostKey{key: []byte(k), set: set})
		}
	}
	return out, nil
}

// probeRepair checks, every interval after the wipe, which of lost node i
// holds again, dropping those it covers, until none is left.
func (c *Cluster) probeRepair(i int, r *Repair, lost []lostKey, interval time.Duration) {
	v, err := versions.New(c.cfg.Node.Versions)
	if err != nil {
		c.setErr(err)
		return
	}
	all := slices.Clone(lost)
	// A corrupt table is repaired only once the node has found it (and
	// quarantined it): until then it may serve the keys from its caches.
	found := r.Kind != sim.FaultCorruptTable
	start, base := c.nodes[i].cur, uint64(0)
	if start != nil {
		base = start.Stats().Engine.TablesQuarantined
	}
	var probe func()
	probe = func() {
		s := c.nodes[i]
		if s.ep.Up() && s.cur != nil {
			// A pass that makes the node lose data (its reads meet a
			// corrupt table, which it quarantines) starts over: keys it
			// passed may have been served from what it no longer holds.
			quarantined := s.cur.Stats().Engine.TablesQuarantined
			kept := lost[:0]
			for _, l := range lost {
				cur, err := s.cur.ReadLocal(l.key)
				if err != nil {
					kept = append(kept, l)
					continue
				}
				merged, err := v.Merge(cur, l.set)
				if err != nil || !versions.EqualSets(merged, cur) {
					kept = append(kept, l)
				}
			}
			lost = kept
			if q := s.cur.Stats().Engine.TablesQuarantined; q != quarantined {
				lost = slices.Clone(all)
			} else if (s.cur == start && q > base) || (s.cur != start && q > 0) {
				found = true
			}
			r.Missing = len(lost)
		}
		if len(lost) == 0 && found {
			r.Repaired, r.After = true, time.Duration(c.world.Now()-r.WipedAt)
			return
		}
		c.world.At(c.world.Now()+sim.Time(interval), "repair probe "+r.Node, probe)
	}
	c.world.At(r.WipedAt+sim.Time(interval), "repair probe "+r.Node, probe)
}

// setErr records an internal error of the harness (Err reports the first).
func (c *Cluster) setErr(err error) { c.noteWireErr(err) }

func derefRepairs(rs []*Repair) []Repair {
	out := make([]Repair, len(rs))
	for i, r := range rs {
		out[i] = *r
	}
	return out
}
