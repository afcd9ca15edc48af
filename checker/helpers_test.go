package checker

import (
	"dynasim/history"
)

// hb builds hand-written histories: each call appends one operation with the
// next ID. Times are in nanoseconds.
type hb struct{ h history.History }

func (b *hb) add(o history.Op) *hb {
	o.ID = uint64(len(b.h.Ops)) + 1
	if o.Outcome == 0 {
		o.Outcome = history.OK
	}
	b.h.Ops = append(b.h.Ops, o)
	return b
}

func (b *hb) put(client int, key, v string, ctx []string, inv, ret int64) *hb {
	return b.add(history.Op{Client: client, Kind: history.Put, Key: key, Value: v, Context: ctx, InvokeNs: inv, ReturnNs: ret})
}

func (b *hb) putOutcome(client int, key, v string, ctx []string, inv, ret int64, out history.Outcome) *hb {
	return b.add(history.Op{Client: client, Kind: history.Put, Key: key, Value: v, Context: ctx, InvokeNs: inv, ReturnNs: ret, Outcome: out})
}

func (b *hb) del(client int, key string, ctx []string, inv, ret int64) *hb {
	return b.add(history.Op{Client: client, Kind: history.Delete, Key: key, Context: ctx, InvokeNs: inv, ReturnNs: ret})
}

func (b *hb) get(client int, key string, vals []string, inv, ret int64) *hb {
	return b.add(history.Op{Client: client, Kind: history.Get, Key: key, Values: vals, InvokeNs: inv, ReturnNs: ret})
}

func (b *hb) getOutcome(client int, key string, inv, ret int64, out history.Outcome) *hb {
	return b.add(history.Op{Client: client, Kind: history.Get, Key: key, InvokeNs: inv, ReturnNs: ret, Outcome: out})
}

func (b *hb) final(key string, vals []string, inv, ret int64) *hb {
	return b.add(history.Op{Client: 0, Kind: history.Get, Key: key, Values: vals, InvokeNs: inv, ReturnNs: ret, Final: true})
}

func (b *hb) history() *history.History { return &b.h }

func ids(s ...string) []string { return s }
