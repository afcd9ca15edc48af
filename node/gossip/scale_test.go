package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The same seed gives the same run: no map order or other hidden input
// reaches an output.
func TestRunsReplayFromTheSeed(t *testing.T) {
	run := func() ([]Transition, int, int) {
		c := newCluster(t, Config{}, 16, 42, 0.05)
		c.run(epoch.Add(20 * time.Second))
		c.crash(3)
		c.run(c.now.Add(30 * time.Second))
		c.start(3)
		c.run(c.now.Add(20 * time.Second))
		var all []Transition
		for _, id := range c.ids {
			all = append(all, c.nodes[id].Transitions()...)
		}
		return all, c.pushBytes, c.replyBytes
	}
	t1, p1, r1 := run()
	t2, p2, r2 := run()
	require.NotEmpty(t, t1)
	require.Equal(t, t1, t2)
	require.Equal(t, p1, p2)
	require.Equal(t, r1, r2)
}

// At 64 members the defaults still give no false down with 1 % loss.
func TestNoFalseDownAt64Members(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	c := newCluster(t, Config{}, 64, 8, 0.01)
	c.run(epoch.Add(5 * time.Minute))
	require.Zero(t, c.downMarks())
}
