package disk

import (
	"path"
	"strings"
)

// CleanPath is the canonical form of a name on every FS in this package: the
// path is cleaned with path.Clean as if it were rooted, then the leading slash
// is dropped. So "/a/b", "a/b", "a//b" and "a/x/../b" all name "a/b", a name
// can never climb above the root ("../a" is "a"), and the root itself is ".".
// ErrorFS's path predicates see names in this form.
func CleanPath(name string) string {
	p := path.Clean("/" + name)
	if p == "/" {
		return "."
	}
	return p[1:]
}

// splitParent splits a cleaned, non-root path into its parent directory
// (cleaned, "." for the root) and base name.
func splitParent(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ".", p
	}
	return p[:i], p[i+1:]
}
