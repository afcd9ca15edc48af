package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// The JSON Lines form of a History (version 2):
//
//	{"type":"header","format":"dynasim-history","version":2,"run":{"scenario":"baseline","seed":1,...}}
//	{"type":"op","id":1,"client":0,"op":"put","key":"k1","value":"v1",...}
//	{"type":"replica","at_ns":...,"key":"k1","node":2,"value_ids":["v1"]}
//	{"type":"fault","label":"partition","start_ns":...,"end_ns":...}
//	{"type":"trailer","ops":1,"replicas":1,"faults":1}
//
// The header comes first; its optional "run" object is a RunInfo (every
// field but scenario, read_repair, two_phase_writes, clients and keys is
// then required). The trailer comes last and counts the records of each
// type, so a file cut short at a line boundary is told from a complete one:
// Read returns such a file with History.Incomplete set, and a trailer whose
// counts disagree with the records is an error. The other records may come
// in any order (Write puts ops, then replica states, then fault windows).
// Field names are exactly the json tags of Op, ReplicaState, FaultWindow
// and RunInfo.
//
// Version 1 files (written before the run and the trailer were recorded)
// are still read: their Run is nil, and since nothing says whether they are
// complete, their Incomplete says so.
const (
	// Format is the header's "format" value.
	Format = "dynasim-history"
	// Version is the header "version" Write writes; Read also reads
	// version 1.
	Version = 2
)

const (
	typeHeader  = "header"
	typeOp      = "op"
	typeReplica = "replica"
	typeFault   = "fault"
	typeTrailer = "trailer"
)

// IncompleteV1 is History.Incomplete of a version 1 file.
const IncompleteV1 = "version 1: no trailer line to show it is complete"

type header struct {
	Type    string   `json:"type"`
	Format  string   `json:"format"`
	Version int      `json:"version"`
	Run     *RunInfo `json:"run,omitempty"`
}

type trailer struct {
	Type     string `json:"type"`
	Ops      int    `json:"ops"`
	Replicas int    `json:"replicas"`
	Faults   int    `json:"faults"`
}

type opLine struct {
	Type string `json:"type"`
	Op
}

type replicaLine struct {
	Type string `json:"type"`
	ReplicaState
}

type faultLine struct {
	Type string `json:"type"`
	FaultWindow
}

// Write validates h and writes it as JSON Lines, header and trailer
// included. It refuses an invalid history rather than write a file that
// Read would reject, and an incomplete one rather than write a trailer that
// would vouch for it.
func Write(w io.Writer, h *History) error {
	if err := h.Validate(); err != nil {
		return fmt.Errorf("history: refusing to write an invalid history: %w", err)
	}
	if h.Incomplete != "" {
		return fmt.Errorf("history: refusing to write an incomplete history as a complete one (%s)", h.Incomplete)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(header{typeHeader, Format, Version, h.Run}); err != nil {
		return err
	}
	// Records are encoded by hand (jsonl_encode.go) into one line buffer.
	var line []byte
	put := func() error {
		_, err := bw.Write(line)
		line = line[:0]
		return err
	}
	for i := range h.Ops {
		line = appendOpLine(line, &h.Ops[i])
		if err := put(); err != nil {
			return err
		}
	}
	for i := range h.Replicas {
		line = appendReplicaLine(line, &h.Replicas[i])
		if err := put(); err != nil {
			return err
		}
	}
	for i := range h.Faults {
		line = appendFaultLine(line, &h.Faults[i])
		if err := put(); err != nil {
			return err
		}
	}
	if err := enc.Encode(trailer{typeTrailer, len(h.Ops), len(h.Replicas), len(h.Faults)}); err != nil {
		return err
	}
	return bw.Flush()
}

// ReadOptions bounds what Read accepts.
type ReadOptions struct {
	// MaxLineBytes is the longest line accepted. Default 1 MiB.
	MaxLineBytes int
	// MaxRecords is the most records (lines between the header and the
	// trailer) accepted.
	// Default 20,000,000.
	MaxRecords int
}

// DefaultReadOptions returns the defaults documented on ReadOptions.
func DefaultReadOptions() ReadOptions {
	return ReadOptions{MaxLineBytes: 1 << 20, MaxRecords: 20_000_000}
}

// Validate reports a knob out of range.
func (o ReadOptions) Validate() error {
	if o.MaxLineBytes < 1024 {
		return fmt.Errorf("history: ReadOptions.MaxLineBytes must be at least 1024, got %d", o.MaxLineBytes)
	}
	if o.MaxRecords < 1 {
		return fmt.Errorf("history: ReadOptions.MaxRecords must be at least 1, got %d", o.MaxRecords)
	}
	return nil
}

// ParseError is a problem at one line of a JSON Lines history.
type ParseError struct {
	Line  int    // 1-based
	Field string // JSON field name, or "" when the line as a whole is bad
	Msg   string
}

func (e *ParseError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("history line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("history line %d: field %q: %s", e.Line, e.Field, e.Msg)
}

// Read parses a JSON Lines history with DefaultReadOptions.
func Read(r io.Reader) (*History, error) { return ReadWith(r, DefaultReadOptions()) }

// ReadWith parses a JSON Lines history strictly: the first problem found is
// returned as a *ParseError naming the line and the field. A file that ends
// at a line boundary before its trailer is returned with
// History.Incomplete saying so (see the format above).
func ReadWith(r io.Reader, opt ReadOptions) (*History, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	p := parser{
		br:     bufio.NewReaderSize(r, 64*1024),
		opt:    opt,
		h:      &History{},
		ids:    make(map[uint64]int),
		values: make(map[string]int),
	}
	if err := p.run(); err != nil {
		return nil, err
	}
	return p.h, nil
}

type parser struct {
	br      *bufio.Reader
	opt     ReadOptions
	h       *History
	line    int
	version int
	// trailerLine is the line of the trailer, 0 until it is read.
	trailerLine int
	// lastLineUnterminated: the last line read had no newline.
	lastLineUnterminated bool
	ids                  map[uint64]int // op id -> line
	values               map[string]int // put value id -> line
	buf                  []byte         // reused line buffer
	members              members        // reused top-level members of the line
	// consistencies shares one record of each consistency read, as a
	// Recorder does.
	consistencies map[Consistency]*Consistency
}

func (p *parser) run() error {
	sawHeader := false
	records := 0
	for {
		line, err := p.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		raw, typ, err := p.split(line)
		if err != nil {
			if p.lastLineUnterminated {
				return fmt.Errorf("%w (the file ends inside this line, without a newline: it looks cut short)", err)
			}
			return err
		}
		if p.trailerLine > 0 {
			return p.errf("type", "a %s record after the trailer on line %d; the trailer must be the last line", typ, p.trailerLine)
		}
		if !sawHeader {
			if typ != typeHeader {
				return p.errf("type", "the first line must be the header {\"type\":\"header\",\"format\":%q,\"version\":%d}, got type %q", Format, Version, typ)
			}
			if err := p.header(line, raw); err != nil {
				return err
			}
			sawHeader = true
			continue
		}
		if typ == typeTrailer {
			if err := p.trailer(line, raw); err != nil {
				return err
			}
			continue
		}
		records++
		if records > p.opt.MaxRecords {
			return p.errf("", "more than %d records, the limit (ReadOptions.MaxRecords)", p.opt.MaxRecords)
		}
		switch typ {
		case typeOp:
			err = p.op(line, raw)
		case typeReplica:
			err = p.replica(line, raw)
		case typeFault:
			err = p.fault(line, raw)
		case typeHeader:
			err = p.errf("type", "a second header")
		default:
			err = p.errf("type", "must be op, replica, fault or trailer, got %q", typ)
		}
		if err != nil {
			return err
		}
	}
	if !sawHeader {
		return &ParseError{Line: 0, Msg: "empty input: no header line"}
	}
	switch {
	case p.version == 1:
		p.h.Incomplete = IncompleteV1
	case p.trailerLine == 0:
		p.h.Incomplete = fmt.Sprintf("cut short after line %d: no trailer line", p.line)
	}
	return nil
}

func (p *parser) trailer(line []byte, raw members) error {
	if p.version < 2 {
		return p.errf("type", "a version %d history has no trailer", p.version)
	}
	var t trailer
	if err := p.decode(line, raw, &t, trailerFields, []string{"ops", "replicas", "faults"}); err != nil {
		return err
	}
	for _, c := range []struct {
		field      string
		want, have int
	}{{"ops", t.Ops, len(p.h.Ops)}, {"replicas", t.Replicas, len(p.h.Replicas)}, {"faults", t.Faults, len(p.h.Faults)}} {
		if c.want != c.have {
			return p.errf(c.field, "the trailer counts %d, but the file holds %d: records are missing or were added", c.want, c.have)
		}
	}
	p.trailerLine = p.line
	return nil
}

// next returns the next line without its newline, refusing lines longer than
// the limit before buffering them whole.
func (p *parser) next() ([]byte, error) {
	p.buf = p.buf[:0]
	for {
		chunk, err := p.br.ReadSlice('\n')
		p.buf = append(p.buf, chunk...)
		if len(p.buf) > p.opt.MaxLineBytes+1 {
			return nil, &ParseError{Line: p.line + 1, Msg: fmt.Sprintf("line longer than %d bytes, the limit (ReadOptions.MaxLineBytes)", p.opt.MaxLineBytes)}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(p.buf) == 0 {
				return nil, io.EOF
			}
		} else if err != nil {
			return nil, fmt.Errorf("history: reading line %d: %w", p.line+1, err)
		}
		break
	}
	p.line++
	p.lastLineUnterminated = !bytes.HasSuffix(p.buf, []byte("\n"))
	b := bytes.TrimSuffix(p.buf, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) > p.opt.MaxLineBytes {
		return nil, p.errf("", "line is %d bytes, the limit (ReadOptions.MaxLineBytes) is %d", len(b), p.opt.MaxLineBytes)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, p.errf("", "empty line")
	}
	return b, nil
}

// split checks the line is one JSON object and returns its top-level
// members and its type. Keys are matched exactly later (encoding/json alone
// would accept "Key" for "key"), duplicate keys are refused, and so is null
// everywhere, so a missing value cannot pass as a zero.
func (p *parser) split(line []byte) (members, string, error) {
	if !json.Valid(line) {
		var v any
		err := json.Unmarshal(line, &v)
		return nil, "", p.errf("", "not a JSON object: %v", err)
	}
	ms, err := scanObject(line, p.members[:0])
	if err != nil {
		return nil, "", p.errf("", "%v", err)
	}
	p.members = ms
	for i, m := range ms {
		if string(m.value) == "null" {
			return nil, "", p.errf(m.key, "must not be null")
		}
		for _, prev := range ms[:i] {
			if prev.key == m.key {
				return nil, "", p.errf(m.key, "appears twice")
			}
		}
	}
	t, ok := ms.get("type")
	if !ok {
		return nil, "", p.errf("type", "missing")
	}
	var typ string
	if err := json.Unmarshal(t, &typ); err != nil {
		return nil, "", p.errf("type", "must be a string, got %s", t)
	}
	return ms, typ, nil
}

func (p *parser) header(line []byte, raw members) error {
	if runRaw, ok := raw.get("run"); ok {
		if v, _ := raw.get("version"); string(v) == "1" {
			return p.errf("run", "a version 1 header has no run")
		}
		if err := p.checkRun(runRaw); err != nil {
			return err
		}
	}
	var h header
	if err := p.decode(line, raw, &h, headerFields, []string{"format", "version"}); err != nil {
		return err
	}
	if h.Format != Format {
		return p.errf("format", "must be %q, got %q", Format, h.Format)
	}
	if h.Version != 1 && h.Version != Version {
		return p.errf("version", "this reader understands versions 1 and %d, got %d", Version, h.Version)
	}
	p.version = h.Version
	if h.Run == nil {
		return nil
	}
	if err := h.Run.Validate(); err != nil {
		return p.wrap(err)
	}
	p.h.Run = h.Run
	return nil
}

// checkRun checks the run object's field names and presence (decode checks
// only the top level).
func (p *parser) checkRun(b []byte) error {
	ms, err := scanObject(b, nil)
	if err != nil {
		return p.errf("run", "must be an object: %v", err)
	}
	for i, m := range ms {
		if !runFields[m.key] {
			return p.errf("run."+m.key, "unknown field")
		}
		if string(m.value) == "null" {
			return p.errf("run."+m.key, "must not be null")
		}
		for _, prev := range ms[:i] {
			if prev.key == m.key {
				return p.errf("run."+m.key, "appears twice")
			}
		}
	}
	for _, k := range runRequired {
		if _, ok := ms.get(k); !ok {
			return p.errf("run."+k, "missing")
		}
	}
	return nil
}

func (p *parser) op(line []byte, raw members) error {
	var l opLine
	if err := p.decode(line, raw, &l, opFields, []string{"id", "client", "op", "key", "invoke_ns", "return_ns", "coordinator", "outcome"}); err != nil {
		return err
	}
	if err := l.Op.Validate(); err != nil {
		return p.wrap(err)
	}
	if p.h.Run != nil && l.Coordinator >= int32(len(p.h.Run.Nodes)) {
		return p.wrap(errCoordinator(l.Coordinator, int32(len(p.h.Run.Nodes))))
	}
	if p.h.Run != nil {
		if err := checkTried(l.Tried, int32(len(p.h.Run.Nodes))); err != nil {
			return p.wrap(err)
		}
	}
	if prev, dup := p.ids[l.ID]; dup {
		return p.errf("id", "%d is also the id of the op on line %d", l.ID, prev)
	}
	p.ids[l.ID] = p.line
	if l.Kind == Put {
		if prev, dup := p.values[l.Value]; dup {
			return p.errf("value", "%q is also written by the put on line %d; every put must write a unique value", l.Value, prev)
		}
		p.values[l.Value] = p.line
	}
	if c := l.Op.Consistency; c != nil {
		if shared, ok := p.consistencies[*c]; ok {
			l.Op.Consistency = shared
		} else {
			if p.consistencies == nil {
				p.consistencies = make(map[Consistency]*Consistency)
			}
			p.consistencies[*c] = c
		}
	}
	p.h.Ops = append(p.h.Ops, l.Op)
	return nil
}

func (p *parser) replica(line []byte, raw members) error {
	var l replicaLine
	if err := p.decode(line, raw, &l, replicaFields, []string{"at_ns", "key", "node"}); err != nil {
		return err
	}
	if err := l.ReplicaState.Validate(); err != nil {
		return p.wrap(err)
	}
	if p.h.Run != nil && l.Node >= int32(len(p.h.Run.Nodes)) {
		return p.wrap(errNode(l.Node, int32(len(p.h.Run.Nodes))))
	}
	p.h.Replicas = append(p.h.Replicas, l.ReplicaState)
	return nil
}

func (p *parser) fault(line []byte, raw members) error {
	var l faultLine
	if err := p.decode(line, raw, &l, faultFields, []string{"label", "start_ns", "end_ns"}); err != nil {
		return err
	}
	if err := l.FaultWindow.Validate(); err != nil {
		return p.wrap(err)
	}
	p.h.Faults = append(p.h.Faults, l.FaultWindow)
	return nil
}

// decode checks field names and presence against the record's schema, then
// decodes the line into dst.
func (p *parser) decode(line []byte, raw members, dst any, known map[string]bool, required []string) error {
	for _, m := range raw {
		if !known[m.key] {
			return p.errf(m.key, "unknown field")
		}
	}
	for _, k := range required {
		if _, ok := raw.get(k); !ok {
			return p.errf(k, "missing")
		}
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			// The path names the embedded Go struct first ("Op.client").
			field := te.Field
			for _, embedded := range []string{"Op.", "ReplicaState.", "FaultWindow.", "header."} {
				field = strings.TrimPrefix(field, embedded)
			}
			return p.errf(field, "want %s, got JSON %s", te.Type, te.Value)
		}
		// A kind or an outcome that names nothing (their UnmarshalText).
		var fe *FieldError
		if errors.As(err, &fe) {
			return p.errf(fe.Field, "%s", fe.Msg)
		}
		if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
			return p.errf(strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), "unknown field")
		}
		return p.errf("", "%v", err)
	}
	return nil
}

func (p *parser) errf(field, format string, args ...any) error {
	return &ParseError{Line: p.line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) wrap(err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &ParseError{Line: p.line, Field: fe.Field, Msg: fe.Msg}
	}
	return &ParseError{Line: p.line, Msg: err.Error()}
}

var (
	headerFields  = jsonFields(reflect.TypeFor[header]())
	opFields      = jsonFields(reflect.TypeFor[opLine]())
	replicaFields = jsonFields(reflect.TypeFor[replicaLine]())
	faultFields   = jsonFields(reflect.TypeFor[faultLine]())
	trailerFields = jsonFields(reflect.TypeFor[trailer]())
	runFields     = jsonFields(reflect.TypeFor[RunInfo]())
)

// jsonFields lists the JSON names of a struct's fields, descending into
// embedded structs as encoding/json does.
func jsonFields(t reflect.Type) map[string]bool {
	names := make(map[string]bool)
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for n := range jsonFields(f.Type) {
				names[n] = true
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names[name] = true
	}
	return names
}
