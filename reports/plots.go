package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The SVG plots of the HTML report, drawn with gonum/plot. Each returns the
// <svg> element as a string (nil-safe: ok=false when there is nothing to
// draw). Fonts are not embedded (that would add ~300 KB per plot); the HTML
// stylesheet maps the plots' Liberation Sans to a metric-compatible system
// font.

var (
	colorGet    = rgb(0x1f, 0x77, 0xb4)
	colorPut    = rgb(0xd6, 0x5f, 0x00)
	colorDelete = rgb(0x2c, 0xa0, 0x2c)
	colorP50    = rgb(0x1f, 0x77, 0xb4)
	colorP99    = rgb(0xc4, 0x1e, 0x3a)
	colorOK     = rgb(0x2c, 0xa0, 0x2c)
	colorGray   = rgb(0x70, 0x70, 0x70)
	colorFault  = color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0x26}
	colorGrid   = rgb(0xe4, 0xe4, 0xe4)
	kindColor   = map[string]color.Color{"get": colorGet, "put": colorPut, "delete": colorDelete}
)

func rgb(r, g, b uint8) color.Color { return color.NRGBA{R: r, G: g, B: b, A: 0xff} }

// newPlot returns a plot with the report's fonts and a light grid.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	for _, f := range []*font.Font{
		&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font,
	} {
		f.Variant = "Sans"
	}
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.TextStyle.Font.Size = vg.Points(10)
	p.Y.Label.TextStyle.Font.Size = vg.Points(10)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.X.Tick.Label.Font.Size = vg.Points(8.5)
	p.Y.Tick.Label.Font.Size = vg.Points(8.5)
	p.Legend.Padding = vg.Points(2)
	p.Y.Tick.Marker = countTicks{}
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = colorGrid, colorGrid
	p.Add(g)
	return p
}

// renderSVG draws onto a w×h SVG canvas and returns the <svg> element.
// gonum/plot panics on data it cannot draw; that becomes an error naming
// the plot, never a crash of the run that produced the report.
func renderSVG(name string, w, h vg.Length, drawFn func(dc draw.Canvas)) (svg string, err error) {
	defer func() {
		if p := recover(); p != nil {
			svg, err = "", fmt.Errorf("reports: drawing the %s plot: %v", name, p)
		}
	}()
	c := vgsvg.New(w, h)
	drawFn(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("reports: writing the %s plot: %w", name, err)
	}
	s := buf.String()
	// Inline SVG in HTML takes no XML prolog (nor the generator comment).
	i := strings.Index(s, "<svg")
	if i < 0 {
		return "", fmt.Errorf("reports: the %s plot has no <svg> element", name)
	}
	return strings.TrimSpace(s[i:]), nil
}

func drawOne(p *plot.Plot) func(draw.Canvas) { return func(dc draw.Canvas) { p.Draw(dc) } }

func line(xys plotter.XYs, c color.Color, width float64, dashed bool) *plotter.Line {
	l, err := plotter.NewLine(xys)
	if err != nil {
		panic(err) // callers pass finite points only; renderSVG recovers
	}
	l.Color, l.Width = c, vg.Points(width)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	}
	return l
}

// latencyCDFPlot: P(latency <= x) per operation kind, x on a log scale.
func latencyCDFPlot(r *Report) (string, bool, error) {
	p := newPlot("Latency CDF (ok operations)", "latency (ms, log scale)", "P(latency ≤ x)")
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	p.Y.Min, p.Y.Max = 0, 1
	p.Y.Tick.Marker = plot.DefaultTicks{}
	p.Legend.Top, p.Legend.Left = true, true
	lo, hi := math.Inf(1), math.Inf(-1)
	n := 0
	for _, kind := range opKinds {
		pts := r.LatencyCDF[kind]
		var xys plotter.XYs
		for _, q := range pts {
			if q.Ms > 0 && !math.IsInf(q.Ms, 0) {
				xys = append(xys, plotter.XY{X: q.Ms, Y: q.P})
				lo, hi = min(lo, q.Ms), max(hi, q.Ms)
			}
		}
		if len(xys) == 0 {
			continue
		}
		l := line(xys, kindColor[kind], 1.6, false)
		l.StepStyle = plotter.PostStep
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (n=%s)", kind, fmtInt(r.LatencyMs.byKind(kind).Count)), l)
		n++
	}
	if n == 0 {
		return "", false, nil
	}
	// A log axis needs a positive, non-empty range: pad a factor either side.
	p.X.Min, p.X.Max = lo/1.5, hi*1.5
	s, err := renderSVG("latency CDF", 7.5*vg.Inch, 3.6*vg.Inch, drawOne(p))
	return s, err == nil, err
}

// log1pScale is a log axis that includes 0: x maps through log(1+x).
// t-visibility thresholds start at 0 ms and grow geometrically.
type log1pScale struct{}

func (log1pScale) Normalize(lo, hi, x float64) float64 {
	return (math.Log1p(x) - math.Log1p(lo)) / (math.Log1p(hi) - math.Log1p(lo))
}

// minSolidReads is the fewest reads behind a t-visibility point drawn
// solid: below it, the estimate's standard error can exceed 10 points.
const minSolidReads = 30

// tVisibilityPlot: P(consistent | t >= τ) against τ.
func tVisibilityPlot(r *Report) (string, bool, error) {
	pts := r.Staleness.TVisibility
	if len(pts) == 0 {
		return "", false, nil
	}
	p := newPlot("t-visibility: P(read reflects the newest acknowledged write | t ≥ τ)", "τ: time since that write was acknowledged (ms)", "P(consistent)")
	xys := make(plotter.XYs, 0, len(pts))
	var reads []int
	pmin := 1.0
	var ticks []plot.Tick
	for _, q := range pts {
		if q.TMs < 0 || math.IsInf(q.TMs, 0) {
			continue
		}
		xys = append(xys, plotter.XY{X: q.TMs, Y: q.PConsistent})
		reads = append(reads, q.Reads)
		pmin = min(pmin, q.PConsistent)
	}
	if len(xys) == 0 {
		return "", false, nil
	}
	p.X.Scale = log1pScale{}
	p.X.Min, p.X.Max = 0, max(xys[len(xys)-1].X, 1)
	for _, xy := range xys {
		// Label 0 and the powers of ten; mark the other thresholds.
		lg := math.Log10(xy.X)
		if xy.X == 0 || lg == math.Trunc(lg) || len(xys) <= 8 {
			ticks = append(ticks, plot.Tick{Value: xy.X, Label: fmtNum(xy.X)})
		} else {
			ticks = append(ticks, plot.Tick{Value: xy.X})
		}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	// Show detail near 1 without hiding how far the curve falls.
	p.Y.Min, p.Y.Max = math.Max(0, math.Floor((pmin-0.02)*10)/10), 1
	p.Y.Tick.Marker = plot.DefaultTicks{}
	l := line(xys, colorGet, 1.6, false)
	p.Add(l)
	// A point estimated from few reads is drawn hollow: the tail of the
	// curve often rests on a handful of reads.
	var solid, hollow plotter.XYs
	for i, xy := range xys {
		if reads[i] >= minSolidReads {
			solid = append(solid, xy)
		} else {
			hollow = append(hollow, xy)
		}
	}
	for _, g := range []struct {
		pts   plotter.XYs
		shape draw.GlyphDrawer
		name  string
	}{
		{solid, draw.CircleGlyph{}, fmt.Sprintf("%d reads or more", minSolidReads)},
		{hollow, draw.RingGlyph{}, fmt.Sprintf("fewer than %d reads", minSolidReads)},
	} {
		if len(g.pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(g.pts)
		if err != nil {
			return "", false, err
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Radius, sc.GlyphStyle.Shape = colorGet, vg.Points(2.5), g.shape
		p.Add(sc)
		if len(hollow) > 0 {
			p.Legend.Add(g.name, sc)
		}
	}
	p.Legend.Top, p.Legend.Left = false, false
	s, err := renderSVG("t-visibility", 7.5*vg.Inch, 3.2*vg.Inch, drawOne(p))
	return s, err == nil, err
}

// fmtNum writes an axis value: integers plainly, others with fmtSig.
func fmtNum(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return fmtInt(int(x))
	}
	return fmtSig(x)
}

// faultShade shades each fault window across the data area of a plot.
type faultShade struct {
	windows []FaultWindow // StartMs/EndMs, drawn on an x axis in seconds
	labels  bool
}

func (f faultShade) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	sty := p.Legend.TextStyle
	sty.Color, sty.XAlign, sty.YAlign = rgb(0xa0, 0x1c, 0x1c), draw.XLeft, draw.YTop
	for _, w := range f.windows {
		x0 := max(trX(max(w.StartMs/1000, p.X.Min)), c.Min.X)
		x1 := min(trX(min(w.EndMs/1000, p.X.Max)), c.Max.X)
		if x1 <= x0 {
			continue
		}
		c.FillPolygon(colorFault, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
		if f.labels {
			c.FillText(sty, vg.Point{X: x0 + vg.Points(2), Y: c.Max.Y - vg.Points(2)}, w.Label)
		}
	}
}

// Thumbnail draws the legend entry.
func (faultShade) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(colorFault, []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
}

// segments splits a series at the points where ok is false, so a line
// shows gaps instead of inventing values.
func segments(xs, ys []float64, ok []bool) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for i := range xs {
		if !ok[i] {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, plotter.XY{X: xs[i], Y: ys[i]})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func addSegments(p *plot.Plot, name string, segs []plotter.XYs, c color.Color, width float64, dashed bool) {
	for i, s := range segs {
		var l plot.Plotter
		if len(s) == 1 {
			sc, err := plotter.NewScatter(s)
			if err != nil {
				panic(err)
			}
			sc.GlyphStyle.Color, sc.GlyphStyle.Radius = c, vg.Points(1.5)
			l = sc
		} else {
			l = line(s, c, width, dashed)
		}
		p.Add(l)
		if i == 0 && name != "" {
			if th, ok := l.(plot.Thumbnailer); ok {
				p.Legend.Add(name, th)
			}
		}
	}
}

// timelinePlot: throughput, availability and latency per bucket, stacked
// on one time axis, fault windows shaded.
func timelinePlot(r *Report) (string, bool, error) {
	tl := r.Timeline
	if len(tl.Buckets) == 0 || tl.BucketMs <= 0 {
		return "", false, nil
	}
	bs := tl.BucketMs / 1000
	n := len(tl.Buckets)
	xs := make([]float64, n)
	started, done, avail, p50, p99 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	all, hasStart, hasLat := make([]bool, n), make([]bool, n), make([]bool, n)
	latLo, latHi := math.Inf(1), math.Inf(-1)
	for i, b := range tl.Buckets {
		xs[i] = b.TMs/1000 + bs/2
		// The last bucket is cut short by the end of the workload: a rate
		// over its whole width would show a dip that never happened.
		width := bs
		if i == n-1 && tl.EndMs > b.TMs {
			width = min(bs, (tl.EndMs-b.TMs)/1000)
		}
		started[i], done[i] = float64(b.Started)/width, float64(b.Completed)/width
		all[i] = true
		if b.Started > 0 {
			avail[i], hasStart[i] = float64(b.OK)/float64(b.Started), true
		}
		if b.P50Ms != nil && b.P99Ms != nil && *b.P50Ms > 0 {
			p50[i], p99[i], hasLat[i] = *b.P50Ms, *b.P99Ms, true
			latLo, latHi = min(latLo, *b.P50Ms), max(latHi, *b.P99Ms)
		}
	}
	xMax := tl.Buckets[n-1].TMs/1000 + bs
	shade := faultShade{windows: r.FaultWindows}
	mk := func(title, ylabel string, shade faultShade) *plot.Plot {
		p := newPlot(title, "", ylabel)
		p.X.Min, p.X.Max = 0, xMax
		p.X.Tick.Marker = stepTicks{}
		p.Add(shade)
		p.Legend.Top, p.Legend.Left = true, false
		p.Legend.TextStyle.Font.Size = vg.Points(8)
		return p
	}
	// Label the windows in the top panel, unless there are too many to read.
	thr := mk("Throughput", "ops/s", faultShade{windows: r.FaultWindows, labels: len(r.FaultWindows) <= 6})
	thr.Y.Min = 0
	addSegments(thr, "started", segments(xs, started, all), colorGray, 1, true)
	addSegments(thr, "ok (completed)", segments(xs, done, all), colorOK, 1.4, false)
	thr.Y.Max = headroom(max(maxOf(started), maxOf(done)))
	if len(r.FaultWindows) > 0 {
		thr.Legend.Add("fault window", shade)
	}

	av := mk("Availability (operations invoked in the bucket that ended ok)", "ok / started", shade)
	av.Y.Min, av.Y.Max = 0, 1.05
	av.Y.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0"}, {Value: 0.25, Label: "0.25"}, {Value: 0.5, Label: "0.5"}, {Value: 0.75, Label: "0.75"}, {Value: 1, Label: "1"}}
	addSegments(av, "", segments(xs, avail, hasStart), colorGet, 1.4, false)

	lat := mk("Latency of ok operations by invocation time", "ms", shade)
	lat.X.Label.Text = "virtual time (s)"
	if len(r.Targets) > 0 {
		lat.X.Label.Text = "wall time since the workload started (s)"
	}
	if latHi >= latLo && latLo > 0 {
		if latHi/latLo > 20 {
			lat.Y.Scale, lat.Y.Tick.Marker = plot.LogScale{}, logTicks{}
			lat.Y.Label.Text = "ms (log scale)"
			lat.Y.Min, lat.Y.Max = latLo/1.5, latHi*1.5
		} else {
			lat.Y.Min, lat.Y.Max = 0, headroom(latHi)
		}
		addSegments(lat, "p50", segments(xs, p50, hasLat), colorP50, 1.4, false)
		addSegments(lat, "p99", segments(xs, p99, hasLat), colorP99, 1.2, false)
	}
	plots := [][]*plot.Plot{{thr}, {av}, {lat}}
	s, err := renderSVG("timeline", 9*vg.Inch, 7.2*vg.Inch, func(dc draw.Canvas) {
		tiles := draw.Tiles{Rows: 3, Cols: 1, PadY: vg.Points(8), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
		cs := plot.Align(plots, tiles, dc)
		for i := range plots {
			plots[i][0].Draw(cs[i][0])
		}
	})
	return s, err == nil, err
}

// nodeLoadPlot: per-node bars of events handled, and of requests
// coordinated, client operations and storage writes.
func nodeLoadPlot(r *Report) (string, bool, error) {
	if len(r.Nodes) == 0 {
		return "", false, nil
	}
	names := make([]string, len(r.Nodes))
	var events, coord, client, writes plotter.Values
	var anyEvents, anyCoord, anyWrites bool
	for i, nd := range r.Nodes {
		names[i] = nd.Label()
		if nd.DC != "" {
			names[i] += " (" + nd.DC + ")"
		}
		events = append(events, float64(nd.EventsHandled))
		coord = append(coord, float64(nd.RequestsCoordinated))
		client = append(client, float64(nd.ClientOps))
		writes = append(writes, float64(nd.StorageWrites))
		anyEvents = anyEvents || nd.EventsHandled > 0
		anyCoord = anyCoord || nd.RequestsCoordinated > 0
		anyWrites = anyWrites || nd.StorageWrites > 0
	}
	// Bars shrink with the node count so a 50-node cluster still fits.
	group := vg.Points(math.Max(6, math.Min(60, 560/float64(len(r.Nodes)))))
	var rows [][]*plot.Plot
	if anyEvents {
		p := newPlot("Events handled per node", "", "events")
		b, err := plotter.NewBarChart(events, group*0.6)
		if err != nil {
			return "", false, err
		}
		b.Color, b.LineStyle.Width = colorGet, 0
		p.Add(b)
		p.Y.Min = 0
		p.NominalX(names...)
		rows = append(rows, []*plot.Plot{p})
	}
	p := newPlot("Work per node", "", "count")
	series := []struct {
		name string
		v    plotter.Values
		c    color.Color
		show bool
	}{
		{"requests coordinated", coord, colorGet, anyCoord},
		{"client ops (history)", client, colorPut, true},
		{"storage writes", writes, colorDelete, anyWrites},
	}
	var shown int
	for _, s := range series {
		if s.show {
			shown++
		}
	}
	w := group / vg.Length(shown+1)
	i := 0
	for _, s := range series {
		if !s.show {
			continue
		}
		b, err := plotter.NewBarChart(s.v, w)
		if err != nil {
			return "", false, err
		}
		b.Color, b.LineStyle.Width = s.c, 0
		b.Offset = w * (vg.Length(i) - vg.Length(shown-1)/2)
		p.Add(b)
		p.Legend.Add(s.name, b)
		i++
	}
	p.Legend.Top = true
	p.Y.Min, p.Y.Max = 0, headroom(max(maxOf(coord), maxOf(client), maxOf(writes)))
	p.NominalX(names...)
	rows = append(rows, []*plot.Plot{p})
	s, err := renderSVG("node load", 9*vg.Inch, vg.Length(len(rows))*2.6*vg.Inch, func(dc draw.Canvas) {
		tiles := draw.Tiles{Rows: len(rows), Cols: 1, PadY: vg.Points(8), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
		cs := plot.Align(rows, tiles, dc)
		for i := range rows {
			rows[i][0].Draw(cs[i][0])
		}
	})
	return s, err == nil, err
}

// headroom leaves space above the data for the legend and labels.
func headroom(hi float64) float64 {
	if hi <= 0 {
		return 1
	}
	return hi * 1.3
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// countTicks are gonum's default ticks labelled compactly: 250k, not
// 250000.00.
type countTicks struct{}

func (countTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = fmtCompact(ts[i].Value)
		}
	}
	return ts
}

// fmtCompact writes an axis number briefly: 0.25, 3, 1,500, 250k, 1.5M.
func fmtCompact(x float64) string {
	a := math.Abs(x)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(x/1e6, 'g', 3, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(x/1e3, 'g', 3, 64) + "k"
	case a >= 1 && x == math.Trunc(x):
		return fmtInt(int(x))
	default:
		return strconv.FormatFloat(x, 'g', 3, 64)
	}
}

// logTicks label 1, 2 and 5 times each power of ten in range, and mark the
// other integer multiples: a log axis readable without counting gridlines.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	if !(lo > 0) || !(hi > lo) {
		return ts
	}
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		pow := math.Pow(10, e)
		for m := 1.0; m <= 9; m++ {
			v := m * pow
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = fmtCompact(v)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// stepTicks label every multiple of a 1-2-5 step that gives at most ten
// labels, with four minor ticks between: a time axis one can read off.
type stepTicks struct{}

func (stepTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	step := math.Pow(10, math.Floor(math.Log10((hi-lo)/10)))
	for _, m := range []float64{1, 2, 5, 10} {
		if (hi-lo)/(m*step) <= 10 {
			step *= m
			break
		}
	}
	var ts []plot.Tick
	minor := step / 5
	for i := math.Ceil(lo / minor); i*minor <= hi; i++ {
		v := i * minor
		t := plot.Tick{Value: v}
		if k := math.Round(v / step); math.Abs(v-k*step) < minor/2 {
			t.Label = fmtCompact(k * step)
		}
		ts = append(ts, t)
	}
	return ts
}
