package history

import (
	"fmt"
	"math"
	"slices"
)

// OpKind is what a client operation did.
//
// A read-modify-write is recorded as two operations, a get and then a put
// whose Context is the get's Values: the store does not execute it
// atomically, so the checks must not assume it was atomic either.
type OpKind uint8

const (
	// Get reads a key; Values holds the sibling value IDs returned.
	Get OpKind = iota + 1
	// Put writes the value whose unique ID is Value, passing back Context.
	Put
	// Delete writes a tombstone, passing back Context.
	Delete
)

// A kind and an outcome are a byte each in memory (a history holds
// millions of records) and their names in JSON.
var (
	opKindNames  = [...]string{Get: "get", Put: "put", Delete: "delete"}
	outcomeNames = [...]string{OK: "ok", Failed: "failed", Unknown: "unknown"}
)

// Valid reports whether k is one of the defined kinds.
func (k OpKind) Valid() bool { return k == Get || k == Put || k == Delete }

// String is the kind's name: get, put or delete.
func (k OpKind) String() string {
	if k.Valid() {
		return opKindNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", uint8(k))
}

// MarshalText writes the kind's name; an undefined kind is an error.
func (k OpKind) MarshalText() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("history: undefined %v", k)
	}
	return []byte(opKindNames[k]), nil
}

// UnmarshalText reads a kind's name.
func (k *OpKind) UnmarshalText(b []byte) error {
	v, ok := ParseOpKind(string(b))
	if !ok {
		return &FieldError{Field: "op", Msg: fmt.Sprintf("must be get, put or delete, got %q", b)}
	}
	*k = v
	return nil
}

// ParseOpKind returns the kind named s (get, put or delete).
func ParseOpKind(s string) (OpKind, bool) {
	for k, name := range opKindNames {
		if name != "" && name == s {
			return OpKind(k), true
		}
	}
	return 0, false
}

// Outcome is what the client learned about its operation.
type Outcome uint8

const (
	// OK: the operation completed and the client got an answer.
	OK Outcome = iota + 1
	// Failed: the operation definitely did not take effect, e.g. it was
	// refused before any replica saw it.
	Failed
	// Unknown: the operation may or may not have taken effect, e.g. the
	// client timed out after the coordinator had sent it to replicas.
	Unknown
)

// Valid reports whether o is one of the defined outcomes.
func (o Outcome) Valid() bool { return o == OK || o == Failed || o == Unknown }

// String is the outcome's name: ok, failed or unknown.
func (o Outcome) String() string {
	if o.Valid() {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// MarshalText writes the outcome's name; an undefined outcome is an error.
func (o Outcome) MarshalText() ([]byte, error) {
	if !o.Valid() {
		return nil, fmt.Errorf("history: undefined %v", o)
	}
	return []byte(outcomeNames[o]), nil
}

// UnmarshalText reads an outcome's name.
func (o *Outcome) UnmarshalText(b []byte) error {
	v, ok := ParseOutcome(string(b))
	if !ok {
		return &FieldError{Field: "outcome", Msg: fmt.Sprintf("must be ok, failed or unknown, got %q", b)}
	}
	*o = v
	return nil
}

// ParseOutcome returns the outcome named s (ok, failed or unknown).
func ParseOutcome(s string) (Outcome, bool) {
	for o, name := range outcomeNames {
		if name != "" && name == s {
			return Outcome(o), true
		}
	}
	return 0, false
}

// NoCoordinator is the Coordinator of an operation that reached no node.
const NoCoordinator int32 = -1

// Format limits. They bound what one record may hold so that a corrupt or
// hostile file is refused with a message instead of exhausting memory.
const (
	// MaxKeyBytes bounds a key (the store's key-value pairs are at most 10 KB).
	MaxKeyBytes = 10 * 1024
	// MaxIDBytes bounds a value ID, a version string and a label.
	MaxIDBytes = 256
	// MaxListLen bounds Context, Values, Versions and ValueIDs.
	MaxListLen = 10_000
)

// Consistency is what an operation asked of the store. Zero fields mean "not
// recorded".
type Consistency struct {
	// Level is the consistency level's name as the workload spelled it, e.g.
	// "one", "quorum", "all", "local_quorum".
	Level string `json:"level,omitempty"`
	// N, W and R are the replication factor and the write and read quorums
	// in force for this operation.
	N int `json:"n,omitempty"`
	W int `json:"w,omitempty"`
	R int `json:"r,omitempty"`
}

// Op is one client operation.
type Op struct {
	// ID is unique in the history and at least 1.
	ID uint64 `json:"id"`
	// Client is the dense, zero-based index of the client that issued it.
	Client int    `json:"client"`
	Key    string `json:"key"`
	// Value is the unique ID of the value a put wrote; empty otherwise.
	Value string `json:"value,omitempty"`
	// Context is the set of value IDs the client had read and passed back
	// with a put or delete (its causal context); empty for a blind write.
	Context []string `json:"context,omitempty"`
	// Values are the sibling value IDs an ok get returned; tombstones are
	// not values, so a get that found only tombstones has none.
	Values []string `json:"values,omitempty"`
	// Versions are opaque version strings the store returned (e.g. encoded
	// vector clocks); recorded for debugging, not interpreted.
	Versions []string `json:"versions,omitempty"`
	// InvokeNs and ReturnNs are virtual times in nanoseconds since the start
	// of the run; 0 <= InvokeNs < ReturnNs. For an unknown outcome ReturnNs
	// is when the client stopped waiting.
	InvokeNs int64 `json:"invoke_ns"`
	ReturnNs int64 `json:"return_ns"`
	// Coordinator is the node that coordinated the operation (the last one
	// tried, after retries), or NoCoordinator.
	Coordinator int32 `json:"coordinator"`
	// Final marks the reads made after the quiet period to check durability
	// and convergence. The workload statistics (latency, availability,
	// throughput, staleness, siblings) leave them out; linearizability and
	// the lost-write check use them.
	Final bool `json:"final,omitempty"`
	// Kind is get, put or delete (JSON "op").
	Kind OpKind `json:"op"`
	// Outcome is what the client learned.
	//
	// Coordinator, Final, Kind and Outcome share one word: a history holds
	// millions of these records. (The JSONL writer still puts "op" after
	// "client" and "outcome" after "consistency"; key order is not part of
	// the format.)
	Outcome Outcome `json:"outcome"`
	// Tried lists, in order, every node the client sent an attempt of the
	// operation to, when it made more than one attempt (a retry, possibly
	// at another node); its last entry is Coordinator. Empty for an
	// operation attempted once. The outcome is the last attempt's (with
	// every earlier attempt known to have failed, or the outcome unknown).
	Tried []int32 `json:"tried,omitempty"`
	// Consistency is what the operation asked for; nil when not recorded.
	// Every operation of a workload asks for one of a few, so a Recorder
	// gives them one shared record each instead of a copy per operation.
	Consistency *Consistency `json:"consistency,omitempty"`
	// Error says why an operation failed or is unknown ("timeout",
	// "unavailable: 1 of 2 replicas", ...).
	Error string `json:"error,omitempty"`
}

// FieldError is a validation failure of one field of one record.
type FieldError struct {
	Field string // JSON name, e.g. "return_ns" or "values[2]"
	Msg   string
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %s", e.Field, e.Msg) }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks the operation on its own (not against the rest of the
// history).
func (o *Op) Validate() error {
	if o.ID < 1 {
		return fieldErr("id", "must be at least 1")
	}
	if o.Client < 0 {
		return fieldErr("client", "must be non-negative, got %d", o.Client)
	}
	if !o.Kind.Valid() {
		return fieldErr("op", "must be get, put or delete, got %q", o.Kind)
	}
	if err := checkString("key", o.Key, MaxKeyBytes); err != nil {
		return err
	}
	if !o.Outcome.Valid() {
		return fieldErr("outcome", "must be ok, failed or unknown, got %q", o.Outcome)
	}
	switch o.Kind {
	case Put:
		if err := checkString("value", o.Value, MaxIDBytes); err != nil {
			return err
		}
	default:
		if o.Value != "" {
			return fieldErr("value", "only a put writes a value, this is a %s", o.Kind)
		}
	}
	if o.Kind == Get && len(o.Context) > 0 {
		return fieldErr("context", "a get passes no context")
	}
	if len(o.Values) > 0 && (o.Kind != Get || o.Outcome != OK) {
		return fieldErr("values", "only an ok get returns values, this is a %s with outcome %s", o.Kind, o.Outcome)
	}
	if o.Final && o.Kind != Get {
		return fieldErr("final", "only a get can be a final read, this is a %s", o.Kind)
	}
	for _, l := range []struct {
		name string
		ids  []string
	}{{"context", o.Context}, {"values", o.Values}, {"versions", o.Versions}} {
		if err := checkList(l.name, l.ids); err != nil {
			return err
		}
	}
	if o.InvokeNs < 0 {
		return fieldErr("invoke_ns", "must be non-negative, got %d", o.InvokeNs)
	}
	if o.ReturnNs <= o.InvokeNs {
		return fieldErr("return_ns", "must be greater than invoke_ns (%d <= %d)", o.ReturnNs, o.InvokeNs)
	}
	if o.Coordinator < NoCoordinator {
		return fieldErr("coordinator", "must be a node index or -1, got %d", o.Coordinator)
	}
	if len(o.Tried) > MaxListLen {
		return fieldErr("tried", "has %d entries, the limit is %d", len(o.Tried), MaxListLen)
	}
	for i, t := range o.Tried {
		if t < 0 {
			return fieldErr(fmt.Sprintf("tried[%d]", i), "must be a node index, got %d", t)
		}
	}
	if n := len(o.Tried); n > 0 && o.Tried[n-1] != o.Coordinator {
		return fieldErr("tried", "ends with node %d, but the coordinator is %d", o.Tried[n-1], o.Coordinator)
	}
	c := o.Consistency
	if c == nil {
		c = &Consistency{}
	}
	if c.N < 0 || c.W < 0 || c.R < 0 {
		return fieldErr("consistency", "n, w and r must be non-negative, got n=%d w=%d r=%d", c.N, c.W, c.R)
	}
	if len(c.Level) > MaxIDBytes {
		return fieldErr("consistency.level", "is %d bytes, the limit is %d", len(c.Level), MaxIDBytes)
	}
	if len(o.Error) > MaxKeyBytes {
		return fieldErr("error", "is %d bytes, the limit is %d", len(o.Error), MaxKeyBytes)
	}
	return nil
}

// ReplicaState is what one replica held for one key at one probe time.
//
// The caller reports every replica that should hold the key (its preference
// list, plus any node holding a hint for it), including those holding
// nothing (empty ValueIDs): a replica left out cannot be seen to disagree.
type ReplicaState struct {
	// AtNs is the probe's virtual time; the states sharing the largest AtNs
	// are the final state.
	AtNs int64  `json:"at_ns"`
	Key  string `json:"key"`
	Node int32  `json:"node"`
	// Tombstone is true when the replica holds a tombstone for the key.
	// (It sits beside Node so the two share one word.)
	Tombstone bool `json:"tombstone,omitempty"`
	// ValueIDs are the live (non-tombstone) sibling values held.
	ValueIDs []string `json:"value_ids,omitempty"`
	// Versions are the opaque versions held, tombstones' included.
	Versions []string `json:"versions,omitempty"`
}

// Validate checks the record on its own.
func (s *ReplicaState) Validate() error {
	if s.AtNs < 0 {
		return fieldErr("at_ns", "must be non-negative, got %d", s.AtNs)
	}
	if err := checkString("key", s.Key, MaxKeyBytes); err != nil {
		return err
	}
	if s.Node < 0 {
		return fieldErr("node", "must be non-negative, got %d", s.Node)
	}
	if err := checkList("value_ids", s.ValueIDs); err != nil {
		return err
	}
	return checkList("versions", s.Versions)
}

// FaultWindow is the virtual-time interval [StartNs, EndNs) during which a
// fault was active. A fault never healed ends at the end of the run.
type FaultWindow struct {
	Label   string `json:"label"` // e.g. "partition {n1,n2} | {n3,n4,n5}"
	StartNs int64  `json:"start_ns"`
	EndNs   int64  `json:"end_ns"`
}

// Validate checks the record on its own.
func (f *FaultWindow) Validate() error {
	if err := checkString("label", f.Label, MaxKeyBytes); err != nil {
		return err
	}
	if f.StartNs < 0 {
		return fieldErr("start_ns", "must be non-negative, got %d", f.StartNs)
	}
	if f.EndNs <= f.StartNs {
		return fieldErr("end_ns", "must be greater than start_ns (%d <= %d)", f.EndNs, f.StartNs)
	}
	return nil
}

// History is everything a run recorded.
type History struct {
	// Ops in the order they were invoked.
	Ops      []Op
	Replicas []ReplicaState
	Faults   []FaultWindow
	// Run describes the run that recorded the history; nil when it is not
	// known (a version 1 file, a history built by hand).
	Run *RunInfo
	// Incomplete is empty for a complete history. Otherwise it says why
	// records may be missing — a file cut short before its trailer, or a
	// version 1 file, which has no trailer to tell — and the checks that
	// need every record (lost writes, convergence, linearizability) report
	// "not checked" instead of a result.
	Incomplete string
}

// RecordError locates a validation failure inside a History.
type RecordError struct {
	Kind  string // "op", "replica" or "fault"
	Index int    // position in the slice of that kind
	Err   error  // usually a *FieldError
}

func (e *RecordError) Error() string { return fmt.Sprintf("%s #%d: %v", e.Kind, e.Index, e.Err) }
func (e *RecordError) Unwrap() error { return e.Err }

// Validate checks every record and the rules that span records: operation
// IDs are unique, each value ID is written by exactly one put, and, when
// the run is recorded, every coordinator and replica node is one of its
// nodes.
func (h *History) Validate() error {
	nodes := int32(math.MaxInt32)
	if h.Run != nil {
		if err := h.Run.Validate(); err != nil {
			return &RecordError{"header", 0, err}
		}
		nodes = int32(len(h.Run.Nodes))
	}
	// IDs are usually 1..len(Ops): a bitmap tells those apart, a map the
	// rest. Values need a set of strings. Where a duplicate's first
	// occurrence is, is looked up only to report it.
	n := len(h.Ops)
	dense := make([]uint64, n/64+1)
	var sparse map[uint64]struct{}
	puts := 0
	for i := range h.Ops {
		if h.Ops[i].Kind == Put {
			puts++
		}
	}
	values := make(map[string]struct{}, puts)
	for i := range h.Ops {
		o := &h.Ops[i]
		if err := o.Validate(); err != nil {
			return &RecordError{"op", i, err}
		}
		dup := false
		if id := o.ID; id <= uint64(n) {
			w, bit := id/64, uint64(1)<<(id%64)
			dup = dense[w]&bit != 0
			dense[w] |= bit
		} else {
			if sparse == nil {
				sparse = make(map[uint64]struct{})
			}
			_, dup = sparse[id]
			sparse[id] = struct{}{}
		}
		if dup {
			j := slices.IndexFunc(h.Ops[:i], func(p Op) bool { return p.ID == o.ID })
			return &RecordError{"op", i, fieldErr("id", "%d is also the id of op #%d", o.ID, j)}
		}
		if o.Coordinator >= nodes {
			return &RecordError{"op", i, errCoordinator(o.Coordinator, nodes)}
		}
		if err := checkTried(o.Tried, nodes); err != nil {
			return &RecordError{"op", i, err}
		}
		if o.Kind == Put {
			before := len(values)
			values[o.Value] = struct{}{}
			if len(values) == before {
				j := slices.IndexFunc(h.Ops[:i], func(p Op) bool { return p.Kind == Put && p.Value == o.Value })
				return &RecordError{"op", i, fieldErr("value", "%q is also written by op #%d; every put must write a unique value", o.Value, j)}
			}
		}
	}
	for i := range h.Replicas {
		if err := h.Replicas[i].Validate(); err != nil {
			return &RecordError{"replica", i, err}
		}
		if h.Replicas[i].Node >= nodes {
			return &RecordError{"replica", i, errNode(h.Replicas[i].Node, nodes)}
		}
	}
	for i := range h.Faults {
		if err := h.Faults[i].Validate(); err != nil {
			return &RecordError{"fault", i, err}
		}
	}
	return nil
}

// Keys returns the distinct keys the operations touched, sorted.
func (h *History) Keys() []string {
	seen := make(map[string]struct{})
	var keys []string
	for i := range h.Ops {
		if _, ok := seen[h.Ops[i].Key]; !ok {
			seen[h.Ops[i].Key] = struct{}{}
			keys = append(keys, h.Ops[i].Key)
		}
	}
	slices.Sort(keys)
	return keys
}

func errCoordinator(c, nodes int32) *FieldError {
	return fieldErr("coordinator", "is node %d, but the run has %d nodes (0 to %d)", c, nodes, nodes-1)
}

// checkTried checks that every node an operation tried is one of the
// run's nodes.
func checkTried(tried []int32, nodes int32) *FieldError {
	for i, t := range tried {
		if t >= nodes {
			return fieldErr(fmt.Sprintf("tried[%d]", i), "is node %d, but the run has %d nodes (0 to %d)", t, nodes, nodes-1)
		}
	}
	return nil
}

func errNode(n, nodes int32) *FieldError {
	return fieldErr("node", "is node %d, but the run has %d nodes (0 to %d)", n, nodes, nodes-1)
}

func checkString(field, s string, limit int) error {
	if s == "" {
		return fieldErr(field, "must not be empty")
	}
	if len(s) > limit {
		return fieldErr(field, "is %d bytes, the limit is %d", len(s), limit)
	}
	return nil
}

func checkList(field string, ids []string) error {
	if len(ids) > MaxListLen {
		return fieldErr(field, "has %d entries, the limit is %d", len(ids), MaxListLen)
	}
	for i, id := range ids {
		if id == "" || len(id) > MaxIDBytes {
			// Name the element only on failure: formatting it for every
			// element would dominate validation time.
			return checkString(fmt.Sprintf("%s[%d]", field, i), id, MaxIDBytes)
		}
	}
	return nil
}
