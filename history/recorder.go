package history

import (
	"fmt"
	"slices"
)

// RecorderConfig bounds a Recorder.
type RecorderConfig struct {
	// MaxOps is the most operations one run may record; Invoke fails beyond
	// it. Default 10,000,000 (about 2 GB of history at worst).
	MaxOps int
}

// DefaultRecorderConfig returns the defaults documented on RecorderConfig.
func DefaultRecorderConfig() RecorderConfig { return RecorderConfig{MaxOps: 10_000_000} }

// Validate reports a knob out of range.
func (c RecorderConfig) Validate() error {
	if c.MaxOps < 1 {
		return fmt.Errorf("history: RecorderConfig.MaxOps must be at least 1, got %d", c.MaxOps)
	}
	return nil
}

// Invocation is what is known when a client issues an operation.
type Invocation struct {
	Client  int
	Kind    OpKind
	Key     string
	Value   string   // put: the new value's unique ID
	Context []string // put/delete: value IDs the client read and passes back
	// Coordinator is the node the client sent the request to, or
	// NoCoordinator. Retries move it with Reroute.
	Coordinator int32
	Consistency Consistency
	Final       bool // a final read after the quiet period
}

// Result is what the client learned when the operation ended.
type Result struct {
	Outcome  Outcome
	Values   []string // ok get: sibling value IDs returned
	Versions []string // opaque versions returned, if any
	Error    string   // why it failed or is unknown
}

// Recorder builds a History as the simulator runs: Invoke when a client
// issues an operation, Return when its outcome is known, Close at the end.
//
// Timestamps: the simulator calls the Recorder in event order, so the times
// it passes never decrease (a decreasing time is refused). The Recorder turns
// them into distinct, strictly increasing timestamps: a call at the same
// virtual nanosecond as the previous one (or earlier than a timestamp already
// bumped) is stamped one nanosecond after the previous stamp. The order of
// events that share a nanosecond — which the scheduler fixed — therefore
// survives into the history, and every operation gets InvokeNs < ReturnNs.
// Stamps run ahead of virtual time by at most the number of calls in one
// burst of same-time events, a few nanoseconds in practice.
//
// A Recorder is used from the simulator's single goroutine; it is not safe
// for concurrent use.
type Recorder struct {
	cfg RecorderConfig
	h   History
	// ops holds the operations in chunks of opChunk, so recording never
	// copies the operations recorded so far (a growing slice of a million
	// operations would move hundreds of megabytes); Close joins them once.
	// Operation IDs are their index plus one, and an operation is pending
	// while its ReturnNs is 0 (a returned one's is at least 1), so no index
	// of pending operations is needed.
	ops     [][]Op
	nops    int
	pending int
	// replicas holds the replica states in chunks of stateChunk, for the
	// same reason, and so the history Close returns holds exactly as many
	// as were recorded (a grown slice keeps up to a quarter more).
	replicas  [][]ReplicaState
	nreplicas int
	// values maps every value ID a put wrote to that put's string, so the
	// lists recorded later (contexts, values read, replica states) share
	// it instead of holding copies.
	values map[string]string
	// consistencies holds one shared record of each consistency the
	// operations asked for (a workload has a few).
	consistencies map[Consistency]*Consistency
	// lastState is each (key, node)'s last recorded replica state: a probe
	// that finds it unchanged shares its lists.
	lastState map[stateKey]stateLists
	lastRaw   int64 // last time passed in
	lastSeen  int64 // last stamp handed out
	started   bool
	closed    bool
}

// NewRecorder returns an empty Recorder.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Recorder{
		cfg:       cfg,
		values:    make(map[string]string),
		lastState: make(map[stateKey]stateLists),
	}, nil
}

// shareConsistency returns the shared record of c; nil for the zero value
// (nothing recorded).
func (r *Recorder) shareConsistency(c Consistency) *Consistency {
	if c == (Consistency{}) {
		return nil
	}
	if p, ok := r.consistencies[c]; ok {
		return p
	}
	if r.consistencies == nil {
		r.consistencies = make(map[Consistency]*Consistency)
	}
	p := &c
	r.consistencies[c] = p
	return p
}

type stateKey struct {
	key  string
	node int32
}

// stateLists are the lists of a recorded replica state.
type stateLists struct{ valueIDs, versions []string }

// share returns a copy of ids in which every value ID a put wrote is that
// put's own string (nil for an empty list).
func (r *Recorder) share(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		if v, ok := r.values[id]; ok {
			id = v
		}
		out[i] = id
	}
	return out
}

// checkStamp reports whether stamp(atNs) would fail.
func (r *Recorder) checkStamp(atNs int64) error {
	if r.closed {
		return fmt.Errorf("history: recorder is closed")
	}
	if atNs < 0 {
		return fmt.Errorf("history: negative time %d", atNs)
	}
	if r.started && atNs < r.lastRaw {
		return fmt.Errorf("history: time went backwards: %d after %d", atNs, r.lastRaw)
	}
	return nil
}

// stamp turns a time that checkStamp accepted into the next timestamp.
func (r *Recorder) stamp(atNs int64) int64 {
	ts := atNs
	if r.started && ts <= r.lastSeen {
		ts = r.lastSeen + 1
	}
	r.started, r.lastRaw, r.lastSeen = true, atNs, ts
	return ts
}

// Invoke records the start of an operation at virtual time atNs and returns
// its ID (IDs count from 1 in invoke order).
func (r *Recorder) Invoke(atNs int64, inv Invocation) (uint64, error) {
	if err := r.checkStamp(atNs); err != nil {
		return 0, err
	}
	if r.nops >= r.cfg.MaxOps {
		return 0, fmt.Errorf("history: %d operations recorded, the limit (RecorderConfig.MaxOps) is %d", r.nops, r.cfg.MaxOps)
	}
	// The operation is built in its place in the chunk (no copy of it is
	// made), and the slot is given back if it turns out to be invalid.
	if r.nops%opChunk == 0 && len(r.ops) == r.nops/opChunk {
		r.ops = append(r.ops, make([]Op, 0, opChunk))
	}
	chunk := &r.ops[r.nops/opChunk]
	*chunk = append(*chunk, Op{
		ID:          uint64(r.nops) + 1,
		Client:      inv.Client,
		Kind:        inv.Kind,
		Key:         inv.Key,
		Value:       inv.Value,
		Context:     inv.Context, // checked here, copied once accepted
		Coordinator: inv.Coordinator,
		Consistency: r.shareConsistency(inv.Consistency),
		Final:       inv.Final,
		// Provisional, so Validate can run now: a bad invocation is refused
		// here, where the simulator can tell which call made it.
		InvokeNs: atNs,
		ReturnNs: atNs + 1,
		Outcome:  Unknown,
	})
	op := &(*chunk)[len(*chunk)-1]
	err := op.Validate()
	if err != nil {
		err = fmt.Errorf("history: invalid invocation: %w", err)
	} else if op.Kind == Put {
		// One map operation checks and claims the value; it is the last
		// check, so a claimed value is always recorded.
		n := len(r.values)
		r.values[op.Value] = op.Value
		if len(r.values) == n {
			err = fmt.Errorf("history: invalid invocation: value %q was already written; every put must write a unique value", op.Value)
		}
	}
	if err != nil {
		*op = Op{}
		*chunk = (*chunk)[:len(*chunk)-1]
		return 0, err
	}
	op.Context = r.share(inv.Context)
	op.InvokeNs, op.ReturnNs = r.stamp(atNs), 0
	r.nops++
	r.pending++
	return op.ID, nil
}

// pendingOp returns the pending operation with the given ID.
func (r *Recorder) pendingOp(what string, id uint64) (*Op, error) {
	if r.closed {
		return nil, fmt.Errorf("history: %s of operation %d: recorder is closed", what, id)
	}
	if id < 1 || id > uint64(r.nops) || r.op(int(id-1)).ReturnNs != 0 {
		return nil, fmt.Errorf("history: %s of operation %d, which is not pending", what, id)
	}
	return r.op(int(id - 1)), nil
}

// Reroute records that a pending operation was sent to coordinator: its
// first attempt when it was invoked with NoCoordinator, otherwise a retry
// (Op.Tried then lists every coordinator tried, the earlier one first).
func (r *Recorder) Reroute(id uint64, coordinator int32) error {
	op, err := r.pendingOp("reroute", id)
	if err != nil {
		return err
	}
	if coordinator < 0 {
		return fmt.Errorf("history: reroute of operation %d to invalid coordinator %d", id, coordinator)
	}
	if op.Coordinator != NoCoordinator {
		if len(op.Tried) >= MaxListLen {
			return fmt.Errorf("history: operation %d tried %d coordinators, the limit is %d", id, len(op.Tried), MaxListLen)
		}
		if len(op.Tried) == 0 {
			op.Tried = append(op.Tried, op.Coordinator)
		}
		op.Tried = append(op.Tried, coordinator)
	}
	op.Coordinator = coordinator
	return nil
}

// Return records the outcome of a pending operation at virtual time atNs.
func (r *Recorder) Return(atNs int64, id uint64, res Result) error {
	op, err := r.pendingOp("return", id)
	if err != nil {
		return err
	}
	if err := r.checkStamp(atNs); err != nil {
		return err
	}
	// Validate the operation as it would be; the pending one is untouched
	// if the result is refused.
	done := *op
	done.Outcome, done.Values, done.Versions, done.Error = res.Outcome, res.Values, res.Versions, res.Error
	done.ReturnNs = max(atNs, op.InvokeNs+1) // provisional, for Validate
	if err := done.Validate(); err != nil {
		return fmt.Errorf("history: invalid result for operation %d: %w", id, err)
	}
	done.Values = r.share(res.Values)
	done.Versions = slices.Clone(res.Versions)
	done.ReturnNs = r.stamp(atNs)
	*op = done
	r.pending--
	return nil
}

// Pending returns how many operations are invoked and not yet returned.
func (r *Recorder) Pending() int { return r.pending }

// AddReplicaState records one replica's state for one key at a probe.
func (r *Recorder) AddReplicaState(s ReplicaState) error {
	if r.closed {
		return fmt.Errorf("history: recorder is closed")
	}
	if err := s.Validate(); err != nil {
		return fmt.Errorf("history: invalid replica state: %w", err)
	}
	// A replica whose state has not changed since the last probe shares
	// the lists recorded then.
	k := stateKey{s.Key, s.Node}
	if last, ok := r.lastState[k]; ok && slices.Equal(last.valueIDs, s.ValueIDs) && slices.Equal(last.versions, s.Versions) {
		s.ValueIDs, s.Versions = last.valueIDs, last.versions
	} else {
		s.ValueIDs = r.share(s.ValueIDs)
		s.Versions = slices.Clone(s.Versions)
		r.lastState[k] = stateLists{s.ValueIDs, s.Versions}
	}
	if r.nreplicas%stateChunk == 0 {
		r.replicas = append(r.replicas, make([]ReplicaState, 0, stateChunk))
	}
	last := len(r.replicas) - 1
	r.replicas[last] = append(r.replicas[last], s)
	r.nreplicas++
	return nil
}

// AddFaultWindow records the interval during which a fault was active.
func (r *Recorder) AddFaultWindow(f FaultWindow) error {
	if r.closed {
		return fmt.Errorf("history: recorder is closed")
	}
	if err := f.Validate(); err != nil {
		return fmt.Errorf("history: invalid fault window: %w", err)
	}
	r.h.Faults = append(r.h.Faults, f)
	return nil
}

// Close ends the recording at virtual time atNs: every operation still
// pending becomes unknown (it may have taken effect; the client never
// learned) and returns at atNs. It returns the validated history; the
// Recorder accepts nothing afterwards.
func (r *Recorder) Close(atNs int64) (*History, error) {
	if r.closed {
		return nil, fmt.Errorf("history: recorder is already closed")
	}
	// Stamp in invoke order.
	for i := 0; i < r.nops && r.pending > 0; i++ {
		if op := r.op(i); op.ReturnNs == 0 {
			if err := r.Return(atNs, op.ID, Result{Outcome: Unknown, Error: "still pending when the history closed"}); err != nil {
				return nil, err
			}
		}
	}
	r.closed = true
	h := r.h
	// Each chunk is let go as soon as it is copied, so the copy needs
	// little more memory than the history itself.
	h.Ops = make([]Op, 0, r.nops)
	for i, c := range r.ops {
		h.Ops = append(h.Ops, c...)
		r.ops[i] = nil
	}
	h.Replicas = make([]ReplicaState, 0, r.nreplicas)
	for i, c := range r.replicas {
		h.Replicas = append(h.Replicas, c...)
		r.replicas[i] = nil
	}
	r.ops, r.replicas, r.values, r.lastState, r.consistencies = nil, nil, nil, nil, nil
	// No second validation: every record was validated when it was
	// recorded, the Recorder numbers operations 1, 2, ... itself, and
	// Invoke refuses a value written before, which is all History.Validate
	// checks across records.
	return &h, nil
}

// opChunk is how many operations one chunk of a Recorder holds.
const opChunk = 4096

// stateChunk is how many replica states one chunk of a Recorder holds.
const stateChunk = 4096

// op is the i-th recorded operation.
func (r *Recorder) op(i int) *Op { return &r.ops[i/opChunk][i%opChunk] }
