package coord

import (
	"fmt"
	"strings"

	"dynasim/node/ring"
	"dynasim/wire"
)

// maxReplicas bounds the replicas of one request (the ring's limit).
const maxReplicas = ring.MaxReplicas

// Per-replica progress of one phase of a request.
const (
	stNone    uint8 = iota // not asked
	stPending              // asked, no answer yet
	stOK                   // answered with success (or known to hold the set)
	stFailed               // answered with a failure
)

// quorum is a resolved W or R for one request: a count over the request's
// replicas, or per-datacenter majorities (LOCAL_QUORUM, EACH_QUORUM).
type quorum struct {
	level wire.Need
	total int                 // replicas required in all (count levels)
	ndc   int                 // datacenter requirements (DC levels); 0 for count levels
	need  [maxReplicas]int8   // per datacenter index: replicas required
	dcOf  [maxReplicas]int8   // per replica: its datacenter index, -1 if not counted
	names [maxReplicas]string // per datacenter index: name, for messages
}

// resolveQuorum turns a requested level (or the default) into a quorum over
// replicas, whose datacenters dcOf gives; local is the coordinator's
// datacenter. It refuses requirements the replicas cannot meet.
func resolveQuorum(name string, req, def wire.Need, replicas []wire.Addr, dcOf func(wire.Addr) string, local string) (quorum, error) {
	q := quorum{level: req}
	if q.level.Level == wire.LevelDefault {
		q.level = def
	}
	n := len(replicas)
	if k, ok := q.level.Fixed(n); ok {
		if k < 1 || k > n {
			return q, fmt.Errorf("%s=%d exceeds N=%d", name, k, n)
		}
		q.total = k
		return q, nil
	}
	switch q.level.Level {
	case wire.LevelLocalQuorum:
		m := 0
		for i, r := range replicas {
			q.dcOf[i] = -1
			if dcOf(r) == local {
				q.dcOf[i] = 0
				m++
			}
		}
		if m == 0 {
			return q, fmt.Errorf("%s=LOCAL_QUORUM: none of the N=%d replicas is in datacenter %q", name, n, local)
		}
		q.ndc, q.need[0], q.names[0] = 1, int8(m/2+1), local
	case wire.LevelEachQuorum:
		var count [maxReplicas]int
		for i, r := range replicas {
			dc := dcOf(r)
			d := 0
			for d < q.ndc && q.names[d] != dc {
				d++
			}
			if d == q.ndc {
				q.names[d] = dc
				q.ndc++
			}
			q.dcOf[i] = int8(d)
			count[d]++
		}
		for d := 0; d < q.ndc; d++ {
			q.need[d] = int8(count[d]/2 + 1)
		}
	default:
		return q, fmt.Errorf("%s has unknown level %v", name, q.level)
	}
	return q, nil
}

// count reports whether the replicas whose state passes ok satisfy q.
func (q *quorum) satisfied(st []uint8, ok func(uint8) bool) bool {
	if q.ndc == 0 {
		got := 0
		for _, s := range st {
			if ok(s) {
				got++
			}
		}
		return got >= q.total
	}
	var got [maxReplicas]int8
	for i, s := range st {
		if d := q.dcOf[i]; d >= 0 && ok(s) {
			got[d]++
		}
	}
	for d := 0; d < q.ndc; d++ {
		if got[d] < q.need[d] {
			return false
		}
	}
	return true
}

func isOK(s uint8) bool    { return s == stOK }
func mayBeOK(s uint8) bool { return s == stOK || s == stPending }

// met reports whether enough replicas succeeded.
func (q *quorum) met(st []uint8) bool { return q.satisfied(st, isOK) }

// reachable reports whether the quorum can still be met if every pending
// replica succeeds.
func (q *quorum) reachable(st []uint8) bool { return q.satisfied(st, mayBeOK) }

// describe says what the quorum needs, for error messages: "2 of 3",
// "LOCAL_QUORUM (2 in dc1)".
func (q *quorum) describe(n int) string {
	if q.ndc == 0 {
		return fmt.Sprintf("%d of %d", q.total, n)
	}
	parts := make([]string, q.ndc)
	for d := 0; d < q.ndc; d++ {
		parts[d] = fmt.Sprintf("%d in %q", q.need[d], q.names[d])
	}
	return fmt.Sprintf("%v (%s)", q.level, strings.Join(parts, ", "))
}

// tally counts the states passing ok.
func tally(st []uint8, ok func(uint8) bool) int {
	n := 0
	for _, s := range st {
		if ok(s) {
			n++
		}
	}
	return n
}
