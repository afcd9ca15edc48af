package reports

import (
	"bytes"
	"encoding/xml"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"dynasim/checker"
	"dynasim/history"
)

func page(t *testing.T, r *Report) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, r))
	doc := buf.String()
	requireWellFormed(t, doc)
	requireSelfContained(t, doc)
	return doc
}

var voidElements = []string{"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

// requireWellFormed checks that every element is closed, in order: stricter
// than browsers, which repair anything.
func requireWellFormed(t *testing.T, doc string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(doc))
	var stack []string
	for {
		switch z.Next() {
		case html.ErrorToken:
			require.ErrorIs(t, z.Err(), io.EOF)
			require.Empty(t, stack, "unclosed elements")
			_, err := html.Parse(strings.NewReader(doc))
			require.NoError(t, err)
			return
		case html.StartTagToken:
			name, _ := z.TagName()
			if !slices.Contains(voidElements, string(name)) {
				stack = append(stack, string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			require.NotEmpty(t, stack, "</%s> closes nothing", name)
			require.Equal(t, stack[len(stack)-1], string(name), "</%s> closes <%s>", name, stack[len(stack)-1])
			stack = stack[:len(stack)-1]
		}
	}
}

// requireSelfContained checks that the page loads nothing: no scripts, no
// external stylesheets, images, frames or fonts, no absolute links.
func requireSelfContained(t *testing.T, doc string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(doc))
	inStyle := false
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			require.NotContains(t, []string{"script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignobject"}, strings.ToLower(tok.Data))
			for _, a := range tok.Attr {
				k, v := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
				require.NotEqual(t, "src", k, "<%s %s=%q>", tok.Data, a.Key, a.Val)
				require.False(t, strings.HasPrefix(k, "on"), "event handler <%s %s>", tok.Data, a.Key)
				if k == "href" || k == "xlink:href" {
					require.Falsef(t, strings.HasPrefix(v, "http:") || strings.HasPrefix(v, "https:") || strings.HasPrefix(v, "//"), "absolute link %q", a.Val)
				}
				if k == "style" {
					require.NotContains(t, v, "url(")
				}
			}
			inStyle = tok.Data == "style"
		case html.TextToken:
			if inStyle {
				require.NotContains(t, tok.Data, "url(")
				require.NotContains(t, tok.Data, "@import")
			}
		case html.EndTagToken:
			inStyle = false
		}
	}
}

var svgRE = regexp.MustCompile(`(?s)<svg.*?</svg>`)

// svgs returns the inline SVG elements, each checked to be well-formed XML.
func svgs(t *testing.T, doc string) []string {
	t.Helper()
	out := svgRE.FindAllString(doc, -1)
	for _, s := range out {
		d := xml.NewDecoder(strings.NewReader(s))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
		}
	}
	require.Equal(t, strings.Count(doc, "<svg"), len(out))
	return out
}

const faultFill = "fill:#D52627;fill-opacity:0.14902"

func TestHTMLHasTheTablesAndOnePlotEach(t *testing.T) {
	r := sampleReport(t, 3000)
	doc := page(t, r)
	require.Contains(t, doc, "<title>dynasim report: baseline (seed 42)</title>")
	require.Contains(t, doc, `<div class="verdict bad">FAIL (1 of 3 expectations failed)</div>`)
	require.Contains(t, doc, `<td>availability_min</td><td>0.99</td><td>`+fmtValue(r.Checks.Availability)+`</td><td class="bad">FAIL</td>`)
	require.Contains(t, doc, `<td>linearizable</td><td>true</td><td>true</td><td class="good">PASS</td>`)
	require.Contains(t, doc, "<td>00abcdef01234567</td>")
	require.Contains(t, doc, `<td class="num">`+fmtSig(r.LatencyMs.Get.P99)+`</td>`)
	require.Contains(t, doc, "<pre><code>dynasim run out/baseline/resolved.yaml --seed 42</code></pre>")
	require.NotContains(t, doc, "visualisation</a>", "no Porcupine link when linearizable")

	plots := svgs(t, doc)
	require.Len(t, plots, 4, "latency CDF, timeline, t-visibility, node load")
	cdf, timeline, tvis, nodes := plots[0], plots[1], plots[2], plots[3]
	require.Contains(t, cdf, "Latency CDF")
	for _, kind := range []string{"get", "put", "delete"} {
		require.Contains(t, cdf, kind+" (n="+fmtInt(r.LatencyMs.byKind(kind).Count)+")")
	}
	require.Contains(t, tvis, "t-visibility")
	require.Contains(t, nodes, "Events handled per node")
	require.Contains(t, nodes, "#3 (dc1)")

	// Two fault windows shaded in each of the three timeline panels, plus
	// the legend's swatch; labelled in the top panel.
	require.Contains(t, timeline, "Throughput")
	require.Contains(t, timeline, "Availability")
	require.Equal(t, 3*2+1, strings.Count(timeline, faultFill))
	require.Contains(t, timeline, ">crash n2</text>")
	require.Contains(t, timeline, ">partition {n0,n1} | {n2,n3,n4}</text>")
	for _, other := range []string{cdf, tvis, nodes} {
		require.NotContains(t, other, faultFill)
	}
}

func TestHTMLWithoutFaultsShadesNothing(t *testing.T) {
	in := sampleInput(t, 1000)
	h := *in.History
	h.Faults = nil
	in.History = &h
	res, err := checker.Check(&h, checker.Options{Model: checker.Register})
	require.NoError(t, err)
	in.Results = res
	r, err := Build(in)
	require.NoError(t, err)
	doc := page(t, r)
	plots := svgs(t, doc)
	require.Len(t, plots, 4)
	require.NotContains(t, doc, faultFill)
	require.NotContains(t, plots[1], "fault window")
	require.Contains(t, doc, "no faults were injected")
}

func TestHTMLLinksThePorcupineVisualisation(t *testing.T) {
	r, _ := illegalReport(t)
	doc := page(t, r)
	l := r.Checks.Linearizability
	require.Contains(t, doc, `<a href="porcupine/lin.html">open the visualisation</a>`)
	require.Contains(t, doc, "no linearization for key <code>"+l.FailingKey+"</code>")
	require.Contains(t, doc, `<td class="bad">illegal</td>`)
	require.Contains(t, doc, `<a href="porcupine/lin.html">porcupine/lin.html</a>`)
	// The injected stale reads bend the t-visibility curve below 1.
	require.Less(t, r.Staleness.TVisibility[0].PConsistent, 1.0)
}

func TestHTMLEscapesEverything(t *testing.T) {
	in := sampleInput(t, 500)
	in.Meta.Scenario = `<script>alert("x")</script>`
	in.Meta.Description = `a & b <i>c</i>`
	in.Expectations[0].Name = `"><img src=x onerror=alert(1)>`
	in.Nodes[0].DC = `<dc>`
	h := *in.History
	h.Faults = []history.FaultWindow{{Label: `<b>cut</b> & "run"`, StartNs: 1_000_000, EndNs: 50_000_000}}
	in.History = &h
	res, err := checker.Check(&h, checker.Options{Model: checker.Register})
	require.NoError(t, err)
	in.Results = res
	r, err := Build(in)
	require.NoError(t, err)
	r.Checks.Linearizability.Visualization = "javascript:alert(1)"
	doc := page(t, r)
	for _, raw := range []string{`<script>alert`, `<i>c</i>`, `<img src=x`, `<b>cut</b>`, `<dc>`, `href="javascript:`} {
		require.NotContains(t, doc, raw)
	}
	require.Contains(t, doc, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	require.Contains(t, doc, "a &amp; b &lt;i&gt;c&lt;/i&gt;")
	require.Contains(t, doc, "&lt;b&gt;cut&lt;/b&gt; &amp;", "escaped in the table and in the SVG label")
	require.Contains(t, doc, `href="#ZgotmplZ"`, "html/template neutralises a script URL")
	svgs(t, doc)
}

func TestHTMLEdgeCases(t *testing.T) {
	t.Run("empty history", func(t *testing.T) {
		h := &history.History{}
		r := build(t, h, check(t, h, checker.Options{Linearizability: true}))
		doc := page(t, r)
		require.Empty(t, svgs(t, doc))
		for _, s := range []string{"No operation ended ok: no latency to plot.", "No operations were recorded: no timeline.",
			"No read began after an acknowledged write: no t-visibility curve.", "No per-node statistics.", "no operations were recorded"} {
			require.Contains(t, doc, s)
		}
		require.Contains(t, doc, `<div class="verdict good">PASS (the scenario states no expectations)</div>`)
	})
	t.Run("puts only", func(t *testing.T) {
		var b hb
		for i := range int64(50) {
			b.op(history.Put, "k", i*ms, i*ms+ms/2+i*1000, history.OK)
		}
		r := build(t, &b.h, check(t, &b.h, checker.Options{}))
		doc := page(t, r)
		plots := svgs(t, doc)
		require.Len(t, plots, 3, "CDF, timeline, node load (history-derived); no t-visibility without reads")
		require.Contains(t, plots[0], "put (n=50)")
		require.NotContains(t, plots[0], "get (n=")
		require.Contains(t, doc, "no get operations in this run")
		require.Contains(t, plots[2], "client ops (history)")
		require.NotContains(t, plots[2], "Events handled")
	})
	t.Run("one operation, identical latencies", func(t *testing.T) {
		var b hb
		b.op(history.Get, "k", 5*ms, 6*ms, history.OK)
		r := build(t, &b.h, check(t, &b.h, checker.Options{}))
		require.Len(t, svgs(t, page(t, r)), 3)
	})
}

func TestHTMLShowsFailuresOnlyWhenPresent(t *testing.T) {
	r := sampleReport(t, 300)
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, r))
	require.NotContains(t, buf.String(), `id="failures"`)
	r.Hints = &Hints{HintCounts: HintCounts{Created: 3, Delivered: 3}, Nodes: []NodeHints{{Name: "n1", HintCounts: HintCounts{Created: 3, Delivered: 3}}}}
	buf.Reset()
	require.NoError(t, WriteHTML(&buf, r))
	require.Contains(t, buf.String(), `id="failures"`)
	require.Contains(t, buf.String(), "hints: 3 created, 3 delivered")
}

// The membership marks become one interval per (observer, member) belief:
// from a down mark to the next up mark about that member, or to the end
// while still open; a false down mark keeps its flag.
func TestMembershipIntervals(t *testing.T) {
	m := &Membership{Nodes: []MembershipNode{
		{Node: 0, Name: "n1", Marks: []MembershipMk{{AtS: 30, Member: "n3", Kind: "up"}, {AtS: 12, Member: "n3", Kind: "down"}, {AtS: 40, Member: "n2", Kind: "down", False: true}}},
		{Node: 1, Name: "n2", Marks: []MembershipMk{{AtS: 13, Member: "n3", Kind: "down"}, {AtS: 14, Member: "n3", Kind: "down"}, {AtS: 31, Member: "n3", Kind: "up"}, {AtS: 5, Member: "n9", Kind: "down"}}},
		{Node: 2, Name: "n3"},
	}}
	got := membershipIntervals(m, 60)
	require.Equal(t, []believedDown{
		{member: 2, observer: 0, from: 12, to: 30},
		{member: 1, observer: 0, from: 40, to: 60, isFalse: true},
		{member: 2, observer: 1, from: 13, to: 31},
	}, got)
}

// With membership the HTML report draws the membership timeline inside
// the failures section; without it there is no timeline.
func TestHTMLMembershipTimelineOnlyWithMembership(t *testing.T) {
	r := sampleReport(t, 300)
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, r))
	require.NotContains(t, buf.String(), `id="membership-timeline"`)
	r.Membership = &Membership{
		Nodes: []MembershipNode{
			{Node: 0, Name: "n1", Marks: []MembershipMk{{AtS: 12, Member: "n3", Kind: "down", Reporters: 2}, {AtS: 30, Member: "n3", Kind: "up"}}},
			{Node: 1, Name: "n2", Marks: []MembershipMk{{AtS: 5, Member: "n1", Kind: "down", Reporters: 2, False: true}}},
			{Node: 2, Name: "n3"},
		},
		Detections: []Detection{{Member: "n3", Observer: "n1", CrashS: 10, DownForS: 20, AfterMs: 2000}},
	}
	buf.Reset()
	require.NoError(t, WriteHTML(&buf, r))
	s := buf.String()
	i := strings.Index(s, `<figure id="membership-timeline"><svg`)
	require.Positive(t, i, "no membership timeline")
	require.Less(t, strings.Index(s, `id="failures"`), i, "the timeline is in the failures section")
	fig := s[i : i+strings.Index(s[i:], "</figure>")]
	require.Contains(t, fig, "Membership: when the other nodes believed each node down")
	for _, name := range []string{"n1", "n2", "n3", "false down", "process down"} {
		require.Contains(t, fig, name)
	}
}
