package checker

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"dynasim/checker/history"
)

// LinearizabilityOptions configures CheckLinearizability. Zero fields take
// their defaults.
type LinearizabilityOptions struct {
	// Model is the specification: Register or MultiValue. Required.
	Model Model
	// TimeLimit bounds the whole check in wall-clock time. Keys still
	// undecided when it runs out are "unknown" (inconclusive, never a pass).
	// Default 60 s.
	TimeLimit time.Duration
	// VisualizationPath is where Porcupine's HTML visualisation of the
	// smallest failing key is written when the result is illegal. Empty: no
	// file.
	VisualizationPath string
	// VisualizationTimeLimit bounds the second, verbose check of the failing
	// key that computes the partial linearizations the visualisation shows.
	// Default 10 s.
	VisualizationTimeLimit time.Duration
	// Workers is how many keys are checked at once. Default GOMAXPROCS.
	Workers int
}

const (
	defaultLinTimeLimit = 60 * time.Second
	defaultVizTimeLimit = 10 * time.Second
	maxWorkers          = 1024
)

func (o LinearizabilityOptions) withDefaults() LinearizabilityOptions {
	if o.TimeLimit == 0 {
		o.TimeLimit = defaultLinTimeLimit
	}
	if o.VisualizationTimeLimit == 0 {
		o.VisualizationTimeLimit = defaultVizTimeLimit
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Validate reports a knob out of range (after defaults are applied).
func (o LinearizabilityOptions) Validate() error {
	o = o.withDefaults()
	if err := o.Model.Validate(); err != nil {
		return err
	}
	if o.TimeLimit < 0 {
		return fmt.Errorf("checker: LinearizabilityOptions.TimeLimit must be positive, got %v", o.TimeLimit)
	}
	if o.VisualizationTimeLimit < 0 {
		return fmt.Errorf("checker: LinearizabilityOptions.VisualizationTimeLimit must be positive, got %v", o.VisualizationTimeLimit)
	}
	if o.Workers < 1 || o.Workers > maxWorkers {
		return fmt.Errorf("checker: LinearizabilityOptions.Workers must be in [1, %d], got %d", maxWorkers, o.Workers)
	}
	return nil
}

// LinResult is the verdict of a linearizability check.
type LinResult string

const (
	// LinOK: every key has a linearization.
	LinOK LinResult = "ok"
	// LinIllegal: at least one key has none. Definite, even if other keys
	// ran out of time.
	LinIllegal LinResult = "illegal"
	// LinUnknown: no key is illegal but at least one ran out of time.
	// Inconclusive: report it as such, never as a pass.
	LinUnknown LinResult = "unknown"
)

// LinearizabilityResult is what CheckLinearizability found.
type LinearizabilityResult struct {
	Model  Model     `json:"model"`
	Result LinResult `json:"result"`
	// Keys is how many keys (partitions) were checked.
	Keys int `json:"keys"`
	// CheckedOps is how many operations went to Porcupine, OpenOps of them
	// puts and deletes with unknown outcome left open (never returning).
	CheckedOps int `json:"checked_ops"`
	OpenOps    int `json:"open_ops"`
	// DroppedOps carry no information: failed operations (definitely not
	// applied) and gets that did not return ok.
	DroppedOps int `json:"dropped_ops"`
	// IllegalKeys and UnknownKeys are sorted.
	IllegalKeys []string `json:"illegal_keys,omitempty"`
	UnknownKeys []string `json:"unknown_keys,omitempty"`
	// FailingKey is the illegal key with the fewest operations (ties: the
	// smallest key), the easiest one to read; FailingKeyOps its size.
	FailingKey    string `json:"failing_key,omitempty"`
	FailingKeyOps int    `json:"failing_key_ops,omitempty"`
	// Visualization is the path the HTML visualisation was written to.
	Visualization string `json:"visualization,omitempty"`
}

type keyHistory struct {
	key string
	ops []porcupine.Operation
}

// CheckLinearizability checks h against opt.Model with Porcupine, one key
// at a time (a key-value store is linearizable iff each key is), keys in
// sorted order.
//
// What goes in: ok operations as they are; puts and deletes with unknown
// outcome as open operations whose return lies after every event of the
// history, so Porcupine may linearize them anywhere after their invocation
// — or, since nothing observes an effect-free suffix, not at all; failed
// operations, and gets that did not return ok, are dropped.
//
// On an illegal result with opt.VisualizationPath set, the failing key is
// checked again verbosely and Porcupine's HTML visualisation of it, with the
// fault windows overlapping it as annotations, is written there. If writing
// fails, the complete result is returned together with the error.
func CheckLinearizability(h *history.History, opt LinearizabilityOptions) (*LinearizabilityResult, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("checker: %w", err)
	}
	res := &LinearizabilityResult{Model: opt.Model}
	table := newValueTable()
	keys := buildKeyHistories(h, table, res)
	res.Keys = len(keys)
	model := porcupineModel(opt.Model, table)
	// Each call below gets one key already, so skip the model's partitioning.
	model.Partition = nil

	verdicts := checkKeys(model, keys, opt)
	for i, v := range verdicts {
		switch v {
		case porcupine.Illegal:
			res.IllegalKeys = append(res.IllegalKeys, keys[i].key)
			if res.FailingKey == "" || len(keys[i].ops) < res.FailingKeyOps {
				// keys are sorted, so the first of equal size wins
				res.FailingKey, res.FailingKeyOps = keys[i].key, len(keys[i].ops)
			}
		case porcupine.Unknown:
			res.UnknownKeys = append(res.UnknownKeys, keys[i].key)
		}
	}
	switch {
	case len(res.IllegalKeys) > 0:
		res.Result = LinIllegal
	case len(res.UnknownKeys) > 0:
		res.Result = LinUnknown
	default:
		res.Result = LinOK
	}
	if res.Result == LinIllegal && opt.VisualizationPath != "" {
		i := slices.IndexFunc(keys, func(k keyHistory) bool { return k.key == res.FailingKey })
		if err := visualize(model, keys[i], h.Faults, opt); err != nil {
			return res, fmt.Errorf("checker: writing the linearizability visualisation: %w", err)
		}
		res.Visualization = opt.VisualizationPath
	}
	return res, nil
}

// buildKeyHistories turns h into one porcupine history per key, keys sorted.
func buildKeyHistories(h *history.History, table *valueTable, res *LinearizabilityResult) []keyHistory {
	var open int64 // a return time after every event of the history
	for i := range h.Ops {
		open = max(open, h.Ops[i].ReturnNs+1)
	}
	byKey := make(map[string][]porcupine.Operation)
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Outcome == history.Failed || (o.Kind == history.Get && o.Outcome != history.OK) {
			res.DroppedOps++
			continue
		}
		in := linInput{key: o.Key, kind: o.Kind}
		var out linOutput
		switch o.Kind {
		case history.Put:
			in.value = table.intern(o.Value)
			in.ctx = table.set(o.Context)
		case history.Delete:
			in.ctx = table.set(o.Context)
		case history.Get:
			out.values = encodeSet(table.set(o.Values))
		}
		ret := o.ReturnNs
		if o.Outcome == history.Unknown {
			ret, out.open = open, true
			res.OpenOps++
		}
		res.CheckedOps++
		byKey[o.Key] = append(byKey[o.Key], porcupine.Operation{
			ClientId: o.Client,
			Input:    in,
			Call:     o.InvokeNs,
			Output:   out,
			Return:   ret,
			Metadata: linMeta{id: o.ID, coordinator: o.Coordinator, outcome: o.Outcome},
		})
	}
	keys := make([]keyHistory, 0, len(byKey))
	for k, ops := range byKey {
		keys = append(keys, keyHistory{k, ops})
	}
	slices.SortFunc(keys, func(a, b keyHistory) int { return cmp.Compare(a.key, b.key) })
	return keys
}

// checkKeys decides every key under one shared deadline, smallest keys first:
// when the deadline bites, as many keys as possible are decided, and a small
// illegal key is never starved by a huge one. Without a deadline hit the
// verdicts do not depend on scheduling.
func checkKeys(model porcupine.Model, keys []keyHistory, opt LinearizabilityOptions) []porcupine.CheckResult {
	verdicts := make([]porcupine.CheckResult, len(keys))
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(len(keys[a].ops), len(keys[b].ops)) })
	deadline := time.Now().Add(opt.TimeLimit)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(opt.Workers, len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				remaining := time.Until(deadline)
				if remaining <= 0 {
					verdicts[i] = porcupine.Unknown
					continue
				}
				verdicts[i] = porcupine.CheckOperationsTimeout(model, keys[i].ops, remaining)
			}
		}()
	}
	for _, i := range order {
		next <- i
	}
	close(next)
	wg.Wait()
	return verdicts
}

func visualize(model porcupine.Model, k keyHistory, faults []history.FaultWindow, opt LinearizabilityOptions) error {
	_, info := porcupine.CheckOperationsVerbose(model, k.ops, opt.VisualizationTimeLimit)
	var lo, hi int64 = k.ops[0].Call, k.ops[0].Return
	for _, op := range k.ops {
		lo, hi = min(lo, op.Call), max(hi, op.Return)
	}
	var notes []porcupine.Annotation
	for _, f := range faults {
		if f.EndNs < lo || f.StartNs > hi {
			continue
		}
		notes = append(notes, porcupine.Annotation{
			Tag:             "faults",
			Start:           f.StartNs,
			End:             f.EndNs,
			Description:     f.Label,
			Details:         fmt.Sprintf("%s: [%d, %d) ns", f.Label, f.StartNs, f.EndNs),
			BackgroundColor: "#f6d6d6",
		})
	}
	info.AddAnnotations(notes)
	return porcupine.VisualizePath(model, info, opt.VisualizationPath)
}
