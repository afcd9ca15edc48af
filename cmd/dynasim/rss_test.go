package main

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseVmHWM(t *testing.T) {
	n, ok := parseVmHWM([]byte("Name:\tdynasim\nVmPeak:\t  999 kB\nVmHWM:\t  1580312 kB\nVmRSS:\t 12 kB\n"))
	require.True(t, ok)
	require.Equal(t, int64(1580312)<<10, n)
	for _, bad := range []string{"", "VmRSS:\t12 kB\n", "VmHWM:\t12 MB\n", "VmHWM:\tlots kB\n", "VmHWM:\t-4 kB\n", "VmHWM:\n"} {
		_, ok := parseVmHWM([]byte(bad))
		require.False(t, ok, "%q", bad)
	}
}

func TestPeakRSSIsReadOnLinux(t *testing.T) {
	n, ok := peakRSSBytes()
	if runtime.GOOS != "linux" {
		require.False(t, ok)
		return
	}
	require.True(t, ok)
	require.Greater(t, n, int64(1<<20), "a Go test process holds more than a megabyte")
}
