package versions

import (
	"dynasim/wire"
)

// Check verifies that s is a well-formed set of this mode, as every set this
// package returns is. A replica checks sets that arrive from the network or
// the disk before merging them: Merge assumes well-formed input.
//
// All modes: clocks sorted by strictly increasing actor with counters >= 1;
// siblings in canonical order without duplicates; tombstones without
// values; at most wire.MaxSiblings siblings. Vector clocks: every sibling has a
// clock that covers its dot, no sibling's clock descends another's, and the
// set has no context. Dotted sets and LWW: no sibling clocks, every dot
// covered by the context; LWW holds at most one sibling.
func (v *Versioner) Check(s wire.SiblingSet) error {
	if err := checkClock("context", s.Context); err != nil {
		return err
	}
	if err := checkLimits(s, wire.MaxSiblings); err != nil {
		return err
	}
	for i := range s.Siblings {
		sib := &s.Siblings[i]
		if err := checkClock("sibling clock", sib.Clock); err != nil {
			return err
		}
		if sib.Tombstone && len(sib.Value) != 0 {
			return invalid("tombstone %v carries a %d-byte value", sib.Dot, len(sib.Value))
		}
		if sib.Dot.Counter == 0 {
			return invalid("sibling dot %v has counter 0", sib.Dot)
		}
		if i > 0 && compareSibling(&s.Siblings[i-1], sib) >= 0 {
			return invalid("siblings not in canonical order at %d", i)
		}
		switch v.cfg.Mode {
		case ModeVClock:
			if !Covers(sib.Clock, sib.Dot) {
				return invalid("sibling clock %v does not cover its dot %v", sib.Clock, sib.Dot)
			}
		default:
			if len(sib.Clock) != 0 {
				return invalid("%v set has a sibling with its own clock", v.cfg.Mode)
			}
			if !Covers(s.Context, sib.Dot) {
				return invalid("sibling dot %v not covered by the context %v", sib.Dot, s.Context)
			}
			if i > 0 && s.Siblings[i-1].Dot == sib.Dot {
				return invalid("dot %v appears twice", sib.Dot)
			}
		}
	}
	switch v.cfg.Mode {
	case ModeVClock:
		if len(s.Context) != 0 {
			return invalid("vector-clock set carries a context")
		}
		for i := range s.Siblings {
			for j := range s.Siblings {
				if i != j && Descends(s.Siblings[j].Clock, s.Siblings[i].Clock) {
					return invalid("sibling %v is descended by sibling %v", s.Siblings[i].Dot, s.Siblings[j].Dot)
				}
			}
		}
	case ModeLWW:
		if len(s.Siblings) > 1 {
			return invalid("last-write-wins set holds %d versions", len(s.Siblings))
		}
	}
	return nil
}
