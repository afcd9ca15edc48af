package cluster

import (
	"fmt"
	"strings"
	"time"

	"dynasim/history"
	"dynasim/sim"
	"dynasim/wire"
)

// workloadState is the workload the cluster's clients run.
type workloadState struct {
	wl      *sim.Workload
	rec     *history.Recorder
	n       int // the requests' N (0: the placement's), for routing
	clients int
	dcs     []string // per client: its datacenter
	final   *sim.Endpoint
}

// clientDCs places n clients: per Config.ClientGroups, or all in dc.
func (c *Cluster) clientDCs(n int, dc string) ([]string, error) {
	out := make([]string, 0, n)
	if len(c.cfg.ClientGroups) == 0 {
		for range n {
			out = append(out, dc)
		}
		return out, nil
	}
	known := map[string]bool{}
	for _, m := range c.cfg.Members {
		known[m.DC] = true
	}
	for _, g := range c.cfg.ClientGroups {
		if !known[g.DC] {
			return nil, fmt.Errorf("cluster: client group in datacenter %q, where no member is", g.DC)
		}
		if g.Count < 0 {
			return nil, fmt.Errorf("cluster: client group in %q has a negative count %d", g.DC, g.Count)
		}
		for range g.Count {
			out = append(out, g.DC)
		}
	}
	if len(out) != n {
		return nil, fmt.Errorf("cluster: the client groups hold %d clients, the workload has %d", len(out), n)
	}
	return out, nil
}

// ClientDC is the datacenter of workload client i ("" without a workload
// or for an unknown client).
func (c *Cluster) ClientDC(i int) string {
	if c.workload == nil || i < 0 || i >= len(c.workload.dcs) {
		return ""
	}
	return c.workload.dcs[i]
}

// ClientsPerDC counts the workload's clients per datacenter.
func (c *Cluster) ClientsPerDC() map[string]int {
	out := map[string]int{}
	if c.workload != nil {
		for _, dc := range c.workload.dcs {
			out[dc]++
		}
	}
	return out
}

// FinalReaderName is the endpoint name of the client that makes the final
// reads; the workload's clients are "client0", "client1", ...
const FinalReaderName = "final-reader"

// AddWorkload adds the workload's clients (endpoints "client0"... in
// Config.ClientDC, or per datacenter as Config.ClientGroups says, started
// at once) and an idle final reader in Config.ClientDC, all recording into
// rec. A cluster runs one workload.
func (c *Cluster) AddWorkload(cfg sim.WorkloadConfig, rec *history.Recorder) (*sim.Workload, error) {
	if c.workload != nil {
		return nil, fmt.Errorf("cluster: a workload was already added")
	}
	cfg = cfg.WithDefaults()
	wl, err := sim.NewWorkload(cfg, rec, c, c.Consistency(cfg))
	if err != nil {
		return nil, err
	}
	dc := c.cfg.ClientDC
	if dc == "" {
		dc = c.cfg.Members[0].DC
	}
	dcs, err := c.clientDCs(cfg.Clients, dc)
	if err != nil {
		return nil, err
	}
	ws := &workloadState{wl: wl, rec: rec, n: int(cfg.N), clients: cfg.Clients, dcs: dcs}
	c.workload = ws
	for i := 0; i < cfg.Clients; i++ {
		if _, err := c.world.AddEndpoint(sim.EndpointSpec{Name: fmt.Sprint("client", i), DC: dcs[i], Factory: wl.ClientFactory(i, true)}); err != nil {
			return nil, err
		}
	}
	ws.final, err = c.world.AddEndpoint(sim.EndpointSpec{Name: FinalReaderName, DC: dc, Factory: wl.ClientFactory(cfg.Clients, false)})
	if err != nil {
		return nil, err
	}
	return wl, nil
}

// Consistency is what a workload's requests ask for, as the history
// records it: N, and W and R as counts when they resolve to one (the
// datacenter levels depend on the coordinator, and are left 0).
func (c *Cluster) Consistency(cfg sim.WorkloadConfig) history.Consistency {
	n := int(cfg.N)
	if n == 0 {
		n = c.currentRing().Replicas()
	}
	co := c.cfg.Node.Coordinator.WithDefaults()
	resolve := func(req, def wire.Need) (int, wire.Need) {
		if req.Level == wire.LevelDefault {
			req = def
		}
		k, _ := req.Fixed(n)
		return k, req
	}
	w, wl := resolve(cfg.W, co.W)
	r, rl := resolve(cfg.R, co.R)
	level := strings.ToLower(rl.String())
	if rl != wl {
		level = "r=" + strings.ToLower(rl.String()) + ",w=" + strings.ToLower(wl.String())
	}
	return history.Consistency{Level: level, N: n, W: w, R: r}
}

// RunWorkload runs the world until the workload has spent its budget and
// no operation is in flight, or until limit of virtual time has passed. It
// reports whether the workload finished.
func (c *Cluster) RunWorkload(limit time.Duration) (bool, error) {
	ws := c.workload
	if ws == nil {
		return false, fmt.Errorf("cluster: no workload")
	}
	end := c.world.Now() + sim.Time(limit)
	for {
		if ws.wl.Exhausted(c.world.Now()) && ws.rec.Pending() == 0 {
			return true, nil
		}
		if c.world.Now() >= end {
			return false, nil
		}
		c.world.Run(sim.Limit{Until: min(end, c.world.Now()+sim.Time(checkEvery))})
		c.reportProgress()
	}
}

// checkEvery is how often (virtual time) the harness checks whether a
// phase is over.
const checkEvery = 10 * time.Millisecond

// FinalReads reads every key once more, at most parallel at a time, with
// read quorum r (nil: the workload's R), through the final reader; a read that fails is tried
// again, up to attempts times in all, finalReadBackoff apart (a lossy
// network fails some reads, and a key that is never read leaves its
// acknowledged puts unverified). It stops after limit of virtual time and
// reports whether every key was read.
func (c *Cluster) FinalReads(keys []string, r *wire.Need, parallel, attempts int, limit time.Duration) (bool, error) {
	ws := c.workload
	if ws == nil {
		return false, fmt.Errorf("cluster: no workload")
	}
	if parallel < 1 || attempts < 1 {
		return false, fmt.Errorf("cluster: final read parallelism %d and attempts %d must be at least 1", parallel, attempts)
	}
	next, done := 0, 0
	var read func(k string, attempt int)
	read = func(k string, attempt int) {
		reader, ok := ws.final.Process().(*sim.Client)
		if !ok {
			return
		}
		reader.ReadFinal(k, r, func(ok bool) {
			if !ok && attempt < attempts {
				c.world.At(c.world.Now()+sim.Time(finalReadBackoff), "final read again", func() { read(k, attempt+1) })
				return
			}
			done++
			if next < len(keys) {
				next++
				read(keys[next-1], 1)
			}
		})
	}
	c.world.At(c.world.Now(), "final reads", func() {
		for next < len(keys) && next < parallel {
			next++
			read(keys[next-1], 1)
		}
	})
	end := c.world.Now() + sim.Time(limit)
	for done < len(keys) && c.world.Now() < end {
		c.world.Run(sim.Limit{Until: min(end, c.world.Now()+sim.Time(checkEvery))})
	}
	return done == len(keys), nil
}

// finalReadBackoff separates the attempts of one key's final read.
const finalReadBackoff = 50 * time.Millisecond
