package hints

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"dynasim/disk"
	"dynasim/node/lsm/wal"
	"dynasim/wire"
)

// Hint is one write held for a replica that could not take it.
type Hint struct {
	// ID is assigned by Add: unique in the store, increasing.
	ID uint64
	// Target is the replica the write was meant for; the hint is handed to
	// no other node.
	Target wire.Addr
	Key    []byte
	// Version is the write as the target should merge it (the encoded
	// sibling set); opaque to the store.
	Version []byte
	// Created is when the fallback took the write (its own clock).
	Created time.Time
}

// Bytes is what a hint counts against the throttle and the pending limit.
func (h *Hint) Bytes() int64 { return int64(len(h.Key) + len(h.Version)) }

// Errors.
var (
	// ErrFull: the store holds MaxPendingHints or MaxPendingBytes.
	ErrFull = errors.New("hints: store is full")
	// ErrCorrupt: recovery found damage it cannot take for a torn tail.
	ErrCorrupt = errors.New("hints: log is corrupt")
)

// Stats are counters since Open (Pending* and InFlight are current).
type Stats struct {
	Added         uint64 // hints durably added
	Delivered     uint64 // hints acknowledged by their target and deleted
	Dropped       uint64 // hints expired (older than Window) and deleted
	DuplicateAcks uint64 // acks of hints no longer held
	Released      uint64 // hints handed out, then handed back undelivered
	HandedOut     uint64 // hints returned by Deliver
	BytesOut      uint64 // their Bytes
	Recovered     uint64 // hints found by Open
	TornTails     uint64 // log tails Open cut off as torn (never acknowledged)
	Compactions   uint64
	Pending       int   // hints held
	PendingBytes  int64 // their Bytes
	InFlight      int   // hints handed out, not yet acknowledged or released
}

type held struct {
	h         Hint
	inFlight  bool
	diskBytes int64 // size of its add record
}

// Store is a node's persisted hints. Like the rest of the node it is
// single-threaded; every method that changes what is durable syncs before
// it returns. After a write or sync error the store refuses further
// changes (the error is sticky): reopen it.
type Store struct {
	fs       disk.FS
	cfg      Config
	dir      disk.File
	seg      *wal.Writer
	segNum   uint64
	seq      uint64 // last record's sequence number
	nextID   uint64
	hints    map[uint64]*held
	byTarget map[wire.Addr][]uint64 // ascending ids
	byKey    map[string][]uint64    // ascending ids
	inFlight map[wire.Addr]int
	live     int64 // bytes of the add records of held hints
	dead     int64 // other bytes of the active segment
	tokens   int64
	lastFill time.Time
	filled   bool
	stats    Stats
	err      error
}

// Record types of the log (payload's first byte).
const (
	recAdd  = 1 // seq, id, target, created ns, key, version
	recDel  = 2 // seq, count, ids
	recBase = 3 // seq, next id: first record of every segment
)

const writeBuffer = 64 << 10

func segName(num uint64) string { return fmt.Sprintf("hints-%016d.log", num) }

func parseSegName(name string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, "hints-")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, ".log")
	if !ok || len(s) != 16 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// Open opens (creating if needed) the store in cfg.Dir and recovers what
// it held: every hint whose Add returned success and that was not
// acknowledged (Ack returned success) or expired since. Unsynced log tails
// a crash tore or cut are dropped — they belong to calls that never
// returned success; damage anywhere else (a checksum failure followed by
// valid records, or a later record claiming that a missing one had been
// synced) fails with ErrCorrupt. Open then rewrites the live hints into a
// fresh segment and removes the old ones.
func Open(fs disk.FS, cfg Config, now time.Time) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	cfg.Dir = disk.CleanPath(cfg.Dir)
	s := &Store{fs: fs, cfg: cfg, nextID: 1, hints: map[uint64]*held{}, byTarget: map[wire.Addr][]uint64{}, byKey: map[string][]uint64{}, inFlight: map[wire.Addr]int{}}
	if err := s.ensureDir(); err != nil {
		return nil, err
	}
	names, err := fs.List(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("hints: listing %s: %w", cfg.Dir, err)
	}
	var nums []uint64
	for _, n := range names {
		if num, ok := parseSegName(n); ok {
			nums = append(nums, num)
		}
	}
	slices.Sort(nums)
	for i, num := range nums {
		if err := s.replay(num, i == 0); err != nil {
			_ = s.dir.Close()
			return nil, err
		}
		s.segNum = num
	}
	s.stats.Recovered = uint64(len(s.hints))
	if err := s.compact(nums); err != nil {
		_ = s.dir.Close()
		return nil, err
	}
	s.stats.Compactions = 0
	return s, nil
}

func (s *Store) ensureDir() error {
	var created []string
	for d := s.cfg.Dir; d != "."; d = path.Dir(d) {
		if _, err := s.fs.Stat(d); err == nil {
			break
		} else if !errors.Is(err, disk.ErrNotExist) {
			return fmt.Errorf("hints: stat %s: %w", d, err)
		}
		created = append(created, d)
	}
	if len(created) > 0 {
		if err := s.fs.MkdirAll(s.cfg.Dir); err != nil {
			return fmt.Errorf("hints: creating %s: %w", s.cfg.Dir, err)
		}
		// Make every new entry durable, from the deepest parent up.
		for _, d := range created {
			if err := syncDir(s.fs, path.Dir(d)); err != nil {
				return err
			}
		}
	}
	f, err := s.fs.OpenDir(s.cfg.Dir)
	if err != nil {
		return fmt.Errorf("hints: opening %s: %w", s.cfg.Dir, err)
	}
	s.dir = f
	return nil
}

func syncDir(fs disk.FS, d string) error {
	f, err := fs.OpenDir(d)
	if err != nil {
		return fmt.Errorf("hints: opening %s: %w", d, err)
	}
	err = f.Sync()
	_ = f.Close()
	if err != nil {
		return fmt.Errorf("hints: syncing %s: %w", d, err)
	}
	return nil
}

func corrupt(name string, off int64, format string, args ...any) error {
	return fmt.Errorf("%w: %s at offset %d: %s", ErrCorrupt, name, off, fmt.Sprintf(format, args...))
}

// replay applies one segment. Every record carries its sequence number
// (strictly increasing over the log) and, in the wal header, the sequence
// of the record before it, which was synced before it was written (every
// change syncs). A record claiming a sequence the replay has not reached
// means a synced record vanished. The very first segment's base record is
// exempt: the segments before it were compacted away.
func (s *Store) replay(num uint64, first bool) error {
	name := path.Join(s.cfg.Dir, segName(num))
	f, err := s.fs.Open(name)
	if err != nil {
		return fmt.Errorf("hints: opening %s: %w", name, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return fmt.Errorf("hints: size of %s: %w", name, err)
	}
	r := wal.NewReader(f, name, size, wal.MaxRecordBytes)
	for n := 0; ; n++ {
		off := r.Offset()
		p, h, err := r.Next()
		if err == io.EOF {
			return nil
		}
		var inv *wal.Invalid
		if errors.As(err, &inv) {
			at, ok, err := r.ValidAfter(inv.Offset)
			if err != nil {
				return fmt.Errorf("hints: reading %s: %w", name, err)
			}
			if ok {
				return corrupt(name, inv.Offset, "%s, and a valid record follows at offset %d", inv.Reason, at)
			}
			s.stats.TornTails++ // an unsynced tail: its call never returned success
			return nil
		}
		if err != nil {
			return fmt.Errorf("hints: reading %s: %w", name, err)
		}
		rec, err := decodeRecord(p)
		if err != nil {
			return corrupt(name, off, "%v", err)
		}
		if !(first && n == 0 && rec.typ == recBase) && h.SyncedSeq > s.seq {
			return corrupt(name, off, "record claims sequence %d was synced; the log holds only up to %d", h.SyncedSeq, s.seq)
		}
		if rec.seq <= s.seq && !(first && n == 0) {
			return corrupt(name, off, "sequence %d after %d", rec.seq, s.seq)
		}
		s.seq = rec.seq
		switch rec.typ {
		case recBase:
			s.nextID = max(s.nextID, rec.nextID)
		case recAdd:
			if _, dup := s.hints[rec.hint.ID]; !dup {
				s.insert(rec.hint, int64(wal.HeaderLen+len(p)))
			}
			s.nextID = max(s.nextID, rec.hint.ID+1)
		case recDel:
			for _, id := range rec.ids {
				s.remove(id)
			}
		}
	}
}

type record struct {
	typ    byte
	seq    uint64
	nextID uint64
	hint   Hint
	ids    []uint64
}

func appendAdd(b []byte, seq uint64, h *Hint) []byte {
	b = append(b, recAdd)
	b = binary.AppendUvarint(b, seq)
	b = binary.AppendUvarint(b, h.ID)
	b = binary.AppendVarint(b, int64(h.Target))
	b = binary.AppendVarint(b, h.Created.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(h.Key)))
	b = append(b, h.Key...)
	b = binary.AppendUvarint(b, uint64(len(h.Version)))
	return append(b, h.Version...)
}

func decodeRecord(p []byte) (record, error) {
	var rec record
	off := 0
	fail := errors.New("truncated or malformed record")
	uv := func() uint64 {
		if off > len(p) {
			return 0 // an earlier field failed
		}
		v, n := binary.Uvarint(p[off:])
		if n <= 0 {
			off = len(p) + 1
			return 0
		}
		off += n
		return v
	}
	bs := func() []byte {
		n := uv()
		if off > len(p) || n > uint64(len(p)-off) {
			off = len(p) + 1
			return nil
		}
		b := slices.Clone(p[off : off+int(n)])
		off += int(n)
		if n == 0 {
			return nil
		}
		return b
	}
	if len(p) == 0 {
		return rec, fail
	}
	rec.typ = p[0]
	off = 1
	rec.seq = uv()
	switch rec.typ {
	case recBase:
		rec.nextID = uv()
	case recAdd:
		rec.hint.ID = uv()
		t, n := binary.Varint(p[min(off, len(p)):])
		if n <= 0 || t < int64(wire.None) || t > 1<<31-1 {
			return rec, fail
		}
		off += n
		rec.hint.Target = wire.Addr(t)
		c, n := binary.Varint(p[min(off, len(p)):])
		if n <= 0 {
			return rec, fail
		}
		off += n
		rec.hint.Created = time.Unix(0, c).UTC()
		rec.hint.Key = bs()
		rec.hint.Version = bs()
	case recDel:
		n := uv()
		if n > uint64(len(p)) {
			return rec, fail
		}
		for range n {
			rec.ids = append(rec.ids, uv())
		}
	default:
		return rec, fmt.Errorf("unknown record type %d", rec.typ)
	}
	if off != len(p) {
		return rec, fail
	}
	return rec, nil
}

func (s *Store) insert(h Hint, diskBytes int64) {
	s.hints[h.ID] = &held{h: h, diskBytes: diskBytes}
	ids := s.byTarget[h.Target]
	i, _ := slices.BinarySearch(ids, h.ID)
	s.byTarget[h.Target] = slices.Insert(ids, i, h.ID)
	kids := s.byKey[string(h.Key)]
	i, _ = slices.BinarySearch(kids, h.ID)
	s.byKey[string(h.Key)] = slices.Insert(kids, i, h.ID)
	s.live += diskBytes
	s.stats.Pending++
	s.stats.PendingBytes += h.Bytes()
}

func (s *Store) remove(id uint64) bool {
	e, ok := s.hints[id]
	if !ok {
		return false
	}
	delete(s.hints, id)
	ids := s.byTarget[e.h.Target]
	if i, found := slices.BinarySearch(ids, id); found {
		ids = slices.Delete(ids, i, i+1)
	}
	if len(ids) == 0 {
		delete(s.byTarget, e.h.Target)
	} else {
		s.byTarget[e.h.Target] = ids
	}
	kids := s.byKey[string(e.h.Key)]
	if i, found := slices.BinarySearch(kids, id); found {
		kids = slices.Delete(kids, i, i+1)
	}
	if len(kids) == 0 {
		delete(s.byKey, string(e.h.Key))
	} else {
		s.byKey[string(e.h.Key)] = kids
	}
	if e.inFlight {
		s.inFlight[e.h.Target]--
		s.stats.InFlight--
		if s.inFlight[e.h.Target] == 0 {
			delete(s.inFlight, e.h.Target)
		}
	}
	s.live -= e.diskBytes
	s.dead += e.diskBytes
	s.stats.Pending--
	s.stats.PendingBytes -= e.h.Bytes()
	return true
}

// write appends one record to the active segment and syncs it.
func (s *Store) write(payload []byte) error {
	if s.err != nil {
		return s.err
	}
	s.seq++
	if err := s.seg.Append(payload, s.seq-1); err != nil {
		s.err = fmt.Errorf("hints: %w", err)
		return s.err
	}
	if err := s.seg.Sync(); err != nil {
		s.err = fmt.Errorf("hints: %w", err)
		return s.err
	}
	return nil
}

// compact writes a new segment holding a base record and every held hint,
// syncs it and the directory, then removes the segments in old.
func (s *Store) compact(old []uint64) error {
	if s.err != nil {
		return s.err
	}
	num := s.segNum + 1
	name := path.Join(s.cfg.Dir, segName(num))
	f, err := s.fs.Create(name)
	if err != nil {
		s.err = fmt.Errorf("hints: creating %s: %w", name, err)
		return s.err
	}
	w := wal.NewWriter(f, name, writeBuffer)
	fail := func(err error) error {
		w.Discard()
		s.err = fmt.Errorf("hints: compacting into %s: %w", name, err)
		return s.err
	}
	s.seq++
	base := binary.AppendUvarint(binary.AppendUvarint([]byte{recBase}, s.seq), s.nextID)
	if err := w.Append(base, s.seq-1); err != nil {
		return fail(err)
	}
	dead := int64(wal.HeaderLen + len(base))
	var ids []uint64
	for _, ts := range s.byTarget {
		ids = append(ids, ts...)
	}
	slices.Sort(ids)
	var buf []byte
	for _, id := range ids {
		e := s.hints[id]
		s.seq++
		buf = appendAdd(buf[:0], s.seq, &e.h)
		if err := w.Append(buf, s.seq-1); err != nil {
			return fail(err)
		}
		e.diskBytes = int64(wal.HeaderLen + len(buf))
	}
	if err := w.Sync(); err != nil {
		return fail(err)
	}
	if err := s.dir.Sync(); err != nil {
		return fail(err)
	}
	if s.seg != nil {
		_ = s.seg.Close()
	}
	s.seg, s.segNum = w, num
	for _, n := range old {
		if err := s.fs.Remove(path.Join(s.cfg.Dir, segName(n))); err != nil {
			s.err = fmt.Errorf("hints: removing %s: %w", segName(n), err)
			return s.err
		}
	}
	if len(old) > 0 {
		if err := s.dir.Sync(); err != nil {
			s.err = fmt.Errorf("hints: syncing %s: %w", s.cfg.Dir, err)
			return s.err
		}
	}
	s.live = 0
	for _, id := range ids {
		s.live += s.hints[id].diskBytes
	}
	s.dead = dead
	s.stats.Compactions++
	return nil
}

func (s *Store) maybeCompact() error {
	if s.dead > s.cfg.CompactBytes && s.dead > s.live {
		return s.compact([]uint64{s.segNum})
	}
	return nil
}

// Add stores a hint durably (synced) and returns its ID. h.ID is ignored;
// h.Created is kept as given (the fallback's clock when it took the
// write). The slices are copied.
func (s *Store) Add(h Hint) (uint64, error) {
	if s.err != nil {
		return 0, s.err
	}
	if h.Target < 0 {
		return 0, fmt.Errorf("hints: target %d is not a node address", h.Target)
	}
	if n := h.Bytes(); n > int64(s.cfg.MaxHintBytes) {
		return 0, fmt.Errorf("hints: hint of %d bytes exceeds MaxHintBytes %d", n, s.cfg.MaxHintBytes)
	}
	if s.stats.Pending >= s.cfg.MaxPendingHints || s.stats.PendingBytes+h.Bytes() > s.cfg.MaxPendingBytes {
		return 0, ErrFull
	}
	h.ID = s.nextID
	h.Key, h.Version = slices.Clone(h.Key), slices.Clone(h.Version)
	if len(h.Key) == 0 {
		h.Key = nil
	}
	if len(h.Version) == 0 {
		h.Version = nil
	}
	h.Created = time.Unix(0, h.Created.UnixNano()).UTC()
	p := appendAdd(nil, s.seq+1, &h)
	if err := s.write(p); err != nil {
		return 0, err
	}
	s.nextID++
	s.insert(h, int64(wal.HeaderLen+len(p)))
	s.stats.Added++
	return h.ID, nil
}

// del durably deletes the held hints among ids; it returns how many.
func (s *Store) del(ids []uint64) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	var keep []uint64
	for _, id := range ids {
		if _, ok := s.hints[id]; ok && !slices.Contains(keep, id) {
			keep = append(keep, id)
		}
	}
	if len(keep) == 0 {
		return 0, nil
	}
	p := binary.AppendUvarint([]byte{recDel}, s.seq+1)
	p = binary.AppendUvarint(p, uint64(len(keep)))
	for _, id := range keep {
		p = binary.AppendUvarint(p, id)
	}
	if err := s.write(p); err != nil {
		return 0, err
	}
	s.dead += int64(wal.HeaderLen + len(p))
	for _, id := range keep {
		s.remove(id)
	}
	return len(keep), s.maybeCompact()
}

// Ack deletes hints their target acknowledged as durably merged, durably
// (synced) before it returns. Acks of hints no longer held (already
// acknowledged, expired) are counted and ignored, so duplicated acks are
// harmless.
func (s *Store) Ack(ids ...uint64) error {
	n, err := s.del(ids)
	if err != nil {
		return err
	}
	s.stats.Delivered += uint64(n)
	s.stats.DuplicateAcks += uint64(len(ids) - n)
	return nil
}

// Expire durably drops the hints created Window or more before now and
// returns how many (also counted in Stats.Dropped).
func (s *Store) Expire(now time.Time) (int, error) {
	var ids []uint64
	for _, ts := range s.byTarget {
		for _, id := range ts {
			if s.expired(s.hints[id], now) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	n, err := s.del(ids)
	s.stats.Dropped += uint64(n)
	return n, err
}

func (s *Store) expired(e *held, now time.Time) bool {
	return now.Sub(e.h.Created) >= s.cfg.Window
}

// Pending returns the hints held for target (handed out or not), by
// ascending ID. The slices inside are the store's: do not modify them.
func (s *Store) Pending(target wire.Addr) []Hint {
	ids := s.byTarget[target]
	out := make([]Hint, len(ids))
	for i, id := range ids {
		out[i] = s.hints[id].h
	}
	return out
}

// ForKey returns the hints held for key, whatever their target, by
// ascending ID (a fallback answering a read merges them). The slices
// inside are the store's: do not modify them.
func (s *Store) ForKey(key []byte) []Hint {
	ids := s.byKey[string(key)]
	if len(ids) == 0 {
		return nil
	}
	out := make([]Hint, len(ids))
	for i, id := range ids {
		out[i] = s.hints[id].h
	}
	return out
}

// Targets returns the targets with hints held, ascending.
func (s *Store) Targets() []wire.Addr {
	out := make([]wire.Addr, 0, len(s.byTarget))
	for t := range s.byTarget {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Deliver hands out the next hints for target, oldest first, that are not
// already handed out or expired, within th: at most th.MaxInFlight handed
// out and unacknowledged for this target, and at most the token bucket's
// bytes (th.BytesPerSecond, burst one second; a hint is handed out while
// the bucket is positive, so one larger than the bucket still goes, and
// the bucket goes into debt). The caller sends each to target and calls
// Ack when the target acknowledges it, or Release if the delivery failed.
// retryAt, when not zero, is when the bucket allows more: the caller sets
// a timer for it. Deliver changes nothing durable.
func (s *Store) Deliver(now time.Time, target wire.Addr, th Throttle) (out []Hint, retryAt time.Time) {
	rate := th.BytesPerSecond
	if rate > 0 {
		s.refill(now, rate)
	}
	for _, id := range s.byTarget[target] {
		e := s.hints[id]
		if e.inFlight || s.expired(e, now) {
			continue
		}
		if th.MaxInFlight > 0 && s.inFlight[target] >= th.MaxInFlight {
			return out, time.Time{}
		}
		if rate > 0 && s.tokens <= 0 {
			// Tokens reach 1 after (1 - tokens) / rate seconds.
			// The debt is at most one hint (MaxMaxHintBytes < 2^28), so
			// need · 1e9 fits in 64 bits.
			need := uint64(1 - s.tokens)
			wait := (need*uint64(time.Second) + uint64(rate) - 1) / uint64(rate)
			return out, now.Add(time.Duration(wait))
		}
		e.inFlight = true
		s.inFlight[target]++
		s.stats.InFlight++
		s.tokens -= e.h.Bytes()
		s.stats.HandedOut++
		s.stats.BytesOut += uint64(e.h.Bytes())
		out = append(out, e.h)
	}
	return out, time.Time{}
}

// refill adds rate bytes per second since the last refill, up to one
// second's worth (integer arithmetic, rounding down).
func (s *Store) refill(now time.Time, rate int64) {
	if !s.filled {
		s.tokens, s.lastFill, s.filled = rate, now, true
		return
	}
	el := now.Sub(s.lastFill)
	if el <= 0 {
		return
	}
	s.lastFill = now
	el = min(el, time.Second)
	hi, lo := bits.Mul64(uint64(rate), uint64(el))
	add, _ := bits.Div64(hi, lo, uint64(time.Second))
	s.tokens = min(s.tokens+int64(add), rate)
}

// Release hands hints back undelivered (the send failed or timed out, or
// the target went down): Deliver hands them out again.
func (s *Store) Release(ids ...uint64) {
	for _, id := range ids {
		if e, ok := s.hints[id]; ok && e.inFlight {
			e.inFlight = false
			s.inFlight[e.h.Target]--
			if s.inFlight[e.h.Target] == 0 {
				delete(s.inFlight, e.h.Target)
			}
			s.stats.InFlight--
			s.stats.Released++
		}
	}
}

// ReleaseTarget releases every hint handed out for target.
func (s *Store) ReleaseTarget(target wire.Addr) {
	s.Release(s.byTarget[target]...)
}

// Stats returns the counters.
func (s *Store) Stats() Stats { return s.stats }

// Err is the sticky write error, if any.
func (s *Store) Err() error { return s.err }

// Close closes the files. Everything acknowledged is already durable.
func (s *Store) Close() error {
	var err error
	if s.seg != nil {
		err = s.seg.Close()
		s.seg = nil
	}
	if s.dir != nil {
		if cerr := s.dir.Close(); err == nil {
			err = cerr
		}
		s.dir = nil
	}
	if s.err == nil {
		s.err = errors.New("hints: store is closed")
	}
	return err
}
