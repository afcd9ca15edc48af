package coord

import (
	"time"

	"dynasim/node/ring"
	"dynasim/wire"
)

// View is what the coordinator believes about the cluster: the ring version
// it places keys with, and which members are up. The coordinator reads
// Membership at the start of every request — never a copy of its own — so
// a new ring version given to the node applies to the next request.
// It asks Up before choosing where to forward a request, and reports what
// it observes (a node answered; a node missed a reply) so the view can
// learn from traffic.
//
// Suspicion is the implementation used today: local evidence only. A gossip
// failure detector (heartbeat counters, suspicion after silence) is the
// planned replacement, and gossip will also carry ring versions; a sloppy
// quorum will ask it which replicas to replace with fallbacks of the
// extended preference list.
type View interface {
	Membership() *ring.Membership
	Up(a wire.Addr, now time.Time) bool
	Answered(a wire.Addr, now time.Time)
	Missed(a wire.Addr, now time.Time)
}

// Suspicion is a View built from this node's own traffic over the ring
// version it was given: a member that missed a reply (a request to it
// timed out) is suspected for SuspectFor, unless it answers something in
// the meantime. Its state is kept per member of the current version (by
// position, whatever the members' addresses); SetMembership rebuilds it for
// a new version, keeping what it knew of members that stay (by member ID).
// An address that is not a member of the current version is not tracked
// and is reported up: the coordinator only asks about members.
type Suspicion struct {
	m          *ring.Membership
	suspectFor int64
	answered   []int64 // per member position: local clock (ns) of the last answer
	missed     []int64 // per member position: local clock (ns) of the last miss
}

// NewSuspicion returns a view over ring version m.
func NewSuspicion(m *ring.Membership, suspectFor time.Duration) *Suspicion {
	return &Suspicion{m: m, suspectFor: int64(suspectFor), answered: make([]int64, m.Len()), missed: make([]int64, m.Len())}
}

// Membership implements View.
func (s *Suspicion) Membership() *ring.Membership { return s.m }

// SetMembership makes m the view's ring version and rebuilds the
// per-member state over its members: a member present in both versions (by
// ID) keeps its history, a new member starts unsuspected.
func (s *Suspicion) SetMembership(m *ring.Membership) {
	answered, missed := make([]int64, m.Len()), make([]int64, m.Len())
	for i := range m.Len() {
		id := m.At(i).ID
		if a, ok := s.m.AddrOf(id); ok {
			if j, ok := s.m.Index(a); ok {
				answered[i], missed[i] = s.answered[j], s.missed[j]
			}
		}
	}
	s.m, s.answered, s.missed = m, answered, missed
}

// Up implements View.
func (s *Suspicion) Up(a wire.Addr, now time.Time) bool {
	i, ok := s.m.Index(a)
	if !ok || s.missed[i] == 0 || s.missed[i] <= s.answered[i] {
		return true
	}
	return now.UnixNano()-s.missed[i] >= s.suspectFor
}

// Answered implements View.
func (s *Suspicion) Answered(a wire.Addr, now time.Time) {
	if i, ok := s.m.Index(a); ok {
		s.answered[i] = now.UnixNano()
	}
}

// Missed implements View.
func (s *Suspicion) Missed(a wire.Addr, now time.Time) {
	if i, ok := s.m.Index(a); ok {
		s.missed[i] = now.UnixNano()
	}
}
