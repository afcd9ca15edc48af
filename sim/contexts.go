package sim

// cachedContext is the context of a client's last successful read of a key.
type cachedContext struct {
	ctx []byte
	ids []string
}

// contextCache holds a client's cached contexts by key index. When the
// workload's clients times keys fit maxDenseContexts, each client keeps a
// table indexed by key, which a put reads and a get writes with one
// indexed access; beyond that, a map holds only the keys the client
// actually read, so memory stays bounded by what it touched.
type contextCache struct {
	keys   int // table size; 0: use the map
	dense  []cachedContext
	sparse map[int32]cachedContext
}

// maxDenseContexts bounds clients x keys for per-client tables (48 bytes
// each: at most 48 MiB across all clients).
const maxDenseContexts = 1 << 20

func newContextCache(keys, clients int) contextCache {
	if keys*clients <= maxDenseContexts {
		return contextCache{keys: keys}
	}
	return contextCache{sparse: map[int32]cachedContext{}}
}

func (c *contextCache) get(key int32) cachedContext {
	if c.keys > 0 {
		if c.dense == nil {
			return cachedContext{}
		}
		return c.dense[key]
	}
	return c.sparse[key]
}

func (c *contextCache) put(key int32, cc cachedContext) {
	if c.keys > 0 {
		if c.dense == nil { // on first use: clients that never read need none
			c.dense = make([]cachedContext, c.keys)
		}
		c.dense[key] = cc
		return
	}
	c.sparse[key] = cc
}
