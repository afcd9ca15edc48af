package coord

import (
	"dynasim/wire"
)

// forward sends a put or delete this node may not coordinate (it is not a
// replica of the key) to the first replica believed up, and relays the
// answer. If every replica is suspected it tries the first anyway: the
// view may be wrong, and the alternative is certain failure.
func (c *Coordinator) forward(o *op, orig wire.Message) {
	now := c.host.Now()
	// Only a replica of the preference list may coordinate: a sloppy
	// quorum's fallbacks stand in for the replicas they name.
	primary := func(i int) wire.Addr {
		if h := o.hintFor[i]; h != wire.None {
			return h
		}
		return o.replicas[i]
	}
	o.kind, o.phase, o.target = opProxy, phaseForward, primary(0)
	for i := 0; i < o.n; i++ {
		if a := primary(i); a != c.self && c.view.Up(a, now) {
			o.target = a
			break
		}
	}
	var fwd wire.Message
	switch m := orig.(type) {
	case *wire.ClientPut:
		fwd = &wire.ClientPut{ReqID: o.id, ReplyTo: wire.None, Key: m.Key, Context: m.Context, Value: m.Value, N: m.N, W: m.W}
	case *wire.ClientDelete:
		fwd = &wire.ClientDelete{ReqID: o.id, ReplyTo: wire.None, Key: m.Key, Context: m.Context, N: m.N, W: m.W}
	}
	c.stats.Forwarded++
	c.host.Send(o.target, fwd)
	c.expireAfter(o)
}

// primaryUp reports whether the view believes some replica of o's
// preference list up (a replica that a sloppy quorum replaced by a fallback
// is one it believed down).
func (c *Coordinator) primaryUp(o *op) bool {
	now := c.host.Now()
	for i := 0; i < o.n; i++ {
		if o.hintFor[i] == wire.None && o.replicas[i] != c.self && c.view.Up(o.replicas[i], now) {
			return true
		}
	}
	return false
}

// HandleClientReply relays a replica's answer to a forwarded request.
func (c *Coordinator) HandleClientReply(from wire.Addr, m *wire.ClientReply) {
	o := c.ops[m.ReqID]
	if o == nil || o.kind != opProxy || from != o.target {
		c.stats.Stray++
		return
	}
	c.view.Answered(from, c.host.Now())
	c.reply(o, &wire.ClientReply{Status: m.Status, Error: m.Error, Values: m.Values, Context: m.Context})
	c.finish(o)
}
