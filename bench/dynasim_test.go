package bench

import (
	"time"

	"dynasim/disk"
	"dynasim/node/lsm"
)

// dynasimStore runs the engine the way a simple program would: on the OS
// filesystem, with inline maintenance (flushes and compactions run inside
// the write that crosses a threshold) and group commit (a synced write is
// a write followed by Sync).
type dynasimStore struct {
	db    *lsm.DB
	batch *lsm.Batch
}

func openDynasim(dir string) (store, error) {
	fs, err := disk.NewOS(dir)
	if err != nil {
		return nil, err
	}
	db, err := lsm.Open(fs, "db", lsm.Options{
		Now:                 time.Now,
		Sync:                lsm.SyncGroupCommit,
		InlineMaintenance:   true,
		MemtableSizeBytes:   memtableBytes,
		BlockCacheSizeBytes: cacheBytes,
		BloomBitsPerKey:     bloomBits,
	})
	if err != nil {
		return nil, err
	}
	return &dynasimStore{db: db, batch: lsm.NewBatch()}, nil
}

func (s *dynasimStore) put(k, v []byte, sync bool) error {
	if err := s.db.Put(k, v); err != nil {
		return err
	}
	if sync {
		return s.db.Sync()
	}
	return nil
}

func (s *dynasimStore) writeBatch(keys, vals [][]byte) error {
	s.batch.Reset()
	for i := range keys {
		s.batch.Put(keys[i], vals[i])
	}
	if err := s.db.Apply(s.batch); err != nil {
		return err
	}
	return s.db.Sync()
}

func (s *dynasimStore) get(k []byte) (int, error) {
	v, err := s.db.Get(k)
	return len(v), err
}

func (s *dynasimStore) settle() error {
	if err := s.db.Flush(); err != nil {
		return err
	}
	for s.db.NeedsMaintenance() {
		if _, err := s.db.Maintain(1 << 40); err != nil {
			return err
		}
	}
	return nil
}

func (s *dynasimStore) close() error { return s.db.Close() }
