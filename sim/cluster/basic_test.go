package cluster

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/node/versions"
	"dynasim/wire"
)

func TestPutThenGetThroughEveryNode(t *testing.T) {
	for _, mode := range []versions.Mode{versions.ModeVClock, versions.ModeDVV, versions.ModeLWW} {
		t.Run(mode.String(), func(t *testing.T) {
			c := newCluster(t, testConfig(1, 5, mode))
			p := addProbe(t, c, "probe")
			r := p.put(t, 0, "k", "v1", req{})
			require.Equal(t, wire.StatusOK, r.Status, r.Error)
			for _, a := range c.Addrs() {
				g := p.get(t, a, "k", req{})
				require.Equal(t, wire.StatusOK, g.Status, g.Error)
				require.Equal(t, []string{"v1"}, values(g))
				require.NotEmpty(t, g.Context)
			}
			g := p.get(t, 2, "absent", req{})
			require.Equal(t, wire.StatusNotFound, g.Status)
			require.Empty(t, g.Values)
		})
	}
}
