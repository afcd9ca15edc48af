package layout

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestModuleHoldsTheDesignedShape is the layout check itself: the real
// module's import graph, as the go command sees it, against DESIGN.md's
// arrows.
func TestModuleHoldsTheDesignedShape(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	require.NoError(t, err, "the layout test runs `go list`")
	root := filepath.Join("..", "..")
	g, err := Load(goCmd, root, "./...")
	require.NoError(t, err)

	const module = "dynasim"
	rules := DesignRules(module)
	// Every rule must apply to something, so that a renamed or moved
	// package cannot make the check pass by matching nothing.
	for _, r := range rules {
		n := 0
		for p := range g.Imports {
			if Match(r.From, p) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("rule %q matches no package of the module", r.From)
		}
	}
	for _, v := range Check(g, rules) {
		t.Errorf("forbidden import: %s", v)
	}
}

// graph builds a Graph from "pkg: import import ..." lines; a "test:" line
// after a package gives that package's test imports.
func graph(t *testing.T, lines ...string) Graph {
	t.Helper()
	g := Graph{Imports: map[string][]string{}, TestImports: map[string][]string{}}
	for _, line := range lines {
		pkg, imports, ok := strings.Cut(line, ":")
		require.True(t, ok, line)
		fields := strings.Fields(imports)
		if name, isTest := strings.CutSuffix(pkg, " test"); isTest {
			g.TestImports[name] = fields
			continue
		}
		g.Imports[pkg] = fields
	}
	return g
}

func chains(vs []Violation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.Join(v.Chain, " -> ")
	}
	return out
}

// A synthetic module "m" that breaks every rule, directly and through
// chains, next to imports that are allowed.
func TestCheckReportsEveryForbiddenChain(t *testing.T) {
	g := graph(t,
		"m/node: m/node/coord m/disk fmt",
		"m/node/coord: m/wire m/internal/fifo",
		"m/node/ring: m/internal/dist",
		"m/node/ring test: m/sim/cluster m/node/ring",
		"m/node/lsm: m/disk",
		"m/node/lsm test: m/disk m/node/lsm",
		"m/wire: m/internal/dist encoding/binary",
		"m/internal/dist: gonum.org/v1/gonum/stat/distuv math",
		"gonum.org/v1/gonum/stat/distuv: gonum.org/v1/gonum/stat math",
		"gonum.org/v1/gonum/stat: math",
		"m/internal/fifo:",
		"m/disk: os",
		"m/history: fmt",
		"m/history test: m/checker/synth m/history",
		"m/checker: m/history m/checker/synth",
		"m/checker/synth: m/sim",
		"m/reports: m/checker",
		"m/sim: m/node m/wire m/history",
		"m/sim/cluster: m/sim",
		"m/nodes: m/sim", // not under node/: the pattern must not match it
		"m/host: m/node m/sim/cluster",
		"m/runner: m/sim m/checker m/reports",
		"fmt:", "os:", "math:", "encoding/binary:",
	)
	got := Check(g, DesignRules("m"))
	require.Equal(t, []string{
		"m/checker -> m/checker/synth -> m/sim",
		"m/checker/synth -> m/sim",
		"m/host -> m/sim/cluster",
		"m/node -> m/node/coord -> m/wire -> m/internal/dist -> gonum.org/v1/gonum/stat/distuv",
		"m/node/coord -> m/wire -> m/internal/dist -> gonum.org/v1/gonum/stat/distuv",
		"m/node/ring (test) -> m/sim/cluster",
		"m/node/ring -> m/internal/dist -> gonum.org/v1/gonum/stat/distuv",
		"m/reports -> m/checker -> m/checker/synth -> m/sim",
		"m/wire -> m/internal/dist",
	}, chains(got))
	// Each violation says which design rule it breaks.
	for _, v := range got {
		require.NotEmpty(t, v.Rule.Why)
		require.Contains(t, v.String(), v.Rule.Why)
	}
	require.Equal(t, "m/wire -> m/internal/dist: "+got[8].Rule.Why, got[8].String())

	// A graph that follows the design has no violation.
	clean := graph(t,
		"m/node: m/node/coord m/disk m/wire",
		"m/node/coord: m/wire m/internal/fifo",
		"m/wire: encoding/binary",
		"m/history: fmt",
		"m/history test: m/checker/synth", // a leaf's tests may use helpers
		"m/checker: m/history",
		"m/checker/synth: m/history",
		"m/reports: m/checker m/history gonum.org/v1/plot",
		"m/sim: m/node m/wire m/history m/sim/network",
		"m/sim/network: m/wire m/internal/dist",
		"m/internal/dist: gonum.org/v1/gonum/stat/distuv",
		"m/runner: m/sim m/checker m/reports",
		"m/host: m/node m/wire m/disk",
	)
	require.Empty(t, Check(clean, DesignRules("m")))
}

func TestMatch(t *testing.T) {
	require.True(t, Match("m/node/...", "m/node"))
	require.True(t, Match("m/node/...", "m/node/lsm/wal"))
	require.False(t, Match("m/node/...", "m/nodes"))
	require.False(t, Match("m/node/...", "m"))
	require.True(t, Match("m/...", "m/wire"))
	require.True(t, Match("m/wire", "m/wire"))
	require.False(t, Match("m/wire", "m/wire/x"))
}

func TestParseReadsGoListOutput(t *testing.T) {
	out := `{"ImportPath": "m/a", "Imports": ["fmt", "m/b"], "TestImports": ["testing"], "XTestImports": ["m/a", "testing"]}
{"ImportPath": "m/b"}
`
	g, err := Parse(strings.NewReader(out))
	require.NoError(t, err)
	require.Equal(t, []string{"fmt", "m/b"}, g.Imports["m/a"])
	require.Equal(t, []string{"m/a", "testing"}, g.TestImports["m/a"])
	require.Contains(t, g.Imports, "m/b")

	_, err = Parse(strings.NewReader(`{"ImportPath": "m/c", "Error": {"Err": "no Go files"}}`))
	require.ErrorContains(t, err, "no Go files")
}
