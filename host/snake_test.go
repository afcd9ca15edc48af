package host

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"ReplicaReads": "replica_reads", "LastReopenError": "last_reopen_error", "IOErrors": "io_errors",
		"Epoch": "epoch", "MaxDeferred": "max_deferred",
	} {
		require.Equal(t, want, snake(in), in)
	}
}
