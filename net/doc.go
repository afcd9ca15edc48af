// Package net holds what travels between dynasim endpoints: addresses, the
// message kinds, the message types with their compact binary codec, and the
// models of the wire itself — the simulated network (latency distributions,
// loss, duplication, reordering, partitions, bandwidth) and, later, the TCP
// transport.
//
// The simulated network's latency models are dynasim/internal/dist specs
// (gonum distributions), so this package imports internal/dist and gonum in
// addition to the standard library — a deliberate departure from DESIGN.md's
// "std lib only" for net/: the latency distributions are part of the network
// model, and scenario files describe them with the same specs as disk
// latency and think times.
//
// The simulated network is a pure model: it decides whether and when a
// message sent at a given virtual time arrives, drawing from seeded streams
// it is given. The scheduler that actually delivers messages lives in sim.
package net
