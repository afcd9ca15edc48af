package hints

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dynasim/disk"
	"dynasim/node/lsm/wal"
	"dynasim/wire"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func memFS(t testing.TB) *disk.MemFS {
	fs, err := disk.NewMemFS(disk.DefaultMemFSConfig())
	require.NoError(t, err)
	return fs
}

func open(t testing.TB, fs disk.FS, cfg Config) *Store {
	s, err := Open(fs, cfg, epoch)
	require.NoError(t, err)
	return s
}

func hint(target wire.Addr, key string, size int, at time.Time) Hint {
	return Hint{Target: target, Key: []byte(key), Version: bytes.Repeat([]byte{byte(len(key))}, size), Created: at}
}

func TestAddPendingAckAndReopen(t *testing.T) {
	fs := memFS(t)
	s := open(t, fs, Config{Dir: "node/hints"})
	a1, err := s.Add(hint(1, "a1", 10, epoch))
	require.NoError(t, err)
	b1, err := s.Add(hint(2, "b1", 10, epoch))
	require.NoError(t, err)
	a2, err := s.Add(hint(1, "a2", 10, epoch.Add(time.Second)))
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2, 3}, []uint64{a1, b1, a2})
	require.Equal(t, []wire.Addr{1, 2}, s.Targets())

	// Hints for target 1 are never returned for target 2, and back.
	ids := func(hs []Hint) []uint64 {
		var out []uint64
		for _, h := range hs {
			out = append(out, h.ID)
		}
		return out
	}
	require.Equal(t, []uint64{a1, a2}, ids(s.Pending(1)))
	require.Equal(t, []uint64{b1}, ids(s.Pending(2)))
	require.Empty(t, s.Pending(3))
	got, _ := s.Deliver(epoch, 2, Throttle{})
	require.Equal(t, []uint64{b1}, ids(got))
	for _, h := range got {
		require.Equal(t, wire.Addr(2), h.Target)
	}

	// Ack deletes, once; a duplicate ack is counted and harmless.
	require.NoError(t, s.Ack(a1))
	require.NoError(t, s.Ack(a1, 99))
	require.Equal(t, []uint64{a2}, ids(s.Pending(1)))
	st := s.Stats()
	require.Equal(t, uint64(1), st.Delivered)
	require.Equal(t, uint64(2), st.DuplicateAcks)
	require.Equal(t, 2, st.Pending)

	// A crash right now loses nothing: every call synced.
	require.NoError(t, fs.Crash(disk.CrashLoseUnsynced, nil))
	s = open(t, fs, Config{Dir: "node/hints"})
	require.Equal(t, uint64(2), s.Stats().Recovered)
	p := s.Pending(1)
	require.Len(t, p, 1)
	require.Equal(t, a2, p[0].ID)
	require.Equal(t, []byte("a2"), p[0].Key)
	require.True(t, p[0].Created.Equal(epoch.Add(time.Second)))
	// In-flight state is not durable: b1 is deliverable again.
	got, _ = s.Deliver(epoch, 2, Throttle{})
	require.Equal(t, []uint64{b1}, ids(got))
	// IDs keep increasing across restarts.
	id, err := s.Add(hint(3, "c", 1, epoch))
	require.NoError(t, err)
	require.Equal(t, uint64(4), id)
}

func TestExpiryDropsAndCounts(t *testing.T) {
	fs := memFS(t)
	s := open(t, fs, Config{})
	_, err := s.Add(hint(1, "old", 5, epoch))
	require.NoError(t, err)
	young, err := s.Add(hint(1, "young", 5, epoch.Add(time.Hour)))
	require.NoError(t, err)
	at := epoch.Add(DefaultWindow)
	// Expired hints are not handed out even before Expire drops them.
	got, _ := s.Deliver(at, 1, Throttle{})
	require.Len(t, got, 1)
	require.Equal(t, young, got[0].ID)
	n, err := s.Expire(at)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, uint64(1), s.Stats().Dropped)
	require.NoError(t, fs.Crash(disk.CrashLoseUnsynced, nil))
	s = open(t, fs, Config{})
	require.Len(t, s.Pending(1), 1)
	require.Equal(t, young, s.Pending(1)[0].ID)
}

func TestThrottleBytesPerSecondAndInFlight(t *testing.T) {
	s := open(t, memFS(t), Config{})
	const size = 1000
	for i := range 500 {
		_, err := s.Add(hint(7, fmt.Sprint("k", i%10), size-2, epoch))
		require.NoError(t, err)
	}
	th := Throttle{BytesPerSecond: 10_000, MaxInFlight: 4}
	// Without acks, never more than MaxInFlight out.
	got, _ := s.Deliver(epoch, 7, th)
	require.Len(t, got, 4)
	got, _ = s.Deliver(epoch.Add(time.Second), 7, th)
	require.Empty(t, got)
	s.ReleaseTarget(7)
	require.Equal(t, 0, s.Stats().InFlight)

	// Acking at once, ask every 10 ms (or at retryAt): over any window
	// [t0, t1] the bytes handed out stay within rate·(t1-t0) + one second's
	// burst + one hint, and the long-run rate is the configured one.
	th.MaxInFlight = 0
	type out struct {
		at    time.Time
		bytes int64
	}
	var log []out
	now := epoch.Add(10 * time.Second)
	for now.Before(epoch.Add(40 * time.Second)) {
		got, retry := s.Deliver(now, 7, th)
		for _, h := range got {
			log = append(log, out{now, h.Bytes()})
			require.NoError(t, s.Ack(h.ID))
		}
		next := now.Add(10 * time.Millisecond)
		if !retry.IsZero() {
			require.True(t, retry.After(now))
			next = retry
		}
		now = next
	}
	for i := range log {
		var sum int64
		for j := i; j < len(log); j++ {
			sum += log[j].bytes
			window := log[j].at.Sub(log[i].at)
			limit := th.BytesPerSecond*int64(window)/int64(time.Second) + th.BytesPerSecond + size
			require.LessOrEqual(t, sum, limit, "window %v", window)
		}
	}
	var total int64
	for _, o := range log {
		total += o.bytes
	}
	// 30 s at 10 kB/s plus the initial burst.
	require.InDelta(t, 30*10_000+10_000, total, 2*size)
}

func TestCapacityAndSizeLimits(t *testing.T) {
	s := open(t, memFS(t), Config{MaxPendingHints: 2, MaxHintBytes: 100})
	_, err := s.Add(hint(1, "k", 200, epoch))
	require.ErrorContains(t, err, "MaxHintBytes")
	_, err = s.Add(hint(wire.None, "k", 1, epoch))
	require.Error(t, err)
	for range 2 {
		_, err = s.Add(hint(1, "k", 1, epoch))
		require.NoError(t, err)
	}
	_, err = s.Add(hint(1, "k", 1, epoch))
	require.ErrorIs(t, err, ErrFull)
}

func TestCompactionKeepsLiveHints(t *testing.T) {
	fs := memFS(t)
	cfg := Config{CompactBytes: 4096}
	s := open(t, fs, cfg)
	var live []uint64
	for i := range 400 {
		id, err := s.Add(hint(wire.Addr(i%3), fmt.Sprint("k", i), 50, epoch))
		require.NoError(t, err)
		if i%7 == 0 {
			live = append(live, id)
		} else {
			require.NoError(t, s.Ack(id))
		}
	}
	require.Greater(t, s.Stats().Compactions, uint64(2))
	names, err := fs.List("hints")
	require.NoError(t, err)
	require.Len(t, names, 1, "compaction removes the old segments")
	require.NoError(t, fs.Crash(disk.CrashLoseUnsynced, nil))
	s = open(t, fs, cfg)
	var got []uint64
	for _, tg := range s.Targets() {
		for _, h := range s.Pending(tg) {
			got = append(got, h.ID)
			require.Equal(t, tg, h.Target)
		}
	}
	require.ElementsMatch(t, live, got)
}

// failFS fails the n-th Sync (of a file or a directory) without syncing,
// so that a crash right after it finds the unsynced bytes of the failed
// call on disk: lost, cut or torn by the crash mode.
type failFS struct {
	disk.FS
	n *int
}

type failFile struct {
	disk.File
	n *int
}

var errInjected = errors.New("injected sync failure")

func (f failFile) Sync() error {
	*f.n--
	if *f.n == 0 {
		return errInjected
	}
	return f.File.Sync()
}

func (fs failFS) Create(name string) (disk.File, error) {
	f, err := fs.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return failFile{f, fs.n}, nil
}

func (fs failFS) OpenDir(name string) (disk.File, error) {
	f, err := fs.FS.OpenDir(name)
	if err != nil {
		return nil, err
	}
	return failFile{f, fs.n}, nil
}

// Hints survive every crash mode: after a crash at any sync of a random
// workload (adds, acks, expiry, compactions, restarts), the store recovers
// exactly the hints whose Add succeeded and that no successful Ack or
// Expire removed — give or take the hints of the one failed call, whose
// outcome is unknown (an Add that may have landed, an Ack or Expire whose
// delete was durable before the compaction after it failed).
func TestDurableAcrossEveryCrashMode(t *testing.T) {
	for _, mode := range []disk.CrashMode{disk.CrashLoseUnsynced, disk.CrashKeepPrefix, disk.CrashTornWrite} {
		var torn uint64
		for seed := range uint64(iterations(150)) {
			t.Run(fmt.Sprintf("%v/%d", mode, seed), func(t *testing.T) {
				torn += crashRun(t, mode, seed)
			})
		}
		// Losing every unsynced byte leaves no partial record; the other
		// modes leave some, which recovery cut off by checksum.
		if mode == disk.CrashLoseUnsynced {
			require.Zero(t, torn)
		} else {
			require.Positive(t, torn, "%v: no torn tail was exercised", mode)
		}
		t.Logf("%v: %d torn tails cut by recovery", mode, torn)
	}
}

func iterations(full int) int {
	if testing.Short() {
		return full / 10
	}
	return full
}

func crashRun(t *testing.T, mode disk.CrashMode, seed uint64) (torn uint64) {
	r := rand.New(rand.NewPCG(seed, uint64(mode)))
	mem := memFS(t)
	cfg := Config{CompactBytes: 2048, Window: time.Hour}
	want := map[uint64]Hint{} // durably held
	var maybe []uint64        // ids whose last call failed: may be either way
	now := epoch
	for round := range 3 {
		n := 1 + r.IntN(60)
		fs := failFS{mem, &n}
		s, err := Open(fs, cfg, now)
		if err != nil {
			require.ErrorIs(t, err, errInjected, "round %d", round)
		} else {
			for step := 0; ; step++ {
				now = now.Add(time.Duration(r.IntN(200)) * time.Second)
				var err error
				var touched []uint64
				switch k := r.IntN(10); {
				case k < 6:
					h := hint(wire.Addr(r.IntN(4)), fmt.Sprint("k", step), r.IntN(300), now)
					var id uint64
					id, err = s.Add(h)
					if err == nil {
						h.ID = id
						h.Created = h.Created.UTC()
						want[id] = h
					} else {
						// The failed add's ID is the next one.
						touched = []uint64{s.nextID}
					}
				case k < 9:
					p := s.Pending(wire.Addr(r.IntN(4)))
					if len(p) == 0 {
						continue
					}
					id := p[r.IntN(len(p))].ID
					err = s.Ack(id)
					touched = []uint64{id}
					if err == nil {
						delete(want, id)
					}
				default:
					var expired []uint64
					for id, h := range want {
						if now.Sub(h.Created) >= cfg.Window {
							expired = append(expired, id)
						}
					}
					_, err = s.Expire(now)
					touched = expired
					if err == nil {
						for _, id := range expired {
							delete(want, id)
						}
					}
				}
				if err != nil {
					require.ErrorIs(t, err, errInjected)
					maybe = append(maybe, touched...)
					break
				}
			}
		}
		require.NoError(t, mem.Crash(mode, r))
		s2, err := Open(mem, cfg, now)
		require.NoError(t, err, "round %d: recovery after a %v crash", round, mode)
		got := map[uint64]Hint{}
		for _, tg := range s2.Targets() {
			for _, h := range s2.Pending(tg) {
				require.Equal(t, tg, h.Target)
				got[h.ID] = h
			}
		}
		for id, h := range want {
			g, ok := got[id]
			if !ok && slices.Contains(maybe, id) {
				delete(want, id) // the failed Ack or Expire did take
				continue
			}
			require.True(t, ok, "round %d: acknowledged hint %d lost", round, id)
			require.True(t, bytes.Equal(h.Key, g.Key))
			require.True(t, bytes.Equal(h.Version, g.Version))
			require.True(t, h.Created.Equal(g.Created))
		}
		for id, h := range got {
			if _, ok := want[id]; !ok {
				require.Contains(t, maybe, id, "round %d: hint %d is back though deleted (or never added)", round, id)
				want[id] = h // now durably held again
			}
		}
		torn += s2.Stats().TornTails
		require.NoError(t, s2.Close())
		maybe = nil
	}
	return torn
}

// Damage that is not a torn tail is reported, not silently dropped.
func TestCorruptionInTheMiddleIsReported(t *testing.T) {
	fs := memFS(t)
	s := open(t, fs, Config{})
	for i := range 10 {
		_, err := s.Add(hint(1, fmt.Sprint("k", i), 100, epoch))
		require.NoError(t, err)
	}
	names, err := fs.List("hints")
	require.NoError(t, err)
	require.Len(t, names, 1)
	name := "hints/" + names[0]
	require.NoError(t, fs.FlipBit(name, 8*300))
	require.NoError(t, fs.Crash(disk.CrashLoseUnsynced, nil))
	_, err = Open(fs, Config{}, epoch)
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestConfigValidate(t *testing.T) {
	require.NoError(t, Config{}.Validate())
	require.Equal(t, 3*time.Hour, Config{}.WithDefaults().Window)
	for want, c := range map[string]Config{
		"Dir":             {Dir: "/"},
		"Window":          {Window: -1},
		"MaxHintBytes":    {MaxHintBytes: MaxMaxHintBytes + 1},
		"MaxPendingHints": {MaxPendingHints: -1},
		"MaxPendingBytes": {MaxPendingBytes: 10},
		"CompactBytes":    {CompactBytes: -1},
	} {
		require.ErrorContains(t, c.Validate(), want)
	}
}

// A later segment whose first record claims a sequence the replay never
// reached means synced records vanished (say the synced tail of the
// segment before it): reported, not taken for a torn tail.
func TestALostSyncedTailIsReportedByTheNextSegmentsClaim(t *testing.T) {
	fs := memFS(t)
	s := open(t, fs, Config{})
	for i := range 3 {
		_, err := s.Add(hint(1, fmt.Sprint("k", i), 10, epoch))
		require.NoError(t, err)
	}
	seq := s.seq
	require.NoError(t, s.Close())
	// A successor segment as a compaction would start it, but claiming
	// two more records than segment 1 holds.
	f, err := fs.Create("hints/" + segName(2))
	require.NoError(t, err)
	w := wal.NewWriter(f, segName(2), 1024)
	base := binary.AppendUvarint(binary.AppendUvarint([]byte{recBase}, seq+3), 10)
	require.NoError(t, w.Append(base, seq+2))
	require.NoError(t, w.Sync())
	require.NoError(t, w.Close())
	_, err = Open(fs, Config{}, epoch)
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "claims sequence")
}

func TestForKeyListsAKeysHintsAcrossTargetsAndRecovery(t *testing.T) {
	fs := memFS(t)
	s := open(t, fs, Config{Dir: "h"})
	a, err := s.Add(hint(1, "k", 5, epoch))
	require.NoError(t, err)
	b, err := s.Add(hint(2, "k", 5, epoch))
	require.NoError(t, err)
	_, err = s.Add(hint(1, "other", 5, epoch))
	require.NoError(t, err)
	idsOf := func(hs []Hint) []uint64 {
		var out []uint64
		for _, h := range hs {
			require.Equal(t, "k", string(h.Key))
			out = append(out, h.ID)
		}
		return out
	}
	require.Equal(t, []uint64{a, b}, idsOf(s.ForKey([]byte("k"))))
	require.Empty(t, s.ForKey([]byte("none")))
	require.NoError(t, s.Ack(a))
	require.Equal(t, []uint64{b}, idsOf(s.ForKey([]byte("k"))))
	require.NoError(t, fs.Crash(disk.CrashTornWrite, rand.New(rand.NewPCG(1, 2))))
	s = open(t, fs, Config{Dir: "h"})
	require.Equal(t, []uint64{b}, idsOf(s.ForKey([]byte("k"))))
	_, err = s.Expire(epoch.Add(DefaultWindow))
	require.NoError(t, err)
	require.Empty(t, s.ForKey([]byte("k")))
}
