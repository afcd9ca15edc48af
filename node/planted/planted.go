// Package planted holds the switches of the bugs planted in node code to
// measure the fuzzer's power (dynasim fuzz must find each within a stated
// seed budget and shrink it to a small repro; see fuzz/planted_test.go).
//
// A bug can be switched on only in a binary built with the test-only build
// tag dynasim_planted, through Set, which exists only there; in every other
// build On is the constant false, so the planted branches are dead code
// and no scenario file, flag or environment can reach them.
package planted

// Bug names one planted bug.
type Bug uint8

// The planted bugs.
const (
	None Bug = iota
	// AckEarly: the coordinator acknowledges a put after W-1 replica acks.
	AckEarly
	// DropSibling: a replica merging an incoming set keeps only one of
	// its concurrent siblings.
	DropSibling
	// RepairAnswersFirst: blocking read repair answers the get before its
	// write-back.
	RepairAnswersFirst
	// AckBeforeSync: the commit log reports a sync without syncing, so
	// writes are acknowledged before they are durable.
	AckBeforeSync
	// HintDeletedEarly: a fallback deletes a hint as it sends it to its
	// target, before the target acknowledged it, so a handoff lost on the
	// way (message loss, the target crashing first) loses the write.
	HintDeletedEarly
	// PanicOnGet: a coordinator panics on every client get (not a bug to
	// find: it shows that a campaign catches a panic in node code, reports
	// its seed and goes on).
	PanicOnGet
	// Nondeterminism: every seventh client get of the process is refused
	// (a global counter, so the same seed run twice differs: it shows that
	// a campaign's replay finds a divergence).
	Nondeterminism
)

func (b Bug) String() string {
	switch b {
	case AckEarly:
		return "ack-early"
	case DropSibling:
		return "drop-sibling"
	case RepairAnswersFirst:
		return "repair-answers-first"
	case AckBeforeSync:
		return "ack-before-sync"
	case HintDeletedEarly:
		return "hint-deleted-early"
	case PanicOnGet:
		return "panic-on-get"
	case Nondeterminism:
		return "nondeterminism"
	}
	return "none"
}
