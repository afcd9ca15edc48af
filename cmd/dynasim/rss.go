package main

import (
	"bytes"
	"os"
	"strconv"
)

// peakRSSBytes is the process's peak resident set size (Linux's VmHWM in
// /proc/self/status): what a memory bound such as "a million-operation run
// fits in 2 GB" is about, measured the way /usr/bin/time -v measures it, so
// that a user (and CI) can read it off the run without another tool. It
// reports false where the file does not exist or says nothing usable
// (other systems).
func peakRSSBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	return parseVmHWM(b)
}

// parseVmHWM finds the "VmHWM:   1234 kB" line of a /proc status file.
func parseVmHWM(status []byte) (int64, bool) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 {
			return 0, false
		}
		return kb << 10, true
	}
	return 0, false
}
