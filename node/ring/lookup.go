package ring

import "dynasim/wire"

// bitset marks member indexes or rack ids (both < MaxMembers) during one
// walk. It lives on the stack.
type bitset [MaxMembers / 64]uint64

func (b *bitset) has(i uint16) bool { return b[i>>6]&(1<<(i&63)) != 0 }
func (b *bitset) set(i uint16)      { b[i>>6] |= 1 << (i & 63) }

// search returns the index of the first token >= h, wrapping to 0: the
// token whose range (previous token, token] contains h.
func (r *Ring) search(h uint64) int {
	lo, hi := 0, len(r.tokens)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.tokens[mid] < h {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(r.tokens) {
		return 0
	}
	return lo
}

// Owner is the member owning the first token clockwise from h: the key's
// primary token owner, independent of placement.
func (r *Ring) Owner(h uint64) wire.Addr { return r.ids[r.owners[r.search(h)]] }

// PreferenceList writes the replicas for key hash h into buf[:0] (growing
// it only if its capacity is below Replicas()) and returns it, in clockwise
// order from h. See the package comment for the placement rules.
func (r *Ring) PreferenceList(h uint64, buf []wire.Addr) []wire.Addr {
	var chosen bitset
	return r.walk(r.search(h), buf[:0], &chosen, r.ids)
}

// ExtendedList writes the preference list for h into buf[:0] followed by up
// to extra further members, each distinct, in clockwise order from h (of
// any datacenter), and returns the list and the preference list's length.
// The members after the preference list are the sloppy-quorum fallbacks;
// extra >= Len() lists every member.
func (r *Ring) ExtendedList(h uint64, extra int, buf []wire.Addr) ([]wire.Addr, int) {
	return r.extendedList(h, extra, buf, r.ids)
}

// extendedList is ExtendedList naming member index m as names[m].
func (r *Ring) extendedList(h uint64, extra int, buf []wire.Addr, names []wire.Addr) ([]wire.Addr, int) {
	var chosen bitset
	start := r.search(h)
	out := r.walk(start, buf[:0], &chosen, names)
	primaries := len(out)
	limit := primaries + extra
	if limit > len(r.members) {
		limit = len(r.members)
	}
	for i, step := start, 0; step < len(r.tokens) && len(out) < limit; step++ {
		m := r.owners[i]
		if !chosen.has(m) {
			chosen.set(m)
			out = append(out, names[m])
		}
		if i++; i == len(r.tokens) {
			i = 0
		}
	}
	return out, primaries
}

// walk appends the preference list starting at token index start and marks
// the chosen member indexes; member index m is written as names[m] (its ID
// for a Ring, its address for a Membership).
//
// Pass 1 walks clockwise taking, for each slot (datacenter) still short,
// members on racks not used yet. A slot is done when it has its replicas or
// all its racks are used. Pass 2 runs only if some slot ran out of racks: it
// walks again from start and fills those slots with the members pass 1
// skipped, earliest first. Pass-2 picks interleave with pass-1 picks in ring
// order, so the result is sorted by walk position at the end.
func (r *Ring) walk(start int, out []wire.Addr, chosen *bitset, names []wire.Addr) []wire.Addr {
	if r.primaries == 0 {
		return out
	}
	var (
		racks     bitset
		got       [MaxDatacenters]int
		usedRacks [MaxDatacenters]int
		done      [MaxDatacenters]bool
		pos       [MaxReplicas]int32 // walk step of each chosen member
		pending   int
		refill    bool
	)
	for s := range r.slots {
		if r.need[s] == 0 {
			done[s] = true
		} else {
			pending++
		}
	}
	base := len(out)
	n := len(r.tokens)
	for i, step := start, 0; step < n && pending > 0; step++ {
		m := r.owners[i]
		if i++; i == n {
			i = 0
		}
		s := r.slot[m]
		if s < 0 || done[s] || racks.has(r.rack[m]) {
			continue
		}
		racks.set(r.rack[m])
		chosen.set(m)
		pos[len(out)-base] = int32(step)
		out = append(out, names[m])
		got[s]++
		usedRacks[s]++
		if got[s] == r.need[s] {
			done[s] = true
			pending--
		} else if usedRacks[s] == r.slotRacks[s] {
			done[s] = true
			pending--
			refill = true
		}
	}
	if !refill {
		return out
	}
	short := 0
	for s := range r.slots {
		if got[s] < r.need[s] {
			short++
		}
	}
	for i, step := start, 0; step < n && short > 0; step++ {
		m := r.owners[i]
		if i++; i == n {
			i = 0
		}
		s := r.slot[m]
		if s < 0 || got[s] == r.need[s] || chosen.has(m) {
			continue
		}
		chosen.set(m)
		pos[len(out)-base] = int32(step)
		out = append(out, names[m])
		if got[s]++; got[s] == r.need[s] {
			short--
		}
	}
	// Insertion sort by walk position: at most MaxReplicas elements.
	list := out[base:]
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && pos[j] < pos[j-1]; j-- {
			pos[j], pos[j-1] = pos[j-1], pos[j]
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
	return out
}
