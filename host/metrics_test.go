package host

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// scrape fetches a host's /metrics and parses its samples (no comments):
// "name{labels}" -> value.
func scrape(t *testing.T, h *Host) map[string]float64 {
	t.Helper()
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + h.MetricsAddr().String() + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := map[string]float64{}
	for line := range strings.SplitSeq(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		require.Positive(t, i, line)
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, line)
		out[line[:i]] = v
	}
	return out
}

func TestMetricsScrape(t *testing.T) {
	c := startHostsWith(t, 3, func(hc *Config) { hc.MetricsListen = "127.0.0.1:0" })
	c.t = t
	ctx := ctxT(t)
	r0 := c.client(0)
	const sets, gets = 5, 4
	for i := range sets {
		require.NoError(t, r0.Set(ctx, fmt.Sprintf("k%d", i), "v", 0).Err())
	}
	for i := range gets {
		require.NoError(t, r0.Get(ctx, fmt.Sprintf("k%d", i)).Err())
	}
	require.Error(t, r0.Get(ctx, "absent").Err()) // redis.Nil: not_found

	m := scrape(t, c.hosts[0])
	// Under dvv every SET reads the key first: 5 puts, 5+4+1 gets, of
	// which the 5 pre-SET reads and the read of "absent" find nothing.
	require.Equal(t, float64(sets), m[`dynasim_client_requests_total{kind="put",outcome="ok"}`])
	require.Equal(t, float64(gets), m[`dynasim_client_requests_total{kind="get",outcome="ok"}`])
	require.Equal(t, float64(sets+1), m[`dynasim_client_requests_total{kind="get",outcome="not_found"}`])
	require.Equal(t, float64(sets), m[`dynasim_client_request_duration_seconds_count{kind="put"}`])
	require.Equal(t, float64(sets+gets+1), m[`dynasim_client_request_duration_seconds_count{kind="get"}`])
	require.Positive(t, m[`dynasim_client_request_duration_seconds_sum{kind="get"}`])
	require.Zero(t, m[`dynasim_client_quorum_failures_total{kind="get"}`])

	// Node 0 coordinated every write: it sent each to at least W-1=1
	// peer, and the bytes by kind add up to the transport's total.
	require.GreaterOrEqual(t, m[`dynasim_messages_sent_total{kind="write_request"}`], float64(sets))
	require.Positive(t, m[`dynasim_messages_received_total{kind="write_ack"}`])
	var frames, bytes float64
	for k, v := range m {
		if strings.HasPrefix(k, "dynasim_messages_sent_total{") {
			frames += v
		}
		if strings.HasPrefix(k, "dynasim_message_bytes_sent_total{") {
			bytes += v
		}
	}
	require.Equal(t, m["dynasim_transport_frames_sent_total"], frames)
	require.Equal(t, m["dynasim_transport_bytes_sent_total"], bytes)
	require.Greater(t, bytes, frames)
	require.Contains(t, m, "dynasim_transport_frames_dropped_total")
	require.Contains(t, m, "dynasim_transport_frames_bad_checksum_total")

	// Node counters, read on the loop: the same fields INFO lists.
	require.Positive(t, m["dynasim_node_events"])
	require.GreaterOrEqual(t, m["dynasim_node_coordinator_puts"], float64(sets))
	info := c.hosts[0].info()
	for _, name := range []string{"engine_tables", "engine_compactions", "engine_bloom_checks", "coordinator_puts"} {
		require.Contains(t, info, "\r\n"+name+":")
		require.Contains(t, m, "dynasim_node_"+name)
	}

	// A replica saw the writes it acknowledged.
	m1 := scrape(t, c.hosts[1])
	require.Positive(t, m1[`dynasim_messages_received_total{kind="write_request"}`]+
		scrape(t, c.hosts[2])[`dynasim_messages_received_total{kind="write_request"}`])
	require.Zero(t, m1[`dynasim_client_requests_total{kind="put",outcome="ok"}`], "node 1 coordinated nothing")
}

func TestMetricsOffWhenUnset(t *testing.T) {
	c := startCluster(t, 1)
	require.NoError(t, c.client(0).Ping(ctxT(t)).Err())
	require.Nil(t, c.hosts[0].MetricsAddr())
}
