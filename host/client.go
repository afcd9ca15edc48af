package host

import (
	"cmp"
	"fmt"
	"net"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
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
	"VGET": 2, "VSET": 4, "VDEL": 3, "CONSISTENCY": -1, "COMMAND": -1, "DEBUG": -2,
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
	case "DEBUG":
		return p.debug(args[1:])
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
	case "VDEL":
		if len(args[2]) > wire.MaxContextBytes {
			return errorf("ERR context size %d bytes exceeds the limit of %d bytes", len(args[2]), wire.MaxContextBytes)
		}
		d := p.h.request(&wire.ClientDelete{ReplyTo: wire.None, Key: key, Context: args[2], W: s.w})
		if res, ok := failure(d); !ok {
			return res
		}
		return simple("OK")
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

// debug runs a DEBUG subcommand: fault injection into this node's
// transport, when Config.DebugCommands allows it.
func (p *clientPort) debug(args [][]byte) result {
	if !p.h.cfg.DebugCommands {
		return errorf("ERR DEBUG commands are off (turn on debug_commands in the cluster file: they inject faults)")
	}
	tr := p.h.tr
	members := func(ids [][]byte) (map[wire.Addr]bool, result, bool) {
		out := map[wire.Addr]bool{}
		for _, b := range ids {
			id, err := strconv.ParseInt(string(b), 10, 32)
			if err != nil {
				return nil, errorf("ERR member id %q is not a number", clipArg(b)), false
			}
			found := false
			for _, m := range p.h.cfg.Node.Members {
				if int64(m.ID) == id {
					found = true
					if m.Addr == p.h.cfg.Self {
						return nil, errorf("ERR member %d is this node", id), false
					}
					out[m.Addr] = true
				}
			}
			if !found {
				return nil, errorf("ERR no member with id %d", id), false
			}
		}
		return out, result{}, true
	}
	cur := linkFaults{}
	if f := tr.faults.Load(); f != nil {
		cur = *f
	}
	sub := strings.ToUpper(string(args[0]))
	switch sub {
	case "PARTITION":
		blocked, res, ok := members(args[1:])
		if !ok {
			return res
		}
		cur.blocked = blocked
	case "DROP":
		dropped, res, ok := members(args[1:])
		if !ok {
			return res
		}
		cur.dropped = dropped
	case "DELAY":
		if len(args) < 2 {
			return errorf("ERR DEBUG DELAY needs a delay in milliseconds")
		}
		ms, err := strconv.ParseFloat(string(args[1]), 64)
		if err != nil || ms < 0 || ms > 60_000 {
			return errorf("ERR DEBUG DELAY %q: want milliseconds within [0, 60000]", clipArg(args[1]))
		}
		cur.delay = time.Duration(ms * float64(time.Millisecond))
		cur.delayed = nil
		if len(args) > 2 {
			d, res, ok := members(args[2:])
			if !ok {
				return res
			}
			cur.delayed = d
		}
	case "HEAL":
		if len(args) != 1 {
			return errorf("ERR wrong number of arguments for 'debug heal' command")
		}
		tr.faults.Store(nil)
		p.h.log.Warn("debug: faults healed")
		return simple("OK")
	case "FAULTS":
		return bulk([]byte(p.h.faultText()))
	default:
		return errorf("ERR unknown DEBUG subcommand '%s' (want PARTITION id..., DROP id..., DELAY ms [id...], HEAL, FAULTS)", clipArg(args[0]))
	}
	tr.faults.Store(&cur)
	p.h.log.Warn("debug: transport faults injected", "faults", p.h.faultText())
	return simple("OK")
}

// faultText describes the injected faults by member id.
func (h *Host) faultText() string {
	f := h.tr.faults.Load()
	if f == nil {
		return "none"
	}
	ids := func(set map[wire.Addr]bool) string {
		var out []string
		for _, m := range h.cfg.Node.Members {
			if set[m.Addr] {
				out = append(out, strconv.Itoa(int(m.ID)))
			}
		}
		return strings.Join(out, ",")
	}
	delayed := "all"
	if f.delayed != nil {
		delayed = ids(f.delayed)
	}
	return fmt.Sprintf("partitioned_from:%s dropping_to:%s delay:%v delayed_to:%s", ids(f.blocked), ids(f.dropped), f.delay, delayed)
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

// memberID is this node's member id (its ring identity).
func (h *Host) memberID() int {
	for _, m := range h.cfg.Node.Members {
		if m.Addr == h.cfg.Self {
			return int(m.ID)
		}
	}
	return -1
}

// info is the INFO text: Redis's "# Section" and "field:value" lines.
func (h *Host) info() string {
	st := h.Stats()
	tr := h.TransportStats()
	var b strings.Builder
	fmt.Fprintf(&b, "# Server\r\ndynasim_node:%d\r\nmember_id:%d\r\npeer_addr:%s\r\nclient_addr:%s\r\n",
		h.cfg.Self, h.memberID(), h.PeerAddr(), h.ClientAddr())
	nc := h.cfg.Node.WithDefaults()
	fmt.Fprintf(&b, "# Config\r\nversion_mode:%s\r\nn:%d\r\nr:%s\r\nw:%s\r\nread_repair:%s\r\ntwo_phase_writes:%v\r\nmembers:%d\r\ndebug_commands:%v\r\n",
		nc.Versions.Mode, nc.Ring.Placement.Replicas(), nc.Coordinator.R, nc.Coordinator.W, nc.Coordinator.ReadRepair,
		nc.Coordinator.TwoPhaseWrites, len(nc.Members), h.cfg.DebugCommands)
	fmt.Fprintf(&b, "quorum:%s\r\nmembership:%v\r\nhinted_handoff:%v\r\nanti_entropy:%v\r\n",
		nc.Coordinator.Quorum, nc.Membership.Enabled, nc.HintedHandoff.Enabled, nc.AntiEntropy.Enabled)
	// Each member as this node sees it: gossip's status (with membership
	// on) and whether the coordinator routes to it.
	b.WriteString("# Membership\r\n")
	for _, m := range h.Members() {
		fmt.Fprintf(&b, "member_%d:addr=%d,gossip=%s,up=%v\r\n", m.ID, m.Addr, cmp.Or(m.Gossip, "off"), m.Up)
	}
	fmt.Fprintf(&b, "# Clients\r\nclient_input_overruns:%d\r\n", h.clientOverruns.Load())
	b.WriteString("# Node\r\n")
	writeStats(&b, "", reflect.ValueOf(st))
	fields := map[string]uint64{
		"frames_sent": tr.FramesSent, "bytes_sent": tr.BytesSent, "frames_received": tr.FramesReceived,
		"bytes_received": tr.BytesReceived, "frames_dropped": tr.Dropped, "frames_bad_checksum": tr.BadChecksum,
		"frames_malformed": tr.Malformed, "conns_bad_length": tr.BadLength, "conns_bad_hello": tr.BadHello,
		"dials": tr.Dials, "dial_failures": tr.DialFailures, "write_errors": tr.WriteErrors, "accepted": tr.Accepted,
		"conns_tls_refused": tr.TLSRefused, "conns_unauthenticated": tr.Unauthenticated,
		"frames_partitioned": tr.Partitioned,
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
