package scenarios

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is a place in a scenario file. Line and Col count from 1; the zero Pos
// means "no position" (a default that the file does not mention).
type Pos struct {
	Line, Col int
}

// Problem is one thing wrong with a scenario file.
type Problem struct {
	File string
	Pos  Pos
	// Path names the field as written in the file, e.g. "workload.mix.get"
	// or "faults[2].nodes[0]"; empty for problems with the whole file.
	Path string
	Msg  string
}

// String renders the problem as "file:line:col: path: message", leaving out
// the parts that are unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteByte(':')
	}
	if p.Pos.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", p.Pos.Line, p.Pos.Col)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in a file, in file order. It is the error
// Parse, Load and Validate return; use errors.As to get at the list.
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// MaxProblems bounds the problems reported for one file, so a file of
// garbage yields a readable list rather than thousands of lines.
const MaxProblems = 100

// problemList collects problems; a nil *problemList is never used.
type problemList struct {
	file string
	list Problems
	// dropped counts problems beyond MaxProblems.
	dropped int
}

func (l *problemList) add(pos Pos, path, format string, args ...any) {
	if len(l.list) >= MaxProblems {
		l.dropped++
		return
	}
	l.list = append(l.list, Problem{File: l.file, Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// result sorts the problems by position (problems without one last, in the
// order found) and returns nil when there are none.
func (l *problemList) result() error {
	if len(l.list) == 0 {
		return nil
	}
	out := slices.Clone(l.list)
	slices.SortStableFunc(out, func(a, b Problem) int {
		ka, kb := a.Pos.Line, b.Pos.Line
		if ka == 0 {
			ka = 1 << 30
		}
		if kb == 0 {
			kb = 1 << 30
		}
		return cmp.Or(cmp.Compare(ka, kb), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	out = slices.CompactFunc(out, func(a, b Problem) bool { return a == b })
	if l.dropped > 0 {
		out = append(out, Problem{File: l.file, Msg: fmt.Sprintf("%d more problems not shown", l.dropped)})
	}
	return out
}
