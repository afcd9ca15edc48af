package scenarios

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

func TestQuotedCutsInputToAShortPrintablePrefix(t *testing.T) {
	require.Equal(t, `"fast"`, quoted("fast"))
	require.Equal(t, `"héllo"`, quoted("héllo"), "valid text stays readable")
	long := strings.Repeat("abcdefghij", 10)
	require.Equal(t, `"`+long[:58]+`"… (100 bytes in all)`, quoted(long))
	require.Equal(t, `"\x00\xff\x01"`, quoted("\x00\xff\x01"), "invalid UTF-8 shows as ASCII escapes")
	got := quoted(strings.Repeat("\x00\xfe", 500))
	require.True(t, strings.HasSuffix(got, `"… (1000 bytes in all)`), got)
	require.LessOrEqual(t, len(got), maxQuotedBytes+len(`… (1000 bytes in all)`))

	require.Equal(t, "workload", pathKey("workload"))
	require.Equal(t, `"a.b"`, pathKey("a.b"), "a key that would read as a path is quoted")
	require.Equal(t, `"\x01"`, pathKey("\x01"))
}

// A file of binary garbage is refused with a short message that quotes a
// printable prefix of it, never the garbage itself.
func TestGarbageFileGivesAShortPrintableError(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		data := make([]byte, 2000)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		if i%2 == 1 { // some garbage that parses as YAML mappings
			data = append([]byte("name: x\nworkload: {\"\x01\x02"+string(data[:300])+"\": 1}\nnode: {version_mode: \""), data[300:]...)
			data = append(data, "\"}\n"...)
		}
		_, err := Parse("g.yaml", data)
		require.Error(t, err)
		msg := err.Error()
		require.LessOrEqual(t, len(msg), 600, "garbage #%d gives a %d-byte message:\n%s", i, len(msg), msg)
		for _, r := range msg {
			require.True(t, r == '\n' || r == '…' || (r < unicode.MaxASCII && unicode.IsPrint(r)), "garbage #%d: %q in the message:\n%q", i, r, msg)
		}
	}
}
