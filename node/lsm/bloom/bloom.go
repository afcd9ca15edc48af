package bloom

import (
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	blockBytes = 64
	blockBits  = blockBytes * 8
	// trailerLen is the probe-count byte plus the uint32 block count.
	trailerLen = 5
	// MaxProbes bounds the probes per key: more than a block's worth of
	// 9-bit positions from two 64-bit words would repeat bits.
	MaxProbes = 14
	// MaxBitsPerKey bounds the configurable density.
	MaxBitsPerKey = 64
	// MaxKeys bounds the keys in one filter so its size fits the uint32
	// block count with room to spare.
	MaxKeys = 1 << 30
)

// ErrBadFilter reports a filter whose shape is impossible.
var ErrBadFilter = errors.New("bloom: malformed filter")

// Probes returns the number of probes used for bitsPerKey: about
// bitsPerKey*ln2, one lower than the classic optimum because blocking makes
// extra probes cost more than they save (6 for the default 10 bits).
func Probes(bitsPerKey int) int {
	k := bitsPerKey * 69 / 100
	if k > 1 {
		k--
	}
	return max(1, min(k, MaxProbes))
}

// Build returns a filter over the given key hashes at bitsPerKey bits per
// key, appended to dst.
func Build(dst []byte, hashes []uint64, bitsPerKey int) ([]byte, error) {
	if bitsPerKey < 1 || bitsPerKey > MaxBitsPerKey {
		return nil, fmt.Errorf("bloom: %d bits per key is outside [1, %d]", bitsPerKey, MaxBitsPerKey)
	}
	if len(hashes) > MaxKeys {
		return nil, fmt.Errorf("bloom: %d keys is over the limit of %d", len(hashes), MaxKeys)
	}
	nBlocks := (len(hashes)*bitsPerKey + blockBits - 1) / blockBits
	nBlocks = max(nBlocks, 1)
	k := Probes(bitsPerKey)
	start := len(dst)
	dst = append(dst, make([]byte, nBlocks*blockBytes+trailerLen)...)
	bits := dst[start : start+nBlocks*blockBytes]
	for _, h := range hashes {
		blk := bits[blockIndex(h, nBlocks)*blockBytes:][:blockBytes]
		p := probeBits(h)
		for i := 0; i < k; i++ {
			if i == 7 {
				p = probeBits2(h)
			}
			bit := uint(p & (blockBits - 1))
			blk[bit>>3] |= 1 << (bit & 7)
			p >>= 9
		}
	}
	dst[start+nBlocks*blockBytes] = byte(k)
	binary.LittleEndian.PutUint32(dst[start+nBlocks*blockBytes+1:], uint32(nBlocks))
	return dst, nil
}

// blockIndex maps h onto [0, n) without a division (Lemire's fast range
// reduction on the high 32 bits).
func blockIndex(h uint64, n int) int {
	return int((h >> 32) * uint64(n) >> 32)
}

// probeBits derives the probe positions, re-mixed so that they are
// independent of the bits that chose the block.
func probeBits(h uint64) uint64 { return avalanche(h ^ 0x6a09e667f3bcc909) }

// probeBits2 gives the positions of probes 8 and up.
func probeBits2(h uint64) uint64 { return avalanche(h + 0xbb67ae8584caa73b) }

// Filter is a decoded filter. It references the bytes it was decoded from.
type Filter struct {
	bits    []byte
	nBlocks int
	probes  int
}

// Decode validates and wraps an encoded filter.
func Decode(b []byte) (Filter, error) {
	if len(b) < trailerLen+blockBytes {
		return Filter{}, fmt.Errorf("%w: %d bytes is shorter than one block", ErrBadFilter, len(b))
	}
	k := int(b[len(b)-trailerLen])
	n := binary.LittleEndian.Uint32(b[len(b)-trailerLen+1:])
	if k < 1 || k > MaxProbes {
		return Filter{}, fmt.Errorf("%w: %d probes is outside [1, %d]", ErrBadFilter, k, MaxProbes)
	}
	if uint64(n)*blockBytes+trailerLen != uint64(len(b)) {
		return Filter{}, fmt.Errorf("%w: %d blocks do not fill %d bytes", ErrBadFilter, n, len(b))
	}
	return Filter{bits: b[:len(b)-trailerLen], nBlocks: int(n), probes: k}, nil
}

// MayContain reports whether a key with hash h may be in the set; false
// means it certainly is not.
func (f Filter) MayContain(h uint64) bool {
	blk := f.bits[blockIndex(h, f.nBlocks)*blockBytes:][:blockBytes]
	p := probeBits(h)
	for i := 0; i < f.probes; i++ {
		if i == 7 {
			p = probeBits2(h)
		}
		bit := uint(p & (blockBits - 1))
		if blk[bit>>3]&(1<<(bit&7)) == 0 {
			return false
		}
		p >>= 9
	}
	return true
}

// SizeBytes is the encoded size of the filter.
func (f Filter) SizeBytes() int { return len(f.bits) + trailerLen }
