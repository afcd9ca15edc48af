package runner

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkRunBaseline runs scenarios/baseline.yaml end to end through the
// same path as `dynasim run`: resolve, simulate, check, build the report
// and write every file (history.jsonl, report.json/.txt/.html,
// resolved.yaml) to a temporary directory. One benchmark op is one whole
// run; simops/s is the run's simulated operations per wall second of the
// whole run (simulate + check + report + write), sim-simops/s the same
// over the simulation phase alone (the report's ops_per_wall_second).
func BenchmarkRunBaseline(b *testing.B) {
	benchRun(b, filepath.Join("..", "scenarios", "baseline.yaml"))
}

func benchRun(b *testing.B, path string) {
	r := load(b, path, nil)
	dir := b.TempDir()
	var ops, simSec, totalSec float64
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		out, err := Run(r, Options{OutDir: dir, ScenarioPath: path})
		totalSec += time.Since(start).Seconds()
		require.NoError(b, err)
		require.True(b, out.Passed)
		ops += float64(out.Report.Ops.Total)
		simSec += out.Report.WallSeconds
	}
	b.ReportMetric(ops/totalSec, "simops/s")
	b.ReportMetric(ops/simSec, "sim-simops/s")
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(totalSec/float64(b.N), "s/run")
}
