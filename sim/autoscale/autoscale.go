package autoscale

import (
	"fmt"
	"time"
)

// Policy configures the autoscaler.
type Policy struct {
	// ScaleUpAbove and ScaleDownBelow are the thresholds of the load, in
	// requests per member per second; ScaleDownBelow < ScaleUpAbove.
	ScaleUpAbove, ScaleDownBelow float64
	// Window is how long the load must stay beyond a threshold. Default
	// 5 s.
	Window time.Duration
	// Interval is how often the load is sampled. Default 1 s; at most
	// Window.
	Interval time.Duration
	// Min and Max bound the cluster size (1 <= Min <= Max).
	Min, Max int
	// Cooldown is the least time between decisions. Default 10 s.
	Cooldown time.Duration
}

// Defaults.
const (
	DefaultWindow   = 5 * time.Second
	DefaultInterval = time.Second
	DefaultCooldown = 10 * time.Second
)

// WithDefaults fills the zero fields.
func (p Policy) WithDefaults() Policy {
	if p.Window == 0 {
		p.Window = DefaultWindow
	}
	if p.Interval == 0 {
		p.Interval = DefaultInterval
	}
	if p.Cooldown == 0 {
		p.Cooldown = DefaultCooldown
	}
	return p
}

// Validate checks the policy after defaults.
func (p Policy) Validate() error {
	p = p.WithDefaults()
	switch {
	case !(p.ScaleUpAbove > 0):
		return fmt.Errorf("autoscale: ScaleUpAbove %v must be positive", p.ScaleUpAbove)
	case !(p.ScaleDownBelow >= 0 && p.ScaleDownBelow < p.ScaleUpAbove):
		return fmt.Errorf("autoscale: ScaleDownBelow %v must be within [0, ScaleUpAbove %v)", p.ScaleDownBelow, p.ScaleUpAbove)
	case p.Min < 1 || p.Max < p.Min:
		return fmt.Errorf("autoscale: need 1 <= Min (%d) <= Max (%d)", p.Min, p.Max)
	case p.Interval <= 0 || p.Interval > p.Window:
		return fmt.Errorf("autoscale: Interval %v must be within (0, Window %v]", p.Interval, p.Window)
	case p.Cooldown < 0:
		return fmt.Errorf("autoscale: Cooldown %v is negative", p.Cooldown)
	}
	return nil
}

// Sample is what the operator sees at one time.
type Sample struct {
	At time.Duration
	// Requests is the client requests started since the start.
	Requests uint64
	// Members is the ring's member count; Busy says a join or
	// decommission is in progress.
	Members int
	Busy    bool
}

// Action is a decision.
type Action int

// Decisions.
const (
	None Action = iota
	Add
	Remove
)

func (a Action) String() string { return [...]string{"none", "add", "remove"}[a] }

// Decision is what Observe decided, with the load it decided on (the
// mean over the window, requests per member per second).
type Decision struct {
	Action Action
	Load   float64
}

// Autoscaler applies a Policy to a series of samples.
type Autoscaler struct {
	p       Policy
	prev    *Sample
	loads   []float64 // per interval since the last decision, newest last
	lastAt  time.Duration
	decided bool
}

// New returns an autoscaler for p (validated).
func New(p Policy) (*Autoscaler, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Autoscaler{p: p.WithDefaults()}, nil
}

// Policy is the policy in use (defaults applied).
func (a *Autoscaler) Policy() Policy { return a.p }

// Observe takes the next sample (samples come in time order, about every
// Interval) and decides.
func (a *Autoscaler) Observe(s Sample) Decision {
	prev := a.prev
	a.prev = &s
	if prev == nil || s.At <= prev.At || s.Members < 1 {
		return Decision{}
	}
	load := float64(s.Requests-prev.Requests) / (s.At - prev.At).Seconds() / float64(s.Members)
	a.loads = append(a.loads, load)
	need := int(a.p.Window / a.p.Interval)
	if len(a.loads) > need {
		a.loads = a.loads[len(a.loads)-need:]
	}
	mean := 0.0
	for _, l := range a.loads {
		mean += l
	}
	mean /= float64(len(a.loads))
	d := Decision{Load: mean}
	if s.Busy || len(a.loads) < need || (a.decided && s.At-a.lastAt < a.p.Cooldown) {
		return d
	}
	above, below := true, true
	for _, l := range a.loads {
		above = above && l > a.p.ScaleUpAbove
		below = below && l < a.p.ScaleDownBelow
	}
	switch {
	case above && s.Members < a.p.Max:
		d.Action = Add
	case below && s.Members > a.p.Min:
		d.Action = Remove
	default:
		return d
	}
	a.decided, a.lastAt, a.loads = true, s.At, a.loads[:0]
	return d
}
