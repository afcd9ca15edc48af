package runner

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"dynasim/sim"
)

// A failed attempt is definite only when it cannot have reached a node.
func TestTargetClassify(t *testing.T) {
	for _, tc := range []struct {
		err           error
		definite, bad bool
	}{
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true, false},
		{redis.ErrPoolTimeout, true, false},
		{context.DeadlineExceeded, false, false},
		{&net.OpError{Op: "read", Err: errors.New("connection reset")}, false, false},
	} {
		d, b := classify(tc.err)
		require.Equal(t, tc.definite, d, tc.err)
		require.Equal(t, tc.bad, b, tc.err)
	}
}

// Values carry their ID as the simulated clients' do, and VGET's answer
// is read back into value IDs and the context token.
func TestTargetValuesAndVGET(t *testing.T) {
	v := makeValue("c3.17", 40)
	require.Len(t, v, 40)
	require.Equal(t, "c3.17", sim.ValueID(v))
	require.Len(t, makeValue("c3.17", 1), len("c3.17")+1)

	res, cc, err := parseVGET([]any{"tok", string(v), string(makeValue("c1.2", 10))})
	require.NoError(t, err)
	require.Equal(t, []string{"c3.17", "c1.2"}, res.Values)
	require.Equal(t, []byte("tok"), cc.token)
	require.Equal(t, res.Values, cc.ids)
	_, _, err = parseVGET(nil)
	require.Error(t, err)
	_, _, err = parseVGET([]any{int64(1)})
	require.Error(t, err)
}
