package cluster

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/net"
	"dynasim/node/versions"
)

func TestPutThenGetThroughEveryNode(t *testing.T) {
	for _, mode := range []versions.Mode{versions.ModeVClock, versions.ModeDVV, versions.ModeLWW} {
		t.Run(mode.String(), func(t *testing.T) {
			c := newCluster(t, testConfig(1, 5, mode))
			p := addProbe(t, c, "probe")
			r := p.put(t, 0, "k", "v1", req{})
			require.Equal(t, net.StatusOK, r.Status, r.Error)
			for a := net.Addr(0); a < 5; a++ {
				g := p.get(t, a, "k", req{})
				require.Equal(t, net.StatusOK, g.Status, g.Error)
				require.Equal(t, []string{"v1"}, values(g))
				require.NotEmpty(t, g.Context)
			}
			g := p.get(t, 2, "absent", req{})
			require.Equal(t, net.StatusNotFound, g.Status)
			require.Empty(t, g.Values)
		})
	}
}
