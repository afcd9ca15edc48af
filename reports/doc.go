// Package reports turns one run — its history, what the checker found in
// it, the scenario's expectations and the simulator's counters — into the
// three things a person or a tool reads afterwards:
//
//   - a JSON report (Report, WriteJSON, ReadJSON), the contract other tools
//     rely on: the keys marked "contract" on Report never change;
//   - a terminal summary (WriteText): a verdict line and tablewriter tables,
//     plain ASCII by default, colour and box drawing when the caller says
//     the output is a terminal;
//   - one self-contained HTML page (WriteHTML): the same tables plus SVG
//     plots drawn with gonum/plot — latency CDF per operation kind, the
//     t-visibility curve, a timeline of throughput, availability and latency
//     with fault windows shaded, per-node load, and with membership the
//     membership timeline (per node, the intervals the others believed it
//     down over its real down windows) — and a relative link to
//     Porcupine's visualisation when linearizability failed.
//
// The runner makes one call, Build(Input), and writes whichever renderings
// it wants. Build derives what the checker does not: outcome counts per
// operation kind, a timeline in 100–200 buckets, latency CDF points, load
// per node; everything else it copies from checker.Results into the
// report's own types, so a renamed checker field cannot silently change the
// JSON contract.
//
// Why the report, not the history, feeds the renderers: the HTML and text
// can be regenerated from a saved report.json alone (ReadJSON, then
// WriteHTML), and every figure the HTML shows is also in the JSON for tools.
//
// Determinism: a report is a function of its input, sorted throughout
// (nodes, message kinds, fault windows, expectations by name), and the
// renderers are functions of the report. Only wall_seconds and the rates
// derived from it vary between replays of one seed; tests zero them. Text
// output is ASCII-only unless TextOptions.Unicode is set, so column widths
// never depend on the locale's East Asian width setting.
//
// The package imports checker and history but never the simulator:
// the runner maps its counters into MessageStats and NodeStats.
package reports
