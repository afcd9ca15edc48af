package coord

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"dynasim/node/ring"
	"dynasim/node/versions"
	"dynasim/wire"
)

// The coordinator on a fake host, in the style of etcd raft's interaction
// tests: testdata/*.txt scripts deliver, drop and time out messages by hand
// and show what the coordinator sent. Rewrite the expected outputs with
//
//	go test ./node/coord -run TestScripts -rewrite
//
// A script's world: nodes 0..3 in one datacenter, N=3, the coordinator is
// node 0 (a replica of the keys the scripts use, unless they say so), nodes
// 1..3 are fake replicas that answer whatever is delivered to them, and
// clients are addresses 100 and up.
//
// Commands:
//
//	new [w=2] [r=2] [read-repair=async|blocking|off] [two-phase] [mode=lww|dvv] [quorum=strict|sloppy]
//	down nodes=A,B                       the view believes these nodes down
//	                                     (nodes= with nothing: all up)
//	replicas key=K                       the key's preference list
//	ring version=V ids=I,I,I,I [n=N]     give the coordinator's view a new
//	                                     ring version: node i (address i)
//	                                     gets ring ID ids[i]
//	put client=C req=Q key=K value=V [ctx=from-last-reply] [w=LEVEL]
//	get client=C req=Q key=K [r=LEVEL]   LEVEL: a count, ONE, QUORUM, ALL, ...
//	                                     or DEFAULT (the default: the
//	                                     coordinator's configured R or W)
//	deliver N...                         deliver pending messages by number
//	drop N...                            lose them
//	tick ms=M                            advance the clock by M ms and tick
//	state key=K                          every replica's live values
//
// Every command prints the messages it made pending (numbered), and the
// client replies it produced.
func TestScripts(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var w *world
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd == "new" {
				w = newWorld(t, d)
				return w.flush()
			}
			if w == nil {
				t.Fatalf("%s: the script must start with new", d.Pos)
			}
			return w.run(t, d)
		})
	})
}

// self is the coordinator's address; members the nodes of the ring.
const self wire.Addr = 0

const members = 4

type pending struct {
	from, to wire.Addr
	msg      wire.Message
	done     bool
}

type world struct {
	c       *Coordinator
	v       *versions.Versioner
	view    *scriptView
	now     time.Time
	stores  [members]map[string]wire.SiblingSet
	queue   []pending
	printed int
	out     strings.Builder
	locals  []func()
	tick    time.Duration // armed tick, 0 if none
	lastCtx []byte        // context of the last client reply
}

func newWorld(t *testing.T, d *datadriven.TestData) *world {
	mode := versions.ModeDVV
	cfg := Config{RequestTimeout: 300 * time.Millisecond, TimeoutTick: 50 * time.Millisecond}
	for _, a := range d.CmdArgs {
		val := ""
		if len(a.Vals) > 0 {
			val = a.Vals[0]
		}
		switch a.Key {
		case "w", "r":
			n, err := strconv.Atoi(val)
			if err != nil {
				t.Fatalf("%s: %s=%q", d.Pos, a.Key, val)
			}
			need := wire.Need{Level: wire.LevelCount, Count: uint8(n)}
			if a.Key == "w" {
				cfg.W = need
			} else {
				cfg.R = need
			}
		case "read-repair":
			rr, err := ParseReadRepair(val)
			if err != nil {
				t.Fatal(err)
			}
			cfg.ReadRepair = rr
		case "two-phase":
			cfg.TwoPhaseWrites = true
		case "quorum":
			q, err := ParseQuorum(val)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Quorum = q
		case "mode":
			m, err := versions.ParseMode(val)
			if err != nil {
				t.Fatal(err)
			}
			mode = m
		default:
			t.Fatalf("%s: unknown argument %q", d.Pos, a.Key)
		}
	}
	var ms []ring.Member
	for i := range members {
		ms = append(ms, ring.Member{ID: wire.Addr(i), Addr: wire.Addr(i), DC: "dc1", Weight: 1})
	}
	m, err := ring.NewMembership(1, scriptRing(3), ms)
	if err != nil {
		t.Fatal(err)
	}
	v, err := versions.New(versions.Config{Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{v: v, view: &scriptView{m: m, down: map[wire.Addr]bool{}}, now: time.Unix(1000, 0)}
	for i := range w.stores {
		w.stores[i] = map[string]wire.SiblingSet{}
	}
	w.c, err = New(cfg, self, 1, v, (*fakeHost)(w), w.view)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) run(t *testing.T, d *datadriven.TestData) string {
	arg := func(key string) string {
		for _, a := range d.CmdArgs {
			if a.Key == key && len(a.Vals) > 0 {
				return a.Vals[0]
			}
		}
		return ""
	}
	num := func(key string) uint64 {
		n, err := strconv.ParseUint(arg(key), 10, 64)
		if err != nil {
			t.Fatalf("%s: %s=%q is not a number", d.Pos, key, arg(key))
		}
		return n
	}
	switch d.Cmd {
	case "down":
		clear(w.view.down)
		for _, a := range d.CmdArgs {
			if a.Key != "nodes" {
				continue
			}
			for _, v := range a.Vals {
				n, err := strconv.Atoi(v)
				if err != nil {
					t.Fatalf("%s: nodes: %v", d.Pos, err)
				}
				w.view.down[wire.Addr(n)] = true
			}
		}
		return fmt.Sprintf("down: %d nodes\n", len(w.view.down))
	case "replicas":
		pl := w.view.m.PreferenceList(ring.HashKey([]byte(arg("key"))), nil)
		return fmt.Sprintf("%s: %v\n", arg("key"), pl)
	case "ring":
		ids := strings.Split(arg("ids"), ",")
		if len(ids) != members {
			t.Fatalf("%s: ids must list %d IDs", d.Pos, members)
		}
		var ms []ring.Member
		for i, s := range ids {
			id, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("%s: ids: %v", d.Pos, err)
			}
			ms = append(ms, ring.Member{ID: wire.Addr(id), Addr: wire.Addr(i), DC: "dc1", Weight: 1})
		}
		n := 3
		if arg("n") != "" {
			n = int(num("n"))
		}
		m, err := ring.NewMembership(num("version"), scriptRing(n), ms)
		if err != nil {
			t.Fatalf("%s: %v", d.Pos, err)
		}
		w.view.m = m
		return fmt.Sprintf("ring version %d\n", m.Version())
	case "put":
		m := &wire.ClientPut{ReqID: num("req"), ReplyTo: wire.None, Key: []byte(arg("key")), Value: []byte(arg("value")), W: need(t, d, arg("w"))}
		if arg("ctx") == "from-last-reply" {
			m.Context = w.lastCtx
		}
		w.c.HandlePut(wire.Addr(num("client")), m)
	case "get":
		w.c.HandleGet(wire.Addr(num("client")), &wire.ClientGet{ReqID: num("req"), ReplyTo: wire.None, Key: []byte(arg("key")), R: need(t, d, arg("r"))})
	case "deliver", "drop":
		for _, a := range d.CmdArgs {
			i, err := strconv.Atoi(a.Key)
			if err != nil || i < 1 || i > len(w.queue) || w.queue[i-1].done {
				t.Fatalf("%s: no pending message %q", d.Pos, a.Key)
			}
			p := &w.queue[i-1]
			p.done = true
			if d.Cmd == "deliver" {
				w.deliver(t, p)
			}
		}
	case "tick":
		d := time.Duration(num("ms")) * time.Millisecond
		end := w.now.Add(d)
		for w.tick > 0 && !w.now.Add(w.tick).After(end) {
			w.now = w.now.Add(w.tick)
			w.tick = 0
			w.c.Tick()
			w.settle()
		}
		w.now = end
	case "state":
		var b strings.Builder
		for i := range members {
			set, ok := w.stores[i][arg("key")]
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "node %d: %s\n", i, describeSet(w.v, set))
		}
		return b.String()
	default:
		t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
	}
	w.settle()
	return w.flush()
}

// settle runs what the host defers to the end of an event: the local
// replica's answers.
func (w *world) settle() {
	for len(w.locals) > 0 {
		l := w.locals
		w.locals = nil
		for _, f := range l {
			f()
		}
	}
}

// deliver hands a pending message to its receiver: the coordinator, or a
// fake replica that answers at once.
func (w *world) deliver(t *testing.T, p *pending) {
	if p.to == self {
		switch m := p.msg.(type) {
		case *wire.ReadResponse:
			w.c.HandleReadResponse(p.from, m)
		case *wire.WriteAck:
			w.c.HandleWriteAck(p.from, m)
		case *wire.ClientReply:
			w.c.HandleClientReply(p.from, m)
		case *wire.ClientPut:
			w.c.HandlePut(p.from, m)
		default:
			t.Fatalf("cannot deliver %T to the coordinator", m)
		}
		return
	}
	store := w.stores[p.to]
	switch m := p.msg.(type) {
	case *wire.ReadRequest:
		w.send(p.to, p.from, &wire.ReadResponse{OpID: m.OpID, Status: wire.StatusOK, Set: store[string(m.Key)]})
	case *wire.WriteRequest:
		merged, err := w.v.Merge(store[string(m.Key)], m.Set)
		if err != nil {
			t.Fatal(err)
		}
		store[string(m.Key)] = merged
		w.send(p.to, p.from, &wire.WriteAck{OpID: m.OpID, Status: wire.StatusOK})
	case *wire.ClientPut:
		// A forwarded put: the fake replica only acknowledges it.
		w.send(p.to, p.from, &wire.ClientReply{ReqID: m.ReqID, Status: wire.StatusOK})
	default:
		t.Fatalf("cannot deliver %T to a replica", m)
	}
}

func (w *world) send(from, to wire.Addr, m wire.Message) {
	w.queue = append(w.queue, pending{from: from, to: to, msg: m})
}

// flush prints the messages made pending since the last flush; client
// replies are taken off the queue as they are printed.
func (w *world) flush() string {
	for ; w.printed < len(w.queue); w.printed++ {
		p := &w.queue[w.printed]
		fmt.Fprintf(&w.out, "#%d %d->%d %s\n", w.printed+1, p.from, p.to, w.describe(p.msg))
		if r, ok := p.msg.(*wire.ClientReply); ok && p.to >= 100 {
			p.done = true
			if len(r.Context) > 0 {
				w.lastCtx = r.Context
			}
		}
	}
	s := w.out.String()
	w.out.Reset()
	return s
}

func (w *world) describe(m wire.Message) string {
	switch m := m.(type) {
	case *wire.ReadRequest:
		return fmt.Sprintf("read_request key=%s purpose=%v", m.Key, m.Purpose)
	case *wire.ReadResponse:
		return fmt.Sprintf("read_response status=%v %s", m.Status, describeSet(w.v, m.Set))
	case *wire.WriteRequest:
		hint := ""
		if m.HintFor != wire.None {
			hint = fmt.Sprintf(" hint_for=%d", m.HintFor)
		}
		return fmt.Sprintf("write_request key=%s purpose=%v%s %s", m.Key, m.Purpose, hint, describeSet(w.v, m.Set))
	case *wire.WriteAck:
		return fmt.Sprintf("write_ack status=%v", m.Status)
	case *wire.ClientPut:
		return fmt.Sprintf("client_put (forwarded) key=%s value=%s", m.Key, m.Value)
	case *wire.ClientReply:
		s := fmt.Sprintf("client_reply req=%d status=%v", m.ReqID, m.Status)
		if len(m.Values) > 0 {
			vals := make([]string, len(m.Values))
			for i, v := range m.Values {
				vals[i] = string(v)
			}
			slices.Sort(vals)
			s += " values=" + strings.Join(vals, ",")
		}
		if m.Error != "" {
			s += " error=" + strconv.Quote(m.Error)
		}
		return s
	}
	return fmt.Sprintf("%T", m)
}

// describeSet shows a set's live values, sorted: the content the scripts
// care about (versions are the versions package's business).
func describeSet(v *versions.Versioner, s wire.SiblingSet) string {
	vals := versions.Values(s, nil)
	out := make([]string, len(vals))
	for i, x := range vals {
		out[i] = string(x)
	}
	slices.Sort(out)
	return "{" + strings.Join(out, ",") + "}"
}

type fakeHost world

func (h *fakeHost) Now() time.Time                    { return h.now }
func (h *fakeHost) Send(to wire.Addr, m wire.Message) { (*world)(h).send(self, to, m) }
func (h *fakeHost) SetTick(d time.Duration)           { h.tick = d }
func (h *fakeHost) Stored(key []byte, _ uint64) (wire.SiblingSet, error) {
	return h.stores[self][string(key)], nil
}
func (h *fakeHost) ReadLocal(id uint64, key []byte, _ uint64) {
	set := h.stores[self][string(key)]
	h.locals = append(h.locals, func() { h.c.LocalRead(id, set, nil) })
}
func (h *fakeHost) WriteLocal(id uint64, key []byte, _ uint64, set wire.SiblingSet, replace bool) error {
	if !replace {
		merged, err := h.v.Merge(h.stores[self][string(key)], set)
		if err != nil {
			return err
		}
		set = merged
	}
	h.stores[self][string(key)] = set
	if id != 0 {
		h.locals = append(h.locals, func() { h.c.LocalAck(id, nil) })
	}
	return nil
}

// need parses a request's level: empty is DEFAULT.
func need(t *testing.T, d *datadriven.TestData, s string) wire.Need {
	if s == "" {
		return wire.Need{}
	}
	if n, err := strconv.Atoi(s); err == nil {
		return wire.Need{Level: wire.LevelCount, Count: uint8(n)}
	}
	l, err := wire.ParseLevel(strings.ToUpper(s))
	if err != nil {
		t.Fatalf("%s: %v", d.Pos, err)
	}
	return wire.Need{Level: l}
}

func scriptRing(n int) ring.Config {
	return ring.Config{VNodes: 16, Seed: 7, Placement: ring.Placement{N: n}}
}

// scriptView believes every node up but those the script says are down,
// over the ring version the script set.
type scriptView struct {
	m    *ring.Membership
	down map[wire.Addr]bool
}

func (v *scriptView) Membership() *ring.Membership     { return v.m }
func (v *scriptView) Up(a wire.Addr, _ time.Time) bool { return !v.down[a] }
func (*scriptView) Answered(wire.Addr, time.Time)      {}
func (*scriptView) Missed(wire.Addr, time.Time)        {}
