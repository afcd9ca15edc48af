//go:build !dynasim_planted

package planted

// On reports whether bug b is switched on: never, in this build.
func On(Bug) bool { return false }

// Tick is a counter across worlds: always 0 in this build.
func Tick() uint64 { return 0 }
