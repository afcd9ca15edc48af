package ring

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/cespare/xxhash/v2"

	"dynasim/wire"
)

// A transition is a ring version on the way from one member set to
// another (a join or a decommission). It places keys with the new members
// (its own Ring) and remembers the settled version it leaves (Prev). It
// runs in two steps, each its own version number:
//
//  1. reads go to the old replicas (ReadList), because the members that
//     gain a range do not hold it yet; writes go to the old and the new
//     replicas (WriteList; the new ones that are not old are "pending",
//     as in Cassandra's pending ranges); every member that gains an arc
//     pulls it from the members that lose it (Gains);
//  2. when every gainer holds what it gains, the node running the
//     transition (Changer: the joining or the leaving node) issues the
//     second step (MoveReads): reads go to the new replicas, writes still
//     to both (the old ones not new are now the extra ones);
//  3. once every member runs the second step, the changer issues the
//     settled version (Settle): the new members, no Prev.
//
// Why the middle step: a coordinator still on step 1 reads the old
// replicas. Were the settled version issued straight after step 1, its
// writes would reach only the new replicas, and such a coordinator could
// read a losing replica (itself, say) that never saw them — a stale read
// (found by the fuzzer: seed 153 of the safe profile). Every pair of
// adjacent versions (settled and step 1, step 1 and step 2, step 2 and
// settled) has quorums that intersect, so coordinators one version apart
// never disagree; the changer makes sure no two versions further apart
// are in use at once (node/streaming.go).
//
// A transition is built from a settled version (Transition) and is always
// one version number after it; its digest covers the old members, the
// changer and the step too, so two nodes agree on a transition only if they
// agree on all of it. It travels in gossip as Encode's bytes.

// Transition returns the version after the settled version m that moves to
// members next, run by the member at address changer (a member of m or of
// next).
func (m *Membership) Transition(next []Member, changer wire.Addr) (*Membership, error) {
	if m.prev != nil {
		return nil, fmt.Errorf("ring: version %d is itself a transition; settle it first", m.version)
	}
	t, err := NewMembership(m.version+1, m.Config(), next)
	if err != nil {
		return nil, err
	}
	t.prev, t.changer = m, changer
	if _, ok := t.Index(changer); !ok {
		if _, ok := m.Index(changer); !ok {
			return nil, fmt.Errorf("ring: changer %d is a member of neither version", changer)
		}
	}
	t.digest = t.computeDigest()
	return t, nil
}

// MoveReads returns the second step of the transition m (step 1): the
// same members, one version later, with reads on the new replicas.
func (m *Membership) MoveReads() (*Membership, error) {
	if m.prev == nil || m.readsMoved {
		return nil, fmt.Errorf("ring: version %d is not a transition's first step", m.version)
	}
	t := *m
	t.version, t.readsMoved = m.version+1, true
	t.digest = t.computeDigest()
	return &t, nil
}

// ReadsMoved reports whether m is a transition's second step (reads on the
// new replicas).
func (m *Membership) ReadsMoved() bool { return m.readsMoved }

// Settle returns the version after the transition's second step m: its
// new members, no Prev. Every node settling the same transition builds the
// same version.
func (m *Membership) Settle() (*Membership, error) {
	if m.prev == nil {
		return nil, fmt.Errorf("ring: version %d is not a transition", m.version)
	}
	if !m.readsMoved {
		return nil, fmt.Errorf("ring: transition %d has not moved its reads yet (MoveReads first)", m.version)
	}
	return NewMembership(m.version+1, m.Config(), m.Members())
}

// Prev is the settled version a transition leaves (nil for a settled
// version).
func (m *Membership) Prev() *Membership { return m.prev }

// Changer is the address of the member running a transition (wire.None
// for a settled version).
func (m *Membership) Changer() wire.Addr {
	if m.prev == nil {
		return wire.None
	}
	return m.changer
}

// Has reports whether the member at address a takes part in the version:
// a member of it, or of the version a transition leaves.
func (m *Membership) Has(a wire.Addr) bool {
	if _, ok := m.Index(a); ok {
		return true
	}
	if m.prev != nil {
		_, ok := m.prev.Index(a)
		return ok
	}
	return false
}

// Participants lists (ascending) the addresses of every member that takes
// part in m (Has): its members and, for a transition, the old version's.
func (m *Membership) Participants() []wire.Addr {
	out := slices.Clone(m.addrs)
	if m.prev != nil {
		for _, a := range m.prev.addrs {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out
}

// ReadList is the replicas a read of key hash h asks: during a
// transition's first step the old version's preference list, otherwise the
// version's own.
func (m *Membership) ReadList(h uint64, buf []wire.Addr) []wire.Addr {
	if m.prev != nil && !m.readsMoved {
		return m.prev.PreferenceList(h, buf)
	}
	return m.PreferenceList(h, buf)
}

// OtherList is, during a transition, the preference list reads do not use
// (the new one in the first step, the old one in the second): a write goes
// to its replicas too. Nil for a settled version.
func (m *Membership) OtherList(h uint64, buf []wire.Addr) []wire.Addr {
	switch {
	case m.prev == nil:
		return nil
	case m.readsMoved:
		return m.prev.PreferenceList(h, buf)
	default:
		return m.PreferenceList(h, buf)
	}
}

// WriteList is the replicas a write of key hash h goes to: the first n of
// ReadList (n <= 0: all), then the first n of OtherList that are not among
// them (the pending replicas). normal is how many come first.
func (m *Membership) WriteList(h uint64, n int, buf []wire.Addr) (list []wire.Addr, normal int) {
	list = m.ReadList(h, buf)
	if n > 0 && n < len(list) {
		list = list[:n]
	}
	normal = len(list)
	if m.prev == nil {
		return list, normal
	}
	var nb [MaxReplicas]wire.Addr
	next := m.OtherList(h, nb[:0])
	if n > 0 && n < len(next) {
		next = next[:n]
	}
	for _, a := range next {
		if !slices.Contains(list[:normal], a) {
			list = append(list, a)
		}
	}
	return list, normal
}

// Gain is one arc (hash in (Start, End]) a member gains in a transition,
// with the members (addresses) it pulls the arc from: the old replicas of
// the arc that are not new ones (the members losing it, whose copy of
// every acknowledged write is what the gainer must take over), or every
// old replica when none loses it.
type Gain struct {
	Start, End uint64
	From       []wire.Addr
}

// Gains lists, in ring order, the arcs the member at address a gains in
// the transition m (nil for a settled version): where a is among the first
// n new replicas but not among the first n old ones (n <= 0: all).
// Adjacent arcs with the same sources are joined.
func (m *Membership) Gains(a wire.Addr, n int) []Gain {
	if m.prev == nil {
		return nil
	}
	var out []Gain
	m.eachArc(func(start, end uint64, old, next []wire.Addr) {
		if n > 0 {
			old, next = old[:min(n, len(old))], next[:min(n, len(next))]
		}
		if !slices.Contains(next, a) || slices.Contains(old, a) {
			return
		}
		var from []wire.Addr
		for _, o := range old {
			if !slices.Contains(next, o) {
				from = append(from, o)
			}
		}
		if len(from) == 0 {
			from = slices.Clone(old)
		}
		if k := len(out) - 1; k >= 0 && out[k].End == start && slices.Equal(out[k].From, from) {
			out[k].End = end
			return
		}
		out = append(out, Gain{Start: start, End: end, From: from})
	})
	return out
}

// Gainers lists (ascending) the addresses of the members that gain some
// arc in the transition m.
func (m *Membership) Gainers(n int) []wire.Addr {
	if m.prev == nil {
		return nil
	}
	var out []wire.Addr
	m.eachArc(func(_, _ uint64, old, next []wire.Addr) {
		if n > 0 {
			old, next = old[:min(n, len(old))], next[:min(n, len(next))]
		}
		for _, a := range next {
			if !slices.Contains(old, a) && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	})
	slices.Sort(out)
	return out
}

// MovedFraction is the share of replica placements (key hash, replica)
// that change in the transition m, measured over the key hashes given:
// for each hash, the new replicas that were not old ones, over all new
// replicas. Consistent hashing moves about 1/(n+1) of them when a member
// joins n others.
func (m *Membership) MovedFraction(hashes []uint64) float64 {
	if m.prev == nil || len(hashes) == 0 {
		return 0
	}
	var ob, nb [MaxReplicas]wire.Addr
	moved, total := 0, 0
	for _, h := range hashes {
		old := m.prev.PreferenceList(h, ob[:0])
		next := m.PreferenceList(h, nb[:0])
		for _, a := range next {
			total++
			if !slices.Contains(old, a) {
				moved++
			}
		}
	}
	if total == 0 {
		return 0
	}
	return float64(moved) / float64(total)
}

// eachArc calls fn for every arc between consecutive token positions of
// the old and new rings together, in ring order, with both preference
// lists of the arc (valid only during the call).
func (m *Membership) eachArc(fn func(start, end uint64, old, next []wire.Addr)) {
	bounds := make([]uint64, 0, len(m.ring.tokens)+len(m.prev.ring.tokens))
	bounds = append(bounds, m.ring.tokens...)
	bounds = append(bounds, m.prev.ring.tokens...)
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	var ob, nb [MaxReplicas]wire.Addr
	for i, end := range bounds {
		start := bounds[(i+len(bounds)-1)%len(bounds)]
		fn(start, end, m.prev.PreferenceList(end, ob[:0]), m.PreferenceList(end, nb[:0]))
	}
}

// payloadMagic starts an encoded ring version.
const payloadMagic = 0xd1

// Encode is the version as bytes (for gossip's ring payload):
// DecodeMembership rebuilds an equal version.
func (m *Membership) Encode() []byte {
	b := []byte{payloadMagic}
	b = binary.AppendUvarint(b, m.version)
	cfg := m.Config()
	b = binary.AppendUvarint(b, uint64(cfg.VNodes))
	b = binary.AppendUvarint(b, cfg.Seed)
	b = binary.AppendUvarint(b, uint64(cfg.Placement.N))
	b = binary.AppendUvarint(b, uint64(len(cfg.Placement.PerDC)))
	for _, d := range cfg.Placement.PerDC {
		b = appendStr(b, d.DC)
		b = binary.AppendUvarint(b, uint64(d.N))
	}
	b = appendMembers(b, m.Members())
	if m.prev == nil {
		return append(b, 0)
	}
	if m.readsMoved {
		b = append(b, 2)
	} else {
		b = append(b, 1)
	}
	b = binary.AppendVarint(b, int64(m.changer))
	b = binary.AppendUvarint(b, m.prev.version)
	return appendMembers(b, m.prev.Members())
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendMembers(b []byte, ms []Member) []byte {
	b = binary.AppendUvarint(b, uint64(len(ms)))
	for _, mb := range ms {
		b = binary.AppendVarint(b, int64(mb.ID))
		b = binary.AppendVarint(b, int64(mb.Addr))
		b = appendStr(b, mb.DC)
		b = appendStr(b, mb.Rack)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(mb.Weight))
	}
	return b
}

type payloadReader struct {
	b   []byte
	err error
}

func (r *payloadReader) uv() uint64 { return readVarint(r, binary.Uvarint) }

func (r *payloadReader) sv() int64 { return readVarint(r, binary.Varint) }

// readVarint reads one varint with decode (binary.Uvarint or Varint),
// recording a truncated payload as r's error.
func readVarint[T uint64 | int64](r *payloadReader, decode func([]byte) (T, int)) T {
	if r.err != nil {
		return 0
	}
	v, n := decode(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("ring: payload truncated")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *payloadReader) str() string {
	n := r.uv()
	if r.err == nil && n > uint64(len(r.b)) {
		r.err = fmt.Errorf("ring: payload truncated")
	}
	if r.err != nil {
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *payloadReader) addr() wire.Addr {
	v := r.sv()
	if r.err == nil && (v < math.MinInt32 || v > math.MaxInt32) {
		r.err = fmt.Errorf("ring: address %d out of range", v)
	}
	return wire.Addr(v)
}

func (r *payloadReader) members() []Member {
	n := r.uv()
	if r.err == nil && n > MaxMembers {
		r.err = fmt.Errorf("ring: %d members exceeds the limit of %d", n, MaxMembers)
	}
	var out []Member
	for range n {
		if r.err != nil {
			return nil
		}
		mb := Member{ID: r.addr(), Addr: r.addr(), DC: r.str(), Rack: r.str()}
		if r.err == nil && len(r.b) < 8 {
			r.err = fmt.Errorf("ring: payload truncated")
		}
		if r.err != nil {
			return nil
		}
		mb.Weight = math.Float64frombits(binary.LittleEndian.Uint64(r.b))
		r.b = r.b[8:]
		out = append(out, mb)
	}
	return out
}

// DecodeMembership rebuilds the version Encode wrote, validating it as
// NewMembership does.
func DecodeMembership(b []byte) (*Membership, error) {
	if len(b) == 0 || b[0] != payloadMagic {
		return nil, fmt.Errorf("ring: not an encoded ring version")
	}
	r := &payloadReader{b: b[1:]}
	version := r.uv()
	var cfg Config
	cfg.VNodes = int(min(r.uv(), MaxVNodes+1))
	cfg.Seed = r.uv()
	cfg.Placement.N = int(min(r.uv(), MaxReplicas+1))
	ndc := r.uv()
	if r.err == nil && ndc > MaxDatacenters {
		r.err = fmt.Errorf("ring: %d datacenters exceeds the limit of %d", ndc, MaxDatacenters)
	}
	for range ndc {
		if r.err != nil {
			break
		}
		cfg.Placement.PerDC = append(cfg.Placement.PerDC, DCReplicas{DC: r.str(), N: int(min(r.uv(), MaxReplicas+1))})
	}
	members := r.members()
	var flag byte
	if r.err == nil {
		if len(r.b) == 0 {
			r.err = fmt.Errorf("ring: payload truncated")
		} else {
			flag, r.b = r.b[0], r.b[1:]
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if flag == 0 {
		if len(r.b) != 0 {
			return nil, fmt.Errorf("ring: %d bytes after the ring version", len(r.b))
		}
		return NewMembership(version, cfg, members)
	}
	if flag != 1 && flag != 2 {
		return nil, fmt.Errorf("ring: unknown transition flag %d", flag)
	}
	step := uint64(flag) // 1: reads on the old replicas, 2: moved
	changer := r.addr()
	pv := r.uv()
	prevMembers := r.members()
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("ring: %d bytes after the ring version", len(r.b))
	}
	if pv+step != version {
		return nil, fmt.Errorf("ring: transition %d (step %d) does not follow version %d", version, step, pv)
	}
	prev, err := NewMembership(pv, cfg, prevMembers)
	if err != nil {
		return nil, err
	}
	t, err := prev.Transition(members, changer)
	if err != nil || step == 1 {
		return t, err
	}
	return t.MoveReads()
}

// transitionDigest folds a transition's old members, changer and step into
// its digest.
func (m *Membership) transitionDigest(d uint64) uint64 {
	var b [25]byte
	binary.LittleEndian.PutUint64(b[0:], d)
	binary.LittleEndian.PutUint64(b[8:], m.prev.digest)
	binary.LittleEndian.PutUint64(b[16:], uint64(uint32(m.changer)))
	if m.readsMoved {
		b[24] = 1
		return xxhash.Sum64(b[:])
	}
	return xxhash.Sum64(b[:24])
}
