package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// htmlCell and htmlTable are the tables as the template consumes them.
type htmlCell struct {
	Text, Class, Href string
}

type htmlTable struct {
	Title  string
	Header []htmlCell
	Rows   [][]htmlCell
	Notes  []string
}

func toHTML(t *table) htmlTable {
	align := func(i int) string {
		if i < len(t.Right) && t.Right[i] {
			return "num"
		}
		return ""
	}
	out := htmlTable{Title: t.Title, Notes: t.Notes}
	for i, h := range t.Header {
		out.Header = append(out.Header, htmlCell{Text: h, Class: align(i)})
	}
	for _, row := range t.Rows {
		cells := make([]htmlCell, len(row))
		for i, c := range row {
			cls := c.Status.class()
			if a := align(i); a != "" {
				cls = joinClass(cls, a)
			}
			cells[i] = htmlCell{Text: c.Text, Class: cls, Href: c.Href}
		}
		out.Rows = append(out.Rows, cells)
	}
	return out
}

func joinClass(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// htmlPlot is one figure: its SVG, or a sentence saying why there is none.
type htmlPlot struct {
	SVG     template.HTML
	Missing string
}

type htmlPage struct {
	R            *Report
	Verdict      string
	VerdictClass string
	Run          htmlTable
	Expectations htmlTable
	Checks       htmlTable
	Ops          htmlTable
	Faults       htmlTable
	TVis         htmlTable
	K            htmlTable
	Siblings     htmlTable
	Messages     htmlTable
	Nodes        htmlTable
	// Failures is the membership and hints table; nil when the run had
	// neither.
	Failures *htmlTable
	// Ring are the membership change tables (changes, ring versions,
	// autoscaler, cluster size over time); empty without changes.
	Ring []htmlTable
	// Repair is the anti-entropy and wipe-repair tables; empty when the
	// run had neither.
	Repair []htmlTable
	// Membership is the membership timeline (no SVG without membership).
	Membership htmlPlot
	LatencyCDF htmlPlot
	Timeline   htmlPlot
	TVisPlot   htmlPlot
	Probe      htmlTable
	ProbePlot  htmlPlot
	NodePlot   htmlPlot
}

// WriteHTML writes the report as one self-contained HTML page: inline CSS,
// inline SVG plots (latency CDF per operation kind, the t-visibility
// curve, a timeline of throughput, availability and latency with fault
// windows shaded, per-node load, and with membership the intervals each
// node was believed down over its real down windows), the tables of WriteText, and a relative
// link to Porcupine's visualisation when the report names one. No
// JavaScript, no external assets; every string from the report is escaped.
func WriteHTML(w io.Writer, r *Report) error {
	if r == nil {
		return fmt.Errorf("reports: WriteHTML of a nil report")
	}
	v, st := verdict(r)
	page := htmlPage{
		R: r, Verdict: v, VerdictClass: st.class(),
		Run: toHTML(summaryTable(r)), Expectations: toHTML(expectationsTable(r)), Checks: toHTML(checksTable(r)),
		Ops: toHTML(opsTable(r)), Faults: toHTML(faultTable(r)), TVis: toHTML(tVisTable(r, 0)), K: toHTML(kTable(r, 0)),
		Siblings: toHTML(siblingsTable(r)), Messages: toHTML(messagesTable(r)), Nodes: toHTML(nodesTable(r)),
	}
	if r.Staleness.Probe != nil {
		page.Probe = toHTML(probeTable(r))
	}
	if t := failuresTable(r); t != nil {
		ft := toHTML(t)
		page.Failures = &ft
	}
	for _, t := range ringTables(r) {
		page.Ring = append(page.Ring, toHTML(t))
	}
	for _, t := range []*table{antiEntropyTable(r), repairsTable(r)} {
		if t != nil {
			page.Repair = append(page.Repair, toHTML(t))
		}
	}
	for _, f := range []struct {
		dst     *htmlPlot
		draw    func(*Report) (string, bool, error)
		missing string
	}{
		{&page.LatencyCDF, latencyCDFPlot, "No operation ended ok: no latency to plot."},
		{&page.Timeline, timelinePlot, "No operations were recorded: no timeline."},
		{&page.TVisPlot, tVisibilityPlot, "No read began after an acknowledged write: no t-visibility curve."},
		{&page.NodePlot, nodeLoadPlot, "No per-node statistics."},
		{&page.ProbePlot, probePlot, ""},
		{&page.Membership, membershipPlot, ""},
	} {
		svg, ok, err := f.draw(r)
		if err != nil {
			return err
		}
		if ok {
			// Safe: gonum's SVG writer escapes every string it draws.
			f.dst.SVG = template.HTML(svg)
		} else {
			f.dst.Missing = f.missing
		}
	}
	if err := htmlTemplate.Execute(w, page); err != nil {
		return fmt.Errorf("reports: writing the HTML report: %w", err)
	}
	return nil
}
