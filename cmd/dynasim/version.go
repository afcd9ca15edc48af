package main

import (
	"runtime/debug"
	"strings"
)

// version is the release this binary was built from. A release build sets
// it with -ldflags "-X main.version=v1.2.3"; otherwise it is the main
// module's version from the build info ("(devel)" for a build from a work
// tree, the module version for `go install dynasim/cmd/dynasim@v1.2.3`).
var version = ""

// versionText is what `dynasim --version` prints: the version on the first
// line, then the Go module build info (Go version, main module,
// dependencies with their versions and sums, build settings) in the format
// of `go version -m`.
func versionText() string {
	info, ok := debug.ReadBuildInfo()
	v := version
	if v == "" && ok {
		v = info.Main.Version
	}
	if v == "" {
		v = "unknown"
	}
	var b strings.Builder
	b.WriteString("dynasim " + v + "\n")
	if !ok {
		b.WriteString("no Go module build info in this binary\n")
		return b.String()
	}
	b.WriteString(info.String())
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteString("\n")
	}
	return b.String()
}
