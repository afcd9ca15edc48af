package purity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNodeAndSimArePure is the lint itself: it runs over the real trees,
// and applies the node's rules to every package of the module node/
// imports, transitively (wire, the internal packages, disk's contract).
func TestNodeAndSimArePure(t *testing.T) {
	moduleRoot := filepath.Join("..", "..")
	for _, tc := range []struct {
		dir   string
		rules Rules
	}{{"node", NodeRules}, {"sim", SimRules}} {
		root := filepath.Join(moduleRoot, tc.dir)
		_, err := os.Stat(root)
		require.NoError(t, err, "the %s/ tree must exist", tc.dir)
		findings, err := CheckTree(root, tc.rules)
		require.NoError(t, err)
		for _, f := range findings {
			t.Errorf("%s must stay pure: %s", tc.dir, f)
		}
	}

	module := modulePath(t, moduleRoot)
	deps, findings, err := CheckModuleImports(moduleRoot, module, filepath.Join(moduleRoot, "node"), NodeRules, NodeBoundaries)
	require.NoError(t, err)
	require.Contains(t, deps, module+"/internal/slab", "discovery must see node/coord's import")
	require.Contains(t, deps, module+"/internal/fifo", "discovery must see node/coord's import")
	require.Contains(t, deps, module+"/wire", "discovery must see the wire protocol")
	require.Contains(t, deps, module+"/disk", "discovery must see the disk contract")
	for _, f := range findings {
		t.Errorf("packages imported by node/ must stay pure: %s", f)
	}
	t.Logf("linted with the node rules, as imported by node/: %v (boundaries, contract files only: %v)", deps, NodeBoundaries)
}

// A fake module whose node tree imports the wire protocol (itself importing
// another in-module package), a boundary package, an internal package and a
// package of its own tree, and a simulator package only from a test file.
func TestModuleImportsOfNodeAreFoundAndLinted(t *testing.T) {
	root, write := fakeModule(t)
	write("node/a/a.go", `package a
import (
	"example.com/m/disk"
	"example.com/m/internal/good"
	"example.com/m/node/b"
	"example.com/m/wire"
)
var _ disk.FS
var _ = disk.CleanPath(wire.Y + good.X + b.Z)`)
	write("node/a/a_test.go", `package a
import "example.com/m/sim/network"
var _ = network.N`)
	write("node/b/b.go", `package b
import "example.com/m/disk"
var Z = "b"
var _ = disk.NewOS("/")`) // names an implementation: a finding
	write("wire/wire.go", `package wire
import "example.com/m/codec"
var Y = codec.C`)
	write("codec/codec.go", `package codec
import "os"
var C = os.Args[0]`) // reached through wire: a finding
	write("internal/good/good.go", `package good
var X = "x"`)
	write("disk/fs.go", `package disk
type FS interface{ Open(string) error }
func CleanPath(p string) string { return p }`)
	write("disk/osfs.go", `package disk
import "os"
func NewOS(root string) FS { _ = os.Args; return nil }`) // outside the contract: not linted
	write("sim/network/network.go", `package network
import "math/rand/v2"
var N = rand.IntN(3)`) // imported by a test only: not linted

	boundaries := map[string]Boundary{"disk": {Files: []string{"fs.go"}, Reason: "test"}}
	deps, err := ModuleImports(root, "example.com/m", filepath.Join(root, "node"), boundaries)
	require.NoError(t, err)
	require.Equal(t, []string{"example.com/m/codec", "example.com/m/disk", "example.com/m/internal/good", "example.com/m/wire"}, deps,
		"wire and what it imports are covered; node/b is the tree's own; sim/network is a test import")

	_, findings, err := CheckModuleImports(root, "example.com/m", filepath.Join(root, "node"), NodeRules, boundaries)
	require.NoError(t, err)
	require.Len(t, findings, 2, "%v", findings)
	require.Equal(t, filepath.Join(root, "codec", "codec.go"), findings[0].Pos.Filename)
	require.Contains(t, findings[0].Message, `imports "os"`)
	require.Equal(t, filepath.Join(root, "node", "b", "b.go"), findings[1].Pos.Filename)
	require.Contains(t, findings[1].Message, "example.com/m/disk.NewOS")

	// Without the boundary, all of disk is linted: osfs.go's os import.
	_, findings, err = CheckModuleImports(root, "example.com/m", filepath.Join(root, "node"), NodeRules, nil)
	require.NoError(t, err)
	require.Len(t, findings, 2, "%v", findings)
	require.Equal(t, filepath.Join(root, "disk", "osfs.go"), findings[1].Pos.Filename)

	// A boundary whose contract file is missing is an error, not a pass.
	_, _, err = CheckModuleImports(root, "example.com/m", filepath.Join(root, "node"), NodeRules,
		map[string]Boundary{"disk": {Files: []string{"gone.go"}}})
	require.ErrorContains(t, err, "gone.go")
}

func TestNodeBoundaryContractFilesExist(t *testing.T) {
	moduleRoot := filepath.Join("..", "..")
	for pkg, b := range NodeBoundaries {
		require.NotEmpty(t, b.Reason, "boundary %s must say why", pkg)
		for _, name := range b.Files {
			_, err := os.Stat(filepath.Join(moduleRoot, filepath.FromSlash(pkg), name))
			require.NoError(t, err, "boundary %s", pkg)
		}
	}
}

// modulePath reads the module path from go.mod in root.
func modulePath(t *testing.T, root string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatal("go.mod has no module line")
	return ""
}

// A fake module whose node tree imports internal packages directly, through
// another internal package, and only from a test file.
func TestInternalImportsOfNodeAreFoundAndLinted(t *testing.T) {
	root, write := fakeModule(t)
	write("node/a/a.go", `package a
import (
	"fmt"
	"example.com/m/internal/good"
	"example.com/m/net"
)
var _ = fmt.Sprint(good.X, net.Y)`)
	write("node/a/a_test.go", `package a
import "example.com/m/internal/testonly"
var _ = testonly.Z`)
	write("node/b/b.go", `package b
import g "example.com/m/internal/good"
var _ = g.X`)
	write("internal/good/good.go", `package good
import "example.com/m/internal/deep"
var X = deep.W`)
	write("internal/good/sub/sub.go", `package sub
import "os"
var _ = os.Args`) // another package, not imported: not checked
	write("internal/deep/deep.go", `package deep
import "os"
var W = len(os.Args)`)
	write("internal/testonly/t.go", `package testonly
import "sync"
var Z sync.Mutex`)
	write("net/net.go", `package net
import "os"
var Y = os.Getpid()`) // in-module but not internal: out of scope

	require.Equal(t, "example.com/m", modulePath(t, root))
	deps, err := InternalImports(root, "example.com/m", filepath.Join(root, "node"))
	require.NoError(t, err)
	require.Equal(t, []string{"example.com/m/internal/deep", "example.com/m/internal/good"}, deps)

	// What the real lint runs: only deep's os import is reported (good's
	// sub-directory, testonly and net are out of scope).
	deps, findings, err := CheckInternalImports(root, "example.com/m", filepath.Join(root, "node"), NodeRules)
	require.NoError(t, err)
	require.Len(t, deps, 2)
	require.Len(t, findings, 1)
	require.Equal(t, filepath.Join(root, "internal", "deep", "deep.go"), findings[0].Pos.Filename)
	require.Contains(t, findings[0].Message, `imports "os"`)
}

func TestInternalImportsReportsAMissingPackage(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "node"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "node", "n.go"),
		[]byte(`package node; import _ "m/internal/gone"`), 0o644))
	_, err := InternalImports(root, "m", filepath.Join(root, "node"))
	require.Error(t, err)
}

func TestLintCatchesEachViolation(t *testing.T) {
	cases := map[string]string{
		"os import":       `package p; import "os"; var _ = os.Args`,
		"net import":      `package p; import "net"; var _ net.Conn`,
		"sync import":     `package p; import "sync"; var _ sync.Mutex`,
		"atomic import":   `package p; import "sync/atomic"; var _ atomic.Int64`,
		"math/rand":       `package p; import "math/rand"; var _ = rand.Int`,
		"math/rand/v2":    `package p; import "math/rand/v2"; var _ = rand.N[int]`,
		"crypto/rand":     `package p; import "crypto/rand"; var _ = rand.Reader`,
		"goroutine":       `package p; func f() { go f() }`,
		"channel":         `package p; var c chan int`,
		"send":            `package p; func f(c chan<- int) { c <- 1 }`,
		"time.Now":        `package p; import "time"; var _ = time.Now()`,
		"renamed time":    `package p; import tm "time"; func f() { tm.Sleep(1) }`,
		"time.After":      `package p; import "time"; var _ = time.After(1)`,
		"time.NewTimer":   `package p; import "time"; var _ = time.NewTimer(1)`,
		"time.NewTicker":  `package p; import "time"; var _ = time.NewTicker(1)`,
		"time.Since":      `package p; import "time"; var _ = time.Since(time.Time{})`,
		"select":          `package p; func f() { select {} }`,
		"renamed os":      `package p; import o "os"; var _ = o.Args`,
		"time.AfterFunc":  `package p; import "time"; var _ = time.AfterFunc(1, nil)`,
		"time.Tick":       `package p; import "time"; var _ = time.Tick(1)`,
		"time.Until":      `package p; import "time"; var _ = time.Until(time.Time{})`,
		"time.Sleep":      `package p; import "time"; func f() { time.Sleep(1) }`,
		"unseeded global": `package p; import "math/rand/v2"; var _ = rand.IntN(3)`,
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			findings, err := CheckSource("x.go", src, NodeRules)
			require.NoError(t, err)
			require.NotEmpty(t, findings, "node rules must reject: %s", src)
		})
	}
}

func TestSimMayBuildSeededGeneratorsOnly(t *testing.T) {
	ok := `package p; import "math/rand/v2"; func f() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }`
	findings, err := CheckSource("x.go", ok, SimRules)
	require.NoError(t, err)
	require.Empty(t, findings)

	bad := `package p; import "math/rand/v2"; func f() int { return rand.IntN(3) }`
	findings, err = CheckSource("x.go", bad, SimRules)
	require.NoError(t, err)
	require.Len(t, findings, 1)
	require.Contains(t, findings[0].Message, "IntN")

	aliased := `package p; import r "math/rand/v2"; func f() uint64 { return r.Uint64() }`
	findings, err = CheckSource("x.go", aliased, SimRules)
	require.NoError(t, err)
	require.Len(t, findings, 1)
}

func TestPureCodePasses(t *testing.T) {
	src := `package p
import "time"
type clock interface{ Now() time.Time }
func f(c clock) time.Duration { return c.Now().Sub(time.Unix(0, 0)) + time.Second }`
	findings, err := CheckSource("x.go", src, NodeRules)
	require.NoError(t, err)
	require.Empty(t, findings)
}

// fakeModule makes an empty module example.com/m in a temporary directory
// and returns it with a function that writes a file into it.
func fakeModule(t *testing.T) (string, func(rel, src string)) {
	t.Helper()
	root := t.TempDir()
	write := func(rel, src string) {
		path := filepath.Join(root, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	}
	write("go.mod", "module example.com/m\n\ngo 1.26\n")
	return root, write
}
