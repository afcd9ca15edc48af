package layout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
)

// Graph is an import graph: for each package (by import path), what its
// non-test files import and what its test files import (internal and
// external tests together), each directly.
type Graph struct {
	Imports     map[string][]string
	TestImports map[string][]string
}

// Rule forbids the packages matching From to reach any package matching
// Forbid, directly or transitively. A pattern is an import path, or a path
// followed by "/..." that matches the path itself and every path below it.
// A package never violates a rule by reaching itself.
type Rule struct {
	From   string
	Forbid []string
	// Tests extends the rule to the imports of From's test files (and what
	// those reach); otherwise only the non-test files count.
	Tests bool
	// Why is the design's reason, printed with every violation.
	Why string
}

// Violation is one forbidden import chain.
type Violation struct {
	Rule Rule
	// Chain runs from a package matching Rule.From to the forbidden package,
	// each element importing the next. A first element ending in " (test)"
	// means the chain starts in that package's test files.
	Chain []string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: %s", strings.Join(v.Chain, " -> "), v.Rule.Why)
}

// Match reports whether path matches pattern (see Rule).
func Match(pattern, path string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

func matchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return Match(p, path) })
}

// DesignRules are the import rules of DESIGN.md for the module whose path is
// module.
func DesignRules(module string) []Rule {
	m := func(rel string) string { return module + "/" + rel }
	return []Rule{
		{
			From:   m("node/..."),
			Forbid: []string{m("sim/..."), m("host/..."), m("scenarios/..."), m("checker/..."), m("runner/..."), m("reports/..."), m("cmd/..."), m("history/...")},
			Tests:  true,
			Why:    "node/ never knows whether it is simulated: it imports wire, disk and the standard library, never the simulator, the real host, the scenarios, the checks, the reports, the runner, the CLI or the history",
		},
		{
			From:   m("host/..."),
			Forbid: []string{m("sim/..."), m("scenarios/..."), m("checker/..."), m("runner/..."), m("reports/..."), m("cmd/..."), m("history/...")},
			Tests:  true,
			Why:    "the real host runs the node over TCP: it imports node, wire and disk, never the simulator or what reads a simulation",
		},
		{
			From:   m("node/..."),
			Forbid: []string{"gonum.org/v1/..."},
			Tests:  true,
			Why:    "node/ must not pull in gonum (the latency distributions belong to the simulated network, sim/network)",
		},
		{
			From:   m("wire"),
			Forbid: []string{m("...")},
			Why:    "wire is the protocol both worlds share: standard library only, nothing of the module",
		},
		{
			From:   m("history"),
			Forbid: []string{m("...")},
			Why:    "history is a leaf: it imports nothing of the module",
		},
		{
			From:   m("checker/..."),
			Forbid: []string{m("sim/...")},
			Why:    "the checks read a history, never the simulator",
		},
		{
			From:   m("reports/..."),
			Forbid: []string{m("sim/...")},
			Why:    "the reports render a run's history and checks; the runner maps the simulator's counters for them",
		},
	}
}

// Check returns every violation of rules in g, sorted by chain. For each
// package matching a rule and each forbidden package it reaches, the chain
// reported is a shortest one (ties broken by import order); chains are not
// followed through a forbidden package.
func Check(g Graph, rules []Rule) []Violation {
	var out []Violation
	pkgs := make([]string, 0, len(g.Imports))
	for p := range g.Imports {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	for _, r := range rules {
		for _, p := range pkgs {
			if Match(r.From, p) {
				out = append(out, check(g, r, p)...)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Violation) int {
		return strings.Compare(strings.Join(a.Chain, " "), strings.Join(b.Chain, " "))
	})
	return out
}

// check walks breadth first from the package from: first its own imports,
// then (for a rule with Tests) its test files' imports.
func check(g Graph, r Rule, from string) []Violation {
	type step struct {
		pkg    string
		parent int // index into steps, -1 for a first import
		test   bool
	}
	var steps []step
	seen := map[string]bool{from: true}
	push := func(pkg string, parent int, test bool) {
		if !seen[pkg] {
			seen[pkg] = true
			steps = append(steps, step{pkg, parent, test})
		}
	}
	for _, q := range g.Imports[from] {
		push(q, -1, false)
	}
	if r.Tests {
		for _, q := range g.TestImports[from] {
			push(q, -1, true)
		}
	}
	var out []Violation
	for i := 0; i < len(steps); i++ {
		s := steps[i]
		if matchAny(r.Forbid, s.pkg) {
			var chain []string
			j := i
			for ; steps[j].parent >= 0; j = steps[j].parent {
				chain = append(chain, steps[j].pkg)
			}
			chain = append(chain, steps[j].pkg)
			root := from
			if steps[j].test {
				root += " (test)"
			}
			chain = append(chain, root)
			slices.Reverse(chain)
			out = append(out, Violation{Rule: r, Chain: chain})
			continue
		}
		for _, q := range g.Imports[s.pkg] {
			push(q, i, s.test)
		}
	}
	return out
}

// Load runs `go list -deps -json` for patterns in dir (a directory of the
// module) with the go command goCmd, and returns the import graph of every
// package listed: the patterns' packages and all their dependencies.
func Load(goCmd, dir string, patterns ...string) (Graph, error) {
	args := append([]string{"list", "-deps", "-json=ImportPath,Imports,TestImports,XTestImports,Error"}, patterns...)
	cmd := exec.Command(goCmd, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Graph{}, fmt.Errorf("go list: %w: %s", err, stderr.Bytes())
	}
	return Parse(bytes.NewReader(out))
}

// Parse reads the output of `go list -json` (a stream of package objects).
func Parse(r io.Reader) (Graph, error) {
	g := Graph{Imports: map[string][]string{}, TestImports: map[string][]string{}}
	dec := json.NewDecoder(r)
	for {
		var p struct {
			ImportPath   string
			Imports      []string
			TestImports  []string
			XTestImports []string
			Error        *struct{ Err string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return Graph{}, fmt.Errorf("go list output: %w", err)
		}
		if p.Error != nil {
			return Graph{}, fmt.Errorf("go list: package %s: %s", p.ImportPath, p.Error.Err)
		}
		g.Imports[p.ImportPath] = p.Imports
		tests := slices.Concat(p.TestImports, p.XTestImports)
		slices.Sort(tests)
		g.TestImports[p.ImportPath] = slices.Compact(tests)
	}
	return g, nil
}
