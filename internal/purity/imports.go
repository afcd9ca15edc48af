package purity

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The node tree imports other packages of the module: the wire protocol,
// the disk contract, a slab, a FIFO queue. Their code runs inside the node's
// event handlers, so it must obey the node's rules too. ModuleImports finds
// them from the imports themselves, so a new dependency is linted the day it
// is imported, without anyone remembering to add it to a list.

// A Boundary is an in-module package the node tree may import although the
// package as a whole does not obey the node's rules: it holds a contract the
// node programs against (interfaces, sentinel errors, pure helpers) and
// implementations of it that the node is handed through its environment and
// never names. Only the contract files (Files, base names in the package's
// directory) are linted and followed for further imports; and every use of
// the package by linted code must name something those files declare, so the
// node cannot reach an implementation around the lint.
type Boundary struct {
	Files  []string
	Reason string
}

// NodeBoundaries are the boundary packages of the node tree, by import path
// relative to the module.
var NodeBoundaries = map[string]Boundary{
	"disk": {
		Files: []string{"fs.go", "path.go"},
		Reason: "the node writes through disk.FS, given to it by its Env; the OS " +
			"filesystem, MemFS and ErrorFS behind it belong to the host and the simulator",
	},
}

// ModuleImports returns, sorted, the import paths of the module's packages
// outside tree that the non-test Go files under tree import, directly or
// through one another. moduleRoot is the directory holding go.mod and tree a
// directory inside it; a package's files are read from its directory there
// (non-recursively: a sub-directory is another package). Of a boundary
// package (boundaries, keyed by import path relative to the module) only the
// contract files are followed.
func ModuleImports(moduleRoot, module, tree string, boundaries map[string]Boundary) ([]string, error) {
	return discover(moduleRoot, module, tree, module+"/", boundaries)
}

// InternalImports is ModuleImports restricted to the module's internal
// packages (module+"/internal/...") and without boundaries.
func InternalImports(moduleRoot, module, tree string) ([]string, error) {
	return discover(moduleRoot, module, tree, module+"/internal/", nil)
}

// discover follows the imports of tree's non-test files, and of the
// packages found, through every in-module package whose path starts with
// prefix and is not inside tree.
func discover(moduleRoot, module, tree, prefix string, boundaries map[string]Boundary) ([]string, error) {
	treePath, err := importPathOf(moduleRoot, module, tree)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var queue []string
	add := func(paths []string) {
		for _, p := range paths {
			inTree := p == treePath || strings.HasPrefix(p, treePath+"/")
			if strings.HasPrefix(p, prefix) && !inTree && !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	// scan adds the imports of files to the queue.
	scan := func(files []string) error {
		deps, err := importsOf(files)
		if err != nil {
			return err
		}
		add(deps)
		return nil
	}
	files, err := goFiles(tree, true)
	if err != nil {
		return nil, err
	}
	if err := scan(files); err != nil {
		return nil, err
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		files, err := packageFiles(moduleRoot, module, p, boundaries)
		if err != nil {
			return nil, err
		}
		if err := scan(files); err != nil {
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

// packageFiles lists the files of the in-module package importPath that the
// lint reads: its non-test Go files, or a boundary's contract files.
func packageFiles(moduleRoot, module, importPath string, boundaries map[string]Boundary) ([]string, error) {
	dir := PackageDir(moduleRoot, module, importPath)
	b, ok := boundaries[strings.TrimPrefix(importPath, module+"/")]
	if !ok {
		return goFiles(dir, false)
	}
	files := make([]string, len(b.Files))
	for i, name := range b.Files {
		files[i] = filepath.Join(dir, name)
		if _, err := os.Stat(files[i]); err != nil {
			return nil, fmt.Errorf("boundary %s: contract file: %w", importPath, err)
		}
	}
	return files, nil
}

// importPathOf is the import path of the directory dir inside the module.
func importPathOf(moduleRoot, module, dir string) (string, error) {
	rel, err := filepath.Rel(moduleRoot, dir)
	if err != nil {
		return "", err
	}
	if rel == "." {
		return module, nil
	}
	if rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the module root %s", dir, moduleRoot)
	}
	return module + "/" + filepath.ToSlash(rel), nil
}

// CheckInternalImports applies rules to every internal package that
// InternalImports finds for tree, and returns those packages and the
// findings.
func CheckInternalImports(moduleRoot, module, tree string, rules Rules) ([]string, []Finding, error) {
	deps, err := InternalImports(moduleRoot, module, tree)
	if err != nil {
		return nil, nil, err
	}
	findings, err := checkDeps(moduleRoot, module, tree, deps, rules, nil)
	return deps, findings, err
}

// CheckModuleImports applies rules to every package that ModuleImports finds
// for tree — to a boundary package, its contract files only — and checks
// that tree and those packages use of each boundary only what its contract
// files declare. It returns the packages and the findings.
func CheckModuleImports(moduleRoot, module, tree string, rules Rules, boundaries map[string]Boundary) ([]string, []Finding, error) {
	deps, err := ModuleImports(moduleRoot, module, tree, boundaries)
	if err != nil {
		return nil, nil, err
	}
	findings, err := checkDeps(moduleRoot, module, tree, deps, rules, boundaries)
	return deps, findings, err
}

func checkDeps(moduleRoot, module, tree string, deps []string, rules Rules, boundaries map[string]Boundary) ([]Finding, error) {
	var all []Finding
	linted, err := goFiles(tree, true)
	if err != nil {
		return nil, err
	}
	for _, dep := range deps {
		files, err := packageFiles(moduleRoot, module, dep, boundaries)
		if err != nil {
			return nil, err
		}
		findings, err := checkFiles(files, rules)
		if err != nil {
			return nil, err
		}
		all = append(all, findings...)
		linted = append(linted, files...)
	}
	contracts := map[string]map[string]bool{} // boundary import path -> declared names
	for _, dep := range deps {
		if _, ok := boundaries[strings.TrimPrefix(dep, module+"/")]; !ok {
			continue
		}
		files, err := packageFiles(moduleRoot, module, dep, boundaries)
		if err != nil {
			return nil, err
		}
		if contracts[dep], err = declaredNames(files); err != nil {
			return nil, err
		}
	}
	if len(contracts) > 0 {
		findings, err := checkBoundaryUses(linted, contracts)
		if err != nil {
			return nil, err
		}
		all = append(all, findings...)
	}
	return all, nil
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

// declaredNames returns the exported package-level names that files
// declare (functions, types, variables, constants; not methods).
func declaredNames(files []string) (map[string]bool, error) {
	fset := token.NewFileSet()
	names := map[string]bool{}
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					names[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch sp := spec.(type) {
					case *ast.TypeSpec:
						if sp.Name.IsExported() {
							names[sp.Name.Name] = true
						}
					case *ast.ValueSpec:
						for _, n := range sp.Names {
							if n.IsExported() {
								names[n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	return names, nil
}

// checkBoundaryUses reports every selector pkg.X in files, where pkg is an
// import of a boundary package, whose X the boundary's contract does not
// declare.
func checkBoundaryUses(files []string, contracts map[string]map[string]bool) ([]Finding, error) {
	fset := token.NewFileSet()
	var out []Finding
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		local := map[string]string{} // local name -> boundary import path
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return nil, err
			}
			if _, ok := contracts[p]; !ok {
				continue
			}
			name := p[strings.LastIndex(p, "/")+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			local[name] = p
		}
		if len(local) == 0 {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			id, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			if p, ok := local[id.Name]; ok && !contracts[p][sel.Sel.Name] {
				out = append(out, Finding{Pos: fset.Position(sel.Pos()),
					Message: fmt.Sprintf("uses %s.%s, which is outside the boundary's contract files", p, sel.Sel.Name)})
			}
			return true
		})
	}
	return out, nil
}
