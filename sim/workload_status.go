package sim

// Exhausted reports whether the clients have spent the workload's budget
// by virtual time now: MaxOps operations started, or Duration reached.
// They start nothing more afterwards; operations in flight still complete
// (the recorder's Pending counts them). Harnesses use it to tell when a
// workload is over.
func (wl *Workload) Exhausted(now Time) bool {
	cfg := &wl.cfg
	if cfg.Probe != nil { // over when every trial is, not when the last starts
		return wl.probeDone >= cfg.Probe.Trials()
	}
	return (cfg.MaxOps > 0 && wl.started >= cfg.MaxOps) || (cfg.Duration > 0 && now >= Time(cfg.Duration))
}
