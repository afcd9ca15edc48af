package node

import (
	"fmt"
	"time"

	"dynasim/wire"
)

// The node reveals nothing that is not durable (unless Storage.AckBeforeSync
// says otherwise, to demonstrate what that costs). Every acknowledgement of a
// write and every answer that carries stored data — to another node or to
// this node's own coordinator — is deferred until the sync that covers the
// writes made so far. With Storage.SyncDelay 0 the sync happens at the end
// of the event, so deferral costs no virtual time; with a positive delay
// it happens when the group-commit window closes (or when MaxDeferred
// outputs are waiting).
//
// A host that offers SplitSyncEnv (the real one; never the simulation) gets
// the sync in two halves: the node writes the log out and hands the
// fsyncs to the host, which runs them off its event loop and answers with
// a SyncDoneEvent; the outputs that waited are released then. Meanwhile
// the node goes on handling events — their outputs wait for the next sync,
// begun when this one is done (pipelined group commit: one sync in flight,
// the writes behind it batching up) — so a busy node's event loop never
// stops for the disk. Nothing is revealed earlier than before: an output
// is released only after a sync that began after the write it depends on.

// deferred output kinds.
const (
	outSend      uint8 = iota + 1 // send msg to to
	outLocalRead                  // Coordinator.LocalRead(id, set, err)
	outLocalAck                   // Coordinator.LocalAck(id, err)
)

type deferred struct {
	kind uint8
	to   wire.Addr
	msg  wire.Message
	id   uint64
	set  wire.SiblingSet
	err  error
	// u, flag and ver carry a streamed chunk's progress (outStreamChunk).
	u    uint64
	flag bool
	ver  uint64
}

func (n *Node) push(d deferred) {
	n.deferred = append(n.deferred, d)
	if len(n.deferred) > n.stats.MaxDeferred {
		n.stats.MaxDeferred = len(n.deferred)
	}
}

// settle syncs if outputs wait for it (now, or when the group-commit
// window closes) and releases them. Releasing may make the coordinator act
// again (a local read completes a quorum, which starts a write-back), so
// it loops until nothing waits. windowClosed is true when the group-commit
// timer fired.
func (n *Node) settle(windowClosed bool) {
	st := &n.cfg.Storage
	if st.AckBeforeSync {
		n.settleAckBeforeSync(windowClosed)
		return
	}
	for len(n.deferred) > 0 {
		if n.splitPending != nil {
			// A split sync runs: what waits now waits for it (or, written
			// since, for the one after it), up to MaxDeferred outputs;
			// beyond that the node syncs here, covering all of them.
			if len(n.deferred) < st.MaxDeferred {
				return
			}
			n.stats.Syncs++
			if err := n.store.Sync(); err != nil {
				n.stats.SyncFailures++
				n.failDeferred(err)
			}
			n.splitCovered = 0
			n.releaseDeferred()
			continue
		}
		if n.store.Dirty() {
			if st.SyncDelay > 0 && !windowClosed && len(n.deferred) < st.MaxDeferred {
				if !n.syncArmed {
					n.syncGen++
					n.syncArmed = true
					n.env.SetTimer(st.SyncDelay, Timer{Kind: timerSync, ID: n.syncGen})
				}
				return
			}
			if n.split != nil && n.startSplitSync() {
				return
			}
			n.stats.Syncs++
			if err := n.store.Sync(); err != nil {
				n.stats.SyncFailures++
				n.failDeferred(err)
			}
		}
		n.releaseDeferred()
	}
}

// startSplitSync begins a sync whose fsyncs the host runs off its event
// loop (SplitSyncEnv): the outputs waiting now are released when its
// SyncDoneEvent arrives, while the node goes on handling events. It
// reports false when the node must sync here instead (the engine could not
// begin one: it failed, and Sync reports why) — or when nothing needed
// syncing after all, which releases the outputs at once.
func (n *Node) startSplitSync() bool {
	p, err := n.store.SyncStart()
	if err != nil {
		n.stats.SyncFailures++
		n.failDeferred(err)
		return false
	}
	if p == nil {
		return false
	}
	n.stats.Syncs++
	n.stats.SplitSyncs++
	n.splitID++
	n.splitPending = p
	n.splitCovered = len(n.deferred)
	n.split.StartSync(n.splitID, p.Run)
	return true
}

// splitSyncDone completes the split sync id: the outputs it covers are
// released (as failures if it failed); settle then deals with the rest.
func (n *Node) splitSyncDone(id uint64, runErr error) {
	if n.splitPending == nil || id != n.splitID {
		n.stats.StaleSyncDone++
		return
	}
	p, k := n.splitPending, n.splitCovered
	n.splitPending, n.splitCovered = nil, 0
	if err := n.store.SyncFinish(p, runErr); err != nil {
		n.stats.SyncFailures++
		failOutputs(n.deferred[:k], err)
	}
	n.releaseFirst(k)
}

// releaseFirst releases the k oldest waiting outputs; the rest keep
// waiting, ahead of any the releases defer.
func (n *Node) releaseFirst(k int) {
	if k == 0 {
		return
	}
	batch := n.deferred
	n.deferred = append(n.spare[:0], batch[k:]...)
	for i := range batch[:k] {
		n.release(&batch[i])
	}
	clear(batch)
	n.spare = batch[:0]
}

// releaseDeferred releases the outputs waiting now. Releasing may defer
// new ones (into the spare buffer, swapped in here so neither is
// reallocated); the callers loop until none wait.
func (n *Node) releaseDeferred() {
	batch := n.deferred
	n.deferred = n.spare[:0]
	for i := range batch {
		n.release(&batch[i])
	}
	clear(batch)
	n.spare = batch[:0]
}

// settleAckBeforeSync releases every output at once, durable or not, and
// keeps a periodic sync armed while the store holds unsynced writes; a
// failed periodic sync is counted (what it should have covered is already
// acknowledged).
func (n *Node) settleAckBeforeSync(periodElapsed bool) {
	for len(n.deferred) > 0 {
		n.releaseDeferred()
	}
	if periodElapsed && n.store.Dirty() {
		n.stats.Syncs++
		if err := n.store.Sync(); err != nil {
			n.stats.SyncFailures++
		}
	}
	if n.store.Dirty() && !n.syncArmed {
		n.syncGen++
		n.syncArmed = true
		n.env.SetTimer(n.cfg.Storage.SyncPeriod, Timer{Kind: timerSync, ID: n.syncGen})
	}
}

func (n *Node) release(d *deferred) {
	switch d.kind {
	case outSend:
		n.env.Send(d.to, d.msg)
	case outLocalRead:
		n.coord.LocalRead(d.id, d.set, d.err)
	case outLocalAck:
		n.coord.LocalAck(d.id, d.err)
	case outStreamChunk:
		n.streamProgress(d)
	}
}

// failDeferred turns every waiting output into a failure: the sync that
// should have covered them failed, so their writes may not be durable and
// their reads may show writes that are not.
func (n *Node) failDeferred(err error) { failOutputs(n.deferred, err) }

// failOutputs turns the outputs ds into failures (see failDeferred).
func failOutputs(ds []deferred, err error) {
	text := clip(err.Error())
	for i := range ds {
		d := &ds[i]
		switch d.kind {
		case outSend:
			switch m := d.msg.(type) {
			case *wire.WriteAck:
				if m.Status == wire.StatusOK {
					m.Status, m.Error = wire.StatusFailed, text
				}
			case *wire.ReadResponse:
				if m.Status == wire.StatusOK {
					m.Status, m.Error, m.Set = wire.StatusFailed, text, wire.SiblingSet{}
				}
			}
		case outStreamChunk:
			d.err = err
		case outLocalRead, outLocalAck:
			if d.err == nil {
				d.err = fmt.Errorf("node: %s", text)
				d.set = wire.SiblingSet{}
			}
		}
	}
}

// clip bounds an error text to what a message may carry.
func clip(s string) string {
	if len(s) > wire.MaxErrorBytes {
		return s[:wire.MaxErrorBytes]
	}
	return s
}

// host adapts a Node to coord.Host.
type host struct{ n *Node }

func (h host) Now() time.Time                    { return h.n.env.Now() }
func (h host) Send(to wire.Addr, m wire.Message) { h.n.env.Send(to, m) }

func (h host) SetTick(d time.Duration) {
	h.n.env.SetTimer(d, Timer{Kind: timerTick})
}

func (h host) Stored(key []byte, hash uint64) (wire.SiblingSet, error) {
	return h.n.store.Read(key, hash)
}

func (h host) ReadLocal(id uint64, key []byte, hash uint64) {
	set, err := h.n.store.Read(key, hash)
	h.n.push(deferred{kind: outLocalRead, id: id, set: set, err: err})
}

func (h host) WriteLocal(id uint64, key []byte, hash uint64, set wire.SiblingSet, replace bool) error {
	var err error
	if replace {
		err = h.n.store.Put(key, hash, set)
	} else {
		_, _, err = h.n.store.Merge(key, hash, set)
	}
	h.n.push(deferred{kind: outLocalAck, id: id, err: err})
	return err
}
