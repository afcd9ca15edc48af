package purity

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The node tree may import the module's own internal packages (a slab, a
// FIFO queue); their code runs inside the node's event handlers, so it must
// obey the node's rules too. InternalImports finds them from the imports
// themselves, so a new dependency is linted the day it is imported, without
// anyone remembering to add it to a list.

// InternalImports returns, sorted, the import paths of module's internal
// packages (module+"/internal/...") that the non-test Go files under tree
// import, directly or through other internal packages. moduleRoot is the
// directory holding go.mod; an internal package's files are read from its
// directory there (non-recursively: a sub-directory is another package).
func InternalImports(moduleRoot, module, tree string) ([]string, error) {
	prefix := module + "/internal/"
	seen := map[string]bool{}
	var queue []string
	add := func(paths []string) {
		for _, p := range paths {
			if strings.HasPrefix(p, prefix) && !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	// scan adds the internal imports of the Go files in dir (and below it
	// when recursive) to the queue.
	scan := func(dir string, recursive bool) error {
		files, err := goFiles(dir, recursive)
		if err != nil {
			return err
		}
		deps, err := importsOf(files)
		if err != nil {
			return err
		}
		add(deps)
		return nil
	}
	if err := scan(tree, true); err != nil {
		return nil, err
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if err := scan(PackageDir(moduleRoot, module, p), false); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// CheckInternalImports applies rules to every internal package that
// InternalImports finds for tree, and returns those packages and the
// findings.
func CheckInternalImports(moduleRoot, module, tree string, rules Rules) ([]string, []Finding, error) {
	deps, err := InternalImports(moduleRoot, module, tree)
	if err != nil {
		return nil, nil, err
	}
	var all []Finding
	for _, dep := range deps {
		findings, err := CheckPackage(PackageDir(moduleRoot, module, dep), rules)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, findings...)
	}
	return deps, all, nil
}

// PackageDir is the directory of the in-module package importPath.
func PackageDir(moduleRoot, module, importPath string) string {
	rel := strings.TrimPrefix(importPath, module+"/")
	return filepath.Join(moduleRoot, filepath.FromSlash(rel))
}

// CheckPackage checks the non-test Go files of the one package in dir (not
// its sub-directories).
func CheckPackage(dir string, rules Rules) ([]Finding, error) {
	files, err := goFiles(dir, false)
	if err != nil {
		return nil, err
	}
	return checkFiles(files, rules)
}

// goFiles lists the non-test Go files in dir, and under it when recursive,
// skipping testdata and hidden directories, sorted.
func goFiles(dir string, recursive bool) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != dir {
			if !recursive || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

// importsOf returns the import paths of files, parsing only their imports.
func importsOf(files []string) ([]string, error) {
	fset := token.NewFileSet()
	var out []string
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return nil, err
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}
