package replica

import (
	"errors"
	"maps"
)

// mapEngine is a test double: a map with a durable copy taken at Sync, so
// tests can model a crash that loses unsynced writes.
type mapEngine struct {
	cur, durable map[string][]byte
	syncErr      error
	getErr       error
	syncs        int
}

func newMapEngine() *mapEngine {
	return &mapEngine{cur: map[string][]byte{}, durable: map[string][]byte{}}
}

func (e *mapEngine) Get(key []byte) ([]byte, bool, error) {
	if e.getErr != nil {
		return nil, false, e.getErr
	}
	v, ok := e.cur[string(key)]
	return v, ok, nil
}

func (e *mapEngine) Put(key, value []byte) error {
	e.cur[string(key)] = append([]byte(nil), value...)
	return nil
}

func (e *mapEngine) Sync() error {
	if e.syncErr != nil {
		return e.syncErr
	}
	e.syncs++
	e.durable = maps.Clone(e.cur)
	return nil
}

func (e *mapEngine) crash() { e.cur = maps.Clone(e.durable) }

func (e *mapEngine) Maintain(int64) (bool, error) { return false, nil }
func (e *mapEngine) Close() error                 { return nil }

var errDisk = errors.New("disk on fire")
