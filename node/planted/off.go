//go:build !dynasim_planted

package planted

// On reports whether bug b is switched on: never, in this build.
func On(Bug) bool { return false }
