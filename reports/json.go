package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
)

// MaxReportBytes bounds what ReadJSON accepts. A report holds summaries and
// a few hundred series points, not the history: even a huge run's report is
// well under a megabyte.
const MaxReportBytes = 64 << 20

// WriteJSON writes r as indented JSON followed by a newline. The output is
// a function of r alone: maps are written with sorted keys, slices in their
// (sorted) order.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// "<" and "&" in labels stay readable; the HTML writer escapes on its own.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("reports: encoding the JSON report: %w", err)
	}
	return nil
}

var fingerprintRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// ReadJSON reads a report written by WriteJSON, strictly: the format and
// version must match, unknown fields and trailing data are errors, and the
// contract fields must make sense.
func ReadJSON(rd io.Reader) (*Report, error) { return readJSON(rd, MaxReportBytes) }

func readJSON(rd io.Reader, limit int64) (*Report, error) {
	b, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reports: reading the JSON report: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("reports: the JSON report is over %d bytes, the limit", limit)
	}
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&head); err != nil {
		return nil, fmt.Errorf("reports: not a JSON report: %w", err)
	}
	if head.Format != Format || head.Version != Version {
		return nil, fmt.Errorf("reports: format %q version %d, want %q version %d", head.Format, head.Version, Format, Version)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("reports: decoding the JSON report: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("reports: trailing data after the JSON report")
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// validate checks what a reader of the contract keys relies on.
func (r *Report) validate() error {
	switch {
	case r.Scenario == "":
		return fmt.Errorf("reports: the report has no scenario")
	case !fingerprintRE.MatchString(r.Fingerprint) && (r.Fingerprint != "" || r.CheckedHistory == nil || r.CheckedHistory.RunRecorded):
		return fmt.Errorf("reports: fingerprint %q is not 16 lower-case hex digits", r.Fingerprint)
	case !slices.Contains([]string{"ok", "illegal", "unknown", "skipped"}, r.Checks.Linearizability.Result):
		return fmt.Errorf("reports: linearizability result %q is not ok, illegal, unknown or skipped", r.Checks.Linearizability.Result)
	case r.Ops.Total != r.Ops.OK+r.Ops.Failed+r.Ops.Unknown:
		return fmt.Errorf("reports: ops total %d is not ok %d + failed %d + unknown %d", r.Ops.Total, r.Ops.OK, r.Ops.Failed, r.Ops.Unknown)
	}
	for _, e := range r.Expectations {
		for _, x := range []any{e.Want, e.Got} {
			if err := checkScalar(x); err != nil {
				return fmt.Errorf("reports: expectation %q: %w", e.Name, err)
			}
		}
	}
	return nil
}
