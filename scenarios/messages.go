package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
)

// maxQuotedBytes bounds what a message quotes of a piece of input.
const maxQuotedBytes = 60

// quoted renders a piece of the scenario file for a message, Go-quoted
// (in ASCII escapes when it is not valid text), cut to its longest prefix
// whose quoted form fits in maxQuotedBytes, so that a file of binary
// garbage does not come back as kilobytes of escapes. A cut is marked with
// "…" and the input's length.
func quoted(s string) string {
	quote := strconv.Quote
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		quote = strconv.QuoteToASCII // garbage, then: show it as escapes
	}
	q := quote(s)
	if len(q) <= maxQuotedBytes {
		return q
	}
	cut := ""
	for i := range s {
		if i > 0 {
			if next := quote(s[:i]); len(next) <= maxQuotedBytes {
				cut = next
				continue
			}
			break
		}
	}
	if cut == "" {
		cut = `""`
	}
	return fmt.Sprintf("%s… (%d bytes in all)", cut, len(s))
}

// printablePrefix is the longest prefix of s of at most max runes, every
// one of them valid UTF-8 and printable.
func printablePrefix(s string, max int) string {
	n := 0
	for i, r := range s {
		if n == max || r == utf8.RuneError || !unicode.IsPrint(r) {
			return s[:i]
		}
		n++
	}
	return s
}

// pathKey is a mapping key as a field path shows it: as it is when it is a
// plain name, quoted (and cut, see quoted) otherwise.
func pathKey(k string) string {
	if k != "" && len(k) <= maxQuotedBytes && printablePrefix(k, maxQuotedBytes) == k && !strings.ContainsAny(k, ".\"\\ ") {
		return k
	}
	return quoted(k)
}

// describe names a node's value for messages: `string "abc"`, `integer 5`,
// `a mapping`.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case *ast.StringNode:
		return "string " + quoted(v.Value)
	case *ast.LiteralNode:
		return "a block string"
	case *ast.IntegerNode:
		return "integer " + v.Token.Value
	case *ast.FloatNode:
		return "number " + v.Token.Value
	case *ast.BoolNode:
		return "boolean " + v.Token.Value
	case *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value
	case *ast.NullNode:
		return "nothing (null)"
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	return "a " + n.Type().String()
}

// orList renders values as "a, b or c".
func orList(vals []string) string {
	if len(vals) <= 1 {
		return strings.Join(vals, "")
	}
	return strings.Join(vals[:len(vals)-1], ", ") + " or " + vals[len(vals)-1]
}

// suggest returns `; did you mean "x"?` for the known value closest to s
// when it is a likely typo of it (a few edits away, relative to its length,
// or an abbreviation of it), and "" otherwise.
func suggest(s string, known []string) string {
	ls := strings.ToLower(s)
	best, bestD := "", 1<<30
	for _, k := range known {
		lk := strings.ToLower(k)
		d := editDistance(ls, lk)
		if len(ls) >= 3 && strings.HasPrefix(lk, ls) {
			d = 1
		}
		if d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || bestD == 0 || bestD > max(1, len(s)/3) || 2*bestD >= len(s) {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent bytes.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
