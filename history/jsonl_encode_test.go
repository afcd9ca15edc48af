package history

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// stdLine is what encoding/json writes for a record, the reference the
// hand-written encoder must match byte for byte (an op line: member for
// member, see requireSameJSON).
func stdLine(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(v))
	return buf.String()
}

func randString(rng *rand.Rand) string {
	pieces := []string{"", "k1", "v-17", "n3:42", "a\"b", `back\slash`, "tab\there", "nl\n", "\x00\x01\x1f", "<&>", "é", "日本", "\u2028\u2029", "\xff\xfe", "ok", "timeout: 2 of 3"}
	s := ""
	for n := rng.IntN(3); n >= 0; n-- {
		s += pieces[rng.IntN(len(pieces))]
	}
	return s
}

func randList(rng *rand.Rand) []string {
	switch rng.IntN(3) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	out := make([]string, 1+rng.IntN(4))
	for i := range out {
		out[i] = randString(rng)
	}
	return out
}

func TestHandEncodedRecordsMatchEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		o := Op{
			ID: rng.Uint64() >> rng.IntN(64), Client: rng.IntN(100) - 1, Kind: OpKind(1 + rng.IntN(3)), Key: randString(rng),
			Value: randString(rng), Context: randList(rng), Values: randList(rng), Versions: randList(rng),
			InvokeNs: rng.Int64() >> rng.IntN(64), ReturnNs: -rng.Int64N(1000) + rng.Int64N(1e12), Coordinator: int32(rng.IntN(10) - 1),
			Outcome: Outcome(1 + rng.IntN(3)), Error: randString(rng), Final: rng.IntN(2) == 0,
		}
		if k := rng.IntN(4); k > 0 {
			for range k {
				o.Tried = append(o.Tried, int32(rng.IntN(10)))
			}
		}
		if rng.IntN(2) == 0 {
			o.Consistency = &Consistency{Level: randString(rng), N: rng.IntN(3), W: rng.IntN(3) - 1, R: rng.IntN(3)}
		}
		// Key order differs from encoding/json's (the struct packs small
		// fields together; the writer keeps "op" near the front): same
		// members, same values.
		requireSameJSON(t, stdLine(t, opLine{typeOp, o}), string(appendOpLine(nil, &o)))

		s := ReplicaState{AtNs: rng.Int64N(1e12), Key: randString(rng), Node: int32(rng.IntN(5)), ValueIDs: randList(rng), Versions: randList(rng), Tombstone: rng.IntN(2) == 0}
		require.Equal(t, stdLine(t, replicaLine{typeReplica, s}), string(appendReplicaLine(nil, &s)))

		f := FaultWindow{Label: randString(rng), StartNs: rng.Int64N(1e9), EndNs: rng.Int64N(1e12)}
		require.Equal(t, stdLine(t, faultLine{typeFault, f}), string(appendFaultLine(nil, &f)))
	}
}

// requireSameJSON requires two JSON lines to hold the same members with the
// same values, in any order, and each to end with one newline.
func requireSameJSON(t *testing.T, want, got string) {
	t.Helper()
	require.True(t, strings.HasSuffix(got, "}\n") && strings.Count(got, "\n") == 1, "one line: %q", got)
	var w, g map[string]any
	require.NoError(t, json.Unmarshal([]byte(want), &w))
	require.NoError(t, json.Unmarshal([]byte(got), &g), "the writer's line is valid JSON: %q", got)
	require.Equal(t, w, g)
	require.Len(t, got, len(want), "no extra spaces or escapes")
}
