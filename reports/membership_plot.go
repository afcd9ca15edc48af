package reports

import (
	"image/color"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The membership timeline: for each node (a row), the intervals during
// which each other node believed it down, drawn over the windows its
// process was really down and over every fault window, so that detection
// lag (the gap between a crash and the marks) and false positives (marks
// while the process was up) show at a glance.

var (
	colorDownReal  = color.NRGBA{R: 0x40, G: 0x40, B: 0x40, A: 0x40} // the process was down
	colorBelieved  = rgb(0x1f, 0x77, 0xb4)                           // a true down mark
	colorFalseDown = rgb(0xc4, 0x1e, 0x3a)                           // a false down mark
)

// believedDown is one observer's belief that a member was down, from its
// down mark to its next up (or left) mark about that member, or the end.
type believedDown struct {
	member, observer int // row and lane
	from, to         float64
	isFalse          bool
}

// membershipIntervals turns the report's marks into intervals, the rows
// being r.Membership.Nodes in order (observers too); end closes those
// still open. Marks about members that are not nodes of the report are
// left out.
func membershipIntervals(m *Membership, end float64) []believedDown {
	row := map[string]int{}
	for i, n := range m.Nodes {
		row[n.Name] = i
	}
	var out []believedDown
	for obs, n := range m.Nodes {
		open := map[string]int{} // member -> index in out of its open interval
		marks := append([]MembershipMk(nil), n.Marks...)
		sort.SliceStable(marks, func(a, b int) bool { return marks[a].AtS < marks[b].AtS })
		for _, mk := range marks {
			mem, ok := row[mk.Member]
			if !ok {
				continue
			}
			i, isOpen := open[mk.Member]
			switch mk.Kind {
			case "down":
				if !isOpen {
					open[mk.Member] = len(out)
					out = append(out, believedDown{member: mem, observer: obs, from: mk.AtS, to: end, isFalse: mk.False})
				}
			default: // up, left: the belief in a crash ends
				if isOpen {
					out[i].to = mk.AtS
					delete(open, mk.Member)
				}
			}
		}
	}
	return out
}

// processDown are the windows each member's process was down, as the
// detections list them (one per crash or pause, whichever observer).
func processDown(m *Membership) map[string][][2]float64 {
	out := map[string][][2]float64{}
	seen := map[[3]any]bool{}
	for _, d := range m.Detections {
		k := [3]any{d.Member, d.CrashS, d.DownForS}
		if seen[k] {
			continue
		}
		seen[k] = true
		out[d.Member] = append(out[d.Member], [2]float64{d.CrashS, d.CrashS + d.DownForS})
	}
	return out
}

// membershipRows draws the rows.
type membershipRows struct {
	names     []string
	down      map[string][][2]float64
	intervals []believedDown
}

func (mr membershipRows) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	clampX := func(x float64) vg.Length {
		return min(max(trX(min(max(x, p.X.Min), p.X.Max)), c.Min.X), c.Max.X)
	}
	rect := func(col color.Color, x0, x1 float64, y0, y1 vg.Length) {
		a, b := clampX(x0), clampX(x1)
		if b-a < vg.Points(1) {
			b = a + vg.Points(1) // an instant still shows
		}
		c.FillPolygon(col, []vg.Point{{X: a, Y: y0}, {X: b, Y: y0}, {X: b, Y: y1}, {X: a, Y: y1}})
	}
	n := len(mr.names)
	lanes := max(n-1, 1)
	for i, name := range mr.names {
		lo, hi := trY(float64(i)-0.42), trY(float64(i)+0.42)
		for _, w := range mr.down[name] {
			rect(colorDownReal, w[0], w[1], lo, hi)
		}
	}
	for _, iv := range mr.intervals {
		lane := iv.observer
		if iv.observer > iv.member {
			lane-- // the member is not its own observer
		}
		lo, hi := trY(float64(iv.member)-0.38), trY(float64(iv.member)+0.38)
		h := (hi - lo) / vg.Length(lanes)
		y0 := lo + h*vg.Length(lane)
		col := colorBelieved
		if iv.isFalse {
			col = colorFalseDown
		}
		rect(col, iv.from, iv.to, y0+h*0.1, y0+h*0.9)
	}
}

// legendBox is a legend entry of one filled colour.
type legendBox struct{ c color.Color }

func (l legendBox) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(l.c, []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
}

// membershipPlot: one row per node; in each, a lane per other node for
// the intervals it believed this one down (blue; red when the down mark
// was false), over grey bars where the process was really down and the
// shaded fault windows. Absent without membership.
func membershipPlot(r *Report) (string, bool, error) {
	p, h := membershipFigure(r)
	if p == nil {
		return "", false, nil
	}
	s, err := renderSVG("membership", 9*vg.Inch, h, drawOne(p))
	return s, err == nil, err
}

// membershipFigure builds membershipPlot's figure and its height (nil
// without membership).
func membershipFigure(r *Report) (*plot.Plot, vg.Length) {
	m := r.Membership
	if m == nil || len(m.Nodes) == 0 {
		return nil, 0
	}
	end := r.VirtualSeconds
	for _, n := range m.Nodes {
		for _, mk := range n.Marks {
			end = max(end, mk.AtS)
		}
	}
	if end <= 0 {
		return nil, 0
	}
	names := make([]string, len(m.Nodes))
	for i, n := range m.Nodes {
		names[i] = n.Name
	}
	p := newPlot("Membership: when the other nodes believed each node down", "virtual time (s)", "")
	p.X.Min, p.X.Max = 0, end
	p.X.Tick.Marker = stepTicks{}
	p.Y.Min, p.Y.Max = -0.5, float64(len(names))-0.5
	p.Add(faultShade{windows: r.FaultWindows, labels: len(r.FaultWindows) <= 6})
	p.Add(membershipRows{names: names, down: processDown(m), intervals: membershipIntervals(m, end)})
	p.NominalY(names...)
	p.Legend.Top, p.Legend.Left = true, false
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Legend.Add("believed down by one other node", legendBox{colorBelieved})
	p.Legend.Add("false down (the node was up)", legendBox{colorFalseDown})
	p.Legend.Add("process down (crash or pause)", legendBox{colorDownReal})
	if len(r.FaultWindows) > 0 {
		p.Legend.Add("fault window", faultShade{})
	}
	rowH := 0.32 * vg.Inch
	if len(names) > 32 {
		rowH = max(0.06*vg.Inch, 10*vg.Inch/vg.Length(len(names)))
	}
	return p, 1.3*vg.Inch + rowH*vg.Length(len(names))
}
