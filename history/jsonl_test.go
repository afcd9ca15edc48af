package history

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func sampleHistory() *History {
	return &History{
		Ops: []Op{
			{ID: 1, Client: 0, Kind: Put, Key: "k1", Value: "v1", InvokeNs: 10, ReturnNs: 20, Coordinator: 2,
				Consistency: &Consistency{Level: "quorum", N: 3, W: 2, R: 2}, Outcome: OK, Versions: []string{"n2:1"}},
			{ID: 2, Client: 1, Kind: Get, Key: "k1", Values: []string{"v1"}, InvokeNs: 15, ReturnNs: 30, Coordinator: 0, Outcome: OK},
			{ID: 3, Client: 0, Kind: Put, Key: "k1", Value: "v2", Context: []string{"v1"}, InvokeNs: 31, ReturnNs: 90, Coordinator: 1,
				Tried: []int32{0, 1}, Outcome: Unknown, Error: "timeout"},
			{ID: 4, Client: 1, Kind: Delete, Key: "k2", InvokeNs: 40, ReturnNs: 41, Coordinator: NoCoordinator, Outcome: Failed, Error: "unavailable"},
			{ID: 5, Client: 1, Kind: Get, Key: "k1", InvokeNs: 100, ReturnNs: 110, Coordinator: 1, Outcome: OK, Final: true, Values: []string{"v2"}},
		},
		Replicas: []ReplicaState{
			{AtNs: 120, Key: "k1", Node: 0, ValueIDs: []string{"v2"}, Versions: []string{"n1:1,n2:1"}},
			{AtNs: 120, Key: "k2", Node: 0, Tombstone: true},
		},
		Faults: []FaultWindow{{Label: "partition", StartNs: 25, EndNs: 60}},
	}
}

func TestJSONLRoundTrip(t *testing.T) {
	h := sampleHistory()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, h))
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, 1+5+2+1+1)
	require.Equal(t, `{"type":"header","format":"dynasim-history","version":2}`, lines[0])
	require.True(t, strings.HasPrefix(lines[1], `{"type":"op","id":1,"client":0,"op":"put","key":"k1","value":"v1"`), lines[1])
	require.Equal(t, `{"type":"trailer","ops":5,"replicas":2,"faults":1}`, lines[len(lines)-1])
	got, err := Read(&buf)
	require.NoError(t, err)
	require.Equal(t, h, got)
	require.Empty(t, got.Incomplete)
}

func sampleRun() *RunInfo {
	return &RunInfo{
		Scenario: "lww-clock-skew", Seed: 1<<63 + 5, Fingerprint: "42151f2251268a13", Events: 67054, EndNs: 12_000_000_000,
		VersionMode: "lww", N: 3, W: 2, R: 2, WorkloadN: 3, ReadLevel: "2", WriteLevel: "2", FinalReadLevel: "ALL",
		Linearizability: true, ReadRepair: "async", Clients: 10, Keys: 10,
		Nodes: []NodeInfo{{Name: "n1", DC: "dc1"}, {Name: "n2", DC: "dc1"}, {Name: "n3", DC: "dc2"}},
	}
}

func TestJSONLRoundTripWithRun(t *testing.T) {
	h := sampleHistory()
	h.Run = sampleRun()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, h))
	first, _, _ := strings.Cut(buf.String(), "\n")
	require.Contains(t, first, `"run":{"scenario":"lww-clock-skew","seed":9223372036854775813,"fingerprint":"42151f2251268a13"`)
	require.Contains(t, first, `"version_mode":"lww","n":3,"w":2,"r":2`)
	got, err := Read(&buf)
	require.NoError(t, err)
	require.Equal(t, h, got)
}

// A file cut at any line boundary before its trailer reads as incomplete,
// saying where it ends; the whole file reads as complete; a cut inside a
// line is an error that says the file looks cut short.
func TestReadDetectsATruncatedHistory(t *testing.T) {
	h := sampleHistory()
	h.Run = sampleRun()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, h))
	full := buf.String()
	lines := strings.SplitAfter(full, "\n")
	lines = lines[:len(lines)-1] // the empty string after the last newline
	for n := 1; n < len(lines); n++ {
		got, err := Read(strings.NewReader(strings.Join(lines[:n], "")))
		require.NoError(t, err, "cut after line %d", n)
		require.Equal(t, fmt.Sprintf("cut short after line %d: no trailer line", n), got.Incomplete)
		require.Equal(t, h.Run, got.Run)
		// What was read is kept, so a reader can still say what it holds.
		require.Len(t, got.Ops, min(n-1, len(h.Ops)))
	}
	got, err := Read(strings.NewReader(full))
	require.NoError(t, err)
	require.Empty(t, got.Incomplete)

	cut := full[:len(full)-len(lines[len(lines)-1])+10]
	_, err = Read(strings.NewReader(cut))
	require.ErrorContains(t, err, "line 10: not a JSON object")
	require.ErrorContains(t, err, "cut short")

	// An incomplete history is not written back as a complete one.
	got, err = Read(strings.NewReader(strings.Join(lines[:3], "")))
	require.NoError(t, err)
	require.ErrorContains(t, Write(&bytes.Buffer{}, got), "refusing to write an incomplete history")
}

func TestReadVersion1IsIncompleteAndHasNoRun(t *testing.T) {
	got, err := Read(strings.NewReader(hdr + okPut))
	require.NoError(t, err)
	require.Nil(t, got.Run)
	require.Equal(t, IncompleteV1, got.Incomplete)
	require.Len(t, got.Ops, 1)

	for _, c := range []struct{ in, field, msg string }{
		{hdr + okPut + `{"type":"trailer","ops":1,"replicas":0,"faults":0}` + "\n", "type", "version 1 history has no trailer"},
		{strings.Replace(hdr, `}`, `,"run":{}}`, 1), "run", "version 1 header has no run"},
	} {
		_, err := Read(strings.NewReader(c.in))
		var pe *ParseError
		require.True(t, errors.As(err, &pe), "%q: %v", c.in, err)
		require.Equal(t, c.field, pe.Field, err.Error())
		require.Contains(t, pe.Msg, c.msg)
	}
}

func TestReadHeaderAndTrailerErrors(t *testing.T) {
	h := sampleHistory()
	h.Run = sampleRun()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, h))
	lines := strings.SplitAfter(buf.String(), "\n")
	head, trail := lines[0], lines[len(lines)-2]
	body := strings.Join(lines[1:len(lines)-2], "")
	cases := []parseErrorCase{
		{"run field missing", strings.Replace(head, `"seed":9223372036854775813,`, ``, 1) + body + trail, 1, "run.seed", "missing"},
		{"run field unknown", strings.Replace(head, `"seed":`, `"sede":1,"seed":`, 1) + body + trail, 1, "run.sede", "unknown field"},
		{"run field null", strings.Replace(head, `"events":67054`, `"events":null`, 1) + body + trail, 1, "run.events", "must not be null"},
		{"run field type", strings.Replace(head, `"n":3`, `"n":"3"`, 1) + body + trail, 1, "run.n", "want int"},
		{"bad fingerprint", strings.Replace(head, `42151f2251268a13`, `42151F2251268A13`, 1) + body + trail, 1, "run.fingerprint", "16 lower-case hex"},
		{"bad mode", strings.Replace(head, `"lww"`, `"lamport"`, 1) + body + trail, 1, "run.version_mode", `got "lamport"`},
		{"w above n", strings.Replace(head, `"w":2`, `"w":4`, 1) + body + trail, 1, "run.w", "[1, n=3]"},
		{"no nodes", strings.Replace(head, `"nodes":[{"name":"n1","dc":"dc1"},{"name":"n2","dc":"dc1"},{"name":"n3","dc":"dc2"}]`, `"nodes":[]`, 1) + body + trail, 1, "run.nodes", "between 1 and"},
		{"coordinator beyond the nodes", head + strings.Replace(body, `"coordinator":2`, `"coordinator":3`, 1) + trail, 2, "coordinator", "the run has 3 nodes"},
		{"replica node beyond the nodes", head + strings.Replace(body, `"node":0`, `"node":7`, 1) + trail, 7, "node", "the run has 3 nodes"},
		{"trailer counts", head + body + strings.Replace(trail, `"ops":5`, `"ops":6`, 1), 10, "ops", "counts 6, but the file holds 5"},
		{"trailer missing a count", head + body + strings.Replace(trail, `,"faults":1`, ``, 1), 10, "faults", "missing"},
		{"record after the trailer", head + body + trail + lines[1], 11, "type", "after the trailer on line 10"},
		{"second trailer", head + body + trail + trail, 11, "type", "after the trailer on line 10"},
	}
	requireParseErrors(t, cases)
}

func TestWriteRefusesInvalidHistory(t *testing.T) {
	h := sampleHistory()
	h.Ops[1].ReturnNs = h.Ops[1].InvokeNs
	err := Write(&bytes.Buffer{}, h)
	require.ErrorContains(t, err, `op #1: field "return_ns"`)
}

const hdr = `{"type":"header","format":"dynasim-history","version":1}` + "\n"
const okPut = `{"type":"op","id":1,"client":0,"op":"put","key":"k","value":"v1","invoke_ns":1,"return_ns":2,"coordinator":0,"outcome":"ok"}` + "\n"

func TestReadStrictErrors(t *testing.T) {
	cases := []parseErrorCase{
		{"no header", okPut, 1, "type", "the first line must be the header"},
		{"empty input", "", 0, "", "empty input"},
		{"wrong version", `{"type":"header","format":"dynasim-history","version":3}` + "\n", 1, "version", "got 3"},
		{"not json", hdr + "{oops\n", 2, "", "not a JSON object"},
		{"empty line", hdr + "\n" + okPut, 2, "", "empty line"},
		{"unknown type", hdr + `{"type":"span"}` + "\n", 2, "type", `got "span"`},
		{"unknown field", hdr + strings.Replace(okPut, `"client":0`, `"client":0,"colour":"red"`, 1), 2, "colour", "unknown field"},
		{"field case", hdr + strings.Replace(okPut, `"key"`, `"Key"`, 1), 2, "Key", "unknown field"},
		{"missing field", hdr + strings.Replace(okPut, `"return_ns":2,`, ``, 1), 2, "return_ns", "missing"},
		{"null", hdr + strings.Replace(okPut, `"invoke_ns":1`, `"invoke_ns":null`, 1), 2, "invoke_ns", "must not be null"},
		{"wrong type", hdr + strings.Replace(okPut, `"client":0`, `"client":"zero"`, 1), 2, "client", "want int"},
		{"bad outcome", hdr + strings.Replace(okPut, `"ok"`, `"maybe"`, 1), 2, "outcome", `got "maybe"`},
		{"return before invoke", hdr + strings.Replace(okPut, `"return_ns":2`, `"return_ns":1`, 1), 2, "return_ns", "(1 <= 1)"},
		{"values on put", hdr + strings.Replace(okPut, `"value":"v1"`, `"value":"v1","values":["v0"]`, 1), 2, "values", "only an ok get"},
		{"empty value id", hdr + strings.Replace(okPut, `"value":"v1"`, `"value":"v1","context":["a",""]`, 1), 2, "context[1]", "must not be empty"},
		{"duplicate id", hdr + okPut + strings.Replace(okPut, `"v1"`, `"v2"`, 1), 3, "id", "op on line 2"},
		{"duplicate value", hdr + okPut + strings.Replace(okPut, `"id":1`, `"id":2`, 1), 3, "value", "put on line 2"},
		{"second header", hdr + hdr, 2, "type", "second header"},
		{"bad fault", hdr + `{"type":"fault","label":"p","start_ns":5,"end_ns":5}` + "\n", 2, "end_ns", "greater than start_ns"},
		{"bad replica", hdr + `{"type":"replica","at_ns":5,"key":"k","node":-1}` + "\n", 2, "node", "non-negative"},
	}
	requireParseErrors(t, cases)
}

func TestReadLimits(t *testing.T) {
	opt := ReadOptions{MaxLineBytes: 1024, MaxRecords: 1}
	long := hdr + `{"type":"fault","label":"` + strings.Repeat("x", 2000) + `","start_ns":0,"end_ns":1}` + "\n"
	_, err := ReadWith(strings.NewReader(long), opt)
	require.ErrorContains(t, err, "history line 2: line longer than 1024 bytes")

	_, err = ReadWith(strings.NewReader(hdr+okPut+strings.Replace(okPut, `"id":1,`, `"id":2,`, 1)), opt)
	require.ErrorContains(t, err, "history line 3: more than 1 records")

	_, err = ReadWith(strings.NewReader(hdr), ReadOptions{MaxLineBytes: 10, MaxRecords: 1})
	require.ErrorContains(t, err, "MaxLineBytes must be at least 1024")

	// A line without a trailing newline at EOF is still read.
	h, err := Read(strings.NewReader(hdr + strings.TrimSuffix(okPut, "\n")))
	require.NoError(t, err)
	require.Len(t, h.Ops, 1)
}

func TestHistoryKeysSorted(t *testing.T) {
	h := sampleHistory()
	require.Equal(t, []string{"k1", "k2"}, h.Keys())
}

func TestReadNestedWrongType(t *testing.T) {
	in := hdr + strings.Replace(okPut, `"outcome":"ok"`, `"outcome":"ok","consistency":{"n":"three"}`, 1)
	_, err := Read(strings.NewReader(in))
	var pe *ParseError
	require.True(t, errors.As(err, &pe), "%v", err)
	require.Equal(t, "consistency.n", pe.Field)
}

func TestReadScannerEdgeCases(t *testing.T) {
	spaced := hdr + ` { "type" : "op" , "id":1,"client":0,"op":"put","key":"k}\"{[","value":"v1","context" : [ "a}" , "b" ],` +
		`"invoke_ns":1,"return_ns":2,"coordinator":0,"consistency":{"level":"q","n":3},"outcome":"ok" } ` + "\n"
	h, err := Read(strings.NewReader(spaced))
	require.NoError(t, err)
	require.Equal(t, `k}"{[`, h.Ops[0].Key)
	require.Equal(t, []string{"a}", "b"}, h.Ops[0].Context)
	require.Equal(t, 3, h.Ops[0].Consistency.N)

	escaped := hdr + strings.Replace(okPut, `"key"`, `"ke\u0079"`, 1)
	h, err = Read(strings.NewReader(escaped))
	require.NoError(t, err)
	require.Equal(t, "k", h.Ops[0].Key)

	for _, c := range []struct{ in, field, msg string }{
		{hdr + strings.Replace(okPut, `"client":0`, `"client":0,"client":1`, 1), "client", "appears twice"},
		{hdr + "[1,2]\n", "", "not a JSON object"},
		{hdr + `"op"` + "\n", "", "not a JSON object"},
		{hdr + `{"type":7}` + "\n", "type", "must be a string"},
		{hdr + `{"id":1}` + "\n", "type", "missing"},
		{hdr + strings.Replace(okPut, `"outcome":"ok"`, `"outcome":"ok","consistency":{"m":1}`, 1), "m", "unknown field"},
	} {
		_, err := Read(strings.NewReader(c.in))
		var pe *ParseError
		require.True(t, errors.As(err, &pe), "%q: %v", c.in, err)
		require.Equal(t, 2, pe.Line, err.Error())
		require.Equal(t, c.field, pe.Field, err.Error())
		require.Contains(t, pe.Msg, c.msg)
	}
}

// parseErrorCase is an input Read must refuse, and where and why.
type parseErrorCase struct {
	name, input string
	line        int
	field, msg  string
}

// requireParseErrors reads each case's input and requires the ParseError it
// names: line, field and a part of the message.
func requireParseErrors(t *testing.T, cases []parseErrorCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(c.input))
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "want a ParseError, got %v", err)
			require.Equal(t, c.line, pe.Line, err.Error())
			require.Equal(t, c.field, pe.Field, err.Error())
			require.Contains(t, pe.Msg, c.msg)
		})
	}
}
