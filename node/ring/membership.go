package ring

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/cespare/xxhash/v2"

	"dynasim/wire"
)

// Membership is one version of the ring: the members (ID, wire address,
// datacenter, rack, weight — hence tokens) and the ring configuration, with
// a version number. It is immutable and safe to share; a node holds the
// version it currently places keys with and swaps the pointer when it is
// given a newer one (node.Node.SetMembership).
//
// It is built to travel: NewMembership(m.Version(), m.Config(), m.Members())
// rebuilds an equal version anywhere, Digest is a stable hash of what the
// version says (so two nodes can compare versions cheaply, as a gossip
// digest will), Newer orders versions by number and Same tells an equal
// version from a conflicting one with the same number.
//
// Lookups through a Membership name members by address (where requests go);
// the underlying Ring names them by ID.
type Membership struct {
	version uint64
	digest  uint64
	ring    *Ring
	addrs   []wire.Addr // per ring member index (members sorted by ID)
	byAddr  []addrIndex // sorted by address
	// prev is the settled version a transition leaves (nil: settled) and
	// changer the member running it (transition.go); readsMoved marks a
	// transition's second step (reads on the new replicas).
	prev       *Membership
	changer    wire.Addr
	readsMoved bool
}

type addrIndex struct {
	addr wire.Addr
	idx  uint16
}

// NewMembership builds ring version version (at least 1) over members.
// Every member needs a distinct, non-negative address (Member.Addr) as
// well as a distinct ID.
func NewMembership(version uint64, cfg Config, members []Member) (*Membership, error) {
	if version == 0 {
		return nil, fmt.Errorf("ring: membership version 0 is reserved (no version); start at 1")
	}
	r, err := New(cfg, members)
	if err != nil {
		return nil, err
	}
	m := &Membership{version: version, ring: r,
		addrs: make([]wire.Addr, len(r.members)), byAddr: make([]addrIndex, len(r.members))}
	for i, mb := range r.members {
		if mb.Addr < 0 {
			return nil, fmt.Errorf("ring: member %d has negative address %d", mb.ID, mb.Addr)
		}
		m.addrs[i] = mb.Addr
		m.byAddr[i] = addrIndex{mb.Addr, uint16(i)}
	}
	slices.SortFunc(m.byAddr, func(a, b addrIndex) int { return cmp.Compare(a.addr, b.addr) })
	for i := 1; i < len(m.byAddr); i++ {
		if m.byAddr[i].addr == m.byAddr[i-1].addr {
			return nil, fmt.Errorf("ring: members %d and %d share address %d",
				r.members[m.byAddr[i-1].idx].ID, r.members[m.byAddr[i].idx].ID, m.byAddr[i].addr)
		}
	}
	m.digest = m.computeDigest()
	return m, nil
}

// Next builds the version after m over members with configuration cfg.
func (m *Membership) Next(cfg Config, members []Member) (*Membership, error) {
	return NewMembership(m.version+1, cfg, members)
}

// computeDigest hashes the configuration (defaults applied, placement
// sorted) and the members in ID order with their addresses.
func (m *Membership) computeDigest() uint64 {
	r := m.ring
	d := xxhash.New()
	var b [8]byte
	u64 := func(v uint64) {
		binary.LittleEndian.PutUint64(b[:], v)
		_, _ = d.Write(b[:])
	}
	str := func(s string) {
		u64(uint64(len(s)))
		_, _ = d.WriteString(s)
	}
	u64(uint64(r.cfg.VNodes))
	u64(r.cfg.Seed)
	u64(uint64(r.cfg.Placement.N))
	u64(uint64(len(r.cfg.Placement.PerDC)))
	for _, p := range r.cfg.Placement.PerDC {
		str(p.DC)
		u64(uint64(p.N))
	}
	u64(uint64(len(r.members)))
	for _, mb := range r.members {
		u64(uint64(uint32(mb.ID)))
		u64(uint64(uint32(mb.Addr)))
		str(mb.DC)
		str(mb.Rack)
		u64(math.Float64bits(mb.Weight))
	}
	if m.prev != nil {
		return m.transitionDigest(d.Sum64())
	}
	return d.Sum64()
}

// Version is the version number: larger is newer.
func (m *Membership) Version() uint64 { return m.version }

// Digest is a stable 64-bit hash of the configuration and the members
// (IDs, addresses, datacenters, racks, weights), independent of the version
// number and of the order the members were given in.
func (m *Membership) Digest() uint64 { return m.digest }

// Newer reports whether m is a later version than o (a nil o is older than
// every version).
func (m *Membership) Newer(o *Membership) bool { return o == nil || m.version > o.version }

// Same reports whether m and o are the same version with the same content.
// Two versions with one number and different digests conflict: whoever
// issues versions issued two.
func (m *Membership) Same(o *Membership) bool {
	return o != nil && m.version == o.version && m.digest == o.digest
}

// Ring is the version's ring (lookups by member ID).
func (m *Membership) Ring() *Ring { return m.ring }

// Config is the ring configuration, defaults applied.
func (m *Membership) Config() Config { return m.ring.Config() }

// Members returns the members sorted by ID, with their addresses.
func (m *Membership) Members() []Member { return m.ring.Members() }

// Len is the number of members.
func (m *Membership) Len() int { return len(m.addrs) }

// Replicas is the preference-list length (Ring.Replicas).
func (m *Membership) Replicas() int { return m.ring.primaries }

// Index returns the position (0..Len()-1, in ID order) of the member at
// address a: a dense key for per-member state that a new version rebuilds.
func (m *Membership) Index(a wire.Addr) (int, bool) {
	lo, hi := 0, len(m.byAddr)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if m.byAddr[mid].addr < a {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(m.byAddr) && m.byAddr[lo].addr == a {
		return int(m.byAddr[lo].idx), true
	}
	return 0, false
}

// At returns the member at position i (see Index).
func (m *Membership) At(i int) Member { return m.ring.members[i] }

// ByAddr returns the member reached at address a.
func (m *Membership) ByAddr(a wire.Addr) (Member, bool) {
	i, ok := m.Index(a)
	if !ok {
		return Member{}, false
	}
	return m.ring.members[i], true
}

// AddrOf returns the address of the member with ID id.
func (m *Membership) AddrOf(id wire.Addr) (wire.Addr, bool) {
	i, ok := m.ring.index(id)
	if !ok {
		return wire.None, false
	}
	return m.addrs[i], true
}

// DCOf is the datacenter of the member at address a ("" when a is not a
// member).
func (m *Membership) DCOf(a wire.Addr) string {
	if i, ok := m.Index(a); ok {
		return m.ring.members[i].DC
	}
	if m.prev != nil {
		return m.prev.DCOf(a)
	}
	return ""
}

// Owner is the address of the member owning the first token clockwise
// from h (Ring.Owner).
func (m *Membership) Owner(h uint64) wire.Addr { return m.addrs[m.ring.owners[m.ring.search(h)]] }

// PreferenceList is Ring.PreferenceList naming the replicas by address.
func (m *Membership) PreferenceList(h uint64, buf []wire.Addr) []wire.Addr {
	var chosen bitset
	return m.ring.walk(m.ring.search(h), buf[:0], &chosen, m.addrs)
}

// InPreferenceList reports whether the member at address a is among the
// replicas of key hash h (its preference list).
func (m *Membership) InPreferenceList(a wire.Addr, h uint64) bool {
	var buf [MaxReplicas]wire.Addr
	return slices.Contains(m.PreferenceList(h, buf[:0]), a)
}

// ExtendedList is Ring.ExtendedList naming the members by address.
func (m *Membership) ExtendedList(h uint64, extra int, buf []wire.Addr) ([]wire.Addr, int) {
	return m.ring.extendedList(h, extra, buf, m.addrs)
}
