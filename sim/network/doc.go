// Package network is the simulated network: a pure model of the wire
// between simulated endpoints that decides whether and when a message sent
// at a given virtual time arrives — latency distributions per link,
// datacenter pair and message kind, loss, duplication, reordering or FIFO
// delivery, partitions (symmetric, one-way, datacenter, isolation) and
// bandwidth.
//
// It draws from seeded streams it is given, one per directed link, so a run
// replays exactly from its seed. It has no scheduler: the world in
// dynasim/sim asks it when a message arrives and delivers it. The messages
// themselves, their kinds and addresses, are package dynasim/wire's.
//
// The latency models are dynasim/internal/dist specs (gonum distributions),
// the same specs scenario files use for disk latency and think times. That
// is why the network lives under sim/ and not beside the wire protocol: the
// node imports wire, and must not pull in gonum.
package network
