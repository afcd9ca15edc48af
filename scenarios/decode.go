package scenarios

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// The decoder walks goccy/go-yaml's AST into Go values by their `yaml` tags.
// It does the strict decoding itself rather than through yaml.Unmarshal so
// that it can go on after a mistake and report every problem in the file,
// each at its own line and column, with the field's path: an unknown field,
// a value of the wrong type, an enum value not in its list, a malformed
// duration, a range or choice that does not fit its field.

// maxNodeVisits bounds the work one file may cause, so that aliases nested
// into an exponential expansion ("billion laughs") are refused, not obeyed.
const maxNodeVisits = 1_000_000

type decoder struct {
	probs   *problemList
	pos     map[string]Pos  // path -> where its value is written
	failed  map[string]bool // paths whose value was refused
	anchors map[string]ast.Node
	visits  int
}

// nodeUnmarshaler is implemented by types that decode themselves: knobs,
// durations, sizes, levels and the few fields that take more than one shape.
// It reports false after reporting a problem.
type nodeUnmarshaler interface {
	unmarshalNode(d *decoder, n ast.Node, path string) bool
}

func newDecoder(probs *problemList) *decoder {
	return &decoder{
		probs:   probs,
		pos:     map[string]Pos{},
		failed:  map[string]bool{},
		anchors: map[string]ast.Node{},
	}
}

func reflectOf[T any](p *T) reflect.Value { return reflect.ValueOf(p).Elem() }

func posOf(n ast.Node) Pos {
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
		n = m.Values[0].Key // a block mapping's token is its first colon
	}
	if n == nil || n.GetToken() == nil {
		return Pos{}
	}
	p := n.GetToken().Position
	return Pos{Line: p.Line, Col: p.Column}
}

func (d *decoder) fail(n ast.Node, path, format string, args ...any) {
	d.failed[path] = true
	d.probs.add(posOf(n), path, format, args...)
}

func join(path, key string) string {
	key = pathKey(key)
	if path == "" {
		return key
	}
	return path + "." + key
}

// collectAnchors records every anchor so aliases can be followed. An anchor
// name defined twice is refused: YAML would silently use the later one for
// later aliases, which is rarely what the author meant.
func (d *decoder) collectAnchors(n ast.Node) {
	ast.Walk(visitorFunc(func(n ast.Node) {
		a, ok := n.(*ast.AnchorNode)
		if !ok || a.Name == nil {
			return
		}
		name := a.Name.GetToken().Value
		if prev, dup := d.anchors[name]; dup {
			d.probs.add(posOf(a), "", "anchor &%s is defined twice (first at line %d)", name, posOf(prev).Line)
			return
		}
		d.anchors[name] = a.Value
	}), n)
}

type visitorFunc func(ast.Node)

func (f visitorFunc) Visit(n ast.Node) ast.Visitor {
	f(n)
	return f
}

// deref follows tags, anchors and aliases to the node holding the value; nil
// after reporting an alias to an unknown anchor.
func (d *decoder) deref(n ast.Node) ast.Node {
	for range 64 {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			name := v.Value.GetToken().Value
			target, ok := d.anchors[name]
			if !ok {
				d.probs.add(posOf(v), "", "alias *%s names no anchor", name)
				return nil
			}
			n = target
		default:
			if n == nil {
				return &ast.NullNode{}
			}
			return n
		}
	}
	d.probs.add(posOf(n), "", "aliases nest too deeply")
	return nil
}

// visit counts a node against maxNodeVisits; false once the budget is
// spent (reported once).
func (d *decoder) visit(n ast.Node, path string) bool {
	if d.visits++; d.visits > maxNodeVisits {
		if d.visits == maxNodeVisits+1 {
			d.fail(n, path, "the file expands to more than %d values (aliases nested too deeply?)", maxNodeVisits)
		}
		return false
	}
	return true
}

// decode stores the value of n into v, reporting every problem under path.
// It returns false if anything in the value was refused.
func (d *decoder) decode(n ast.Node, v reflect.Value, path string) bool {
	if !d.visit(n, path) {
		return false
	}
	if _, seen := d.pos[path]; !seen {
		d.pos[path] = posOf(n)
	}
	if n = d.deref(n); n == nil {
		d.failed[path] = true
		return false
	}
	if u, ok := v.Addr().Interface().(nodeUnmarshaler); ok {
		return u.unmarshalNode(d, n, path)
	}
	if _, null := n.(*ast.NullNode); null {
		switch v.Kind() {
		case reflect.Struct, reflect.Pointer, reflect.Slice, reflect.Map:
			return true // an empty section: everything takes its default
		}
		d.fail(n, path, "missing value")
		return false
	}
	switch v.Kind() {
	case reflect.Struct:
		return d.decodeStruct(n, v, path)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if !d.decode(n, p.Elem(), path) {
			return false
		}
		v.Set(p)
		return true
	case reflect.Slice:
		return d.decodeSlice(n, v, path)
	case reflect.Map:
		return d.decodeMap(n, v, path)
	case reflect.String:
		return d.decodeString(n, v, path)
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			d.fail(n, path, "expected true or false, got %s", describe(n))
			return false
		}
		v.SetBool(b.Value)
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return d.decodeInt(n, v, path)
	case reflect.Float64, reflect.Float32:
		return d.decodeFloat(n, v, path)
	}
	// Unreachable for the types of this package; reported, never a panic.
	d.fail(n, path, "internal error: no decoding for Go type %v", v.Type())
	return false
}

func (d *decoder) decodeString(n ast.Node, v reflect.Value, path string) bool {
	var s string
	switch t := n.(type) {
	case *ast.StringNode:
		s = t.Value
	case *ast.LiteralNode:
		s = t.Value.Value
	default:
		if _, scalar := n.(ast.ScalarNode); scalar {
			d.fail(n, path, "expected a string, got %s (quote it to make it a string)", describe(n))
		} else {
			d.fail(n, path, "expected a string, got %s", describe(n))
		}
		return false
	}
	if e, ok := v.Interface().(enum); ok {
		vals := e.enumValues()
		if !slices.Contains(vals, s) {
			d.fail(n, path, "unknown value %s (want %s)%s", quoted(s), orList(vals), suggest(s, vals))
			return false
		}
	}
	v.SetString(s)
	return true
}

func (d *decoder) decodeInt(n ast.Node, v reflect.Value, path string) bool {
	var value any // int64 or uint64
	var text string
	if in, ok := n.(*ast.IntegerNode); ok {
		value, text = in.Value, in.Token.Value
	} else {
		// A number in float notation (2.0, 1e6) is an integer when it is
		// whole, as a float field reads it as a number.
		f, tok, isNum := plainNumber(n)
		switch {
		case !isNum:
			d.fail(n, path, "expected an integer, got %s", describe(n))
			return false
		case f != math.Trunc(f) || math.IsInf(f, 0):
			d.fail(n, path, "expected a whole number, got %s", tok)
			return false
		case f < -(1<<63) || f >= 1<<63:
			lo, hi := intBounds(v.Type())
			d.fail(n, path, "%s is outside [%s, %s]", tok, lo, hi)
			return false
		}
		value, text = int64(f), tok
	}
	overflow := false
	switch x := value.(type) {
	case int64:
		if v.CanInt() {
			overflow = v.OverflowInt(x)
			if !overflow {
				v.SetInt(x)
			}
		} else if overflow = x < 0 || v.OverflowUint(uint64(x)); !overflow {
			v.SetUint(uint64(x))
		}
	case uint64:
		if v.CanUint() {
			if overflow = v.OverflowUint(x); !overflow {
				v.SetUint(x)
			}
		} else if overflow = x > math.MaxInt64 || v.OverflowInt(int64(x)); !overflow {
			v.SetInt(int64(x))
		}
	}
	if overflow {
		lo, hi := intBounds(v.Type())
		d.fail(n, path, "%s is outside [%s, %s]", text, lo, hi)
		return false
	}
	return true
}

// plainNumber reads a float node, or an unquoted scalar in number notation
// (the YAML parser hands 1e6 over as a string), as a float64. A quoted
// string is never a number.
func plainNumber(n ast.Node) (float64, string, bool) {
	switch t := n.(type) {
	case *ast.FloatNode:
		return t.Value, t.Token.Value, true
	case *ast.StringNode:
		if t.Token.Type != token.StringType {
			return 0, "", false
		}
		f, err := strconv.ParseFloat(t.Value, 64)
		if err != nil || math.IsNaN(f) || strings.ContainsAny(t.Value, "xXpP_") {
			return 0, "", false
		}
		return f, t.Value, true
	}
	return 0, "", false
}

func intBounds(t reflect.Type) (string, string) {
	bits := t.Bits()
	if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64 {
		return "0", strconv.FormatUint(math.MaxUint64>>(64-bits), 10)
	}
	return strconv.FormatInt(math.MinInt64>>(64-bits), 10), strconv.FormatInt(math.MaxInt64>>(64-bits), 10)
}

func (d *decoder) decodeFloat(n ast.Node, v reflect.Value, path string) bool {
	var f float64
	switch t := n.(type) {
	case *ast.FloatNode:
		f = t.Value
	case *ast.IntegerNode:
		switch x := t.Value.(type) {
		case int64:
			f = float64(x)
		case uint64:
			f = float64(x)
		}
	case *ast.StringNode:
		// Plain scalars such as 1e3 reach the AST as strings.
		var err error
		if f, err = strconv.ParseFloat(t.Value, 64); err != nil || t.Token.Type != token.StringType {
			d.fail(n, path, "expected a number, got %s", describe(n))
			return false
		}
	default:
		d.fail(n, path, "expected a number, got %s", describe(n))
		return false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail(n, path, "expected a finite number, got %s", describe(n))
		return false
	}
	v.SetFloat(f)
	return true
}

func (d *decoder) decodeSlice(n ast.Node, v reflect.Value, path string) bool {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		hint := ""
		if _, scalar := n.(ast.ScalarNode); scalar {
			hint = fmt.Sprintf(" (write [%s] for a list of one)", n.GetToken().Value)
		}
		d.fail(n, path, "expected a list, got %s%s", describe(n), hint)
		return false
	}
	out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	good := true
	for i, e := range seq.Values {
		if !d.decode(e, out.Index(i), fmt.Sprintf("%s[%d]", path, i)) {
			good = false
		}
	}
	v.Set(out)
	return good
}

// entry is one key of a mapping, after merge keys are expanded.
type entry struct {
	key   string
	kn    ast.Node // the key, for positions
	value ast.Node
}

// entries lists a mapping's keys in file order. Keys brought in by a merge
// key (<<: *anchor) come after, and only where the mapping does not give
// them itself. A key given twice is reported.
func (d *decoder) entries(m *ast.MappingNode, path string) []entry {
	var out, merged []entry
	seen := map[string]ast.Node{}
	for _, mv := range m.Values {
		if mv.Key.IsMergeKey() {
			merged = append(merged, d.mergeEntries(mv.Value, path)...)
			continue
		}
		k := d.deref(mv.Key)
		s, ok := k.(*ast.StringNode)
		if !ok {
			d.fail(mv.Key, path, "expected a field name, got %s", describe(k))
			continue
		}
		if prev, dup := seen[s.Value]; dup {
			d.fail(mv.Key, join(path, s.Value), "given twice (first at line %d)", posOf(prev).Line)
			continue
		}
		seen[s.Value] = mv.Key
		out = append(out, entry{s.Value, mv.Key, mv.Value})
	}
	for _, e := range merged {
		if _, dup := seen[e.key]; !dup {
			seen[e.key] = e.kn
			out = append(out, e)
		}
	}
	return out
}

func (d *decoder) mergeEntries(n ast.Node, path string) []entry {
	if !d.visit(n, path) {
		return nil
	}
	switch v := d.deref(n).(type) {
	case *ast.MappingNode:
		return d.entries(v, path)
	case *ast.SequenceNode:
		var out []entry
		for _, e := range v.Values {
			out = append(out, d.mergeEntries(e, path)...)
		}
		return out
	case nil:
		return nil
	default:
		d.fail(n, path, "a merge key (<<) takes a mapping or a list of mappings, got %s", describe(v))
		return nil
	}
}

func (d *decoder) decodeMap(n ast.Node, v reflect.Value, path string) bool {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		d.fail(n, path, "expected a mapping, got %s", describe(n))
		return false
	}
	out := reflect.MakeMap(v.Type())
	good := true
	for _, e := range d.entries(m, path) {
		key := reflect.New(v.Type().Key()).Elem()
		if !d.decodeString(e.kn, key, join(path, e.key)) {
			good = false
			continue
		}
		// Problems with a map entry (an unknown node in disks.nodes, ...)
		// concern its key: point there rather than at a block value below.
		d.pos[join(path, e.key)] = posOf(e.kn)
		val := reflect.New(v.Type().Elem()).Elem()
		if !d.decode(e.value, val, join(path, e.key)) {
			good = false
		}
		out.SetMapIndex(key, val)
	}
	v.Set(out)
	return good
}

// fieldInfo is one field a struct accepts in a file.
type fieldInfo struct {
	name  string
	index []int
}

// fieldCache maps a struct type to its fields; safe for concurrent Parse
// calls.
var fieldCache sync.Map

// fieldsOf lists the fields a struct type accepts in a file.
func fieldsOf(t reflect.Type) []fieldInfo {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]fieldInfo)
	}
	fs := structFields(t, nil)
	fieldCache.Store(t, fs)
	return fs
}

func structFields(t reflect.Type, prefix []int) []fieldInfo {
	var out []fieldInfo
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		index := append(slices.Clone(prefix), i)
		if opts == "inline" {
			out = append(out, structFields(f.Type, index)...)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, fieldInfo{name, index})
	}
	return out
}

func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path string) bool {
	fields := fieldsOf(v.Type())
	m, ok := n.(*ast.MappingNode)
	if !ok {
		d.fail(n, path, "expected a mapping with fields %s, got %s", fieldNames(fields), describe(n))
		return false
	}
	good := true
	for _, e := range d.entries(m, path) {
		if path == "" && strings.HasPrefix(e.key, "x-") {
			continue // extension fields (as in Compose files) hold anchors
		}
		i := slices.IndexFunc(fields, func(f fieldInfo) bool { return f.name == e.key })
		if i < 0 {
			names := make([]string, len(fields))
			for j, f := range fields {
				names[j] = f.name
			}
			if s := suggest(e.key, names); s != "" {
				d.fail(e.kn, join(path, e.key), "unknown field%s", s)
			} else {
				d.fail(e.kn, join(path, e.key), "unknown field (fields here: %s)", fieldNames(fields))
			}
			good = false
			continue
		}
		if !d.decode(e.value, v.FieldByIndex(fields[i].index), join(path, e.key)) {
			good = false
		}
	}
	return good
}

func fieldNames(fs []fieldInfo) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

func hasKey(m *ast.MappingNode, keys ...string) bool {
	for _, mv := range m.Values {
		if slices.Contains(keys, keyString(mv.Key)) {
			return true
		}
	}
	return false
}

func keyString(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	return ""
}
