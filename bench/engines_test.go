package bench

import (
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// Shared knobs so that the engines are compared like for like.
const (
	cacheBytes    = 8 << 20
	memtableBytes = 4 << 20
	bloomBits     = 10
)

// store is the slice of an engine's API the workloads use.
type store interface {
	put(k, v []byte, sync bool) error
	// writeBatch writes the pairs atomically and syncs.
	writeBatch(keys, vals [][]byte) error
	// get returns the length of the value stored under k.
	get(k []byte) (int, error)
	// settle flushes memtables and waits until background work is done.
	settle() error
	close() error
}

type engine struct {
	name string
	open func(dir string) (store, error)
}

var engines = []engine{
	{"dynasim", openDynasim},
	{"pebble", openPebble},
	{"goleveldb", openGoleveldb},
}

// ---- Pebble ----

type pebbleStore struct {
	db    *pebble.DB
	cache interface{ Unref() }
}

func openPebble(dir string) (store, error) {
	c := pebble.NewCache(cacheBytes)
	o := &pebble.Options{Cache: c, MemTableSize: memtableBytes, Logger: quietLogger{}}
	for i := range o.Levels {
		o.Levels[i].FilterPolicy = bloom.FilterPolicy(bloomBits)
	}
	db, err := pebble.Open(dir, o)
	if err != nil {
		c.Unref()
		return nil, err
	}
	return &pebbleStore{db: db, cache: c}, nil
}

func (s *pebbleStore) put(k, v []byte, sync bool) error {
	if sync {
		return s.db.Set(k, v, pebble.Sync)
	}
	return s.db.Set(k, v, pebble.NoSync)
}

func (s *pebbleStore) writeBatch(keys, vals [][]byte) error {
	b := s.db.NewBatch()
	for i := range keys {
		if err := b.Set(keys[i], vals[i], nil); err != nil {
			return err
		}
	}
	return b.Commit(pebble.Sync)
}

func (s *pebbleStore) get(k []byte) (int, error) {
	v, closer, err := s.db.Get(k)
	if err != nil {
		return 0, err
	}
	n := len(v)
	return n, closer.Close()
}

func (s *pebbleStore) settle() error {
	if err := s.db.Flush(); err != nil {
		return err
	}
	// Wait for the compactions the fill started, so the timed reads do not
	// compete with them for the CPU.
	for quiet := 0; quiet < 3; {
		time.Sleep(100 * time.Millisecond)
		m := s.db.Metrics()
		if m.Compact.NumInProgress == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
	return nil
}

func (s *pebbleStore) close() error {
	err := s.db.Close()
	s.cache.Unref()
	return err
}

// ---- goleveldb ----

type leveldbStore struct {
	db  *leveldb.DB
	dir string
}

func openGoleveldb(dir string) (store, error) {
	db, err := openLeveldbDB(dir)
	if err != nil {
		return nil, err
	}
	return &leveldbStore{db: db, dir: dir}, nil
}

func openLeveldbDB(dir string) (*leveldb.DB, error) {
	return leveldb.OpenFile(dir, &opt.Options{
		BlockCacheCapacity: cacheBytes,
		WriteBuffer:        memtableBytes,
		Filter:             filter.NewBloomFilter(bloomBits),
	})
}

func (s *leveldbStore) put(k, v []byte, sync bool) error {
	return s.db.Put(k, v, &opt.WriteOptions{Sync: sync})
}

func (s *leveldbStore) writeBatch(keys, vals [][]byte) error {
	var b leveldb.Batch
	for i := range keys {
		b.Put(keys[i], vals[i])
	}
	return s.db.Write(&b, &opt.WriteOptions{Sync: true})
}

func (s *leveldbStore) get(k []byte) (int, error) {
	v, err := s.db.Get(k, nil)
	return len(v), err
}

func (s *leveldbStore) settle() error {
	// goleveldb has no explicit flush (CompactRange over the whole key space
	// would also rewrite every level); reopening flushes the recovered
	// memtable to a table, as a flush would.
	if err := s.db.Close(); err != nil {
		return err
	}
	db, err := openLeveldbDB(s.dir)
	if err != nil {
		return err
	}
	s.db = db
	last := uint32(0)
	for quiet := 0; quiet < 3; {
		time.Sleep(100 * time.Millisecond)
		var st leveldb.DBStats
		if err := s.db.Stats(&st); err != nil {
			return err
		}
		n := st.MemComp + st.Level0Comp + st.NonLevel0Comp
		if n == last {
			quiet++
		} else {
			quiet, last = 0, n
		}
	}
	return nil
}

func (s *leveldbStore) close() error { return s.db.Close() }

var errShortValue = errors.New("bench: value has the wrong length")

func checkLen(n int) error {
	if n != valueSize {
		return fmt.Errorf("%w: %d", errShortValue, n)
	}
	return nil
}

// quietLogger drops Pebble's informational log lines.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
