package replica

import (
	"dynasim/wire"
)

// rowCache keeps decoded sibling sets of recently used keys, so that the
// reads and merges of hot keys skip the engine lookup and the decoding (a
// row cache, as in Cassandra). It is write-through: Store.Put updates it
// with exactly what it gives the engine, so it always agrees with what the
// engine would return. It dies with the process, like the memtable.
//
// Cached sets are shared: callers treat sets as immutable, as everything
// in node/ does (versions never modifies its inputs).
//
// Eviction is CLOCK (second chance) over a fixed slot array, bounded by
// the encoded bytes of the cached sets; it is deterministic because it
// never iterates the map.
type rowCache struct {
	maxBytes int64
	bytes    int64
	index    map[string]int32
	slots    []cacheSlot
	free     []int32
	hand     int
	hits     uint64
	misses   uint64
}

type cacheSlot struct {
	key  string
	set  wire.SiblingSet
	size int64
	used bool // referenced since the hand last passed
	live bool
}

func newRowCache(maxBytes int64) *rowCache {
	if maxBytes <= 0 {
		return nil
	}
	return &rowCache{maxBytes: maxBytes, index: map[string]int32{}}
}

func (c *rowCache) get(key []byte) (wire.SiblingSet, bool) {
	i, ok := c.index[string(key)]
	if !ok {
		c.misses++
		return wire.SiblingSet{}, false
	}
	c.hits++
	s := &c.slots[i]
	s.used = true
	return s.set, true
}

// put caches set (whose encoding is size bytes) under key.
func (c *rowCache) put(key []byte, set wire.SiblingSet, size int) {
	sz := int64(size) + int64(len(key)) + slotOverhead
	if sz > c.maxBytes/4 {
		c.drop(key) // too large to be worth it; never keep a stale entry
		return
	}
	if i, ok := c.index[string(key)]; ok {
		s := &c.slots[i]
		c.bytes += sz - s.size
		s.set, s.size, s.used = set, sz, true
		c.evict()
		return
	}
	c.bytes += sz
	c.evict()
	var i int32
	if n := len(c.free); n > 0 {
		i, c.free = c.free[n-1], c.free[:n-1]
	} else {
		i = int32(len(c.slots))
		c.slots = append(c.slots, cacheSlot{})
	}
	k := string(key)
	c.slots[i] = cacheSlot{key: k, set: set, size: sz, used: true, live: true}
	c.index[k] = i
}

// slotOverhead approximates a cached entry's memory beyond its encoding.
const slotOverhead = 96

func (c *rowCache) drop(key []byte) {
	if i, ok := c.index[string(key)]; ok {
		c.remove(i)
	}
}

func (c *rowCache) remove(i int32) {
	s := &c.slots[i]
	delete(c.index, s.key)
	c.bytes -= s.size
	*s = cacheSlot{}
	c.free = append(c.free, i)
}

// evict frees slots until the cache fits, giving recently used entries a
// second chance.
func (c *rowCache) evict() {
	for c.bytes > c.maxBytes && len(c.index) > 0 {
		if c.hand >= len(c.slots) {
			c.hand = 0
		}
		s := &c.slots[c.hand]
		switch {
		case !s.live:
		case s.used:
			s.used = false
		default:
			c.remove(int32(c.hand))
		}
		c.hand++
	}
}

// clear empties the cache (its hit and miss counts stay).
func (c *rowCache) clear() {
	if c == nil {
		return
	}
	clear(c.index)
	c.slots, c.free, c.hand, c.bytes = c.slots[:0], c.free[:0], 0, 0
}
