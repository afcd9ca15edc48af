package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// TextOptions configures WriteText. The zero value is plain ASCII without
// colour: right for pipes, files and tests.
type TextOptions struct {
	// Color adds ANSI colours (PASS green, FAIL red, ...). The caller turns
	// it on when the output is a terminal; this package never looks.
	Color bool
	// Unicode draws the tables with box-drawing characters instead of ASCII.
	Unicode bool
	// TVisibilityPoints is how many points of the t-visibility curve to
	// show. Default 8; at most 1000.
	TVisibilityPoints int
}

// Validate reports a knob out of range.
func (o TextOptions) Validate() error {
	if o.TVisibilityPoints < 0 || o.TVisibilityPoints > 1000 {
		return fmt.Errorf("reports: TextOptions.TVisibilityPoints must be in [0, 1000], got %d", o.TVisibilityPoints)
	}
	return nil
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiGreen  = "\x1b[32m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
)

// WriteText writes the terminal summary of r: a verdict line, then tables
// (run, expectations, checks, operations and latency, fault windows,
// staleness, messages, nodes) and the repro command. The output depends on
// r and opts alone.
func WriteText(w io.Writer, r *Report, opts TextOptions) error {
	if r == nil {
		return fmt.Errorf("reports: WriteText of a nil report")
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	if opts.TVisibilityPoints == 0 {
		opts.TVisibilityPoints = 8
	}
	bw := bufio.NewWriter(w)
	tx := &textWriter{w: bw, opts: opts}
	v, st := verdict(r)
	tx.line(tx.paint(ansiBold, "dynasim report: "+r.Scenario+"  ") + tx.status(v, st))
	for _, t := range append([]*table{
		summaryTable(r), expectationsTable(r), checksTable(r), opsTable(r), faultTable(r),
		tVisTable(r, opts.TVisibilityPoints), kTable(r, 8), messagesTable(r), nodesTable(r), failuresTable(r), antiEntropyTable(r), repairsTable(r),
	}, ringTables(r)...) {
		if t == nil {
			continue
		}
		tx.table(t)
		if t.Title == "Staleness: versions missed per read (k)" && r.Staleness.Probe != nil {
			tx.table(probeTable(r))
		}
	}
	tx.line("")
	tx.line(tx.paint(ansiBold, "repro: ") + r.Repro)
	if tx.err != nil {
		return tx.err
	}
	return bw.Flush()
}

type textWriter struct {
	w    *bufio.Writer
	opts TextOptions
	err  error
}

func (t *textWriter) line(s string) {
	if t.err == nil {
		_, t.err = t.w.WriteString(s + "\n")
	}
}

func (t *textWriter) paint(code, s string) string {
	if !t.opts.Color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) status(s string, st status) string {
	switch st {
	case good:
		return t.paint(ansiGreen, s)
	case bad:
		return t.paint(ansiBold+ansiRed, s)
	case warn:
		return t.paint(ansiYellow, s)
	}
	return s
}

func (t *textWriter) table(tb *table) {
	t.line("")
	t.line(t.paint(ansiBold, strings.ToUpper(tb.Title)))
	if len(tb.Rows) > 0 && t.err == nil {
		t.err = t.render(tb)
	}
	for _, n := range tb.Notes {
		t.line("  " + n)
	}
}

func (t *textWriter) render(tb *table) error {
	style := tw.StyleASCII
	if t.opts.Unicode {
		style = tw.StyleLight
	}
	ncol := len(tb.Rows[0])
	align := make([]tw.Align, ncol)
	for i := range align {
		align[i] = tw.AlignLeft
		if i < len(tb.Right) && tb.Right[i] {
			align[i] = tw.AlignRight
		}
	}
	table := tablewriter.NewTable(t.w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(style)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		// Never wrap or truncate: a figure cut in half is worse than a wide
		// line.
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
	if len(tb.Header) > 0 {
		table.Header(tb.Header)
	}
	for _, row := range tb.Rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = t.status(c.Text, c.Status)
		}
		if err := table.Append(cells); err != nil {
			return fmt.Errorf("reports: table %q: %w", tb.Title, err)
		}
	}
	if err := table.Render(); err != nil {
		return fmt.Errorf("reports: table %q: %w", tb.Title, err)
	}
	return nil
}
