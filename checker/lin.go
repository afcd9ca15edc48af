package checker

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"dynasim/history"
)

// LinearizabilityOptions configures CheckLinearizability. Zero fields take
// their defaults.
type LinearizabilityOptions struct {
	// Model is the specification: Register or MultiValue. Required.
	Model Model
	// StepBudget bounds the search of one key, counted in the model steps
	// Porcupine tries. A key that needs more is inconclusive with reason
	// "step_budget". Steps are counted, not timed, so the verdict is the same
	// on a busy and an idle machine. Default DefaultLinStepBudget.
	StepBudget int64
	// MemoryBudgetBytes bounds what Porcupine may cache for one key: each
	// state it reaches costs a copy of the key's linearized-set bitset (one
	// bit per operation) and the state. A key that would need more is
	// inconclusive with reason "memory_budget" — also counted, so also
	// deterministic. Default DefaultLinMemoryBudgetBytes.
	MemoryBudgetBytes int64
	// TimeLimit is the last-resort wall-clock safety cap on the whole check,
	// for a budget set so high that the machine would otherwise hang. Keys
	// still undecided when it runs out are inconclusive with reason
	// "time_limit" — the one verdict that depends on the machine, reported
	// as such. Default 10 minutes.
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
	// Verdicts do not depend on it: every key has its own budget.
	Workers int
}

const (
	// DefaultLinStepBudget is about a second of search per key on one core.
	DefaultLinStepBudget = int64(20_000_000)
	// DefaultLinMemoryBudgetBytes bounds one key's cache; with Workers keys
	// at once the check holds at most Workers times this. The count is an
	// upper bound (every successful step is counted as a new cached state,
	// though porcupine stores only those it has not seen), but not a loose
	// one for a long key: the 129 K-operation hot key of a million-operation
	// baseline held 1.46 GB of bitsets under a count of 2 GiB. Why 512 MiB
	// and not the 2 GiB it was: the two largest keys are searched last and
	// together (smallest first), so 2 GiB let that run's check alone
	// take 1.5 to 2.5 GB, and its peak RSS 2.2 to 2.7 GB at some seeds,
	// over the 2 GB a million-operation run must fit in; at 512 MiB the peak
	// is about 1.6 GB. Keys of the shipped scenarios stay far below it.
	DefaultLinMemoryBudgetBytes = int64(512 << 20)
	defaultLinTimeLimit         = 10 * time.Minute
	defaultVizTimeLimit         = 10 * time.Second
	maxWorkers                  = 1024
	// cacheEntryOverhead is what porcupine spends per cached state besides
	// the bitset's words and the state's bytes: the entry, the slice header
	// in its bucket and the map slot, rounded up.
	cacheEntryOverhead = 96
)

func (o LinearizabilityOptions) withDefaults() LinearizabilityOptions {
	if o.StepBudget == 0 {
		o.StepBudget = DefaultLinStepBudget
	}
	if o.MemoryBudgetBytes == 0 {
		o.MemoryBudgetBytes = DefaultLinMemoryBudgetBytes
	}
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
	if o.StepBudget < 0 {
		return fmt.Errorf("checker: LinearizabilityOptions.StepBudget must be positive, got %d", o.StepBudget)
	}
	if o.MemoryBudgetBytes < 0 {
		return fmt.Errorf("checker: LinearizabilityOptions.MemoryBudgetBytes must be positive, got %d", o.MemoryBudgetBytes)
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
	// LinUnknown: no key is illegal but at least one was not decided within
	// its budget. Inconclusive: report it as such, never as a pass.
	LinUnknown LinResult = "unknown"
)

// InconclusiveReason says why a key was not decided.
type InconclusiveReason string

const (
	// ReasonStepBudget: the search needed more than StepBudget steps.
	ReasonStepBudget InconclusiveReason = "step_budget"
	// ReasonMemoryBudget: the search would have cached more than
	// MemoryBudgetBytes.
	ReasonMemoryBudget InconclusiveReason = "memory_budget"
	// ReasonTimeLimit: the wall-clock safety cap ran out. The only reason
	// that depends on the machine.
	ReasonTimeLimit InconclusiveReason = "time_limit"
)

// InconclusiveKey is a key the check could not decide.
type InconclusiveKey struct {
	Key    string             `json:"key"`
	Reason InconclusiveReason `json:"reason"`
	// Ops is the key's operation count, Steps the steps tried before the
	// search stopped.
	Ops   int   `json:"ops"`
	Steps int64 `json:"steps"`
}

// LinearizabilityResult is what CheckLinearizability found.
type LinearizabilityResult struct {
	Model  Model     `json:"model"`
	Result LinResult `json:"result"`
	// Keys is how many keys (partitions) were checked.
	Keys int `json:"keys"`
	// CheckedOps is how many operations went to Porcupine. OpenOps of them
	// are writes with unknown outcome left open (never returning); BoundedOps
	// are puts with unknown outcome whose value some get returned, closed at
	// the first such get's return (see CheckLinearizability).
	CheckedOps int `json:"checked_ops"`
	OpenOps    int `json:"open_ops"`
	BoundedOps int `json:"bounded_ops"`
	// DroppedOps carry no information: failed operations (definitely not
	// applied), gets that did not return ok, and puts with unknown outcome
	// whose value nothing observed (UnobservedOps of them).
	DroppedOps    int `json:"dropped_ops"`
	UnobservedOps int `json:"unobserved_ops"`
	// Steps is the total number of model steps tried over all keys;
	// MaxKeySteps the most any one key took; StepBudget the per-key budget
	// they were held to.
	Steps       int64 `json:"steps"`
	MaxKeySteps int64 `json:"max_key_steps"`
	StepBudget  int64 `json:"step_budget"`
	// IllegalKeys and UnknownKeys are sorted; Inconclusive says, for each
	// unknown key in the same order, why.
	IllegalKeys  []string          `json:"illegal_keys,omitempty"`
	UnknownKeys  []string          `json:"unknown_keys,omitempty"`
	Inconclusive []InconclusiveKey `json:"inconclusive,omitempty"`
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

// keyVerdict is what the search of one key found.
type keyVerdict struct {
	result porcupine.CheckResult
	reason InconclusiveReason // when result is Unknown
	steps  int64
}

// CheckLinearizability checks h against opt.Model with Porcupine, one key
// at a time (a key-value store is linearizable iff each key is), keys in
// sorted order.
//
// What goes in: ok operations as they are; failed operations, and gets that
// did not return ok, are dropped. A put with unknown outcome is treated by
// what the history shows of its value, which is unique:
//
//   - some get returned it: the put took effect before that get's
//     linearization point, so before the get returned. Its return is set to
//     the earliest return of such a get. This keeps exactly the
//     linearizations the open operation allowed, and makes the key's history
//     narrower, hence far cheaper to search.
//   - no get returned it and no context names it: it is dropped. If it took
//     effect, nothing ever read the state after it without it (a register:
//     every later read before an overwrite would return it; a multi-value
//     register: only a context naming it removes it), so it can be placed
//     after every operation, which is the same as leaving it out.
//
// Deletes with unknown outcome, and puts named only by a context, stay open:
// their return lies after every event of the history.
//
// Each key's search is held to opt.StepBudget steps and opt.MemoryBudgetBytes
// of cache, both counted, so the verdict does not depend on the machine; a
// key over either is inconclusive, and so is a key still undecided when the
// wall-clock safety cap opt.TimeLimit runs out (reported with its reason).
//
// On an illegal result with opt.VisualizationPath set, the failing key is
// checked again verbosely and Porcupine's HTML visualisation of it, with the
// fault windows overlapping it as annotations, is written there. If writing
// fails, the complete result is returned together with the error.
func CheckLinearizability(h *history.History, opt LinearizabilityOptions) (*LinearizabilityResult, error) {
	return checkLinearizability(h, opt, false)
}

// checkLinearizability is CheckLinearizability; validated says h has been
// validated already (Check does it once for every check).
func checkLinearizability(h *history.History, opt LinearizabilityOptions, validated bool) (*LinearizabilityResult, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	if !validated {
		if err := h.Validate(); err != nil {
			return nil, fmt.Errorf("checker: %w", err)
		}
	}
	res := &LinearizabilityResult{Model: opt.Model, StepBudget: opt.StepBudget}
	table := newValueTableSized(countPuts(h) + 1)
	keys := buildKeyHistories(h, table, res)
	res.Keys = len(keys)
	model := porcupineModel(opt.Model, table)
	// Each call below gets one key already, so skip the model's partitioning.
	model.Partition = nil

	verdicts := checkKeys(model, keys, opt)
	for i, v := range verdicts {
		res.Steps += v.steps
		res.MaxKeySteps = max(res.MaxKeySteps, v.steps)
		switch v.result {
		case porcupine.Illegal:
			res.IllegalKeys = append(res.IllegalKeys, keys[i].key)
			if res.FailingKey == "" || len(keys[i].ops) < res.FailingKeyOps {
				// keys are sorted, so the first of equal size wins
				res.FailingKey, res.FailingKeyOps = keys[i].key, len(keys[i].ops)
			}
		case porcupine.Unknown:
			res.UnknownKeys = append(res.UnknownKeys, keys[i].key)
			res.Inconclusive = append(res.Inconclusive, InconclusiveKey{Key: keys[i].key, Reason: v.reason, Ops: len(keys[i].ops), Steps: v.steps})
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

// countPuts is the number of put operations in h, to size tables by.
func countPuts(h *history.History) int {
	n := 0
	for i := range h.Ops {
		if h.Ops[i].Kind == history.Put {
			n++
		}
	}
	return n
}

// buildKeyHistories turns h into one porcupine history per key, keys sorted.
func buildKeyHistories(h *history.History, table *valueTable, res *LinearizabilityResult) []keyHistory {
	var open int64 // a return time after every event of the history
	// firstRead: the earliest return of an ok get that returned a value;
	// named: values some write's context names.
	// Both hold about one entry per value written.
	puts := countPuts(h)
	firstRead := make(map[string]int64, puts)
	named := make(map[string]bool, puts)
	for i := range h.Ops {
		o := &h.Ops[i]
		open = max(open, o.ReturnNs+1)
		switch {
		case o.Kind == history.Get && o.Outcome == history.OK:
			for _, v := range o.Values {
				if t, seen := firstRead[v]; !seen || o.ReturnNs < t {
					firstRead[v] = o.ReturnNs
				}
			}
		case o.Kind != history.Get:
			for _, v := range o.Context {
				named[v] = true
			}
		}
	}
	// Count each key's operations first, so that every key's list is
	// allocated once at its size, and the inputs and outputs of all
	// operations in one array each; porcupine holds them, and the
	// operation's own record as its metadata, by pointer.
	checked := make(map[string]int)
	for i := range h.Ops {
		if o := &h.Ops[i]; linCandidate(o) {
			checked[o.Key]++
		}
	}
	total := 0
	for _, n := range checked {
		total += n
	}
	ins := make([]linInput, 0, total)
	outs := make([]linOutput, 0, total)
	byKey := make(map[string][]porcupine.Operation, len(checked))
	for i := range h.Ops {
		o := &h.Ops[i]
		if !linCandidate(o) {
			res.DroppedOps++
			continue
		}
		ret := o.ReturnNs
		var out linOutput
		if o.Outcome == history.Unknown {
			out.open = true
			readAt, read := firstRead[o.Value]
			switch {
			case o.Kind == history.Put && read:
				ret = max(readAt, o.InvokeNs)
				res.BoundedOps++
			case o.Kind == history.Put && !named[o.Value]:
				res.DroppedOps++
				res.UnobservedOps++
				continue
			default:
				ret = open
				res.OpenOps++
			}
		}
		in := linInput{key: o.Key, kind: linKindOf(o.Kind)}
		switch o.Kind {
		case history.Put:
			in.value = table.intern(o.Value)
			in.ctx = table.set(o.Context)
		case history.Delete:
			in.ctx = table.set(o.Context)
		case history.Get:
			out.values = encodeSet(table.set(o.Values))
		}
		res.CheckedOps++
		ins = append(ins, in)
		outs = append(outs, out)
		ops := byKey[o.Key]
		if ops == nil {
			ops = make([]porcupine.Operation, 0, checked[o.Key])
		}
		byKey[o.Key] = append(ops, porcupine.Operation{
			ClientId: o.Client,
			Input:    &ins[len(ins)-1],
			Call:     o.InvokeNs,
			Output:   &outs[len(outs)-1],
			Return:   ret,
			Metadata: o,
		})
	}
	keys := make([]keyHistory, 0, len(byKey))
	for k, ops := range byKey {
		keys = append(keys, keyHistory{k, ops})
	}
	slices.SortFunc(keys, func(a, b keyHistory) int { return cmp.Compare(a.key, b.key) })
	return keys
}

// linCandidate: a failed operation had no effect, and a get that did not
// succeed returned nothing; neither is checked.
func linCandidate(o *history.Op) bool {
	return o.Outcome != history.Failed && (o.Kind != history.Get || o.Outcome == history.OK)
}

// budgeted wraps model so that its search stops deterministically: once the
// key has tried stepBudget steps, or cached states worth memoryBudget bytes,
// every further step fails, so Porcupine backtracks to the root and answers
// Illegal at once; checkKey turns that into Unknown. A search that ends Ok
// before the budget ran out used only real steps, so Ok stays a proof.
type budgeted struct {
	steps, stepBudget int64
	cached, memBudget int64
	perEntry          int64 // cache bytes per reached state, before its own bytes
	over              InconclusiveReason
}

func (b *budgeted) wrap(model porcupine.Model) porcupine.Model {
	step := model.Step
	model.Step = func(state, input, output any) (bool, any) {
		if b.over != "" {
			return false, state
		}
		if b.steps == b.stepBudget {
			b.over = ReasonStepBudget
			return false, state
		}
		b.steps++
		ok, next := step(state, input, output)
		if ok {
			// An upper bound: porcupine caches a reached state unless it
			// has seen it already.
			b.cached += b.perEntry + int64(len(next.(string)))
			if b.cached > b.memBudget {
				b.over = ReasonMemoryBudget
				return false, state
			}
		}
		return ok, next
	}
	return model
}

func newBudget(k keyHistory, opt LinearizabilityOptions) *budgeted {
	words := int64(len(k.ops)+63) / 64
	return &budgeted{stepBudget: opt.StepBudget, memBudget: opt.MemoryBudgetBytes, perEntry: 8*words + cacheEntryOverhead}
}

// checkKeys decides every key, smallest keys first, each under its own
// budget; the wall-clock cap is shared. Only a cap hit makes a verdict
// depend on scheduling.
func checkKeys(model porcupine.Model, keys []keyHistory, opt LinearizabilityOptions) []keyVerdict {
	verdicts := make([]keyVerdict, len(keys))
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
				verdicts[i] = checkKey(model, keys[i], opt, time.Until(deadline))
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

func checkKey(model porcupine.Model, k keyHistory, opt LinearizabilityOptions, remaining time.Duration) keyVerdict {
	if remaining <= 0 {
		return keyVerdict{result: porcupine.Unknown, reason: ReasonTimeLimit}
	}
	b := newBudget(k, opt)
	r := porcupine.CheckOperationsTimeout(b.wrap(model), k.ops, remaining)
	v := keyVerdict{result: r, steps: b.steps}
	switch {
	case b.over != "":
		v.result, v.reason = porcupine.Unknown, b.over
	case r == porcupine.Unknown:
		v.reason = ReasonTimeLimit
	}
	return v
}

func visualize(model porcupine.Model, k keyHistory, faults []history.FaultWindow, opt LinearizabilityOptions) error {
	// The same budget as the verdict: the verbose search takes the same
	// path, so it reaches the same end.
	_, info := porcupine.CheckOperationsVerbose(newBudget(k, opt).wrap(model), k.ops, opt.VisualizationTimeLimit)
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
