package runner

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"dynasim/checker"
	"dynasim/history"
	"dynasim/internal/dist"
	"dynasim/internal/streams"
	"dynasim/research/wars"
	"dynasim/scenarios"
	"dynasim/sim"
)

// The message kinds of the WARS legs and of the client's path, as the
// network's kind_latency_ms names them.
const (
	kindWrite       = "write_request"
	kindAck         = "write_ack"
	kindRead        = "read_request"
	kindResponse    = "read_response"
	kindClientPut   = "client_put"
	kindClientGet   = "client_get"
	kindClientReply = "client_reply"
)

// DefaultPredictTrials is the trials of `dynasim predict` without
// --trials and of a scenario that is not a probe.
const DefaultPredictTrials = 1_000_000

// PredictConfig maps a resolved scenario onto the WARS model: its N, R and
// W, the network's latency per message kind (network.default's
// kind_latency_ms, else its latency_ms) for the four replica legs and the
// client's legs, and the topology its routing gives:
//
//   - non_replica: the client sends a put to a node outside the key's
//     replicas, which forwards it to the first replica (two client_put
//     legs); that replica mints the version and stores it at once (its own
//     W and A legs are 0) and sends it to the other N-1; the reply returns
//     the same way (two client_reply legs). A get goes to a non-replica
//     (one client_get leg), which reads all N replicas remotely.
//   - first_replica: the first replica coordinates both, so it holds the
//     write and answers the read itself (every read is consistent).
//
// The t points are the probe's delays, or ts if given. An error names
// what the model cannot describe (random routing, per-link or datacenter
// latencies, loss, duplication, bandwidth, FIFO links, event costs, disk
// latency, faults, two-phase writes): the prediction would not be the
// simulation's.
func PredictConfig(r *scenarios.Resolved, trials int, ts []float64) (wars.Config, error) {
	var why []string
	n := r.Workload.N
	rq, okR := r.Workload.ReadLevel.Effective(r.Node.R).Count(n)
	wq, okW := r.Workload.WriteLevel.Effective(r.Node.W).Count(n)
	if !okR || !okW {
		why = append(why, "read and write levels must be replica counts, ONE, TWO, QUORUM or ALL")
	}
	nw := &r.Network
	if len(nw.DCPairs) > 0 || len(nw.Links) > 0 {
		why = append(why, "network.dc_pairs and network.links: the model has one latency distribution per leg")
	}
	if nw.FIFO {
		why = append(why, "network.fifo: FIFO links couple the trials' latencies")
	}
	d := &nw.Default
	if d.LossProb > 0 || d.DupProb > 0 || d.BandwidthBytesPerSec > 0 {
		why = append(why, "network loss, duplication and bandwidth are outside the model")
	}
	if r.Sim.EventCost > 0 {
		why = append(why, "sim.event_cost delays every event")
	}
	for _, name := range sortedDiskNodes(r) {
		if len(r.Disks.Nodes[name].LatencyMs) > 0 {
			why = append(why, "disk latency delays the replicas' acknowledgements (disks.*.latency_ms)")
			break
		}
	}
	if len(r.Faults) > 0 {
		why = append(why, "faults are outside the model")
	}
	if r.Workload.ClientPolicy.Enabled {
		why = append(why, "workload.client_policy: its connect timeouts, retries and re-routing are outside the model")
	}
	if r.Node.TwoPhaseWrites {
		why = append(why, "two-phase writes read before they write")
	}
	leg := func(kind string) dist.Spec {
		if s, ok := d.KindLatencyMs[kind]; ok {
			return s
		}
		return d.LatencyMs
	}
	cfg := wars.Config{
		N: n, R: rq, W: wq,
		WriteMs: leg(kindWrite), AckMs: leg(kindAck), ReadMs: leg(kindRead), ResponseMs: leg(kindResponse),
		Trials:       trials,
		MaxLatencyMs: nw.MaxLatencyMs,
		Seed:         streams.New(r.Seed).Stream("predict/wars").Uint64(),
		TMs:          ts,
	}
	switch r.Workload.Routing {
	case "non_replica":
		if len(r.Cluster.Nodes) <= n {
			why = append(why, fmt.Sprintf("routing non_replica needs more nodes than n = %d, or it falls back to random", n))
		}
		cfg.PutPathMs = []dist.Spec{leg(kindClientPut), leg(kindClientPut)}
		cfg.AckPathMs = []dist.Spec{leg(kindClientReply), leg(kindClientReply)}
		cfg.GetPathMs = []dist.Spec{leg(kindClientGet)}
		cfg.LocalWriteReplica = true
	case "first_replica":
		cfg.PutPathMs = []dist.Spec{leg(kindClientPut)}
		cfg.AckPathMs = []dist.Spec{leg(kindClientReply)}
		cfg.GetPathMs = []dist.Spec{leg(kindClientGet)}
		cfg.LocalWriteReplica, cfg.LocalReadReplica = true, true
	default:
		why = append(why, fmt.Sprintf("routing %s: the model needs non_replica or first_replica (a random coordinator may or may not be a replica)", r.Workload.Routing))
	}
	if p := r.Workload.Probe; p != nil {
		cfg.Versions = p.Versions
		if cfg.TMs == nil {
			cfg.TMs = p.TMs
		}
	}
	if cfg.TMs == nil {
		cfg.TMs = []float64{0, 1, 2, 5, 10, 20, 50, 100}
	}
	if len(why) > 0 {
		return cfg, fmt.Errorf("runner: the WARS model does not describe this scenario: %s", strings.Join(why, "; "))
	}
	return cfg, cfg.Validate()
}

// PredictWarnings are what may make a probe's measurement differ from the
// prediction without making the model wrong: legs that can outlast the
// timeouts (such trials fail and are left out, which the model does not
// do).
func PredictWarnings(r *scenarios.Resolved) []string {
	var out []string
	capMs := r.Network.MaxLatencyMs
	if t := time.Duration(r.Node.RequestTimeout); 2*capMs >= float64(t.Milliseconds()) {
		out = append(out, fmt.Sprintf("network.max_latency_ms %v: a request's two legs can outlast node.request_timeout %v, and the trials that time out are left out of the measurement but not of the prediction", capMs, t))
	}
	// A forwarded put crosses up to six legs (client, proxy, replica and
	// back, with the replica's write and ack between).
	if t := time.Duration(r.Workload.Timeout); 6*capMs >= float64(t.Milliseconds()) && r.Workload.Probe != nil {
		out = append(out, fmt.Sprintf("network.max_latency_ms %v: a forwarded request's legs can outlast workload.timeout %v; trials whose client gives up are left out of the measurement", capMs, t))
	}
	return out
}

func sortedDiskNodes(r *scenarios.Resolved) []string {
	out := make([]string, 0, len(r.Cluster.Nodes))
	for _, m := range r.Cluster.Nodes {
		out = append(out, m.Name)
	}
	return out
}

// probeConfig is the simulated probe of a resolved probe workload, or nil.
func probeConfig(r *scenarios.Resolved) *sim.ProbeConfig {
	p := r.Workload.Probe
	if p == nil {
		return nil
	}
	return &sim.ProbeConfig{TMs: p.TMs, TrialsPerT: p.TrialsPerT, Versions: p.Versions}
}

// checkProbe measures a probe's trials and sets the WARS prediction beside
// them (Results.Probe). A scenario the model cannot describe gets the
// measurement and a note instead of a prediction.
func checkProbe(r *scenarios.Resolved, h *history.History, res *checker.Results) ([]string, error) {
	p := r.Workload.Probe
	if p == nil {
		return nil, nil
	}
	pr, err := checker.Probe(h, checker.ProbeOptions{TMs: p.TMs, Versions: p.Versions})
	if err != nil {
		return nil, err
	}
	res.Probe = pr
	notes := PredictWarnings(r)
	cfg, err := PredictConfig(r, p.PredictTrials, p.TMs)
	if err != nil {
		return append(notes, "no prediction: "+err.Error()), nil
	}
	pred, err := wars.Predict(cfg)
	if err != nil {
		return nil, err
	}
	if err := pr.SetPrediction(pred.Points, p.FamilyAlpha); err != nil {
		return nil, errors.Join(errors.New("runner: the prediction does not match the probe"), err)
	}
	return notes, nil
}

// keyCount is the key space the clients touch: a probe's one key per
// trial, else workload.keys.count.
func keyCount(r *scenarios.Resolved) int {
	if p := r.Workload.Probe; p != nil {
		return p.Trials()
	}
	return r.Workload.Keys.Count
}
