package cluster

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"dynasim/disk"
	"dynasim/history"
	"dynasim/node"
	"dynasim/node/versions"
	"dynasim/sim"
	"dynasim/wire"
)

// ReplicaStates returns what every node holds for each key now, as the
// checkers' ReplicaState records (AtNs = now; Node is the member's index,
// see Index). For each key it lists every node of the key's replicas in the
// ring version in force now (RingAt: the first n of its preference list;
// n = 0: the placement's count) — including those holding nothing — and any
// other node that holds something for it. A running node is read through its
// engine (memtable included); a crashed node is read from its disk's
// durable state, which is what it would recover.
func (c *Cluster) ReplicaStates(keys []string, n int) ([]history.ReplicaState, error) {
	out := make([]history.ReplicaState, 0, len(keys)*max(n, 1))
	err := c.eachReplicaState(keys, n, false, func(st history.ReplicaState) error {
		out = append(out, st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachReplicaState passes ReplicaStates' records to emit one by one. With
// scratch set, their lists are scratch buffers overwritten by the next
// record, for an emit that copies what it keeps (Recorder.AddReplicaState),
// so that a probe allocates nothing per record.
func (c *Cluster) eachReplicaState(keys []string, n int, scratch bool, emit func(history.ReplicaState) error) error {
	at := int64(c.world.Now())
	m := c.RingAt(c.world.Now())
	readers := make([]func(key []byte) (wire.SiblingSet, error), len(c.nodes))
	for i, s := range c.nodes {
		if s.spare || s.removed {
			continue
		}
		rd, closeFn, err := c.stateReader(i)
		if err != nil {
			return err
		}
		defer closeFn()
		readers[i] = rd
	}
	if c.names == nil {
		c.names = newStateNames()
	}
	var key []byte
	for _, k := range keys {
		key = append(key[:0], k...)
		prefs := c.replicasIn(m, key, n)
		for i, s := range c.nodes {
			if readers[i] == nil {
				continue // a spare not joined, or a node decommissioned
			}
			set, err := readers[i](key)
			if err != nil {
				return fmt.Errorf("cluster: state of %q on %s: %w", k, c.nodes[i].member.Name, err)
			}
			if (len(set.Siblings) == 0 || len(c.changes) > 0) && !contains(prefs, s.addr) {
				// After a join or decommission a node that lost a range
				// keeps its old copy until its cleanup pass drops it;
				// no request reads it, so it is not a replica's state.
				continue
			}
			if err := emit(c.names.stateOf(at, k, int32(i), set, scratch)); err != nil {
				return err
			}
		}
	}
	return nil
}

// stateReader returns a function reading node i's stored sets.
func (c *Cluster) stateReader(i int) (func([]byte) (wire.SiblingSet, error), func(), error) {
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
	read := func(key []byte) (wire.SiblingSet, error) { return store.Read(key, hashKey(key)) }
	return read, func() { store.Close() }, nil
}

// stateNames makes the strings of replica states once per run: the probes
// of a run see mostly the same versions and values again, so each version
// string and value ID is built, and allocated, the first time only.
type stateNames struct {
	versions map[versionName]string
	values   map[string]string
	buf      []byte
	ids      []string // stateOf's scratch lists
	vers     []string
}

type versionName struct {
	dot  wire.Dot
	tomb bool
}

func newStateNames() *stateNames {
	return &stateNames{versions: map[versionName]string{}, values: map[string]string{}}
}

func (sn *stateNames) version(s *wire.Sibling) string {
	k := versionName{s.Dot, s.Tombstone}
	if v, ok := sn.versions[k]; ok {
		return v
	}
	b := append(sn.buf[:0], s.Dot.Actor.String()...)
	b = append(b, ':')
	b = strconv.AppendUint(b, s.Dot.Counter, 10)
	if s.Tombstone {
		b = append(b, "/del"...)
	}
	sn.buf = b
	v := string(b)
	sn.versions[k] = v
	return v
}

func (sn *stateNames) valueID(value []byte) string {
	raw, ok := sim.ValueIDBytes(value)
	if !ok {
		return sim.ValueID(value)
	}
	if id, ok := sn.values[string(raw)]; ok {
		return id
	}
	id := string(raw)
	sn.values[id] = id
	return id
}

// stateOf describes one replica's set: live value IDs, and every version
// as "actor:counter" ("…/del" for a tombstone). With scratch set, the lists
// are sn's buffers, valid until the next call.
func (sn *stateNames) stateOf(at int64, key string, node int32, set wire.SiblingSet, scratch bool) history.ReplicaState {
	st := history.ReplicaState{AtNs: at, Key: key, Node: node}
	if scratch {
		st.ValueIDs, st.Versions = sn.ids[:0], sn.vers[:0]
	} else {
		st.Versions = make([]string, 0, len(set.Siblings))
	}
	for i := range set.Siblings {
		s := &set.Siblings[i]
		if s.Tombstone {
			st.Tombstone = true
		} else {
			st.ValueIDs = append(st.ValueIDs, sn.valueID(s.Value))
		}
		st.Versions = append(st.Versions, sn.version(s))
	}
	if scratch {
		sn.ids, sn.vers = st.ValueIDs, st.Versions
	}
	if len(st.ValueIDs) == 0 {
		st.ValueIDs = nil
	}
	if len(st.Versions) == 0 {
		st.Versions = nil
	}
	return st
}

// Live returns the live values of a set as value IDs, for tests and tools.
func Live(set wire.SiblingSet) []string {
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
