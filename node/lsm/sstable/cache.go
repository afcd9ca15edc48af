package sstable

// Cache is a bounded LRU cache of data blocks shared by all readers of an
// engine. Keys are (file number, block offset); file numbers are never
// reused, so entries of deleted tables are harmless and simply age out.
// Blocks handed out stay valid after eviction (they are never reused).
type Cache struct {
	capacity int64
	used     int64
	m        map[cacheKey]*cacheEntry
	lru      cacheEntry // sentinel: lru.next is most recent
	free     *cacheEntry
	hits     uint64
	misses   uint64
}

type cacheKey struct{ file, off uint64 }

type cacheEntry struct {
	key        cacheKey
	block      []byte
	prev, next *cacheEntry
}

// NewCache returns a cache holding at most capacityBytes of blocks; 0
// disables caching.
func NewCache(capacityBytes int64) *Cache {
	c := &Cache{capacity: capacityBytes, m: make(map[cacheKey]*cacheEntry)}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	return c
}

func (c *Cache) unlink(e *cacheEntry) {
	e.prev.next = e.next
	e.next.prev = e.prev
}

func (c *Cache) pushFront(e *cacheEntry) {
	e.next = c.lru.next
	e.prev = &c.lru
	c.lru.next.prev = e
	c.lru.next = e
}

func (c *Cache) get(file, off uint64) ([]byte, bool) {
	e, ok := c.m[cacheKey{file, off}]
	if !ok {
		c.misses++
		return nil, false
	}
	c.hits++
	c.unlink(e)
	c.pushFront(e)
	return e.block, true
}

func (c *Cache) put(file, off uint64, block []byte) {
	size := int64(len(block))
	if size > c.capacity/8 {
		return // one block may not flush most of the cache
	}
	k := cacheKey{file, off}
	if _, ok := c.m[k]; ok {
		return
	}
	for c.used+size > c.capacity && c.lru.prev != &c.lru {
		old := c.lru.prev
		c.unlink(old)
		delete(c.m, old.key)
		c.used -= int64(len(old.block))
		old.block = nil
		old.next = c.free
		c.free = old
	}
	e := c.free
	if e != nil {
		c.free = e.next
	} else {
		e = &cacheEntry{}
	}
	e.key, e.block = k, block
	c.pushFront(e)
	c.m[k] = e
	c.used += size
}

// CacheStats are the cache's counters.
type CacheStats struct {
	Hits, Misses uint64
	UsedBytes    int64
	Blocks       int
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	return CacheStats{Hits: c.hits, Misses: c.misses, UsedBytes: c.used, Blocks: len(c.m)}
}
