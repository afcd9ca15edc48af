package checker

import (
	"cmp"
	"fmt"
	"slices"

	"dynasim/history"
)

// ConvergenceOptions configures Convergence. Zero fields take their defaults.
type ConvergenceOptions struct {
	// ReplicasPerKey, when positive, is how many replica states every key
	// must have in every probe (N, or N plus hint holders); a key with fewer
	// cannot be shown converged and counts as not converged.
	ReplicasPerKey int
	// MaxExamples bounds the divergent keys listed. Default 20.
	MaxExamples int
}

func (o ConvergenceOptions) withDefaults() ConvergenceOptions {
	if o.MaxExamples == 0 {
		o.MaxExamples = defaultMaxExamples
	}
	return o
}

// Validate reports a knob out of range.
func (o ConvergenceOptions) Validate() error {
	o = o.withDefaults()
	if o.ReplicasPerKey < 0 || o.ReplicasPerKey > 1000 {
		return fmt.Errorf("checker: ConvergenceOptions.ReplicasPerKey must be in [0, 1000], got %d", o.ReplicasPerKey)
	}
	return validateExamples("ConvergenceOptions", o.MaxExamples)
}

// ConvergenceResult says whether the replicas agreed at the end.
type ConvergenceResult struct {
	// Converged: there was at least one probe and, in the final one, every
	// key's replicas held the same versions.
	Converged bool `json:"converged"`
	// Probes is how many distinct probe times the history holds; the last,
	// at FinalAtNs, is the final state.
	Probes    int   `json:"probes"`
	FinalAtNs int64 `json:"final_at_ns"`
	// Keys in the final probe, and how many of them had converged.
	Keys          int `json:"keys"`
	ConvergedKeys int `json:"converged_keys"`
	// ConvergedAtNs is, when Converged, the earliest probe time from which
	// every probe showed every key converged: the store has agreed since
	// then (as far as the probes can tell). -1 otherwise.
	ConvergedAtNs int64 `json:"converged_at_ns"`
	// NonConverged lists the first divergent keys of the final probe, sorted.
	NonConverged []DivergentKey `json:"non_converged,omitempty"`
	// InFlightAtEnd is how many messages the network still held at the
	// final probe (from the history's run header). NotYet: the replicas
	// differ while messages are on their way, so they may still agree —
	// the run ended too early to tell, which is not convergence and not
	// divergence either.
	InFlightAtEnd int  `json:"in_flight_at_end"`
	NotYet        bool `json:"not_yet"`
}

// DivergentKey is a key whose replicas disagreed in the final probe.
type DivergentKey struct {
	Key      string                 `json:"key"`
	Reason   string                 `json:"reason"`
	Replicas []history.ReplicaState `json:"replicas"`
}

// Convergence checks that, in the final probe of h.Replicas (the states with
// the largest AtNs), all replicas of each key hold the same versions: equal
// sets of live value IDs, equal sets of version strings and the same
// tombstone flag. Earlier probes, if the caller took periodic ones, date the
// convergence: see ConvergedAtNs. A key absent from a probe says nothing in
// that probe. Two states of one key and node in one probe are an error.
func Convergence(h *history.History, opt ConvergenceOptions) (*ConvergenceResult, error) {
	return convergence(h, opt, false)
}

// convergence is Convergence; validated says h is known to be valid (Check validated it).
func convergence(h *history.History, opt ConvergenceOptions, validated bool) (*ConvergenceResult, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	if !validated {
		if err := h.Validate(); err != nil {
			return nil, fmt.Errorf("checker: %w", err)
		}
	}
	res := &ConvergenceResult{ConvergedAtNs: -1, FinalAtNs: -1}
	if len(h.Replicas) == 0 {
		return res, nil
	}
	states := slices.Clone(h.Replicas)
	slices.SortStableFunc(states, func(a, b history.ReplicaState) int {
		return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.AtNs, b.AtNs), cmp.Compare(a.Node, b.Node))
	})
	probeTimes := make(map[int64]bool)
	for _, s := range states {
		probeTimes[s.AtNs] = true
		res.FinalAtNs = max(res.FinalAtNs, s.AtNs)
	}
	res.Probes = len(probeTimes)

	since := int64(-1) // latest per-key "converged since"
	for i := 0; i < len(states); {
		j := i
		for j < len(states) && states[j].Key == states[i].Key {
			j++
		}
		key := states[i:j]
		i = j
		// Probes of this key, oldest first; walk back from the newest while
		// they agree.
		var groups [][]history.ReplicaState
		for a := 0; a < len(key); {
			b := a
			for b < len(key) && key[b].AtNs == key[a].AtNs {
				if b > a && key[b].Node == key[b-1].Node {
					return nil, fmt.Errorf("checker: two replica states for key %q on node %d at %d ns", key[b].Key, key[b].Node, key[b].AtNs)
				}
				b++
			}
			groups = append(groups, key[a:b])
			a = b
		}
		last := groups[len(groups)-1]
		if last[0].AtNs != res.FinalAtNs {
			continue // not in the final probe
		}
		res.Keys++
		if reason := disagreement(last, opt.ReplicasPerKey); reason != "" {
			if len(res.NonConverged) < opt.MaxExamples {
				res.NonConverged = append(res.NonConverged, DivergentKey{Key: last[0].Key, Reason: reason, Replicas: slices.Clone(last)})
			}
			continue
		}
		res.ConvergedKeys++
		from := last[0].AtNs
		for g := len(groups) - 2; g >= 0 && disagreement(groups[g], opt.ReplicasPerKey) == ""; g-- {
			from = groups[g][0].AtNs
		}
		since = max(since, from)
	}
	res.Converged = res.Keys > 0 && res.ConvergedKeys == res.Keys
	if res.Converged {
		res.ConvergedAtNs = since
	}
	if h.Run != nil {
		res.InFlightAtEnd = h.Run.InFlightAtEnd
	}
	res.NotYet = !res.Converged && res.Keys > 0 && res.InFlightAtEnd > 0
	return res, nil
}

// disagreement explains why the replica states of one key in one probe
// differ, or returns "" when they agree.
func disagreement(states []history.ReplicaState, want int) string {
	if want > 0 && len(states) < want {
		return fmt.Sprintf("%d replica states, want %d", len(states), want)
	}
	first := states[0]
	for _, s := range states[1:] {
		switch {
		case !sameSet(first.ValueIDs, s.ValueIDs):
			return fmt.Sprintf("nodes %d and %d hold different values", first.Node, s.Node)
		case !sameSet(first.Versions, s.Versions):
			return fmt.Sprintf("nodes %d and %d hold different versions", first.Node, s.Node)
		case first.Tombstone != s.Tombstone:
			return fmt.Sprintf("nodes %d and %d disagree on the tombstone", first.Node, s.Node)
		}
	}
	return ""
}

func sameSet(a, b []string) bool {
	if len(a) == len(b) && slices.Equal(a, b) {
		return true
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}
