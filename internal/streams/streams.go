// Package streams derives independent, named random streams from one master
// seed. Each stream is a PCG generator (math/rand/v2) seeded from a hash of the
// master seed and the stream's name, so adding an actor — a node, a client, a
// link, a disk — never shifts the draws of the others, and creating streams
// lazily in any order yields the same numbers.
package streams

import (
	"hash/fnv"
	"math/rand/v2"
)

// Source hands out named streams derived from one master seed.
type Source struct {
	master uint64
}

// New returns a Source for the master seed.
func New(master uint64) Source { return Source{master: master} }

// Master returns the master seed.
func (s Source) Master() uint64 { return s.master }

// Seeds returns the two PCG seed words of the named stream.
func (s Source) Seeds(name string) (uint64, uint64) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	n := h.Sum64()
	return mix(s.master ^ n), mix(s.master + 0x9e3779b97f4a7c15*(n|1))
}

// Stream returns a fresh generator for the named stream. Two calls with the
// same name return generators that produce the same sequence.
func (s Source) Stream(name string) *rand.Rand {
	a, b := s.Seeds(name)
	return rand.New(rand.NewPCG(a, b))
}

// mix is SplitMix64's finaliser: a bijection that spreads every input bit
// over the whole word.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
