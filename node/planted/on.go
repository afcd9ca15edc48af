//go:build dynasim_planted

package planted

// active is the planted bug switched on. It is set before a campaign
// starts and only read while worlds run.
var active Bug

// Set switches bug b on (None: all off). Test-only builds have it.
func Set(b Bug) { active = b }

// On reports whether bug b is switched on.
func On(b Bug) bool { return b != None && active == b }

// count is Tick's process-wide counter (Nondeterminism).
var count uint64

// Tick counts calls across every world of the process.
func Tick() uint64 {
	count++
	return count
}
