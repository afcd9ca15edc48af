// Package wire holds what travels between dynasim endpoints: addresses, the
// message kinds, the message types, the limits on their fields, and their
// compact binary codec (length-prefixed frames checked with CRC-32C).
//
// It is the one protocol both worlds share: the node logic (dynasim/node)
// builds and reads these messages, the simulated network
// (dynasim/sim/network) carries them between simulated endpoints, and a TCP
// transport carries the same frames between real ones.
//
// wire imports the standard library only, and it runs inside the node's
// event handlers, so it obeys the node's purity rules (internal/purity): no
// goroutines, channels, locks, wall-clock time, global randomness, os or net.
//
// Its error texts still begin "net: ", after the package's former name. A
// node copies an error's text into the reply it sends (ClientReply.Error,
// WriteAck.Error, ReadResponse.Error), so the text is part of the bytes a
// simulated run transmits and fingerprints: renaming it would change the
// fingerprint of every run that sends one.
package wire
