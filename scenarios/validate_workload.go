package scenarios

import (
	"fmt"
	"math"
	"slices"

	"dynasim/internal/dist"
	"dynasim/sim/network"
)

// Workload limits (sim's).
const (
	MaxClients = 100_000
	MaxKeys    = 10_000_000
	MaxOps     = 1_000_000_000
	// MaxEndpoints is the most endpoints the simulated network holds: one
	// per node and per client, plus the final reader. With nodes nodes,
	// at most MaxEndpoints-nodes-1 clients.
	MaxEndpoints = network.HardMaxEndpoints
)

// workload checks the client knobs, and records when the workload ends so
// fault times can be checked against it.
func (v *validator) workload() {
	w := &v.s.Workload
	within(v, w.Clients, "workload.clients", 1, MaxClients)
	clientsPath := "workload.clients"
	_, hi := lohi(w.Clients, DefaultClients)
	if len(w.ClientsPerDC) > 0 {
		clientsPath = "workload.clients_per_dc"
		sumLo, sumHi := 0, 0
		for _, dc := range sortedKeys(w.ClientsPerDC) {
			p := "workload.clients_per_dc." + dc
			k := w.ClientsPerDC[dc]
			within(v, k, p, 1, MaxClients)
			v.datacenter(p, dc)
			lo, h := lohi(k, 0)
			sumLo, sumHi = sumLo+lo, sumHi+h
		}
		if lo, h := lohi(w.Clients, 0); w.Clients.Set && !(lo == sumLo && h == sumHi && sumLo == sumHi) {
			v.bad("workload.clients", "clients is the sum of clients_per_dc (%s); leave it out", span(sumLo, sumHi))
		}
		if sumHi > MaxClients && !v.failed(clientsPath) {
			v.bad(clientsPath, "%d clients in total, the limit is %d", sumHi, MaxClients)
		}
		hi = sumHi
	}
	if hi <= MaxClients && v.maxNodes+hi+1 > MaxEndpoints && !v.failed(clientsPath, "workload.clients", "cluster.nodes") {
		v.bad(clientsPath, "%d clients and %d nodes need %d simulated endpoints (one per node and client, plus the final reader), the limit is %d: at most %d clients with %d nodes",
			hi, v.maxNodes, v.maxNodes+hi+1, MaxEndpoints, MaxEndpoints-v.maxNodes-1, v.maxNodes)
	}
	within(v, w.RatePerClient, "workload.rate_per_client", 0, 1e6)
	v.spec(w.ThinkTimeMs, "workload.think_time_ms", "a think time")
	if rateLo, _ := lohi(w.RatePerClient, 0); w.ThinkTimeMs.Set && rateLo > 0 {
		v.bad("workload.think_time_ms", "applies only to a closed loop (rate_per_client: 0); an open loop starts operations at its rate")
	}
	within(v, w.Duration, "workload.duration", 0, Duration(30*24*3600e9))
	within(v, w.MaxOps, "workload.max_ops", 0, MaxOps)
	within(v, w.MaxOutstanding, "workload.max_outstanding", 1, 1_000_000)
	durLo, _ := lohi(w.Duration, defaultDuration(w))
	opsLo, _ := lohi(w.MaxOps, 0)
	if durLo <= 0 && opsLo <= 0 && !v.failed("workload.duration", "workload.max_ops") {
		v.bad("workload.duration", "the workload needs a duration or max_ops, or it never ends (both can be 0)")
	}
	if durLo > 0 && !v.failed("workload.duration", "workload.max_ops") { // a known end to check fault times against
		v.runEnd, v.runEndWhy = durLo, fmt.Sprintf("the workload ends (workload.duration %v)", durLo)
		if heal := v.s.HealAtEnd.Possible(true); !slices.Contains(heal, true) {
			q, _ := lohi(v.s.QuietPeriod, DefaultQuietPeriod)
			v.runEnd += q
			v.runEndWhy = fmt.Sprintf("the run ends (workload.duration %v + quiet_period %v)", durLo, q)
		}
	}

	m := &w.Mix
	sumLo, anySet := 0.0, false
	for _, f := range []struct {
		name string
		k    Knob[float64]
	}{{"get", m.Get}, {"put", m.Put}, {"delete", m.Delete}, {"rmw", m.ReadModifyWrite}} {
		within(v, f.k, "workload.mix."+f.name, 0, 1e6)
		lo, _ := lohi(f.k, 0)
		sumLo += max(lo, 0) // a negative weight is reported on its own
		anySet = anySet || f.k.Set
	}
	if anySet && sumLo <= 0 && !v.failed("workload.mix") {
		v.bad("workload.mix", "the mix can have no operations: every weight can be 0")
	}

	k := &w.Keys
	within(v, k.Count, "workload.keys.count", 1, MaxKeys)
	eachValue(k.ZipfS, "workload.keys.zipf_s", func(x float64, p string) {
		if !(x > 0 && x <= 10) {
			v.bad(p, "must be within (0, 10], got %v", x)
		}
	})
	for _, f := range []struct {
		name string
		k    Knob[float64]
	}{{"hotspot_keys", k.HotspotKeys}, {"hotspot_ops", k.HotspotOps}} {
		eachValue(f.k, "workload.keys."+f.name, func(x float64, p string) {
			if !(x > 0 && x < 1) {
				v.bad(p, "must be a fraction within (0, 1), got %v", x)
			}
		})
	}

	v.spec(w.ValueSizeBytes, "workload.value_size_bytes", "a value size")
	eachValue(w.ValueSizeBytes, "workload.value_size_bytes", func(s dist.Spec, p string) {
		if s.Validate() != nil {
			return
		}
		switch hi := upperBound(s); {
		case math.IsInf(hi, 1):
			v.bad(p, "%s has no upper bound, but a value is at most %d bytes; use constant, uniform or a mixture of them", s, MaxValueSizeBytes)
		case hi > MaxValueSizeBytes:
			v.bad(p, "%s can draw %v bytes, over the %d-byte value limit", s, hi, MaxValueSizeBytes)
		}
	})

	within(v, w.N, "workload.n", 1, MaxReplicas)
	reqN := v.nLo
	if w.N.Set {
		lo, hi := lohi(w.N, 0)
		reqN = lo
		if hi > v.minNodes && !v.failed("cluster.nodes") {
			v.bad("workload.n", "n = %d replicas need at least %d nodes; the cluster has %d", hi, hi, v.minNodes)
		}
	}
	v.level("workload.read_level", w.ReadLevel, reqN)
	v.level("workload.write_level", w.WriteLevel, reqN)
	within(v, w.Timeout, "workload.timeout", Duration(1e6), Duration(3600e9))
	within(v, w.Retries, "workload.retries", 0, 100)
	v.clientPolicy()
}

// clientPolicy checks workload.client_policy, for every value its knobs
// can take: the connect timeout fits inside the request timeout, the
// backoff cap is not below the backoff, and a policy that can be enabled
// is not combined with blind retries.
func (v *validator) clientPolicy() {
	w := &v.s.Workload
	cp := &w.ClientPolicy
	const p = "workload.client_policy."
	within(v, cp.ConnectTimeout, p+"connect_timeout", Duration(1e6), Duration(3600e9))
	within(v, cp.RetryAttempts, p+"retry_attempts", 0, MaxRetryAttempts)
	within(v, cp.UnhealthyBackoff, p+"unhealthy_backoff", Duration(1e6), Duration(24*3600e9))
	within(v, cp.MaxUnhealthyBackoff, p+"max_unhealthy_backoff", Duration(1e6), Duration(24*3600e9))
	if !slices.Contains(cp.Enabled.Possible(false), true) {
		return
	}
	if _, hi := lohi(cp.ConnectTimeout, DefaultConnectTimeout); !v.failed(p+"connect_timeout", "workload.timeout") {
		if lo, _ := lohi(w.Timeout, DefaultClientTimeout); hi > lo {
			v.bad(p+"connect_timeout", "connect timeout %v can exceed the request timeout (workload.timeout %v): a first byte is expected before the reply is due", hi, lo)
		}
	}
	if !v.failed(p+"unhealthy_backoff", p+"max_unhealthy_backoff") {
		_, bhi := lohi(cp.UnhealthyBackoff, DefaultUnhealthyBackoff)
		if mlo, _ := lohi(cp.MaxUnhealthyBackoff, DefaultMaxUnhealthyBackoff); mlo < bhi {
			v.bad(p+"max_unhealthy_backoff", "max unhealthy backoff %v can be below the unhealthy backoff %v", mlo, bhi)
		}
	}
	if _, hi := lohi(w.Retries, 0); hi > 0 && !v.failed("workload.retries") {
		v.bad("workload.retries", "retries resend every failed request, writes of unknown outcome too; with client_policy enabled use client_policy.retry_attempts, which retries only what is safe to retry")
	}
}

// defaultDuration is the workload duration when none is given: a fixed
// default, unless max_ops bounds the workload instead.
func defaultDuration(w *WorkloadSpec) Duration {
	if w.MaxOps.Set {
		return 0
	}
	return DefaultDuration
}
