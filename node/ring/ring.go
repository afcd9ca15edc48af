package ring

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/cespare/xxhash/v2"

	"dynasim/wire"
)

// Ring maps key hashes to members. It is immutable and safe to share.
type Ring struct {
	cfg     Config      // with defaults; Placement.PerDC sorted by name
	members []Member    // sorted by ID, Weight defaulted to 1
	ids     []wire.Addr // per member index: its ID (what lookups return)
	vnodes  []int       // per member index

	tokens []uint64 // sorted ascending
	owners []uint16 // member index of each token

	// Placement compiled against the members. A "slot" is one datacenter
	// of Placement.PerDC, or a single slot holding every member without it.
	slot      []int8   // per member: its slot, -1 when its datacenter holds no replicas
	rack      []uint16 // per member: a dense rack id, unique per (DC, Rack) pair
	slots     int
	need      [MaxDatacenters]int // per slot: replicas wanted, capped at the slot's members
	slotRacks [MaxDatacenters]int // per slot: distinct racks among its members
	primaries int                 // sum of need: the preference list length
}

// New builds a ring over members. Member order does not matter.
func New(cfg Config, members []Member) (*Ring, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	cfg.Placement = cfg.Placement.sorted()
	if len(members) == 0 {
		return nil, fmt.Errorf("ring: no members")
	}
	if len(members) > MaxMembers {
		return nil, fmt.Errorf("ring: %d members exceeds the limit of %d", len(members), MaxMembers)
	}
	r := &Ring{cfg: cfg, members: slices.Clone(members)}
	slices.SortFunc(r.members, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
	total := 0
	for i := range r.members {
		m := &r.members[i]
		if m.ID < 0 {
			return nil, fmt.Errorf("ring: member ID %d is negative", m.ID)
		}
		if i > 0 && r.members[i-1].ID == m.ID {
			return nil, fmt.Errorf("ring: member %d listed twice", m.ID)
		}
		if err := checkName("datacenter", m.DC); err != nil {
			return nil, err
		}
		if err := checkName("rack", m.Rack); err != nil {
			return nil, err
		}
		v, err := vnodesFor(cfg.VNodes, *m)
		if err != nil {
			return nil, err
		}
		if m.Weight == 0 {
			m.Weight = 1
		}
		r.vnodes = append(r.vnodes, v)
		r.ids = append(r.ids, m.ID)
		total += v
	}
	if total > MaxTokens {
		return nil, fmt.Errorf("ring: %d tokens exceeds the limit of %d", total, MaxTokens)
	}
	r.placeTokens(total)
	r.compilePlacement()
	return r, nil
}

// token is the position of member id's j-th virtual node.
func token(seed uint64, id wire.Addr, j int) uint64 {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:], seed)
	binary.LittleEndian.PutUint32(b[8:], uint32(id))
	binary.LittleEndian.PutUint32(b[12:], uint32(j))
	return xxhash.Sum64(b[:])
}

func (r *Ring) placeTokens(total int) {
	type tok struct {
		pos   uint64
		owner uint16
	}
	all := make([]tok, 0, total)
	for i, m := range r.members {
		for j := range r.vnodes[i] {
			all = append(all, tok{token(r.cfg.Seed, m.ID, j), uint16(i)})
		}
	}
	// Ties (astronomically rare) break by member ID so order is total.
	slices.SortFunc(all, func(a, b tok) int {
		if c := cmp.Compare(a.pos, b.pos); c != 0 {
			return c
		}
		return cmp.Compare(a.owner, b.owner)
	})
	r.tokens = make([]uint64, total)
	r.owners = make([]uint16, total)
	for i, t := range all {
		r.tokens[i], r.owners[i] = t.pos, t.owner
	}
}

func (r *Ring) compilePlacement() {
	p := r.cfg.Placement
	r.slot = make([]int8, len(r.members))
	r.rack = make([]uint16, len(r.members))
	rackIDs := make(map[string]uint16, len(r.members))
	nextRack := uint16(0)
	var members [MaxDatacenters]int
	if len(p.PerDC) == 0 {
		r.slots = 1
		r.need[0] = p.N
	} else {
		r.slots = len(p.PerDC)
		for i, d := range p.PerDC {
			r.need[i] = d.N
		}
	}
	for i, m := range r.members {
		r.slot[i] = -1
		if len(p.PerDC) == 0 {
			r.slot[i] = 0
		} else if s, ok := slices.BinarySearchFunc(p.PerDC, m.DC, func(d DCReplicas, dc string) int {
			return cmp.Compare(d.DC, dc)
		}); ok {
			r.slot[i] = int8(s)
		}
		// Rack ids are assigned in member-ID order, so map order never
		// matters. A named rack belongs to one datacenter, hence one slot.
		newRack := true
		if m.Rack == "" {
			r.rack[i] = nextRack
			nextRack++
		} else if id, ok := rackIDs[m.DC+"\x00"+m.Rack]; ok {
			r.rack[i] = id
			newRack = false
		} else {
			r.rack[i] = nextRack
			rackIDs[m.DC+"\x00"+m.Rack] = nextRack
			nextRack++
		}
		if s := r.slot[i]; s >= 0 {
			members[s]++
			if newRack {
				r.slotRacks[s]++
			}
		}
	}
	for s := range r.slots {
		r.need[s] = min(r.need[s], members[s])
		r.primaries += r.need[s]
	}
}

// HashKey is a key's position on the ring (xxHash64 of the key bytes).
func HashKey(key []byte) uint64 { return xxhash.Sum64(key) }

// HashString is HashKey for a string key, without converting it.
func HashString(key string) uint64 { return xxhash.Sum64String(key) }

// Config returns the ring's configuration with defaults applied.
func (r *Ring) Config() Config {
	c := r.cfg
	c.Placement.PerDC = slices.Clone(c.Placement.PerDC)
	return c
}

// Members returns the members sorted by ID, with weights defaulted.
func (r *Ring) Members() []Member { return slices.Clone(r.members) }

// Len is the number of members.
func (r *Ring) Len() int { return len(r.members) }

// Tokens is the number of tokens (virtual nodes) on the ring.
func (r *Ring) Tokens() int { return len(r.tokens) }

// Member returns the member with the given ID.
func (r *Ring) Member(id wire.Addr) (Member, bool) {
	i, ok := r.index(id)
	if !ok {
		return Member{}, false
	}
	return r.members[i], true
}

// VNodes is the number of virtual nodes member id owns (0 if absent).
func (r *Ring) VNodes(id wire.Addr) int {
	i, ok := r.index(id)
	if !ok {
		return 0
	}
	return r.vnodes[i]
}

func (r *Ring) index(id wire.Addr) (int, bool) {
	return slices.BinarySearchFunc(r.members, id, func(m Member, id wire.Addr) int { return cmp.Compare(m.ID, id) })
}

// Replicas is the preference-list length this ring produces: the
// placement's count, less any replicas a datacenter lacks members for.
func (r *Ring) Replicas() int { return r.primaries }

// Add returns a new ring with m added (same configuration).
func (r *Ring) Add(m Member) (*Ring, error) {
	if _, ok := r.index(m.ID); ok {
		return nil, fmt.Errorf("ring: member %d is already on the ring", m.ID)
	}
	return New(r.cfg, append(r.Members(), m))
}

// Remove returns a new ring without member id.
func (r *Ring) Remove(id wire.Addr) (*Ring, error) {
	i, ok := r.index(id)
	if !ok {
		return nil, fmt.Errorf("ring: member %d is not on the ring", id)
	}
	return New(r.cfg, slices.Delete(r.Members(), i, i+1))
}

// WithPlacement returns a ring with the same members and tokens and a
// different replication rule.
func (r *Ring) WithPlacement(p Placement) (*Ring, error) {
	cfg := r.cfg
	cfg.Placement = p
	return New(cfg, r.members)
}
