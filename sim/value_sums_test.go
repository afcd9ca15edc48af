package sim

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dynasim/wire"
)

// Sums are the values' checksums, whether a lookup hits, misses or finds a
// slot another value took, and for a value of the same address but another
// length.
func TestValueSumsAreChecksums(t *testing.T) {
	var sums valueSums
	values := make([][]byte, 3*valueSumSlots)
	for i := range values {
		values[i] = []byte(strings.Repeat("v", 65) + strconv.Itoa(i))
	}
	for round := range 2 {
		for i, v := range values {
			require.Equal(t, wire.ValueChecksum(v), sums.Sum(v), "round %d value %d", round, i)
			require.Equal(t, wire.ValueChecksum(v[:40]), sums.Sum(v[:40]), "round %d value %d, a prefix", round, i)
		}
	}
}
