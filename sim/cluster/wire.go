package cluster

import (
	"fmt"

	"dynasim/node"
	"dynasim/wire"
)

// wireEnv is a node's Env with WireCheck on: what the node sends is
// encoded and decoded, and the decoded copy is sent.
type wireEnv struct {
	node.Env
	c   *Cluster
	buf []byte
}

func (e *wireEnv) Send(to wire.Addr, m wire.Message) {
	e.buf = m.AppendFrame(e.buf[:0])
	if len(e.buf) != m.Size() {
		e.c.noteWireErr(fmt.Errorf("cluster: %v encodes to %d bytes, Size says %d", m.Kind(), len(e.buf), m.Size()))
	}
	d, err := wire.Decode(e.buf)
	if err != nil {
		e.c.noteWireErr(fmt.Errorf("cluster: %v does not survive its wire round trip: %w", m.Kind(), err))
		return
	}
	e.c.wireCount++
	e.Env.Send(to, d)
}

func (c *Cluster) noteWireErr(err error) {
	if c.wireErr == nil {
		c.wireErr = err
	}
}

// WireChecked is how many messages travelled as decoded frames.
func (c *Cluster) WireChecked() uint64 { return c.wireCount }
