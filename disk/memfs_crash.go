package disk

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
)

// CrashMode says what happens to a surviving file's unsynced bytes (those
// written after its last File.Sync) when the machine crashes. Synced bytes
// always survive exactly; bytes never written never appear.
type CrashMode uint8

const (
	// CrashLoseUnsynced drops every unsynced byte: each file is cut back to
	// its length at its last Sync.
	CrashLoseUnsynced CrashMode = iota + 1
	// CrashKeepPrefix keeps a random prefix of the unsynced bytes, the way a
	// kernel may have flushed some dirty pages in order: with u unsynced
	// bytes, the number kept is uniform over [0, u] (both ends included).
	CrashKeepPrefix
	// CrashTornWrite keeps every unsynced write except the file's last one,
	// which is torn the way a device writes whole sectors in order: the file
	// is cut at an offset chosen uniformly among the start of that write,
	// every multiple of SectorSize strictly inside it, and its end. So the
	// earlier writes always survive and a prefix of the last write's sectors
	// (possibly none, possibly all) survives. Only the last write of each
	// file is remembered, which keeps the model free of per-write records.
	CrashTornWrite
)

var crashModeNames = [...]string{
	CrashLoseUnsynced: "lose-unsynced",
	CrashKeepPrefix:   "keep-prefix",
	CrashTornWrite:    "torn-write",
}

func (m CrashMode) String() string {
	if m >= CrashLoseUnsynced && m <= CrashTornWrite {
		return crashModeNames[m]
	}
	return fmt.Sprintf("CrashMode(%d)", uint8(m))
}

// ParseCrashMode parses a mode's String form ("lose-unsynced",
// "keep-prefix", "torn-write"), as used in scenario files.
func ParseCrashMode(s string) (CrashMode, error) {
	for m := CrashLoseUnsynced; m <= CrashTornWrite; m++ {
		if crashModeNames[m] == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("disk: unknown crash mode %q (want lose-unsynced, keep-prefix or torn-write): %w", s, ErrInvalid)
}

// Crash simulates a power failure followed by a reboot, in place:
//
//   - every directory's current entries become its durable entries, from the
//     root down, so files and directories not durably linked vanish and
//     un-synced removes and renames are undone;
//   - each surviving file keeps its synced bytes and, of its unsynced bytes,
//     what mode says (CrashMode); what survives is now durable;
//   - every handle opened before the crash fails with ErrClosed from now on.
//
// rng decides the random modes; files are visited in sorted path order, so
// the outcome depends only on the state and rng. rng may be nil for
// CrashLoseUnsynced.
func (fs *MemFS) Crash(mode CrashMode, rng *rand.Rand) error {
	if mode < CrashLoseUnsynced || mode > CrashTornWrite {
		return fmt.Errorf("disk: crash: unknown %v: %w", mode, ErrInvalid)
	}
	if rng == nil && mode != CrashLoseUnsynced {
		return fmt.Errorf("disk: crash: mode %v needs a random stream, got nil: %w", mode, ErrInvalid)
	}
	fs.epoch++
	fs.stamp++
	fs.used = 0
	fs.stats.Crashes++
	fs.root.mark = fs.stamp
	fs.root.refs = 1
	fs.recover(fs.root, mode, rng)
	return nil
}

// recover rebuilds directory d from its durable entries, recursively, and
// recounts the references of everything reachable.
func (fs *MemFS) recover(d *inode, mode CrashMode, rng *rand.Rand) {
	clear(d.cur)
	maps.Copy(d.cur, d.dur)
	for _, name := range slices.Sorted(maps.Keys(d.dur)) {
		c := d.dur[name]
		if c.mark != fs.stamp {
			c.mark = fs.stamp
			c.refs = 0
			if c.dir {
				fs.recover(c, mode, rng)
			} else {
				fs.crashFile(c, mode, rng)
			}
		}
		c.refs += 2 // one current and one durable entry
	}
}

// crashFile applies mode to one surviving file.
func (fs *MemFS) crashFile(n *inode, mode CrashMode, rng *rand.Rand) {
	size := n.data.size
	keep := n.synced
	if unsynced := size - n.synced; unsynced > 0 {
		switch mode {
		case CrashKeepPrefix:
			keep += rng.Int64N(unsynced + 1)
		case CrashTornWrite:
			keep = tornCut(n.lastStart, size, int64(fs.cfg.SectorSize), rng)
		}
	}
	fs.stats.BytesLost += uint64(size - keep)
	n.data.truncate(keep)
	n.synced = keep
	n.lastStart = keep
	fs.used += keep
}

// tornCut picks where a torn write [start, end) ends: uniformly among start,
// the multiples of sector strictly inside, and end.
func tornCut(start, end, sector int64, rng *rand.Rand) int64 {
	first := start/sector + 1      // first multiple of sector above start
	last := (end - 1) / sector     // last multiple of sector below end
	inside := max(0, last-first+1) // multiples strictly inside
	switch k := rng.Int64N(inside + 2); k {
	case 0:
		return start
	case inside + 1:
		return end
	default:
		return (first + k - 1) * sector
	}
}

// FlipBit flips one bit of the named file's stored bytes: bit bitOffset%8 of
// byte bitOffset/8. It corrupts the inode the name currently refers to, whose
// durable bytes share the same storage, so the flip survives a crash if that
// byte was synced. It is a test helper for checksum checks.
func (fs *MemFS) FlipBit(name string, bitOffset int64) error {
	p := CleanPath(name)
	n, err := fs.walk(p)
	if err != nil {
		return pathErr("flipbit", p, err)
	}
	if n.dir {
		return pathErr("flipbit", p, ErrIsDir)
	}
	if bitOffset < 0 || bitOffset >= 8*n.data.size {
		return pathErr("flipbit", p, fmt.Errorf("bit offset %d outside the file's %d bytes: %w", bitOffset, n.data.size, ErrInvalid))
	}
	*n.data.at(bitOffset / 8) ^= 1 << (bitOffset % 8)
	return nil
}

// DurableSize returns how many bytes of the named file would survive a
// CrashLoseUnsynced crash now: the synced length of the file the durable
// entries name, or ErrNotExist if no durable entry leads to a file there.
func (fs *MemFS) DurableSize(name string) (int64, error) {
	p := CleanPath(name)
	n := fs.root
	if p != "." {
		for rest := p; ; {
			elem, tail, more := strings.Cut(rest, "/")
			if !n.dir || n.dur[elem] == nil {
				return 0, pathErr("durablesize", p, ErrNotExist)
			}
			n = n.dur[elem]
			if !more {
				break
			}
			rest = tail
		}
	}
	if n.dir {
		return 0, pathErr("durablesize", p, ErrIsDir)
	}
	return n.synced, nil
}

// Dump lists the current namespace, one entry per line in sorted path order:
// "d path/" for a directory, "f path size=N synced=M" for a file, each
// followed by " volatile" when the entry is not (yet) in its directory's
// durable table. Deterministic; for tests and debugging.
func (fs *MemFS) Dump() string {
	var b strings.Builder
	fs.dump(&b, fs.root, "")
	return b.String()
}

func (fs *MemFS) dump(b *strings.Builder, d *inode, prefix string) {
	for _, name := range slices.Sorted(maps.Keys(d.cur)) {
		c := d.cur[name]
		if c.dir {
			fmt.Fprintf(b, "d %s%s/", prefix, name)
		} else {
			fmt.Fprintf(b, "f %s%s size=%d synced=%d", prefix, name, c.data.size, c.synced)
		}
		if d.dur[name] != c {
			b.WriteString(" volatile")
		}
		b.WriteByte('\n')
		if c.dir {
			fs.dump(b, c, prefix+name+"/")
		}
	}
}

// Wipe replaces the disk with an empty one, as when a failed drive is
// swapped: every file and directory is gone, durable or not, and every open
// handle is dead. The configuration and the counters stay (Wipes counts
// it).
func (fs *MemFS) Wipe() {
	fs.epoch++
	fs.stamp++
	fs.used = 0
	fs.stats.Wipes++
	root := newDir()
	root.refs = 1
	fs.root = root
}
