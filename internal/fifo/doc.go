// Package fifo is a first-in first-out queue on one slice: items are
// appended at the back and taken from a head index at the front, and the
// consumed prefix is reclaimed by copying the pending items down once it
// makes up half the slice, so each item costs amortised O(1) and a queue
// in steady state (as many pushes as pops) does not allocate.
//
// The scheduler's lanes, the coordinator's request-expiry queues and the
// simulated client's list of issued requests are such queues; they used to
// be three copies of the same head-index code.
package fifo
