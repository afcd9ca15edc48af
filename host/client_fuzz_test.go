package host

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzClientCommand feeds arbitrary command arrays (arguments separated by
// NUL bytes) to the client port's parser and dispatcher on a one-node
// cluster. It must never panic, always give one well-formed answer, and
// refuse what it does not know with a Redis error.
func FuzzClientCommand(f *testing.F) {
	for _, s := range []string{
		"PING", "ping\x00hello", "PING\x00a\x00b", "GET\x00k", "SET\x00k\x00v", "SET\x00k\x00v\x00EX\x0010",
		"DEL\x00k\x00j", "EXISTS\x00k", "VGET\x00k", "VSET\x00k\x00\x00v", "VSET\x00k\x00\xff\xfe\x00v",
		"CONSISTENCY\x00QUORUM", "CONSISTENCY\x000", "CONSISTENCY\x00one\x00all", "INFO", "QUIT",
		"GET", "GET\x00", "NOSUCH\x00x", "", "SET\x00" + strings.Repeat("k", 1100) + "\x00v",
	} {
		f.Add([]byte(s))
	}
	c := startHosts(f, 1)
	p := c.hosts[0].client
	f.Fuzz(func(t *testing.T, data []byte) {
		args := bytes.Split(data, []byte{0})
		if len(data) == 0 {
			args = nil
		}
		s := &session{}
		r := p.execute(s, args)
		switch r.kind {
		case '+', '-', ':', '$', '_', '*':
		default:
			t.Fatalf("answer of kind %q for %q", r.kind, args)
		}
		if r.kind == '-' && !strings.HasPrefix(r.str, "ERR ") && !strings.HasPrefix(r.str, "QUORUM ") && !strings.HasPrefix(r.str, "UNKNOWN ") {
			t.Fatalf("error %q has no Redis error prefix", r.str)
		}
		if len(args) > 0 {
			if _, known := arity[strings.ToUpper(string(args[0]))]; !known && !strings.HasPrefix(r.str, "ERR unknown command") {
				t.Fatalf("unknown command %q answered %q", args[0], r.str)
			}
		}
	})
}
