package host

import (
	"fmt"
	"net"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/tidwall/redcon"

	"dynasim/node/versions"
	"dynasim/wire"
)

// clientPort is the Redis-protocol client port.
type clientPort struct {
	h      *Host
	ln     net.Listener
	srv    *redcon.Server
	served chan struct{}
	once   sync.Once
}

// session is one client connection's state.
type session struct {
	r, w wire.Need // the CONSISTENCY level; zero: the node's defaults
}

func newClientPort(h *Host, ln net.Listener) *clientPort {
	p := &clientPort{h: h, ln: ln, served: make(chan struct{})}
	wrapped := &limitListener{Listener: ln, max: MaxUnansweredBytes, overruns: &h.clientOverruns}
	p.srv = redcon.NewServer(ln.Addr().String(), p.handle,
		func(c redcon.Conn) bool { c.SetContext(&session{}); return true }, nil)
	go func() {
		defer close(p.served)
		_ = p.srv.Serve(wrapped)
	}()
	return p
}

// stopAccepting closes the listener; redcon then closes the connections
// it accepted once their handlers return (close waits for that).
func (p *clientPort) stopAccepting() { p.once.Do(func() { _ = p.srv.Close() }) }

func (p *clientPort) close() {
	p.stopAccepting()
	<-p.served
}

func (p *clientPort) handle(c redcon.Conn, cmd redcon.Command) {
	s, _ := c.Context().(*session)
	if s == nil {
		s = &session{}
		c.SetContext(s)
	}
	out := p.execute(s, cmd.Args)
	out.write(c)
	if out.quit {
		c.Close()
	}
}

// result is a command's answer in RESP terms.
type result struct {
	kind  byte // '+' simple, '-' error, ':' int, '$' bulk, '_' null, '*' array of bulks
	str   string
	n     int
	bulk  []byte
	array [][]byte
	quit  bool
}

func simple(s string) result           { return result{kind: '+', str: s} }
func errorf(f string, a ...any) result { return result{kind: '-', str: fmt.Sprintf(f, a...)} }
func integer(n int) result             { return result{kind: ':', n: n} }
func bulk(b []byte) result             { return result{kind: '$', bulk: b} }
func null() result                     { return result{kind: '_'} }
func bulks(a [][]byte) result          { return result{kind: '*', array: a} }
func (r result) write(c redcon.Conn) {
	switch r.kind {
	case '+':
		c.WriteString(r.str)
	case '-':
		c.WriteError(r.str)
	case ':':
		c.WriteInt(r.n)
	case '$':
		c.WriteBulk(r.bulk)
	case '_':
		c.WriteNull()
	case '*':
		c.WriteArray(len(r.array))
		for _, b := range r.array {
			c.WriteBulk(b)
		}
	}
}

// arity is each command's argument count including its name: exact when
// positive, at least -n when negative.
var arity = map[string]int{
	"PING": -1, "QUIT": 1, "INFO": -1, "GET": 2, "SET": 3, "DEL": -2, "EXISTS": -2,
	"VGET": 2, "VSET": 4, "CONSISTENCY": -1, "COMMAND": -1,
}

func checkArity(name string, n int) bool {
	a, ok := arity[name]
	if !ok {
		return false
	}
	if a > 0 {
		return n == a
	}
	return n >= -a
}

// execute runs one command. It is the client port's command parser and
// dispatcher; args are the RESP array's elements.
func (p *clientPort) execute(s *session, args [][]byte) result {
	if len(args) == 0 {
		return errorf("ERR empty command")
	}
	name := strings.ToUpper(string(args[0]))
	if _, ok := arity[name]; !ok {
		return errorf("ERR unknown command '%s'", clipArg(args[0]))
	}
	if !checkArity(name, len(args)) {
		if name == "SET" && len(args) > 3 {
			return errorf("ERR SET options (EX, PX, NX, XX, ...) are not supported")
		}
		return errorf("ERR wrong number of arguments for '%s' command", strings.ToLower(name))
	}
	limits := p.h.cfg.Node.Coordinator.Limits
	switch name {
	case "PING":
		if len(args) == 2 {
			return bulk(args[1])
		}
		if len(args) > 2 {
			return errorf("ERR wrong number of arguments for 'ping' command")
		}
		return simple("PONG")
	case "QUIT":
		r := simple("OK")
		r.quit = true
		return r
	case "COMMAND":
		return bulks(nil)
	case "INFO":
		return bulk([]byte(p.h.info()))
	case "CONSISTENCY":
		return s.consistency(args[1:])
	}
	key := args[1]
	if err := limits.CheckKey(key); err != nil {
		return errorf("ERR %v", err)
	}
	switch name {
	case "GET":
		r, res := p.get(s, key)
		if r == nil {
			return res
		}
		switch len(r.Values) {
		case 0:
			return null()
		case 1:
			return bulk(r.Values[0])
		}
		return errorf("ERR key has %d siblings (concurrent writes); read them with VGET and write the resolved value with VSET", len(r.Values))
	case "VGET":
		r, res := p.get(s, key)
		if r == nil {
			return res
		}
		return bulks(append([][]byte{r.Context}, r.Values...))
	case "SET":
		value := args[2]
		if err := limits.CheckValue(value); err != nil {
			return errorf("ERR %v", err)
		}
		var ctx []byte
		if p.h.cfg.Node.Versions.Mode != versions.ModeLWW {
			// SET overwrites: it writes over every version it reads, so
			// that it does not make a sibling of the old value.
			r, res := p.get(s, key)
			if r == nil {
				return res
			}
			ctx = r.Context
		}
		return p.put(s, key, ctx, value)
	case "VSET":
		value := args[3]
		if err := limits.CheckValue(value); err != nil {
			return errorf("ERR %v", err)
		}
		if len(args[2]) > wire.MaxContextBytes {
			return errorf("ERR context size %d bytes exceeds the limit of %d bytes", len(args[2]), wire.MaxContextBytes)
		}
		return p.put(s, key, args[2], value)
	case "EXISTS", "DEL":
		n := 0
		for _, k := range args[1:] {
			if err := limits.CheckKey(k); err != nil {
				return errorf("ERR %v", err)
			}
			r, res := p.get(s, k)
			if r == nil {
				return res
			}
			if len(r.Values) == 0 {
				continue
			}
			if name == "DEL" {
				d := p.h.request(&wire.ClientDelete{ReplyTo: wire.None, Key: k, Context: r.Context, W: s.w})
				if res, ok := failure(d); !ok {
					return res
				}
			}
			n++
		}
		return integer(n)
	}
	return errorf("ERR unknown command '%s'", name)
}

func (p *clientPort) get(s *session, key []byte) (*wire.ClientReply, result) {
	r := p.h.request(&wire.ClientGet{ReplyTo: wire.None, Key: key, R: s.r})
	if res, ok := failure(r); !ok {
		return nil, res
	}
	return r, result{}
}

func (p *clientPort) put(s *session, key, ctx, value []byte) result {
	r := p.h.request(&wire.ClientPut{ReplyTo: wire.None, Key: key, Context: ctx, Value: value, W: s.w})
	if res, ok := failure(r); !ok {
		return res
	}
	return simple("OK")
}

// failure turns a reply that is not a success into its Redis error.
func failure(r *wire.ClientReply) (result, bool) {
	if r == nil {
		return errorf("ERR node shutting down"), false
	}
	switch r.Status {
	case wire.StatusOK, wire.StatusNotFound:
		return result{}, true
	case wire.StatusBadRequest:
		return errorf("ERR %s", r.Error), false
	case wire.StatusUnknown:
		return errorf("UNKNOWN outcome unknown (the write may or may not have been applied): %s", r.Error), false
	default:
		return errorf("QUORUM quorum not met: %s", r.Error), false
	}
}

// consistency sets or shows the connection's read and write levels.
func (s *session) consistency(args [][]byte) result {
	if len(args) == 0 {
		return simple(fmt.Sprintf("R=%s W=%s", s.r, s.w))
	}
	if len(args) > 2 {
		return errorf("ERR wrong number of arguments for 'consistency' command")
	}
	parse := func(b []byte) (wire.Need, error) {
		t := strings.ToUpper(string(b))
		if n, err := strconv.Atoi(t); err == nil {
			if n < 1 || n > 255 {
				return wire.Need{}, fmt.Errorf("count %d outside [1, 255]", n)
			}
			return wire.Need{Level: wire.LevelCount, Count: uint8(n)}, nil
		}
		l, err := wire.ParseLevel(t)
		if err != nil || l == wire.LevelCount {
			return wire.Need{}, fmt.Errorf("unknown consistency level %q (want ONE, TWO, QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM, DEFAULT or a count)", clipArg(b))
		}
		return wire.Need{Level: l}, nil
	}
	r, err := parse(args[0])
	if err != nil {
		return errorf("ERR %v", err)
	}
	w := r
	if len(args) == 2 {
		if w, err = parse(args[1]); err != nil {
			return errorf("ERR %v", err)
		}
	}
	s.r, s.w = r, w
	return simple("OK")
}

func clipArg(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return strconv.Quote(string(b))[1 : len(strconv.Quote(string(b)))-1]
}

// info is the INFO text: Redis's "# Section" and "field:value" lines.
func (h *Host) info() string {
	st := h.Stats()
	tr := h.TransportStats()
	var b strings.Builder
	fmt.Fprintf(&b, "# Server\r\ndynasim_node:%d\r\npeer_addr:%s\r\nclient_addr:%s\r\n",
		h.cfg.Self, h.PeerAddr(), h.ClientAddr())
	fmt.Fprintf(&b, "# Clients\r\nclient_input_overruns:%d\r\n", h.clientOverruns.Load())
	b.WriteString("# Node\r\n")
	writeStats(&b, "", reflect.ValueOf(st))
	fields := map[string]uint64{
		"frames_sent": tr.FramesSent, "bytes_sent": tr.BytesSent, "frames_received": tr.FramesReceived,
		"bytes_received": tr.BytesReceived, "frames_dropped": tr.Dropped, "frames_bad_checksum": tr.BadChecksum,
		"frames_malformed": tr.Malformed, "conns_bad_length": tr.BadLength, "conns_bad_hello": tr.BadHello,
		"dials": tr.Dials, "dial_failures": tr.DialFailures, "write_errors": tr.WriteErrors, "accepted": tr.Accepted,
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	b.WriteString("# Transport\r\n")
	for _, k := range names {
		fmt.Fprintf(&b, "%s:%d\r\n", k, fields[k])
	}
	return b.String()
}

// writeStats writes every number, boolean and non-empty string of a
// statistics struct as "prefix_field_name:value" lines, nested structs
// flattened with their field's name as a prefix.
func writeStats(b *strings.Builder, prefix string, v reflect.Value) {
	eachStat(prefix, v, func(name string, fv reflect.Value) {
		if fv.Kind() == reflect.String {
			if s := fv.String(); s != "" {
				fmt.Fprintf(b, "%s:%s\r\n", name, strings.NewReplacer("\r", " ", "\n", " ").Replace(s))
			}
			return
		}
		fmt.Fprintf(b, "%s:%v\r\n", name, fv.Interface())
	})
}

// eachStat calls fn with the flattened name ("prefix_field_name") and
// value of every number, boolean and string field of a statistics struct,
// nested structs flattened with their field's name as a prefix. INFO and
// the Prometheus collector name node counters through it.
func eachStat(prefix string, v reflect.Value, fn func(name string, fv reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := prefix + snake(f.Name)
		fv := v.Field(i)
		switch fv.Kind() {
		case reflect.Struct:
			if f.Name == "Replica" {
				// replica.Stats beside the node's own replica_reads and
				// replica_writes: named for what it is, the replica store.
				name = prefix + "store"
			}
			eachStat(name+"_", fv, fn)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64, reflect.Bool, reflect.String:
			fn(name, fv)
		}
	}
}

// snake turns a Go field name into Redis INFO style: ReplicaReads ->
// replica_reads, LastReopenError -> last_reopen_error, IOErrors -> io_errors.
func snake(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		upper := unicode.IsUpper(c)
		if upper && i > 0 && (unicode.IsLower(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1]))) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}
