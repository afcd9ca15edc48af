package reports

import (
	"fmt"
	"strings"
)

// The tables of a report, independent of how they are drawn: WriteText
// draws them with tablewriter, WriteHTML with html/template. Building them
// once keeps the terminal and the HTML report saying the same thing.

// status colours a cell: in the terminal when colour is on, in HTML always.
type status uint8

const (
	plain status = iota
	good
	bad
	warn
)

// class is the CSS class of a status.
func (s status) class() string {
	return [...]string{"", "good", "bad", "warn"}[s]
}

type cell struct {
	Text   string
	Status status
	// Href makes the cell a link in HTML (a relative path).
	Href string
}

type table struct {
	Title  string
	Header []string
	// Right marks the columns to right-align (numbers).
	Right []bool
	Rows  [][]cell
	// Notes are printed under the table (or instead of it, with no rows).
	Notes []string
}

func (t *table) add(cells ...cell) { t.Rows = append(t.Rows, cells) }

// c makes plain cells.
func c(texts ...string) []cell {
	out := make([]cell, len(texts))
	for i, s := range texts {
		out[i] = cell{Text: s}
	}
	return out
}

func rightFrom(n, from int) []bool {
	r := make([]bool, n)
	for i := from; i < n; i++ {
		r[i] = true
	}
	return r
}

func passFail(p bool) cell {
	if p {
		return cell{Text: "PASS", Status: good}
	}
	return cell{Text: "FAIL", Status: bad}
}

// verdict is the one-line outcome at the top of every rendering.
func verdict(r *Report) (string, status) {
	failed := 0
	for _, e := range r.Expectations {
		if !e.Pass {
			failed++
		}
	}
	n := len(r.Expectations)
	switch {
	case n == 0:
		return "PASS (the scenario states no expectations)", good
	case failed == 0:
		return fmt.Sprintf("PASS (%d of %d expectations hold)", n, n), good
	default:
		return fmt.Sprintf("FAIL (%d of %d expectations failed)", failed, n), bad
	}
}

// SummaryLine is the one-line outcome of a run, for a CLI running many
// scenarios or a CI log: verdict, scenario, seed, fingerprint, the headline
// checks and the repro command.
func SummaryLine(r *Report) string {
	word := "PASS"
	if !r.Passed {
		word = "FAIL"
	}
	lost, conv := fmt.Sprint(r.Checks.LostAckedWrites), fmt.Sprint(r.Checks.Converged)
	if _, ok := r.Checks.NotChecked["lost_acked_writes"]; ok {
		lost = "not_checked"
	}
	if _, ok := r.Checks.NotChecked["converged"]; ok {
		conv = "not_checked"
	}
	return fmt.Sprintf("%s %s seed=%d fingerprint=%s ops=%d availability=%s linearizability=%s lost_acked_writes=%s converged=%s get_p99_ms=%s put_p99_ms=%s | %s",
		word, r.Scenario, r.Seed, r.Fingerprint, r.Ops.Total, fmtPct(r.Checks.Availability), r.Checks.Linearizability.Result,
		lost, conv, fmtSig(r.LatencyMs.Get.P99), fmtSig(r.LatencyMs.Put.P99), r.Repro)
}

func summaryTable(r *Report) *table {
	t := &table{Title: "Run"}
	t.add(c("scenario", r.Scenario)...)
	if r.Description != "" {
		t.add(c("description", r.Description)...)
	}
	if r.ResolvedPath != "" {
		t.add(c("resolved scenario", r.ResolvedPath)...)
	}
	ch := r.CheckedHistory
	if ch != nil {
		t.add(c("history", ch.Path)...)
		if ch.Incomplete != "" {
			t.add(c("incomplete")[0], cell{Text: ch.Incomplete, Status: warn})
		}
	}
	isReal := len(r.Targets) > 0
	if isReal {
		t.add(c("target", strings.Join(r.Targets, ",")+" (a real cluster: not replayable)")...)
	}
	// A history checked on its own knows the run only from its header.
	runKnown := ch == nil || ch.RunRecorded
	if isReal {
		t.add(c("seed", fmt.Sprintf("%d (the clients' choices only)", r.Seed))...)
	} else if runKnown {
		t.add(c("seed", fmt.Sprint(r.Seed))...)
		t.add(c("fingerprint", r.Fingerprint)...)
	} else {
		t.add(c("run", "not recorded in the history (no seed, fingerprint, events or configuration)")...)
	}
	if s := configLine(r.Config); s != "" {
		t.add(c("config", s)...)
	}
	if isReal {
		wall := fmtSeconds(r.VirtualSeconds) + " running (workload, quiet period, final reads)"
		if r.TotalWallSeconds > 0 {
			wall += fmt.Sprintf("; %s in all (check %s)", fmtSeconds(r.TotalWallSeconds), fmtSeconds(r.PhaseSeconds.Check))
		}
		t.add(c("wall time", wall)...)
		t.add(c("throughput", fmt.Sprintf("%s ops/s, %s ok/s (wall clock)", fmtRate(r.Throughput.OpsPerS), fmtRate(r.Throughput.OKPerS)))...)
		for _, n := range r.Notes {
			t.add(c("note", n)...)
		}
		return t
	}
	if runKnown {
		t.add(c("virtual time", fmtSeconds(r.VirtualSeconds))...)
		t.add(c("events", fmtUint(r.Events))...)
	}
	if ch == nil {
		wall := fmtSeconds(r.WallSeconds)
		speed := fmt.Sprintf("%s ops/s, %s events/s (wall clock)", fmtRate(r.OpsPerWallSecond), fmtRate(r.EventsPerWallSecond))
		if r.TotalWallSeconds > 0 {
			p := r.PhaseSeconds
			wall = fmt.Sprintf("%s simulating; %s in all (setup %s, simulate %s, check %s, report %s, write %s)",
				wall, fmtSeconds(r.TotalWallSeconds),
				fmtSeconds(p.Setup), fmtSeconds(p.Simulate), fmtSeconds(p.Check), fmtSeconds(p.Report), fmtSeconds(p.Write))
			speed = fmt.Sprintf("%s ops/s, %s events/s simulating; %s ops/s in all (wall clock)",
				fmtRate(r.OpsPerWallSecond), fmtRate(r.EventsPerWallSecond), fmtRate(r.OpsPerTotalWallSecond))
		}
		t.add(c("wall time", wall)...)
		t.add(c("sim speed", speed)...)
	}
	t.add(c("throughput", fmt.Sprintf("%s ops/s, %s ok/s (virtual time)", fmtRate(r.Throughput.OpsPerS), fmtRate(r.Throughput.OKPerS)))...)
	for _, n := range r.Notes {
		t.add(c("note", n)...)
	}
	return t
}

func configLine(c ConfigSummary) string {
	var parts []string
	if c.Nodes > 0 {
		s := fmt.Sprintf("%d nodes", c.Nodes)
		if c.Datacenters > 1 {
			s += fmt.Sprintf(" in %d DCs", c.Datacenters)
		}
		parts = append(parts, s)
	}
	if c.N > 0 {
		parts = append(parts, fmt.Sprintf("N=%d W=%d R=%d", c.N, c.W, c.R))
	}
	if c.VersionMode != "" {
		parts = append(parts, c.VersionMode)
	}
	if c.ReadRepair != "" {
		parts = append(parts, "read repair "+c.ReadRepair)
	}
	if len(parts) == 0 {
		return ""
	}
	if c.TwoPhaseWrites {
		parts = append(parts, "two-phase writes")
	} else {
		parts = append(parts, "one-phase writes")
	}
	if c.SloppyQuorum {
		parts = append(parts, "sloppy quorum")
	}
	if c.Clients > 0 {
		parts = append(parts, fmt.Sprintf("%d clients", c.Clients))
	}
	if c.Keys > 0 {
		parts = append(parts, fmt.Sprintf("%d keys", c.Keys))
	}
	return strings.Join(parts, ", ")
}

func opsTable(r *Report) *table {
	t := &table{Title: "Operations and latency (ok operations, ms)",
		Header: []string{"op", "ops", "ok", "failed", "unknown", "mean", "p50", "p90", "p99", "p99.9", "max"},
		Right:  rightFrom(11, 1)}
	for _, kind := range opKinds {
		k := r.Ops.ByKind[kind]
		if k.Total == 0 {
			t.Notes = append(t.Notes, fmt.Sprintf("no %s operations in this run", kind))
			continue
		}
		row := c(kind, fmtInt(k.Total), fmtInt(k.OK), fmtInt(k.Failed), fmtInt(k.Unknown))
		l := r.LatencyMs.byKind(kind)
		if l.Count == 0 {
			row = append(row, c("-", "-", "-", "-", "-", "-")...)
			t.Notes = append(t.Notes, fmt.Sprintf("no %s ended ok: no latency to show", kind))
		} else {
			row = append(row, c(fmtSig(l.Mean), fmtSig(l.P50), fmtSig(l.P90), fmtSig(l.P99), fmtSig(l.P999), fmtSig(l.Max))...)
		}
		t.add(row...)
	}
	if r.Ops.Total == 0 {
		t.Rows = nil
		t.Notes = []string{"no operations were recorded"}
		return t
	}
	t.add(c("all", fmtInt(r.Ops.Total), fmtInt(r.Ops.OK), fmtInt(r.Ops.Failed), fmtInt(r.Ops.Unknown), "", "", "", "", "", "")...)
	if r.Ops.Retried > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("%s operations were retried (%s of them ended ok); the history's tried lists their coordinators", fmtInt(r.Ops.Retried), fmtInt(r.Ops.RetriedOK)))
	}
	if r.Ops.FinalReads > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("plus %s final reads after the quiet period (not in these figures)", fmtInt(r.Ops.FinalReads)))
	}
	return t
}

func checksTable(r *Report) *table {
	t := &table{Title: "Checks", Header: []string{"check", "result", "detail"}}
	l := r.Checks.Linearizability
	lin := cell{Text: l.Result}
	switch l.Result {
	case "ok":
		lin.Status = good
	case "illegal":
		lin.Status = bad
	case "unknown":
		lin.Status = warn
	}
	detail := l.Reason
	if l.Model != "" {
		detail = l.Model + " model: " + detail
	}
	if _, ok := r.Checks.NotChecked["linearizability"]; ok {
		lin = cell{Text: "not checked", Status: warn}
	}
	t.add(c("linearizability")[0], lin, cell{Text: detail})
	if l.Visualization != "" {
		t.add(c("  visualisation")[0], cell{Text: l.FailingKey}, cell{Text: l.Visualization, Href: l.Visualization})
	}

	lw := r.Checks.LostWrites
	lost := cell{Text: fmtInt(r.Checks.LostAckedWrites), Status: good}
	if r.Checks.LostAckedWrites > 0 {
		lost.Status = bad
	}
	d := fmt.Sprintf("%s acked puts: %s present, %s superseded", fmtInt(lw.AckedPuts), fmtInt(lw.Present), fmtInt(lw.Superseded))
	if lw.SupersededByUnknown > 0 {
		d += fmt.Sprintf(" (%s only by writes of unknown outcome)", fmtInt(lw.SupersededByUnknown))
	}
	if lw.Unverified > 0 {
		d += fmt.Sprintf(", %s unverified (no final read)", fmtInt(lw.Unverified))
		lost.Status = warn
	}
	if len(lw.Examples) > 0 {
		e := lw.Examples[0]
		d += fmt.Sprintf("; e.g. %s=%s acked at %s", e.Key, e.Value, fmtMs(e.AckedAtMs))
	}
	if lw.AckedPuts == 0 {
		d, lost.Status = "no acknowledged puts to check", plain
	}
	if why, ok := r.Checks.NotChecked["lost_acked_writes"]; ok {
		lost = cell{Text: "not checked", Status: warn}
		d = why + fmt.Sprintf("; %s acked puts in it", fmtInt(lw.AckedPuts))
	}
	t.add(c("lost acked writes")[0], lost, cell{Text: d})

	cv := r.Checks.Convergence
	conv := cell{Text: yesNo(r.Checks.Converged), Status: bad}
	switch {
	case cv.Probes == 0:
		conv.Status, d = warn, "no replica states were recorded"
	case r.Checks.Converged:
		conv.Status = good
		d = fmt.Sprintf("all %s keys agree since %s", fmtInt(cv.Keys), fmtSeconds(cv.ConvergedAtMs/1000))
	case cv.NotYet:
		conv.Text, conv.Status = "not yet", warn
		d = fmt.Sprintf("%s of %s keys differ while %s messages are still in flight", fmtInt(cv.Keys-cv.ConvergedKeys), fmtInt(cv.Keys), fmtInt(cv.InFlightAtEnd))
	default:
		d = fmt.Sprintf("%s of %s keys diverge", fmtInt(cv.Keys-cv.ConvergedKeys), fmtInt(cv.Keys))
		if len(cv.Divergent) > 0 {
			d += fmt.Sprintf("; e.g. %s: %s", cv.Divergent[0].Key, cv.Divergent[0].Reason)
		}
	}
	if why, ok := r.Checks.NotChecked["converged"]; ok {
		conv, d = cell{Text: "not checked", Status: warn}, why
	}
	t.add(c("converged")[0], conv, cell{Text: d})

	d = fmt.Sprintf("%s of %s operations ok", fmtInt(r.Ops.OK), fmtInt(r.Ops.Total))
	if len(r.FaultWindows) > 0 {
		d += "; outside fault windows " + fmtPct(r.Checks.AvailabilityOutsideFaults)
	}
	t.add(c("availability", fmtPct(r.Checks.Availability), d)...)

	s := r.Staleness
	if s.Reads == 0 {
		t.add(c("stale reads", "-", "no reads were measured")...)
	} else {
		st := cell{Text: fmtPct(s.StaleFraction)}
		if s.Stale > 0 {
			st.Status = warn
		}
		t.add(c("stale reads")[0], st, cell{Text: fmt.Sprintf("%s of %s reads missed an acknowledged write; max k %d, mean k %s",
			fmtInt(s.Stale), fmtInt(s.Reads), s.MaxK, fmtSig(s.MeanK))})
	}
	if sb := r.Siblings; sb.Reads > 0 {
		t.add(c("siblings per read", fmtSig(sb.Mean), fmt.Sprintf("mean over %s ok reads; max %d", fmtInt(sb.Reads), sb.Max))...)
	}
	return t
}

func faultTable(r *Report) *table {
	t := &table{Title: "Fault windows", Header: []string{"fault", "start", "end", "ops", "availability"}, Right: rightFrom(5, 1)}
	for _, w := range r.FaultWindows {
		a := cell{Text: fmtPct(w.Availability)}
		if w.Attempted == 0 {
			a.Text = "-"
		}
		t.add(cell{Text: w.Label}, cell{Text: fmtSeconds(w.StartMs / 1000)}, cell{Text: fmtSeconds(w.EndMs / 1000)},
			cell{Text: fmtInt(w.Attempted)}, a)
	}
	if len(t.Rows) == 0 {
		t.Notes = []string{"no faults were injected"}
	}
	return t
}

// tVisTable shows the t-visibility curve; with few > 0, at most that many
// points (the first, the last and evenly spaced ones between).
func tVisTable(r *Report, few int) *table {
	t := &table{Title: "Staleness: t-visibility", Header: []string{"t >= (ms)", "P(consistent)", "reads"}, Right: rightFrom(3, 0)}
	pts := r.Staleness.TVisibility
	idx := make([]int, 0, len(pts))
	if few > 1 && len(pts) > few {
		for i := range few {
			idx = append(idx, i*(len(pts)-1)/(few-1))
		}
	} else {
		for i := range pts {
			idx = append(idx, i)
		}
	}
	for _, i := range idx {
		p := pts[i]
		t.add(c(fmtNum(p.TMs), fmtPct(p.PConsistent), fmtInt(p.Reads))...)
	}
	if len(pts) == 0 {
		t.Notes = []string{"no read began after an acknowledged write: no t-visibility curve"}
	} else if r.Staleness.Probe != nil {
		t.Notes = []string{"at least t: " + DefinitionAtLeastT}
	}
	return t
}

// kTable shows the k-staleness histogram; with maxRows > 1 and a longer
// histogram, the last row adds up the tail ("k >= x").
func kTable(r *Report, maxRows int) *table {
	t := &table{Title: "Staleness: versions missed per read (k)", Header: []string{"k", "reads", "share"}, Right: rightFrom(3, 0)}
	hist := r.Staleness.KStaleness
	share := func(n int) string { return fmtPct(float64(n) / float64(max(r.Staleness.Reads, 1))) }
	shown := hist
	if maxRows > 1 && len(hist) > maxRows {
		shown = hist[:maxRows-1]
	}
	for _, k := range shown {
		t.add(c(fmt.Sprint(k.K), fmtInt(k.Reads), share(k.Reads))...)
	}
	if tail := hist[len(shown):]; len(tail) > 0 {
		n := 0
		for _, k := range tail {
			n += k.Reads
		}
		t.add(c(fmt.Sprintf(">= %d", tail[0].K), fmtInt(n), share(n))...)
	}
	if len(t.Rows) == 0 {
		t.Notes = []string{"no reads were measured"}
	}
	return t
}

func siblingsTable(r *Report) *table {
	t := &table{Title: "Siblings per read", Header: []string{"siblings", "reads", "share"}, Right: rightFrom(3, 0)}
	for _, s := range r.Siblings.Histogram {
		t.add(c(fmt.Sprint(s.Siblings), fmtInt(s.Reads), fmtPct(float64(s.Reads)/float64(max(r.Siblings.Reads, 1))))...)
	}
	if len(t.Rows) == 0 {
		t.Notes = []string{"no ok reads"}
	}
	return t
}

func expectationsTable(r *Report) *table {
	t := &table{Title: "Expectations", Header: []string{"expectation", "want", "got", "result"}}
	for _, e := range r.Expectations {
		row := []cell{{Text: e.Name}, {Text: fmtValue(e.Want)}, {Text: fmtValue(e.Got)}, passFail(e.Pass)}
		t.add(row...)
		if !e.Pass && e.Detail != "" {
			t.Notes = append(t.Notes, e.Name+": "+e.Detail)
		}
	}
	if len(t.Rows) == 0 {
		t.Notes = []string{"the scenario states no expectations"}
	}
	return t
}

func messagesTable(r *Report) *table {
	m := r.Messages
	t := &table{Title: "Messages per operation", Header: []string{"kind", "sent", "per op", "bytes", "bytes/op", "lost", "duplicated"}, Right: rightFrom(7, 1)}
	row := func(k MessageKind) []cell {
		return c(k.Kind, fmtUint(k.Sent), fmtSig(k.PerOp), fmtBytes(float64(k.Bytes)), fmtBytes(k.BytesPerOp), fmtUint(k.Lost), fmtUint(k.Duplicated))
	}
	for _, k := range m.Kinds {
		t.add(row(k)...)
	}
	if len(t.Rows) == 0 {
		t.Notes = []string{"no message statistics were given"}
		return t
	}
	t.add(row(m.Total)...)
	t.Notes = []string{fmt.Sprintf("per op: divided by %s client operations (final reads included)", fmtInt(m.PerOpBase))}
	return t
}

func nodesTable(r *Report) *table {
	if len(r.Targets) > 0 && r.CheckedHistory == nil {
		// A real cluster's nodes count through INFO (no events, queue or
		// ring shares).
		t := &table{Title: "Per-node load", Header: []string{"node", "dc", "coordinated", "client ops", "storage writes", "storage bytes"}, Right: rightFrom(6, 2)}
		for _, n := range r.Nodes {
			t.add(c(n.Label(), n.DC, fmtUint(n.RequestsCoordinated), fmtInt(n.ClientOps), fmtUint(n.StorageWrites), fmtBytes(float64(n.StorageBytes)))...)
		}
		t.Notes = []string{"coordinated, storage writes and bytes: the nodes' INFO counters over the run (a restarted node's since its restart)"}
		return t
	}
	if r.CheckedHistory != nil || len(r.Targets) > 0 {
		// A history knows each node's name and the operations it
		// coordinated, not what the simulator counted.
		t := &table{Title: "Per-node load", Header: []string{"node", "dc", "client ops"}, Right: rightFrom(3, 2)}
		for _, n := range r.Nodes {
			t.add(c(n.Label(), n.DC, fmtInt(n.ClientOps))...)
		}
		if len(t.Rows) == 0 {
			t.Notes = []string{"no operation reached a node"}
		}
		return t
	}
	t := &table{Title: "Per-node load", Header: []string{"node", "dc", "ring primary", "ring replica", "events", "coordinated", "client ops", "storage writes", "storage bytes", "queue max"}, Right: rightFrom(10, 2)}
	for _, n := range r.Nodes {
		t.add(c(n.Label(), n.DC, fmtPct(n.RingPrimary), fmtPct(n.RingReplica), fmtUint(n.EventsHandled), fmtUint(n.RequestsCoordinated), fmtInt(n.ClientOps),
			fmtUint(n.StorageWrites), fmtBytes(float64(n.StorageBytes)), fmtInt(n.QueueMax))...)
	}
	if len(t.Rows) == 0 {
		t.Notes = []string{"no per-node statistics"}
	}
	return t
}
