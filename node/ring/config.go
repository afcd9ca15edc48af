package ring

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"dynasim/wire"
)

// Limits on a ring. They bound the stack bitsets of a lookup and the size of
// the token table.
const (
	// MaxMembers is the most physical members a ring may have.
	MaxMembers = 1024
	// MaxDatacenters is the most datacenters a placement may list.
	MaxDatacenters = 16
	// MaxReplicas is the most replicas a placement may ask for in total.
	MaxReplicas = 16
	// MaxVNodes is the most virtual nodes one member may have after weighting.
	MaxVNodes = 4096
	// MaxTokens is the most tokens a ring may have.
	MaxTokens = 1 << 20
	// MaxWeight is the largest member weight.
	MaxWeight = 64
	// MaxNameBytes is the longest datacenter or rack name.
	MaxNameBytes = 64
)

// Defaults.
const (
	// DefaultVNodes gives a spread (CV) of about 1/sqrt(256) = 6 %.
	DefaultVNodes = 256
	// DefaultN is the design's usual replica count.
	DefaultN = 3
)

// Config is how a ring places tokens and replicas.
type Config struct {
	// VNodes is the number of virtual nodes per unit of member weight.
	// Default DefaultVNodes.
	VNodes int
	// Seed varies token positions for the same member IDs (0 is a valid
	// seed). Every node of a cluster must use the same seed.
	Seed uint64
	// Placement says how many replicas each key gets, and where.
	Placement Placement
}

// Placement is the replication rule.
type Placement struct {
	// N is the number of replicas when PerDC is empty (members of every
	// datacenter are candidates). Default DefaultN. Ignored with PerDC.
	N int
	// PerDC gives each listed datacenter its own replica count; members of
	// datacenters not listed hold no replicas (they still appear in the
	// extended list). The total is the sum.
	PerDC []DCReplicas
}

// DCReplicas is one datacenter's replica count.
type DCReplicas struct {
	DC string
	N  int
}

// Member is one physical node of the ring.
type Member struct {
	// ID is the member's identity: its tokens are hashed from it, so a
	// member keeps its ranges whatever address it is reached at. A Ring
	// places and lists members by ID.
	ID wire.Addr
	// Addr is where the member is reached on the wire. A Ring ignores it;
	// a Membership (a ring version) lists replicas by it, and requires the
	// members' addresses to be distinct. It may differ from ID.
	Addr wire.Addr
	DC   string // datacenter; may be empty
	Rack string // rack within the datacenter; empty means a rack of its own
	// Weight scales the member's virtual nodes relative to others (a server
	// with twice the capacity gets Weight 2). 0 means 1.
	Weight float64
}

// WithDefaults returns c with zero fields replaced by defaults.
func (c Config) WithDefaults() Config {
	if c.VNodes == 0 {
		c.VNodes = DefaultVNodes
	}
	if c.Placement.N == 0 && len(c.Placement.PerDC) == 0 {
		c.Placement.N = DefaultN
	}
	return c
}

// Validate checks the configuration after defaults.
func (c Config) Validate() error {
	c = c.WithDefaults()
	if c.VNodes < 1 || c.VNodes > MaxVNodes {
		return fmt.Errorf("ring: VNodes %d outside [1, %d]", c.VNodes, MaxVNodes)
	}
	return c.Placement.validate()
}

func (p Placement) validate() error {
	if len(p.PerDC) == 0 {
		if p.N < 1 || p.N > MaxReplicas {
			return fmt.Errorf("ring: placement N %d outside [1, %d]", p.N, MaxReplicas)
		}
		return nil
	}
	if len(p.PerDC) > MaxDatacenters {
		return fmt.Errorf("ring: placement lists %d datacenters, the limit is %d", len(p.PerDC), MaxDatacenters)
	}
	total := 0
	seen := make(map[string]bool, len(p.PerDC))
	for _, d := range p.PerDC {
		if err := checkName("datacenter", d.DC); err != nil {
			return err
		}
		if d.DC == "" {
			return fmt.Errorf("ring: placement names an empty datacenter")
		}
		if seen[d.DC] {
			return fmt.Errorf("ring: placement lists datacenter %q twice", d.DC)
		}
		seen[d.DC] = true
		if d.N < 1 {
			return fmt.Errorf("ring: datacenter %q has %d replicas; omit it instead", d.DC, d.N)
		}
		total += d.N
	}
	if total > MaxReplicas {
		return fmt.Errorf("ring: placement asks for %d replicas in total, the limit is %d", total, MaxReplicas)
	}
	return nil
}

// Replicas is the total replica count the placement asks for.
func (p Placement) Replicas() int {
	if len(p.PerDC) == 0 {
		return p.N
	}
	n := 0
	for _, d := range p.PerDC {
		n += d.N
	}
	return n
}

// sorted returns a copy of the placement with PerDC sorted by name, so that
// equal placements behave identically whatever order they were written in.
func (p Placement) sorted() Placement {
	p.PerDC = slices.Clone(p.PerDC)
	slices.SortFunc(p.PerDC, func(a, b DCReplicas) int { return strings.Compare(a.DC, b.DC) })
	return p
}

func checkName(what, s string) error {
	if len(s) > MaxNameBytes {
		return fmt.Errorf("ring: %s name of %d bytes exceeds the limit of %d bytes", what, len(s), MaxNameBytes)
	}
	return nil
}

// vnodesFor is the number of virtual nodes a member gets.
func vnodesFor(perWeight int, m Member) (int, error) {
	w := m.Weight
	if w == 0 {
		w = 1
	}
	if math.IsNaN(w) || w < 0 || w > MaxWeight {
		return 0, fmt.Errorf("ring: member %d weight %v outside (0, %d]", m.ID, m.Weight, MaxWeight)
	}
	v := int(math.Round(float64(perWeight) * w))
	if v < 1 {
		v = 1
	}
	if v > MaxVNodes {
		return 0, fmt.Errorf("ring: member %d would have %d virtual nodes, the limit is %d", m.ID, v, MaxVNodes)
	}
	return v, nil
}
