package node

import (
	"dynasim/node/replica"
	"dynasim/node/ring"
	"dynasim/wire"
)

// serveRead answers a coordinator's read with the stored set, once
// everything written so far is durable.
func (n *Node) serveRead(from wire.Addr, m *wire.ReadRequest) {
	n.stats.ReplicaReads++
	if h := ring.HashKey(m.Key); n.unreceived(h) {
		// A range this node gains and has not received yet: what it
		// holds of the key may be missing acknowledged writes.
		n.stats.Stream.ReadsRefused++
		n.env.Send(from, &wire.ReadResponse{OpID: m.OpID, Status: wire.StatusFailed, Error: "range not received yet"})
		return
	}
	set, err := n.store.Read(m.Key, ring.HashKey(m.Key))
	if err == nil && n.hh != nil {
		set = n.withHints(m.Key, set)
	}
	resp := n.readResponses.New()
	*resp = wire.ReadResponse{OpID: m.OpID, Status: wire.StatusOK, Set: set}
	if err != nil {
		resp.Status, resp.Error, resp.Set = wire.StatusFailed, clip(err.Error()), wire.SiblingSet{}
	}
	n.push(deferred{kind: outSend, to: from, msg: resp})
}

// serveWrite merges a coordinator's set into the stored one and
// acknowledges once the result is durable. A refused set (malformed, or
// over the sibling limit) is a bad request; anything else that fails is a
// failure.
func (n *Node) serveWrite(from wire.Addr, m *wire.WriteRequest) {
	n.stats.ReplicaWrites++
	if n.serveHandoff(from, m) {
		return
	}
	if n.hh != nil && m.HintFor != wire.None && m.HintFor != n.self && m.Purpose != wire.PurposeHandoff {
		// A sloppy quorum's fallback: keep the write as a hint.
		n.storeHint(from, m)
		return
	}
	h := ring.HashKey(m.Key)
	if n.cleanup != nil && !n.view.Membership().InPreferenceList(n.self, h) {
		n.abortCleanup()
	}
	_, _, err := n.store.Merge(m.Key, h, m.Set)
	ack := n.writeAcks.New()
	*ack = wire.WriteAck{OpID: m.OpID, Status: wire.StatusOK}
	if err != nil {
		ack.Status, ack.Error = wire.StatusFailed, clip(err.Error())
		if replica.Refused(err) {
			ack.Status = wire.StatusBadRequest
		}
	}
	n.push(deferred{kind: outSend, to: from, msg: ack})
}
