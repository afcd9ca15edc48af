package network

import (
	"fmt"
	"slices"

	"dynasim/wire"
)

// A partition cuts links until healed. Partitions may overlap: each link
// keeps a count of the active partitions that cut it, and is connected only
// at zero, so healing one of two overlapping partitions leaves their common
// links cut.
//
// Endpoints are never removed, so a partition's cut set can always be
// recomputed from its definition and the current endpoints; Heal undoes
// exactly what the partition and later AddEndpoint calls applied.
type partition struct {
	name   string
	kind   partitionKind
	a, b   []wire.Addr // partitionSets: the sides, sorted and distinct
	dcA    int32       // partitionDCs
	dcB    int32
	victim wire.Addr // partitionIsolate
	oneWay bool
}

type partitionKind uint8

const (
	partitionSets    partitionKind = iota // fixed sets of endpoints
	partitionDCs                          // every endpoint of two datacenters, now and later
	partitionIsolate                      // one endpoint vs every other, now and later
)

// Partition cuts every link from sideA to sideB and, unless oneWay, from
// sideB to sideA. Both sides must be non-empty, disjoint sets of added
// endpoints (duplicates within a side are ignored). Endpoints added later are
// not affected. name must be unique among the active partitions.
func (n *Network) Partition(name string, sideA, sideB []wire.Addr, oneWay bool) error {
	if err := n.checkNew(name); err != nil {
		return err
	}
	a, err := n.side(name, "A", sideA)
	if err != nil {
		return err
	}
	b, err := n.side(name, "B", sideB)
	if err != nil {
		return err
	}
	for _, x := range a {
		if _, both := slices.BinarySearch(b, x); both {
			return fmt.Errorf("network: partition %q: endpoint %d is on both sides", name, x)
		}
	}
	n.add(&partition{name: name, kind: partitionSets, a: a, b: b, oneWay: oneWay})
	return nil
}

// PartitionDC cuts every link from an endpoint of datacenter dcA to one of
// dcB and, unless oneWay, back. It covers endpoints added to either
// datacenter later, too. Each datacenter must already have an endpoint (a
// name with none is most likely a typo).
func (n *Network) PartitionDC(name, dcA, dcB string, oneWay bool) error {
	if err := n.checkNew(name); err != nil {
		return err
	}
	if dcA == dcB {
		return fmt.Errorf("network: partition %q: cannot partition datacenter %q from itself", name, dcA)
	}
	var ids [2]int32
	for i, dc := range []string{dcA, dcB} {
		id, ok := n.dcIDs[dc]
		if !ok || len(n.dcMembers[id]) == 0 {
			return fmt.Errorf("network: partition %q: datacenter %q has no endpoints", name, dc)
		}
		ids[i] = id
	}
	n.add(&partition{name: name, kind: partitionDCs, dcA: ids[0], dcB: ids[1], oneWay: oneWay})
	return nil
}

// Isolate cuts every link to and from endpoint a, including links to
// endpoints added later.
func (n *Network) Isolate(name string, a wire.Addr) error {
	if err := n.checkNew(name); err != nil {
		return err
	}
	if !n.added(a) {
		return fmt.Errorf("network: partition %q: endpoint %d has not been added", name, a)
	}
	n.add(&partition{name: name, kind: partitionIsolate, victim: a})
	return nil
}

// Heal ends the named partition.
func (n *Network) Heal(name string) error {
	i := slices.IndexFunc(n.partitions, func(p *partition) bool { return p.name == name })
	if i < 0 {
		return fmt.Errorf("network: heal: no active partition %q (active: %q)", name, n.Partitions())
	}
	n.apply(n.partitions[i], -1)
	n.partitions = slices.Delete(n.partitions, i, i+1)
	return nil
}

// HealAll ends every partition.
func (n *Network) HealAll() {
	for _, p := range n.partitions {
		n.apply(p, -1)
	}
	n.partitions = nil
}

// Partitions returns the names of the active partitions, oldest first.
func (n *Network) Partitions() []string {
	names := make([]string, len(n.partitions))
	for i, p := range n.partitions {
		names[i] = p.name
	}
	return names
}

func (n *Network) checkNew(name string) error {
	if name == "" {
		return fmt.Errorf("network: a partition needs a name")
	}
	for _, p := range n.partitions {
		if p.name == name {
			return fmt.Errorf("network: partition %q is already active", name)
		}
	}
	if len(n.partitions) >= n.cfg.MaxPartitions {
		return fmt.Errorf("network: partition %q: %d partitions are active, the limit (max_partitions) is %d",
			name, len(n.partitions), n.cfg.MaxPartitions)
	}
	return nil
}

// side copies, sorts and deduplicates one side of a partition.
func (n *Network) side(name, which string, addrs []wire.Addr) ([]wire.Addr, error) {
	if len(addrs) == 0 {
		return nil, fmt.Errorf("network: partition %q: side %s is empty", name, which)
	}
	for _, a := range addrs {
		if !n.added(a) {
			return nil, fmt.Errorf("network: partition %q: side %s: endpoint %d has not been added", name, which, a)
		}
	}
	s := slices.Clone(addrs)
	slices.Sort(s)
	return slices.Compact(s), nil
}

func (n *Network) add(p *partition) {
	n.partitions = append(n.partitions, p)
	n.apply(p, +1)
}

// apply adds delta to the cut count of every link p cuts.
func (n *Network) apply(p *partition, delta int) {
	var a, b []wire.Addr
	oneWay := p.oneWay
	switch p.kind {
	case partitionSets:
		a, b = p.a, p.b
	case partitionDCs:
		a, b = n.dcMembers[p.dcA], n.dcMembers[p.dcB]
	case partitionIsolate:
		a = []wire.Addr{p.victim}
		b = make([]wire.Addr, 0, len(n.endpoints))
		for _, x := range n.endpoints {
			if x != p.victim {
				b = append(b, x)
			}
		}
		oneWay = false
	}
	for _, x := range a {
		for _, y := range b {
			n.cut(x, y, delta)
			if !oneWay {
				n.cut(y, x, delta)
			}
		}
	}
}

// extend applies p to the links of x, an endpoint added while p is active.
func (n *Network) extend(p *partition, x wire.Addr) {
	switch p.kind {
	case partitionSets:
		// Fixed sets: a new endpoint is on neither side.
	case partitionDCs:
		if dc := n.dcOf[x]; dc == p.dcA {
			for _, y := range n.dcMembers[p.dcB] {
				n.cutPair(x, y, p.oneWay)
			}
		} else if dc == p.dcB {
			for _, y := range n.dcMembers[p.dcA] {
				n.cutPair(y, x, p.oneWay)
			}
		}
	case partitionIsolate:
		n.cutPair(p.victim, x, false)
	}
}

// cutPair cuts from->to and, unless oneWay, to->from.
func (n *Network) cutPair(from, to wire.Addr, oneWay bool) {
	n.cut(from, to, +1)
	if !oneWay {
		n.cut(to, from, +1)
	}
}

func (n *Network) cut(from, to wire.Addr, delta int) {
	i := int(from)*n.stride + int(to)
	n.cuts[i] = uint16(int(n.cuts[i]) + delta)
}
