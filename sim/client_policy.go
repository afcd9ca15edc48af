package sim

import (
	"fmt"
	"time"

	"dynasim/wire"
)

// ClientPolicy is the simulated clients' load-balancing and retry policy,
// after the drivers of Cassandra and Riak: each client keeps its own view
// of which coordinators are healthy, gives a coordinator a short
// first-byte timeout (ConnectTimeout, shorter than the request timeout)
// before it counts it unhealthy, routes around unhealthy coordinators, and
// retries on another coordinator the requests that are safe to retry.
//
// Health. A coordinator is healthy until an attempt sent to it gets no
// reply within ConnectTimeout, or is answered "failed" or "unknown" (the
// coordinator is up but cannot reach its replicas). It is then unhealthy
// for UnhealthyBackoff; each further failure while it is being probed
// doubles the backoff, up to MaxUnhealthyBackoff. When the backoff has
// passed the coordinator may be probed: gets (safe to retry) may go to it
// again, and writes only when no coordinator is healthy. A reply that is
// neither failed nor unknown makes it healthy again and resets its
// backoff. The client sees only its own requests: no oracle, no gossip.
//
// Retries. A get is retried on another coordinator when its attempt got no
// first byte within ConnectTimeout (the attempt is abandoned; a late reply
// is ignored), timed out, or failed. A put or delete is retried only when
// every attempt so far definitely had no effect: the coordinator replied
// "failed". A write that timed out, or was answered "unknown", may have
// been applied and is never retried; a write that got no first byte waits
// out its full Timeout, since the coordinator may have received it. Each
// retry goes to a coordinator this operation has not tried, healthy ones
// first. The history records every coordinator tried (history.Op.Tried);
// a retried operation stays one operation with the outcome of its last
// attempt, its interval spanning all of them, which is what the
// linearizability and lost-write checks need: the attempts before the
// last had no effect.
//
// The policy draws randomness only from the client's own seeded stream.
// Disabled (the default), clients behave exactly as without it.
type ClientPolicy struct {
	// Enabled switches the policy on. Default false: every request goes
	// where WorkloadConfig.Routing sends it and only WorkloadConfig.Retries
	// retries.
	Enabled bool
	// ConnectTimeout is the first-byte timeout: an attempt without a reply
	// by then marks its coordinator unhealthy (and a get is retried
	// elsewhere). Default 100 ms; at most the workload's Timeout.
	ConnectTimeout time.Duration
	// RetryAttempts is how many more attempts a request safe to retry may
	// make, each at another coordinator. Default 3 (zero takes it;
	// NoRetries for none); at most 100.
	RetryAttempts int
	// UnhealthyBackoff is how long a coordinator stays unhealthy after its
	// first failure. Default 1 s.
	UnhealthyBackoff time.Duration
	// MaxUnhealthyBackoff caps the backoff, which doubles with every failed
	// probe. Default 10 s; at least UnhealthyBackoff.
	MaxUnhealthyBackoff time.Duration
}

// Defaults of ClientPolicy.
const (
	DefaultConnectTimeout      = 100 * time.Millisecond
	DefaultRetryAttempts       = 3
	DefaultUnhealthyBackoff    = time.Second
	DefaultMaxUnhealthyBackoff = 10 * time.Second
	MaxRetryAttempts           = 100
)

// WithDefaults returns the policy with zero fields set to their defaults.
// RetryAttempts 0 takes the default 3; NoRetries asks for none.
func (p ClientPolicy) WithDefaults() ClientPolicy {
	if p.ConnectTimeout == 0 {
		p.ConnectTimeout = DefaultConnectTimeout
	}
	if p.RetryAttempts == 0 {
		p.RetryAttempts = DefaultRetryAttempts
	}
	if p.UnhealthyBackoff == 0 {
		p.UnhealthyBackoff = DefaultUnhealthyBackoff
	}
	if p.MaxUnhealthyBackoff == 0 {
		p.MaxUnhealthyBackoff = max(DefaultMaxUnhealthyBackoff, p.UnhealthyBackoff)
	}
	return p
}

// NoRetries, as ClientPolicy.RetryAttempts, routes around unhealthy
// coordinators without retrying anything.
const NoRetries = -1

// Retries is how many retries the policy allows an operation (NoRetries
// counts as 0).
func (p ClientPolicy) Retries() int { return max(p.RetryAttempts, 0) }

// Validate checks a policy (after WithDefaults) against the request
// timeout it works under.
func (p ClientPolicy) Validate(requestTimeout time.Duration) error {
	switch {
	case p.ConnectTimeout <= 0:
		return fmt.Errorf("workload: client policy: connect timeout %v must be positive", p.ConnectTimeout)
	case p.ConnectTimeout > requestTimeout:
		return fmt.Errorf("workload: client policy: connect timeout %v exceeds the request timeout %v", p.ConnectTimeout, requestTimeout)
	case p.RetryAttempts < NoRetries || p.RetryAttempts > MaxRetryAttempts:
		return fmt.Errorf("workload: client policy: retry attempts %d must be within [0, %d], or NoRetries", p.RetryAttempts, MaxRetryAttempts)
	case p.UnhealthyBackoff <= 0:
		return fmt.Errorf("workload: client policy: unhealthy backoff %v must be positive", p.UnhealthyBackoff)
	case p.MaxUnhealthyBackoff < p.UnhealthyBackoff:
		return fmt.Errorf("workload: client policy: max unhealthy backoff %v is below the unhealthy backoff %v", p.MaxUnhealthyBackoff, p.UnhealthyBackoff)
	case p.MaxUnhealthyBackoff > 24*time.Hour:
		return fmt.Errorf("workload: client policy: max unhealthy backoff %v exceeds 24h", p.MaxUnhealthyBackoff)
	}
	return nil
}

// NodeLister is what a Router also implements for the client policy: the
// addresses of every coordinator a client may send to, in a fixed order.
type NodeLister interface {
	Addrs() []wire.Addr
}

// ReplicaLister is what a Router may also implement so that the policy
// keeps first_replica routing token-aware: the first n nodes of key's
// preference list.
type ReplicaLister interface {
	Replicas(key []byte, n int) []wire.Addr
}

// coordHealth is one client's view of one coordinator.
type coordHealth struct {
	// downUntil is when an unhealthy coordinator may be probed; zero for a
	// healthy one.
	downUntil Time
	// backoff is the current backoff; zero for a healthy coordinator.
	backoff time.Duration
}

func (h *coordHealth) healthy() bool { return h.backoff == 0 }

// healthView is a client's view of every coordinator, indexed like
// Workload.nodes.
type healthView struct {
	nodes []coordHealth
}

// markDown records a failure of coordinator i at now: unhealthy for the
// base backoff if it was healthy, for twice its last backoff (capped) if
// it was being probed; a coordinator still inside its backoff keeps it
// (several attempts in flight can fail for one cause).
func (v *healthView) markDown(i int, now Time, p *ClientPolicy) {
	h := &v.nodes[i]
	switch {
	case h.healthy():
		h.backoff = p.UnhealthyBackoff
	case now < h.downUntil:
		return
	default:
		h.backoff = min(2*h.backoff, p.MaxUnhealthyBackoff)
	}
	h.downUntil = now + Time(h.backoff)
}

// markUp records that coordinator i answered.
func (v *healthView) markUp(i int) { v.nodes[i] = coordHealth{} }

// usable classes of a coordinator for one attempt, best first.
const (
	classHealthy = iota
	classProbe   // backoff passed: may be probed
	classDown    // inside its backoff
	classTried   // this operation already tried it
)

func (v *healthView) class(i int, now Time, tried []wire.Addr, addr wire.Addr) int {
	for _, t := range tried {
		if t == addr {
			return classTried
		}
	}
	h := &v.nodes[i]
	switch {
	case h.healthy():
		return classHealthy
	case now >= h.downUntil:
		return classProbe
	}
	return classDown
}
