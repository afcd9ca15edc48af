package network

import "dynasim/wire"

// Counts counts what a Network did with the messages given to
// Transmit. Every message is Sent; Cut ones met a partition at send time,
// Lost ones were lost in flight; Duplicated ones arrive twice. So the copies
// scheduled for delivery number Sent - Cut - Lost + Duplicated. Messages that
// the scheduler drops at delivery, because a partition started while they
// were in flight, are counted by the scheduler, not here.
type Counts struct {
	Sent       uint64 `json:"sent" yaml:"sent"`
	SentBytes  uint64 `json:"sent_bytes" yaml:"sent_bytes"`
	Lost       uint64 `json:"lost" yaml:"lost"`
	Duplicated uint64 `json:"duplicated" yaml:"duplicated"`
	Cut        uint64 `json:"cut" yaml:"cut"`
}

// KindStats are the counts for one message kind.
type KindStats struct {
	Kind   wire.Kind `json:"kind" yaml:"kind"`
	Name   string    `json:"name" yaml:"name"` // wire.Kind.String()
	Counts `yaml:",inline"`
}

// Stats are a Network's counts, in total and per kind.
type Stats struct {
	Total Counts `json:"total" yaml:"total"`
	// Kinds lists every kind sent at least once, in ascending Kind order.
	Kinds []KindStats `json:"kinds" yaml:"kinds"`
}

func (c *Counts) add(o Counts) {
	c.Sent += o.Sent
	c.SentBytes += o.SentBytes
	c.Lost += o.Lost
	c.Duplicated += o.Duplicated
	c.Cut += o.Cut
}

// Stats returns a snapshot of the counts.
func (n *Network) Stats() Stats {
	var s Stats
	for k := range n.counts {
		c := n.counts[k]
		if c.Sent == 0 {
			continue
		}
		s.Total.add(c)
		s.Kinds = append(s.Kinds, KindStats{Kind: wire.Kind(k), Name: wire.Kind(k).String(), Counts: c})
	}
	return s
}
