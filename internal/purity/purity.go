// Package purity is the lint that keeps the node logic deterministic.
//
// Code under node/ must behave identically in the simulator and in a real
// deployment, and replay exactly from a seed. So it may not import os, net,
// sync, sync/atomic, crypto/rand or any math/rand; may not start goroutines or
// use channels; and may not read the wall clock or use real timers. The
// simulator's event path (sim/) obeys the same rules, except that it may build
// seeded generators with math/rand/v2's constructors (it is what hands out the
// seeded streams) — the unseeded package-level functions stay forbidden.
//
// The node rules also cover every package of the module that node/ imports,
// directly or through one another — the wire protocol (dynasim/wire), the
// internal packages — which ModuleImports discovers from the import
// declarations: their code runs inside the node. A Boundary (NodeBoundaries:
// disk) is covered by its contract files only, and node/ may use of it only
// what those files declare; its implementations are handed to the node
// through its environment. Which packages may import which at all is the
// layout test's business (internal/layout).
package purity

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
)

// Rules says what a checked tree may not do.
type Rules struct {
	// ForbiddenImports are import paths that may not appear at all.
	ForbiddenImports []string
	// SeededOnlyImports are import paths whose package may be imported only to
	// build seeded generators: any selector other than AllowedSelectors is a
	// finding.
	SeededOnlyImports []string
	// AllowedSelectors are the identifiers of SeededOnlyImports that may be
	// used (constructors and types).
	AllowedSelectors []string
}

// NodeRules apply to node/: nothing nondeterministic at all.
var NodeRules = Rules{
	ForbiddenImports: []string{"os", "net", "sync", "sync/atomic", "crypto/rand", "math/rand", "math/rand/v2", "time/tzdata", "os/exec", "os/signal", "syscall", "unsafe", "runtime"},
}

// SimRules apply to sim/: it may construct seeded generators only.
var SimRules = Rules{
	ForbiddenImports:  []string{"os", "net", "sync", "sync/atomic", "crypto/rand", "math/rand", "os/exec", "os/signal", "syscall", "runtime"},
	SeededOnlyImports: []string{"math/rand/v2"},
	AllowedSelectors:  []string{"New", "NewPCG", "Rand", "PCG", "Source"},
}

// forbiddenTimeCalls read the wall clock or start real timers.
var forbiddenTimeCalls = map[string]bool{
	"Now": true, "Sleep": true, "After": true, "AfterFunc": true, "NewTimer": true,
	"NewTicker": true, "Tick": true, "Since": true, "Until": true,
}

// Finding is one violation.
type Finding struct {
	Pos     token.Position
	Message string
}

func (f Finding) String() string { return fmt.Sprintf("%s: %s", f.Pos, f.Message) }

// CheckTree checks every non-test Go file under root.
func CheckTree(root string, rules Rules) ([]Finding, error) {
	files, err := goFiles(root, true)
	if err != nil {
		return nil, err
	}
	return checkFiles(files, rules)
}

func checkFiles(files []string, rules Rules) ([]Finding, error) {
	fset := token.NewFileSet()
	var all []Finding
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		all = append(all, CheckFile(fset, f, rules)...)
	}
	return all, nil
}

// CheckSource parses and checks one file's source text.
func CheckSource(name, src string, rules Rules) ([]Finding, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	return CheckFile(fset, f, rules), nil
}

// CheckFile checks one parsed file.
func CheckFile(fset *token.FileSet, f *ast.File, rules Rules) []Finding {
	var out []Finding
	report := func(n ast.Node, format string, args ...any) {
		out = append(out, Finding{Pos: fset.Position(n.Pos()), Message: fmt.Sprintf(format, args...)})
	}
	forbidden := setOf(rules.ForbiddenImports)
	seededOnly := setOf(rules.SeededOnlyImports)
	allowed := setOf(rules.AllowedSelectors)

	// local package name -> import path, for the imports we watch.
	timeName := ""
	watched := map[string]string{}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		local := path[strings.LastIndex(path, "/")+1:]
		if path == "math/rand/v2" {
			local = "rand"
		}
		if imp.Name != nil {
			local = imp.Name.Name
		}
		switch {
		case forbidden[path]:
			report(imp, "imports %q", path)
		case seededOnly[path]:
			watched[local] = path
		case path == "time":
			timeName = local
		}
	}

	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n, "starts a goroutine")
		case *ast.ChanType:
			report(n, "uses a channel type")
		case *ast.SendStmt:
			report(n, "sends on a channel")
		case *ast.SelectStmt:
			report(n, "uses select")
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			if !ok {
				return true
			}
			if timeName != "" && id.Name == timeName && forbiddenTimeCalls[n.Sel.Name] {
				report(n, "uses time.%s (real time)", n.Sel.Name)
			}
			if path, ok := watched[id.Name]; ok && !allowed[n.Sel.Name] {
				report(n, "uses %s.%s (only seeded generators are allowed)", path, n.Sel.Name)
			}
		}
		return true
	})
	return out
}

func setOf(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
