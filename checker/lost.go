package checker

import (
	"fmt"
	"slices"

	"dynasim/history"
)

// LostWritesOptions configures LostWrites. Zero fields take their defaults.
type LostWritesOptions struct {
	// Model decides what supersedes a write (see LostWrites). Required.
	Model Model
	// MaxExamples bounds the lost writes listed. Default 20.
	MaxExamples int
}

const defaultMaxExamples = 20

func (o LostWritesOptions) withDefaults() LostWritesOptions {
	if o.MaxExamples == 0 {
		o.MaxExamples = defaultMaxExamples
	}
	return o
}

// Validate reports a knob out of range.
func (o LostWritesOptions) Validate() error {
	o = o.withDefaults()
	if err := o.Model.Validate(); err != nil {
		return err
	}
	return validateExamples("LostWritesOptions", o.MaxExamples)
}

func validateExamples(owner string, n int) error {
	if n < 1 || n > 10_000 {
		return fmt.Errorf("checker: %s.MaxExamples must be in [1, 10000], got %d", owner, n)
	}
	return nil
}

// LostWritesResult counts what became of every acknowledged put.
// AckedPuts = Present + Superseded + Lost + Unverified.
type LostWritesResult struct {
	AckedPuts int `json:"acked_puts"`
	// Present: the final read returned the value.
	Present int `json:"present"`
	// Superseded: absent, but a later write legitimately replaced it.
	// SupersededByUnknown of them only by writes of unknown outcome (which
	// may or may not have happened: the benefit of the doubt).
	Superseded          int `json:"superseded"`
	SupersededByUnknown int `json:"superseded_by_unknown"`
	// Lost: absent and not superseded. Should be 0.
	Lost int `json:"lost"`
	// Unverified: on keys with no final read, so nothing can be said.
	Unverified     int      `json:"unverified"`
	UnverifiedKeys []string `json:"unverified_keys,omitempty"`
	// Examples are the first lost writes by key, then invocation time.
	Examples []LostWrite `json:"examples,omitempty"`
}

// LostWrite is one acknowledged put missing from the final state.
type LostWrite struct {
	OpID        uint64   `json:"op_id"`
	Client      int      `json:"client"`
	Key         string   `json:"key"`
	Value       string   `json:"value"`
	InvokeNs    int64    `json:"invoke_ns"`
	ReturnNs    int64    `json:"return_ns"`
	Coordinator int32    `json:"coordinator"`
	FinalValues []string `json:"final_values"`
}

// FinalReads extracts the final reads from h: for each key, the values of
// its last ok get marked Final (last by invocation time).
func FinalReads(h *history.History) map[string][]string {
	final := make(map[string][]string)
	at := make(map[string]int64)
	for i := range h.Ops {
		o := &h.Ops[i]
		if !o.Final || o.Kind != history.Get || o.Outcome != history.OK {
			continue
		}
		if t, seen := at[o.Key]; !seen || o.InvokeNs >= t {
			final[o.Key], at[o.Key] = o.Values, o.InvokeNs
		}
	}
	return final
}

// LostWrites checks durability: after the quiet period, every key was read
// once more (final maps a key to the value IDs that read returned, see
// FinalReads); each acknowledged (ok) put must be present in its key's final
// read or have been superseded.
//
// A put w is superseded by a write u (a put or delete of the same key, other
// than w) that possibly took effect — its outcome is ok or unknown — when:
//
//   - any model: u's context contains w's value. Transitive chains need no
//     special case: if u replaced w and x replaced u, w is superseded by u,
//     and u, if acknowledged, is checked in its own right.
//   - Register only: additionally, u could be ordered after w in real time
//     (u did not return before w was invoked). A register keeps only the
//     last write, so any such u may have overwritten w.
//
// With MultiValue a blind put that concurrent or later writes did not name
// in their contexts must survive as a sibling; its disappearance is a loss —
// exactly what server-id vector clocks and last-write-wins do. Use Register
// for last-write-wins stores to count only writes no later write explains.
func LostWrites(h *history.History, final map[string][]string, opt LostWritesOptions) (*LostWritesResult, error) {
	return lostWrites(h, final, opt, false)
}

// lostWrites is LostWrites; validated says h is known to be valid (Check validated it).
func lostWrites(h *history.History, final map[string][]string, opt LostWritesOptions, validated bool) (*LostWritesResult, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	if !validated {
		if err := h.Validate(); err != nil {
			return nil, fmt.Errorf("checker: %w", err)
		}
	}
	res := &LostWritesResult{}
	keys, groups := byKey(h)
	for _, key := range keys {
		ops := groups[key]
		vals, haveFinal := final[key]
		present := make(map[string]bool, len(vals))
		for _, v := range vals {
			present[v] = true
		}
		// superseders: value -> whether an ok (true) or only unknown-outcome
		// (false) write names it in its context.
		named := make(map[string]bool)
		var okLast, anyLast lastTwo // register: the writes that end last
		for _, o := range ops {
			if o.Kind == history.Get || o.Outcome == history.Failed {
				continue
			}
			for _, v := range o.Context {
				named[v] = named[v] || o.Outcome == history.OK
			}
			anyLast.add(o)
			if o.Outcome == history.OK {
				okLast.add(o)
			}
		}
		unverified := false
		for _, w := range ops {
			if w.Kind != history.Put || w.Outcome != history.OK {
				continue
			}
			res.AckedPuts++
			if !haveFinal {
				res.Unverified++
				unverified = true
				continue
			}
			if present[w.Value] {
				res.Present++
				continue
			}
			byOK, byAny := named[w.Value] // byAny: named by some write at all
			if opt.Model == Register && !byOK {
				// Some other write did not return before w was invoked.
				byOK = okLast.latestExcept(w) >= w.InvokeNs
				byAny = byAny || anyLast.latestExcept(w) >= w.InvokeNs
			}
			switch {
			case byOK:
				res.Superseded++
			case byAny:
				res.Superseded++
				res.SupersededByUnknown++
			default:
				res.Lost++
				if len(res.Examples) < opt.MaxExamples {
					res.Examples = append(res.Examples, LostWrite{
						OpID: w.ID, Client: w.Client, Key: w.Key, Value: w.Value,
						InvokeNs: w.InvokeNs, ReturnNs: w.ReturnNs, Coordinator: w.Coordinator,
						FinalValues: slices.Clone(vals),
					})
				}
			}
		}
		if unverified && len(res.UnverifiedKeys) < opt.MaxExamples {
			res.UnverifiedKeys = append(res.UnverifiedKeys, key)
		}
	}
	return res, nil
}

// lastTwo tracks the two writes with the latest effective return, so "the
// latest write other than w" is O(1).
type lastTwo struct {
	first, second *history.Op
}

func (l *lastTwo) add(o *history.Op) {
	switch {
	case l.first == nil || effectiveReturn(o) > effectiveReturn(l.first):
		l.first, l.second = o, l.first
	case l.second == nil || effectiveReturn(o) > effectiveReturn(l.second):
		l.second = o
	}
}

// latestExcept is the latest effective return among the writes other than
// w, or -1 if there is none.
func (l *lastTwo) latestExcept(w *history.Op) int64 {
	o := l.first
	if o == w {
		o = l.second
	}
	if o == nil {
		return -1
	}
	return effectiveReturn(o)
}
