package cluster

import (
	"errors"
	"fmt"
	"io"
	"time"

	"dynasim/checker/history"
	"dynasim/disk"
	"dynasim/net"
	"dynasim/node"
	"dynasim/node/versions"
	"dynasim/sim"
)

// ReplicaStates returns what every node holds for each key now, as the
// checkers' ReplicaState records (AtNs = now). For each key it lists every
// node of the key's replicas (the first n of its preference list; n = 0:
// the placement's count) — including those holding nothing — and any other
// node that holds something for it. A running node is read through its
// engine (memtable included); a crashed node is read from its disk's
// durable state, which is what it would recover.
func (c *Cluster) ReplicaStates(keys []string, n int) ([]history.ReplicaState, error) {
	at := int64(c.world.Now())
	readers := make([]func(key []byte) (net.SiblingSet, error), len(c.nodes))
	for i := range c.nodes {
		rd, closeFn, err := c.stateReader(i)
		if err != nil {
			return nil, err
		}
		defer closeFn()
		readers[i] = rd
	}
	var out []history.ReplicaState
	for _, k := range keys {
		key := []byte(k)
		prefs := c.Replicas(key, n)
		for i := range c.nodes {
			set, err := readers[i](key)
			if err != nil {
				return nil, fmt.Errorf("cluster: state of %q on %s: %w", k, c.nodes[i].member.Name, err)
			}
			if len(set.Siblings) == 0 && !contains(prefs, addrOf(i)) {
				continue
			}
			out = append(out, stateOf(at, k, addrOf(i), set))
		}
	}
	return out, nil
}

// stateReader returns a function reading node i's stored sets.
func (c *Cluster) stateReader(i int) (func([]byte) (net.SiblingSet, error), func(), error) {
	s := c.nodes[i]
	if s.ep.Up() && s.cur != nil {
		return s.cur.ReadLocal, func() {}, nil
	}
	// Opening the engine recovers it, which writes; work on a copy so
	// that looking leaves the crashed node's disk exactly as it was.
	fs, err := copyDisk(s.ep.Mem())
	if err != nil {
		return nil, nil, fmt.Errorf("cluster: copy the disk of crashed %s: %w", s.member.Name, err)
	}
	clock := func() time.Time { return s.ep.Clock().Read(c.world.Now()) }
	store, err := node.OpenStorage(c.cfg.Node, fs, clock)
	if err != nil {
		return nil, nil, fmt.Errorf("cluster: open the disk of crashed %s: %w", s.member.Name, err)
	}
	read := func(key []byte) (net.SiblingSet, error) { return store.Read(key, hashKey(key)) }
	return read, func() { store.Close() }, nil
}

// stateOf describes one replica's set: live value IDs, and every version
// as "actor:counter" ("…/del" for a tombstone).
func stateOf(at int64, key string, node net.Addr, set net.SiblingSet) history.ReplicaState {
	st := history.ReplicaState{AtNs: at, Key: key, Node: int32(node)}
	for i := range set.Siblings {
		s := &set.Siblings[i]
		v := fmt.Sprintf("%v:%d", s.Dot.Actor, s.Dot.Counter)
		if s.Tombstone {
			st.Tombstone = true
			v += "/del"
		} else {
			st.ValueIDs = append(st.ValueIDs, sim.ValueID(s.Value))
		}
		st.Versions = append(st.Versions, v)
	}
	return st
}

// Live returns the live values of a set as value IDs, for tests and tools.
func Live(set net.SiblingSet) []string {
	var ids []string
	for _, v := range versions.Values(set, nil) {
		ids = append(ids, sim.ValueID(v))
	}
	return ids
}

// copyDisk copies every file and directory of src into a fresh in-memory
// disk, synced (a crashed disk holds only durable data anyway).
func copyDisk(src *disk.MemFS) (*disk.MemFS, error) {
	dst, err := disk.NewMemFS(disk.MemFSConfig{SectorSize: src.Config().SectorSize})
	if err != nil {
		return nil, err
	}
	return dst, copyDir(src, dst, ".")
}

func copyDir(src, dst disk.FS, dir string) error {
	names, err := src.List(dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		p := name
		if dir != "." {
			p = dir + "/" + name
		}
		info, err := src.Stat(p)
		if err != nil {
			return err
		}
		if info.IsDir {
			if err := dst.MkdirAll(p); err != nil {
				return err
			}
			if err := copyDir(src, dst, p); err != nil {
				return err
			}
			continue
		}
		if err := copyFile(src, dst, p, info.Size); err != nil {
			return err
		}
	}
	d, err := dst.OpenDir(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func copyFile(src, dst disk.FS, name string, size int64) error {
	in, err := src.Open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	buf := make([]byte, size)
	if _, err := in.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	out, err := dst.Create(name)
	if err != nil {
		return err
	}
	defer out.Close()
	if _, err := out.Write(buf); err != nil {
		return err
	}
	return out.Sync()
}
