// Command dynasim runs Dynamo-style key-value store scenarios in a
// deterministic simulated world and reports what happened to consistency,
// availability and latency.
//
//	dynasim run FILE... [--seed N] [--out DIR] [--json]
//	dynasim run FILE --target HOST:PORT,... [--cluster-dir DIR] [--tls-ca F [--tls-cert F --tls-key F]]
//	dynasim replay DIR
//	dynasim check HISTORY.jsonl [--model register|multi_value] [--lin]
//	dynasim validate FILE...
//	dynasim fuzz [BASE.yaml] [--profile P] [--seeds N | --time D] [--shard i/n] [--jobs J] [--out DIR]
//	dynasim fuzz merge DIR...
//	dynasim shrink DIR
//	dynasim node --cluster FILE --id ID [--metrics-addr ADDR]
//	dynasim cluster up [-n N] [--dir D] [--base-port P] [--version-mode M | --scenario FILE] [--tls] [--debug-commands]
//	dynasim cluster status|down [--dir D]
//
// run --target runs the scenario's workload and fault schedule against a
// real cluster through its Redis ports, and checks and reports the
// history as a simulated run (runner.RunTarget); it cannot be replayed.
//
// Exit status: 0 when every expectation holds (run), the fingerprint
// matches (replay), the history passes (check) or the files are valid
// (validate); 1 when an expectation fails, a replay diverges or a check
// finds a violation; 2 for an invalid scenario or a usage error; 3 when
// the run itself failed (an I/O error, a bug).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"
)

// Exit codes (a contract for scripts and CI).
const (
	exitOK      = 0
	exitFailed  = 1
	exitInvalid = 2
	exitError   = 3
)

// exitError carries an exit code through cobra.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

func withCode(code int, err error) error { return &codedError{code: code, err: err} }

// failedf is an outcome that is not an error of the tool: an expectation
// that failed, a replay that diverged. Its message is already printed.
var errFailed = errors.New("failed")

// processStart is when the process started (its package variables are
// initialised before main runs): the origin of a run's total wall time.
var processStart = time.Now()

// defaultMemoryLimit is the Go runtime's soft memory limit when the
// environment sets none (GOMEMLIMIT; GOMEMLIMIT=off lifts it). Below it the
// collector runs as GOGC says; near it, it collects more often, so a big
// run stays within it as long as its live data does. Measured on a
// million-operation baseline (64 clients, 200 s): peak RSS 2.19 GB and
// 62 s without a limit, 1.82 GB and 49 s with a 1.6 GiB one (less memory
// to fault in); a small run never comes near it.
const defaultMemoryLimit = 1536 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	os.Exit(executeFrom(processStart, os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs the CLI and returns its exit code; total wall times count
// from the call.
func execute(args []string, stdout, stderr io.Writer) int {
	return executeFrom(time.Now(), args, stdout, stderr)
}

// executeFrom runs the CLI with total wall times counted from start.
func executeFrom(start time.Time, args []string, stdout, stderr io.Writer) int {
	root := newRoot(start, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ce *codedError
	if errors.As(err, &ce) {
		if !errors.Is(ce.err, errFailed) {
			fmt.Fprintln(stderr, "dynasim:", ce.err)
		}
		return ce.code
	}
	// cobra's own errors: unknown command or flag, wrong argument count.
	fmt.Fprintln(stderr, "dynasim:", err)
	return exitInvalid
}
