package versions

import (
	"dynasim/wire"
)

// Versioner applies one mode's rules. It holds only configuration, so one
// value can serve every key of a node.
type Versioner struct {
	cfg Config
}

// New returns a Versioner for cfg (defaults applied).
func New(cfg Config) (*Versioner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Versioner{cfg: cfg.WithDefaults()}, nil
}

// Config is the configuration in use, defaults applied.
func (v *Versioner) Config() Config { return v.cfg }

// Mode is the versioning mode.
func (v *Versioner) Mode() Mode { return v.cfg.Mode }

// Write is a new version a coordinator creates for a client put or delete.
type Write struct {
	// Actor is the coordinating server. It must hold the key (see the
	// package comment on dots) and Update's input must be its stored set.
	Actor wire.ActorID
	// Context is the client's decoded context (DecodeContext): what the
	// client had read. Nil for a blind write.
	Context wire.Clock
	// Value is the new value; empty for a delete.
	Value []byte
	// Tombstone makes this write a delete.
	Tombstone bool
	// NowNs is the coordinator's clock (Unix nanoseconds): LWW orders by it
	// and vector-clock pruning ages entries by it.
	NowNs int64
}

// Update returns what the coordinator stores after the write: stored with
// the versions the write supersedes removed and the new version added.
// The coordinator persists the result and sends it whole to the other
// replicas, which Merge it into theirs. stored is not modified.
func (v *Versioner) Update(stored wire.SiblingSet, w Write) (wire.SiblingSet, error) {
	if w.Tombstone && len(w.Value) != 0 {
		return wire.SiblingSet{}, invalid("a tombstone carries a %d-byte value", len(w.Value))
	}
	if err := checkClock("write context", w.Context); err != nil {
		return wire.SiblingSet{}, err
	}
	var out wire.SiblingSet
	switch v.cfg.Mode {
	case ModeVClock:
		out = v.vclockUpdate(stored, w)
	case ModeDVV:
		out = dvvUpdate(stored, w)
	default:
		out = lwwUpdate(stored, w)
	}
	return out, checkLimits(out, v.cfg.MaxSiblings)
}

// Merge combines two replicas' sets for the same key (replica sync, read
// repair, the coordinator merging read responses). It is commutative,
// associative and idempotent over sets this package produced, and drops a
// version only when the other side knows a version that supersedes it.
func (v *Versioner) Merge(a, b wire.SiblingSet) (wire.SiblingSet, error) {
	var out wire.SiblingSet
	switch v.cfg.Mode {
	case ModeVClock:
		out = vclockMerge(a, b)
	case ModeDVV:
		out = dvvMerge(a, b)
	default:
		out = lwwMerge(a, b)
	}
	return out, checkLimits(out, wire.MaxSiblings)
}

// MergeAll merges any number of sets (the responses of a read quorum).
func (v *Versioner) MergeAll(sets ...wire.SiblingSet) (wire.SiblingSet, error) {
	var out wire.SiblingSet
	for i, s := range sets {
		if i == 0 {
			out = s
			continue
		}
		var err error
		if out, err = v.Merge(out, s); err != nil {
			return wire.SiblingSet{}, err
		}
	}
	if len(sets) == 1 {
		// Canonicalise a lone input as a merge would.
		return v.Merge(out, wire.SiblingSet{})
	}
	return out, nil
}

// Context is the causal context of s to hand a client with a read: a write
// carrying it supersedes every version in s. Encode it with AppendContext.
func (v *Versioner) Context(s wire.SiblingSet) wire.Clock {
	if v.cfg.Mode != ModeVClock {
		return s.Context
	}
	var c wire.Clock
	for i := range s.Siblings {
		c = Merge(c, s.Siblings[i].Clock)
	}
	return c
}

// checkLimits checks s against a sibling limit (Config.MaxSiblings for
// a client write, wire.MaxSiblings for a merge) and the clocks' limits.
func checkLimits(s wire.SiblingSet, maxSiblings int) error {
	if len(s.Siblings) > maxSiblings {
		return &LimitError{What: "siblings", Count: len(s.Siblings), Limit: maxSiblings}
	}
	if len(s.Context) > wire.MaxClockEntries {
		return &LimitError{What: "context entries", Count: len(s.Context), Limit: wire.MaxClockEntries}
	}
	for i := range s.Siblings {
		if n := len(s.Siblings[i].Clock); n > wire.MaxClockEntries {
			return &LimitError{What: "clock entries", Count: n, Limit: wire.MaxClockEntries}
		}
	}
	return nil
}
