package cluster

import (
	"fmt"
	"time"

	"dynasim/sim"
	"dynasim/sim/autoscale"
)

// Automatic scaling: an operator policy of the simulated world
// (sim/autoscale) watching the cluster. Every Policy.Interval while the
// workload runs it samples the client requests started so far, the ring's
// member count and whether a change is in progress; on Add it joins the
// next spare of its list, on Remove it decommissions the member it added
// last (or, when it added none, the last member of the ring that is not
// one of its spares). Decisions are recorded (Result.Scaling) with the
// load they were made on.

// Autoscale makes the cluster follow policy p during the next Run,
// adding the spares named (in order) and removing members.
func (c *Cluster) Autoscale(p autoscale.Policy, spares []string) error {
	a, err := autoscale.New(p)
	if err != nil {
		return err
	}
	for _, n := range spares {
		s := c.slotByName(n)
		if s == nil || !s.spare {
			return fmt.Errorf("cluster: autoscale: %q is not a spare node", n)
		}
	}
	c.scaler, c.scaleSpares = a, spares
	return nil
}

func (c *Cluster) slotByName(name string) *slot {
	if a, ok := c.Addr(name); ok {
		return c.slotAt(a)
	}
	return nil
}

// startAutoscaler schedules the samples until the workload's end.
func (c *Cluster) startAutoscaler(until time.Duration) {
	if c.scaler == nil {
		return
	}
	iv := c.scaler.Policy().Interval
	var tick func()
	tick = func() {
		now := c.world.Now()
		if until > 0 && time.Duration(now) >= until {
			return
		}
		var started uint64
		if c.workload != nil {
			started = c.workload.wl.Stats().Started
		}
		members := c.currentRing().Len()
		d := c.scaler.Observe(autoscale.Sample{At: time.Duration(now), Requests: started, Members: members, Busy: !c.Settled()})
		switch d.Action {
		case autoscale.Add:
			for _, n := range c.scaleSpares {
				if s := c.slotByName(n); s != nil && s.spare {
					c.scaling = append(c.scaling, ScaleDecision{At: now, Kind: ChangeJoin, Node: n, Load: d.Load, Members: members})
					c.applyChange(MembershipChange{At: time.Duration(now), Kind: ChangeJoin, Node: n})
					c.scaled = append(c.scaled, n)
					break
				}
			}
		case autoscale.Remove:
			if n := c.scaleVictim(); n != "" {
				c.scaling = append(c.scaling, ScaleDecision{At: now, Kind: ChangeDecommission, Node: n, Load: d.Load, Members: members})
				c.applyChange(MembershipChange{At: time.Duration(now), Kind: ChangeDecommission, Node: n})
			}
		}
		c.world.At(now+sim.Time(iv), "autoscale", tick)
	}
	c.world.At(c.world.Now()+sim.Time(iv), "autoscale", tick)
}

// scaleVictim is the member a Remove decommissions.
func (c *Cluster) scaleVictim() string {
	cur := c.currentRing()
	for i := len(c.scaled) - 1; i >= 0; i-- {
		if s := c.slotByName(c.scaled[i]); s != nil && !s.leaving && !s.removed && cur.Has(s.addr) && s.ep.Up() {
			c.scaled = c.scaled[:i]
			return s.member.Name
		}
	}
	for i := len(c.nodes) - 1; i >= 0; i-- {
		s := c.nodes[i]
		if !s.spare && !s.leaving && !s.removed && cur.Has(s.addr) && s.ep.Up() {
			return s.member.Name
		}
	}
	return ""
}
