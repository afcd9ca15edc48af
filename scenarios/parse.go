package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// MaxFileBytes bounds a scenario file.
const MaxFileBytes = 4 << 20

// Parse reads a scenario file and validates it. filename is used in
// messages and, when the file has no name:, as the scenario's name (without
// directory and extension). On any problem it returns a nil Scenario and a
// Problems error listing every problem found, each as
// "file:line:col: field.path: message"; a YAML syntax error stops parsing,
// so it is reported alone.
func Parse(filename string, data []byte) (*Scenario, error) {
	probs := &problemList{file: filename}
	if len(data) > MaxFileBytes {
		probs.add(Pos{}, "", "the file is %d bytes, the limit is %d", len(data), MaxFileBytes)
		return nil, probs.result()
	}
	f, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey()) // the decoder reports duplicates with their path
	if err != nil {
		var yerr yaml.Error
		if errors.As(err, &yerr) && yerr.GetToken() != nil {
			p := yerr.GetToken().Position
			probs.add(Pos{p.Line, p.Column}, "", "YAML syntax: %s", clipMessage(yerr.GetMessage()))
		} else {
			probs.add(Pos{}, "", "YAML syntax: %s", clipMessage(err.Error()))
		}
		return nil, probs.result()
	}
	var bodies []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	switch {
	case len(bodies) == 0:
		probs.add(Pos{}, "", "the file is empty; a scenario is a YAML mapping (see the scenario reference)")
		return nil, probs.result()
	case len(bodies) > 1:
		probs.add(posOf(bodies[1]), "", "a scenario file holds one YAML document, this one has %d", len(bodies))
	}

	s := &Scenario{file: filename}
	d := newDecoder(probs)
	d.collectAnchors(bodies[0])
	d.decode(bodies[0], reflectOf(s), "")
	s.pos, s.failed = d.pos, d.failed
	if s.Name == "" {
		base := filepath.Base(filename)
		s.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	s.validate(probs)
	if err := probs.result(); err != nil {
		return nil, err
	}
	return s, nil
}

// Load reads and parses the scenario file at path.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	return Parse(path, data)
}

// File is the file name the scenario was parsed from ("" if built in code).
func (s *Scenario) File() string { return s.file }

// MarshalResolved renders a resolved scenario as a scenario file: every
// knob a plain value, every default written out. Parse and Resolve (with
// r.Seed) read it back to an identical Resolved.
func MarshalResolved(r *Resolved) ([]byte, error) {
	body, err := yaml.MarshalWithOptions(r, yaml.Indent(2), yaml.IndentSequence(true), yaml.UseLiteralStyleIfMultiline(true))
	if err != nil {
		return nil, fmt.Errorf("scenarios: marshal resolved scenario %q: %w", r.Name, err)
	}
	header := fmt.Sprintf("# Scenario %q resolved for seed %d: every knob picked, every default\n"+
		"# written out. `dynasim replay` re-runs it exactly.\n", r.Name, r.Seed)
	return append([]byte(header), body...), nil
}

// Validate checks a resolved scenario (for example one a shrinker edited)
// by the rules of Scenario.Validate, through its YAML form, so positions
// in the error refer to MarshalResolved's output.
func (r *Resolved) Validate() error {
	data, err := MarshalResolved(r)
	if err != nil {
		return err
	}
	s, err := Parse(r.Name+".resolved.yaml", data)
	if err != nil {
		return err
	}
	_, err = s.Resolve(r.Seed)
	return err
}

// clipMessage keeps a YAML parser's message short and printable ASCII: it
// may quote the input it choked on, which may be binary garbage.
func clipMessage(m string) string {
	const max = 200
	var b strings.Builder
	for _, r := range m {
		e := string(r)
		if r >= utf8.RuneSelf || !unicode.IsPrint(r) {
			e = strings.Trim(strconv.QuoteRuneToASCII(r), "'")
		}
		if b.Len()+len(e) > max {
			b.WriteString("…")
			break
		}
		b.WriteString(e)
	}
	return b.String()
}
