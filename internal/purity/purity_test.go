package purity

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNodeAndSimArePure is the lint itself: it runs over the real trees.
func TestNodeAndSimArePure(t *testing.T) {
	for _, tc := range []struct {
		dir   string
		rules Rules
	}{{"node", NodeRules}, {"sim", SimRules}} {
		root := filepath.Join("..", "..", tc.dir)
		_, err := os.Stat(root)
		require.NoError(t, err, "the %s/ tree must exist", tc.dir)
		findings, err := CheckTree(root, tc.rules)
		require.NoError(t, err)
		for _, f := range findings {
			t.Errorf("%s must stay pure: %s", tc.dir, f)
		}
	}
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
