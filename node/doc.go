// Package node is the Dynamo node: a single-threaded state machine driven by
// events (messages, timers) that touches the world only through the Env it is
// given. Nothing under node/ knows whether it runs in the simulator or in a
// real deployment; it uses no goroutines, channels, locks, wall-clock time,
// global random numbers, os or net — a lint test (purity_test.go) enforces it.
//
// This file set holds the contract between a node and its host (Env, Event,
// Timer, Process). The parts of the node live in sub-packages.
package node
