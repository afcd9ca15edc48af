package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Bytes per gossip round at the default configuration (fanout 2, 1 s), in
// a converged cluster without loss, counted from the codec's frame sizes:
// per node and round, Fanout pushes of the whole list plus the replies they
// draw (entries the receiver knows newer). Quoted in doc.go; run with -v
// to print. The push size is checked against a bound per entry so that a
// codec change that bloats the entries fails here.
func TestBytesPerRound(t *testing.T) {
	for _, n := range []int{8, 64, 256} {
		c := newCluster(t, Config{}, n, 1, 0)
		c.run(epoch.Add(20 * time.Second)) // converge
		c.pushBytes, c.replyBytes, c.rounds = 0, 0, 0
		c.run(c.now.Add(10 * time.Second))
		perRound := float64(c.pushBytes+c.replyBytes) / float64(c.rounds)
		push := c.nodes[0].Tick(c.now)[0].Msg.Size()
		t.Logf("n=%d: one push %d B (%.1f B/entry); per node per round %.0f B (pushes %.0f + replies %.0f); cluster per round %.0f B",
			n, push, float64(push)/float64(n), perRound, float64(c.pushBytes)/float64(c.rounds),
			float64(c.replyBytes)/float64(c.rounds), perRound*float64(n))
		// member (1–2 B), generation, heartbeat (2 B), status, ring version,
		// payload length, suspect count: at most 9 B without suspects.
		require.LessOrEqual(t, push, 12+9*n)
	}
}
