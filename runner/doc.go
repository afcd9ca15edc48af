// Package runner turns a resolved scenario into a run and its verdict: it
// maps the scenario onto the simulator (sim/cluster), runs the workload and
// the fault schedule, runs the checkers on the recorded history, evaluates
// the scenario's expectations, and builds the report. The CLI
// (cmd/dynasim) is a thin shell around it.
//
// A run is four stages, each usable alone (stages.go): Simulate (scenario ->
// history and cluster counters), Check (history -> results and measured
// expectations; no files), BuildReport, and writing the files. Run chains
// them; CheckHistory, behind `dynasim check`, runs the same checking step
// on a history read from a file; a fuzz campaign needs only Simulate and
// Check.
//
// RunTarget (target.go, behind `dynasim run --target`) runs a scenario's
// workload against a real cluster instead of Simulate — the same clients,
// key choice, mix and levels, over the nodes' Redis ports with go-redis,
// its fault schedule applied through the nodes' DEBUG commands and their
// processes — and then the same Check and BuildReport steps on the
// history it recorded. Its times are wall time; it cannot be replayed.
//
// A run's output directory holds everything needed to understand and
// replay it:
//
//	resolved.yaml        the scenario with every knob and default resolved;
//	                     `dynasim run resolved.yaml` or `dynasim replay DIR`
//	                     re-runs it bit for bit
//	history.jsonl        every client operation, replica state and fault window
//	report.json          the JSON report (keys documented in reports)
//	report.txt           the terminal summary
//	report.html          one self-contained page with SVG plots
//	linearizability.html Porcupine's visualisation of the smallest failing
//	                     key, when the history is not linearizable
//
// runner sits above every other package (scenarios, sim, node, checker,
// reports) and is imported only by cmd/dynasim and tests.
package runner
