package coord

import (
	"time"

	"dynasim/wire"
)

// View is what the coordinator believes about which nodes are up. It asks
// before choosing where to forward a request, and reports what it observes
// (a node answered; a node missed a reply) so the view can learn from
// traffic.
//
// Suspicion is the implementation used today: local evidence only. A gossip
// failure detector (heartbeat counters, suspicion after silence) is the
// planned replacement; a sloppy quorum will also ask it which replicas to
// replace with fallbacks of the extended preference list.
type View interface {
	Up(a wire.Addr, now time.Time) bool
	Answered(a wire.Addr, now time.Time)
	Missed(a wire.Addr, now time.Time)
}

// Suspicion is a View built from this node's own traffic: a node that
// missed a reply (a request to it timed out) is suspected for SuspectFor,
// unless it answers something in the meantime. It knows nothing about nodes
// it has not talked to, and believes them up.
type Suspicion struct {
	suspectFor int64
	answered   []int64 // per address: local clock (ns) of the last answer
	missed     []int64 // per address: local clock (ns) of the last miss
}

// NewSuspicion returns a view over addresses 0..maxAddr (larger ones are
// always believed up and never recorded, which bounds its memory).
func NewSuspicion(maxAddr wire.Addr, suspectFor time.Duration) *Suspicion {
	n := int(maxAddr) + 1
	return &Suspicion{suspectFor: int64(suspectFor), answered: make([]int64, n), missed: make([]int64, n)}
}

func (s *Suspicion) known(a wire.Addr) bool { return a >= 0 && int(a) < len(s.missed) }

// Up implements View.
func (s *Suspicion) Up(a wire.Addr, now time.Time) bool {
	if !s.known(a) || s.missed[a] == 0 || s.missed[a] <= s.answered[a] {
		return true
	}
	return now.UnixNano()-s.missed[a] >= s.suspectFor
}

// Answered implements View.
func (s *Suspicion) Answered(a wire.Addr, now time.Time) {
	if s.known(a) {
		s.answered[a] = now.UnixNano()
	}
}

// Missed implements View.
func (s *Suspicion) Missed(a wire.Addr, now time.Time) {
	if s.known(a) {
		s.missed[a] = now.UnixNano()
	}
}
