package reports

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
)

func labels(ts []plot.Tick) []string {
	var out []string
	for _, t := range ts {
		if t.Label != "" {
			out = append(out, t.Label)
		}
	}
	return out
}

func TestAxisTicks(t *testing.T) {
	require.Equal(t, []string{"0.02", "0.05", "0.1", "0.2", "0.5", "1", "2"}, labels(logTicks{}.Ticks(0.018, 4)))
	require.Len(t, logTicks{}.Ticks(0.018, 4), 8+9+4, "every integer multiple of each power of ten in range")
	require.Empty(t, logTicks{}.Ticks(0, 4), "no log ticks from a non-positive bound")

	require.Equal(t, []string{"0", "2", "4", "6", "8", "10"}, labels(stepTicks{}.Ticks(0, 10.3)))
	require.Equal(t, []string{"2.5", "3", "3.5", "4", "4.5", "5", "5.5", "6", "6.5", "7"}, labels(stepTicks{}.Ticks(2.5, 7.2)))
	require.Equal(t, []string{"0", "10", "20", "30", "40", "50", "60"}, labels(stepTicks{}.Ticks(0, 61)))
	require.Equal(t, []string{"0", "0.02", "0.04", "0.06", "0.08", "0.1", "0.12"}, labels(stepTicks{}.Ticks(0, 0.12)))
	require.Len(t, stepTicks{}.Ticks(0, 61), 31, "four minor ticks between labels")
	require.Empty(t, stepTicks{}.Ticks(3, 3))

	for in, want := range map[float64]string{0: "0", 0.25: "0.25", 3: "3", 1500: "1,500", 250_000: "250k", 1_500_000: "1.5M"} {
		require.Equal(t, want, fmtCompact(in))
	}
	for _, tk := range (countTicks{}).Ticks(0, 250_000) {
		require.NotContains(t, tk.Label, ".00")
	}
}
