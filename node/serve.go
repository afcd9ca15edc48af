package node

import (
	"dynasim/net"
	"dynasim/node/replica"
	"dynasim/node/ring"
)

// serveRead answers a coordinator's read with the stored set, once
// everything written so far is durable.
func (n *Node) serveRead(from net.Addr, m *net.ReadRequest) {
	n.stats.ReplicaReads++
	set, err := n.store.Read(m.Key, ring.HashKey(m.Key))
	resp := n.readResponses.New()
	*resp = net.ReadResponse{OpID: m.OpID, Status: net.StatusOK, Set: set}
	if err != nil {
		resp.Status, resp.Error, resp.Set = net.StatusFailed, clip(err.Error()), net.SiblingSet{}
	}
	n.push(deferred{kind: outSend, to: from, msg: resp})
}

// serveWrite merges a coordinator's set into the stored one and
// acknowledges once the result is durable. A refused set (malformed, or
// over the sibling limit) is a bad request; anything else that fails is a
// failure.
func (n *Node) serveWrite(from net.Addr, m *net.WriteRequest) {
	n.stats.ReplicaWrites++
	_, _, err := n.store.Merge(m.Key, ring.HashKey(m.Key), m.Set)
	ack := n.writeAcks.New()
	*ack = net.WriteAck{OpID: m.OpID, Status: net.StatusOK}
	if err != nil {
		ack.Status, ack.Error = net.StatusFailed, clip(err.Error())
		if replica.Refused(err) {
			ack.Status = net.StatusBadRequest
		}
	}
	n.push(deferred{kind: outSend, to: from, msg: ack})
}
