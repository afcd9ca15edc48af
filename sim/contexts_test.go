package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Both forms of a client's context cache keep the last context put for a
// key and nothing for keys never put; the table form is chosen only while
// clients x keys stays within maxDenseContexts.
func TestContextCacheForms(t *testing.T) {
	for _, tc := range []struct {
		name          string
		keys, clients int
		dense         bool
	}{
		{"table", 1000, 32, true},
		{"map", maxDenseContexts, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newContextCache(tc.keys, tc.clients)
			require.Equal(t, tc.dense, c.keys > 0)
			require.Equal(t, cachedContext{}, c.get(7))
			c.put(7, cachedContext{ctx: []byte{1}, ids: []string{"c1.1"}})
			c.put(7, cachedContext{ctx: []byte{2}, ids: []string{"c1.2"}})
			c.put(int32(tc.keys-1), cachedContext{ctx: []byte{3}})
			require.Equal(t, cachedContext{ctx: []byte{2}, ids: []string{"c1.2"}}, c.get(7))
			require.Equal(t, cachedContext{ctx: []byte{3}}, c.get(int32(tc.keys-1)))
			require.Equal(t, cachedContext{}, c.get(8))
		})
	}
}
