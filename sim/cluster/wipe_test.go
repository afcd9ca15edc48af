package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/node"
	"dynasim/node/merkle"
	"dynasim/wire"
)

// A node whose disk is wiped restarts empty, under an epoch above every
// one it used (so it never mints a dot it minted before), and
// anti-entropy refills every key it replicates.
// With the smallest message bound the entries go in many chunks, each
// read from the engine when the throttle lets it go.
func TestWipedNodeIsRefilledByAntiEntropy(t *testing.T) {
	for _, chunk := range []int{0, node.MinAEMaxMessageBytes} {
		t.Run(fmt.Sprint("chunk", chunk), func(t *testing.T) { testWipeRefill(t, chunk) })
	}
}

func testWipeRefill(t *testing.T, chunk int) {
	c := newCluster(t, aeConfig(21, node.AntiEntropyConfig{Interval: 2 * time.Second, Tree: merkle.Config{Buckets: 16}, MaxMessageBytes: chunk}))
	p := addProbe(t, c, "client")
	n4, _ := c.Addr("n4")
	keys := putKeys(t, p, wire.None, "w", 400, req{w: wire.Need{Level: wire.LevelAll}})
	held4 := 0
	for _, k := range keys {
		if len(held(t, c, n4, k)) > 0 {
			held4++
		}
	}
	require.Greater(t, held4, 100)
	epoch := c.Node(n4).Epoch()

	require.NoError(t, c.World().Wipe(n4))
	require.Greater(t, c.Node(n4).Epoch(), epoch, "a wiped node must not reuse its epoch")
	empty := 0
	for _, k := range keys {
		if len(held(t, c, n4, k)) == 0 {
			empty++
		}
	}
	require.Equal(t, len(keys), empty, "the wiped node still holds keys")

	c.World().RunFor(20 * time.Second)
	require.Empty(t, divergent(t, c, keys))
	refilled := 0
	for _, k := range keys {
		if len(held(t, c, n4, k)) > 0 {
			refilled++
		}
	}
	require.Equal(t, held4, refilled, "anti-entropy refilled every key of the wiped node")
	st := c.Stats()[c.byAddr[n4]]
	require.Equal(t, 2, st.Incarnations)
	require.Equal(t, uint64(1), st.Disk.Wipes)
	tot := aeTotals(c)
	if chunk > 0 {
		// 400 keys of ~140 bytes, a third of them n4's: far more than
		// one 4 KiB message per exchange.
		require.Greater(t, tot.MessagesSent, tot.Exchanges*2)
	}
	require.Zero(t, tot.MergeErrors)
}
