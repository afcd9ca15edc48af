package reports

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// path walks a decoded JSON document: "checks.linearizability.result".
func path(t *testing.T, doc map[string]any, p string) any {
	t.Helper()
	var cur any = doc
	for _, k := range strings.Split(p, ".") {
		m, ok := cur.(map[string]any)
		require.Truef(t, ok, "%s: %q is not inside an object", p, k)
		cur, ok = m[k]
		require.Truef(t, ok, "%s: key %q is missing", p, k)
	}
	return cur
}

func decode(t *testing.T, r *Report) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, r.WriteJSON(&buf))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	return doc
}

// The keys other tools rely on (issue 5, item 7), with their JSON types.
func TestJSONHasTheContractKeys(t *testing.T) {
	in := sampleInput(t, 3000)
	r, err := Build(in)
	require.NoError(t, err)
	doc := decode(t, r)

	str := func(p string) string {
		v, ok := path(t, doc, p).(string)
		require.Truef(t, ok, "%s is not a string", p)
		return v
	}
	num := func(p string) float64 {
		v, ok := path(t, doc, p).(float64)
		require.Truef(t, ok, "%s is not a number", p)
		return v
	}
	boolean := func(p string) bool {
		v, ok := path(t, doc, p).(bool)
		require.Truef(t, ok, "%s is not a bool", p)
		return v
	}
	list := func(p string) []any {
		v, ok := path(t, doc, p).([]any)
		require.Truef(t, ok, "%s is not a list", p)
		return v
	}

	require.Equal(t, "baseline", str("scenario"))
	require.Equal(t, 42.0, num("seed"))
	require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{16}$`), str("fingerprint"))
	require.Equal(t, "00abcdef01234567", str("fingerprint"))
	res := in.Results
	require.Equal(t, float64(res.Ops.Total), num("ops.total"))
	require.Equal(t, float64(res.Ops.OK), num("ops.ok"))
	require.Equal(t, float64(res.Ops.Failed), num("ops.failed"))
	require.Equal(t, float64(res.Ops.Unknown), num("ops.unknown"))
	require.Equal(t, num("ops.total"), num("ops.ok")+num("ops.failed")+num("ops.unknown"))
	for _, kind := range []string{"get", "put", "delete"} {
		for _, q := range []string{"p50", "p90", "p99", "p999", "max", "mean", "count"} {
			num("latency_ms." + kind + "." + q)
		}
		require.Equal(t, res.LatencyMs[kind].P99, num("latency_ms."+kind+".p99"))
		require.Equal(t, res.LatencyMs[kind].P999, num("latency_ms."+kind+".p999"))
	}
	require.Equal(t, "register", str("checks.linearizability.model"))
	require.Equal(t, "ok", str("checks.linearizability.result"))
	require.NotEmpty(t, str("checks.linearizability.reason"))
	require.Equal(t, float64(res.LostWrites.Lost), num("checks.lost_acked_writes"))
	require.Equal(t, res.Convergence.Converged, boolean("checks.converged"))
	require.Equal(t, res.Availability.Availability, num("checks.availability"))

	tv := list("staleness.t_visibility")
	require.Len(t, tv, len(res.Staleness.TVisibility))
	require.NotEmpty(t, tv)
	for i, p := range tv {
		pt := p.(map[string]any)
		require.Equal(t, res.Staleness.TVisibility[i].TMs, pt["t_ms"])
		require.Equal(t, res.Staleness.TVisibility[i].PConsistent, pt["p_consistent"])
	}
	num("staleness.stale_fraction")
	list("staleness.k_staleness")

	ex := list("expectations")
	require.Len(t, ex, 3)
	for _, e := range ex {
		m := e.(map[string]any)
		for _, k := range []string{"name", "want", "got", "pass"} {
			require.Contains(t, m, k)
		}
		require.IsType(t, true, m["pass"])
	}
	require.Equal(t, "availability_min", ex[0].(map[string]any)["name"], "expectations are sorted by name")

	require.Equal(t, 1_234_567.0, num("events"))
	require.Equal(t, 1.5, num("wall_seconds"))
	require.InDelta(t, num("ops.total")/1.5, num("ops_per_wall_second"), 1e-9)
	require.False(t, boolean("passed"), "availability_min fails in the sample")
	require.Equal(t, "dynasim run out/baseline/resolved.yaml --seed 42", str("repro"))

	// The additions are there too, and every key is snake_case.
	for _, p := range []string{"timeline.bucket_ms", "messages.total.per_op", "checks.availability_outside_faults", "virtual_seconds"} {
		num(p)
	}
	for _, p := range []string{"nodes", "fault_windows", "timeline.buckets", "latency_cdf.get", "siblings.histogram"} {
		require.NotEmpty(t, list(p), p)
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if !strings.HasPrefix(k, "latency_cdf") { // its keys are op kinds
					require.Regexp(t, `^[a-z][a-z0-9_]*$`, k)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
}

func TestJSONRoundTrips(t *testing.T) {
	r := sampleReport(t, 2000)
	var a bytes.Buffer
	require.NoError(t, r.WriteJSON(&a))
	back, err := ReadJSON(bytes.NewReader(a.Bytes()))
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, back.WriteJSON(&b))
	require.Equal(t, a.String(), b.String())
	// Expectation values come back as float64; they still print the same.
	var ta, tb bytes.Buffer
	require.NoError(t, WriteText(&ta, r, TextOptions{}))
	require.NoError(t, WriteText(&tb, back, TextOptions{}))
	require.Equal(t, ta.String(), tb.String())
}

func TestReadJSONRefusesBadInput(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, sampleReport(t, 300).WriteJSON(&buf))
	good := buf.String()
	for name, tc := range map[string]struct{ doc, err string }{
		"not json":        {"{", "not a JSON report"},
		"other format":    {strings.Replace(good, `"dynasim-report"`, `"something-else"`, 1), "format"},
		"newer version":   {strings.Replace(good, `"version": 1`, `"version": 2`, 1), "version 2"},
		"unknown field":   {strings.Replace(good, `"scenario": "baseline"`, `"scenario": "baseline", "bogus": 1`, 1), "bogus"},
		"bad fingerprint": {strings.Replace(good, `"00abcdef01234567"`, `"00ABCDEF01234567"`, 1), "16 lower-case hex"},
		"bad lin result":  {strings.Replace(good, `"result": "ok"`, `"result": "fine"`, 1), "linearizability result"},
		"ops do not add":  {strings.Replace(good, `"total": 300`, `"total": 301`, 1), "ops total"},
		"trailing data":   {good + "{}", "trailing data"},
		"no scenario":     {strings.Replace(good, `"scenario": "baseline"`, `"scenario": ""`, 1), "no scenario"},
	} {
		t.Run(name, func(t *testing.T) {
			require.NotEqual(t, good, tc.doc, "the mutation must apply")
			_, err := ReadJSON(strings.NewReader(tc.doc))
			require.ErrorContains(t, err, tc.err)
		})
	}
	_, err := readJSON(strings.NewReader(good), 100)
	require.ErrorContains(t, err, "over 100 bytes")
}
