package cluster

import (
	"fmt"
	"math"

	"dynasim/disk"
	"dynasim/node"
	"dynasim/node/ring"
	"dynasim/sim"
	"dynasim/sim/network"
	"dynasim/wire"
)

// Member describes one Dynamo node of the cluster.
type Member struct {
	// Name is unique among the world's endpoints ("n1", "dc1-a", ...).
	Name string
	// DC and Rack place the node for the ring (replica placement) and the
	// network model (datacenter latencies and partitions).
	DC, Rack string
	// Weight scales the node's virtual nodes (a node with twice the
	// capacity gets weight 2). 0 means 1. Mutually exclusive with VNodes.
	Weight float64
	// VNodes, when set, gives the node exactly this many virtual nodes
	// instead of Weight × Node.Ring.VNodes.
	VNodes int
	// Clock is the node's clock error (offset, drift).
	Clock sim.ClockConfig
	// Disk is the node's simulated disk. nil means an unlimited in-memory
	// disk without faults whose crashes lose unsynced writes.
	Disk *sim.DiskConfig
	// Spare makes the node an endpoint that is not in the first ring
	// version and not started: it joins later (Cluster.Join, join.go).
	Spare bool
}

// Config describes a simulated cluster.
type Config struct {
	// World is the simulated world: seed, network model, event cost.
	World sim.Config
	// Members are the nodes. Their position is their node index in the
	// history; their wire addresses are whatever the world gives their
	// endpoints (the cluster's address book maps between them).
	Members []Member
	// MemberIDs, when set, gives member i the ring ID MemberIDs[i] (the
	// identity its tokens are hashed from); IDs must be distinct and
	// non-negative. Default: member i has ID i.
	MemberIDs []wire.Addr
	// Node is the configuration every node runs with. Leave Node.Members
	// empty: the harness fills it from Members.
	Node node.Config
	// ClientDC is the datacenter the simulated clients (and the final
	// reader) sit in, for the network model. Default: the first member's.
	ClientDC string
	// ClientGroups, when set, places the workload's clients per
	// datacenter instead: the first group's Count clients (client0, ...)
	// in its DC, then the next group's, and so on. The counts must add up
	// to the workload's Clients; the final reader stays in ClientDC.
	ClientGroups []ClientGroup
	// Links override the network model of the links between named
	// members (and clients), as network.Config.Links does by address: the
	// harness resolves the names through its address book once the
	// endpoints exist. Leave World.Network.Links empty.
	Links []Link
	// WireCheck makes every message a node sends travel as its decoded
	// wire frame (wire.Decode of AppendFrame) instead of the sender's
	// object, so a run proves the codec round-trips every message it
	// carries and that no receiver depends on the sender's memory. A frame
	// that fails to decode is reported by Err. Costs CPU; default off.
	WireCheck bool
}

// ClientGroup is a number of clients in one datacenter.
type ClientGroup struct {
	DC    string
	Count int
}

// Link is a link override between two named endpoints.
type Link struct {
	From, To string
	BothWays bool
	Link     network.LinkConfig
}

// DefaultDisk is the disk a member without one gets.
func DefaultDisk() sim.DiskConfig {
	return sim.DiskConfig{Mem: disk.DefaultMemFSConfig(), CrashMode: disk.CrashLoseUnsynced}
}

// ringMembers turns the members into ring members with their IDs (member
// i: MemberIDs[i], or i); the caller fills in their addresses.
func (c *Config) ringMembers() ([]ring.Member, error) {
	if len(c.Members) == 0 {
		return nil, fmt.Errorf("cluster: no members")
	}
	if len(c.Node.Members) != 0 {
		return nil, fmt.Errorf("cluster: leave Node.Members empty; the harness builds it from Members")
	}
	if len(c.MemberIDs) != 0 && len(c.MemberIDs) != len(c.Members) {
		return nil, fmt.Errorf("cluster: %d MemberIDs for %d members", len(c.MemberIDs), len(c.Members))
	}
	perWeight := c.Node.Ring.WithDefaults().VNodes
	seen := map[string]bool{}
	out := make([]ring.Member, len(c.Members))
	for i, m := range c.Members {
		if m.Name == "" {
			return nil, fmt.Errorf("cluster: member %d has no name", i)
		}
		if seen[m.Name] {
			return nil, fmt.Errorf("cluster: member name %q used twice", m.Name)
		}
		seen[m.Name] = true
		w := m.Weight
		if m.VNodes != 0 {
			if m.Weight != 0 {
				return nil, fmt.Errorf("cluster: member %q sets both Weight and VNodes", m.Name)
			}
			if m.VNodes < 0 || m.VNodes > ring.MaxVNodes {
				return nil, fmt.Errorf("cluster: member %q VNodes %d outside [1, %d]", m.Name, m.VNodes, ring.MaxVNodes)
			}
			w = float64(m.VNodes) / float64(perWeight)
			if w > ring.MaxWeight || math.Round(w*float64(perWeight)) != float64(m.VNodes) {
				return nil, fmt.Errorf("cluster: member %q VNodes %d cannot be expressed with %d virtual nodes per weight", m.Name, m.VNodes, perWeight)
			}
		}
		if err := m.Clock.Validate(); err != nil {
			return nil, fmt.Errorf("cluster: member %q: %w", m.Name, err)
		}
		id := wire.Addr(i)
		if len(c.MemberIDs) != 0 {
			id = c.MemberIDs[i]
		}
		out[i] = ring.Member{ID: id, DC: m.DC, Rack: m.Rack, Weight: w}
	}
	return out, nil
}
