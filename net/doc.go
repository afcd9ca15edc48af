// Package net holds what travels between dynasim endpoints: addresses, the
// message kinds, the message types with their compact binary codec, and the
// models of the wire itself — the simulated network (latency distributions,
// loss, duplication, reordering, partitions, bandwidth) and, later, the TCP
// transport.
//
// The simulated network is a pure model: it decides whether and when a
// message sent at a given virtual time arrives, drawing from seeded streams
// it is given. The scheduler that actually delivers messages lives in sim.
package net
