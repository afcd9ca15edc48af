package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"dynasim/disk"
	"dynasim/node/coord"
	"dynasim/node/gossip"
	"dynasim/node/versions"
	"dynasim/wire"
)

// Duration is a time.Duration written as Go duration text: "200ms", "1.5s",
// "-2s", "1m30s". A bare 0 is accepted; any other bare number is refused,
// because its unit would be a guess.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML writes d as duration text, which Parse reads back exactly.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

func (d *Duration) unmarshalNode(dc *decoder, n ast.Node, path string) bool {
	switch v := n.(type) {
	case *ast.IntegerNode:
		if v.Value == int64(0) || v.Value == uint64(0) {
			*d = 0
			return true
		}
		dc.fail(n, path, "a duration needs a unit, e.g. %sms or %ss; got %s", v.Token.Value, v.Token.Value, describe(n))
		return false
	case *ast.StringNode:
		t, err := time.ParseDuration(v.Value)
		if err != nil {
			dc.fail(n, path, "expected a duration such as 200ms, 1.5s or 2m, got %s", quoted(v.Value))
			return false
		}
		*d = Duration(t)
		return true
	}
	dc.fail(n, path, "expected a duration such as 200ms, 1.5s or 2m, got %s", describe(n))
	return false
}

// Bytes is a size in bytes, written as an integer or with a unit: "512B",
// "64KiB", "4MiB", "1GiB" (powers of 1024) or "10KB", "4MB", "1GB" (powers
// of 1000).
type Bytes int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// ParseBytes parses a size with an optional unit ("4MiB", "10KB", "512").
func ParseBytes(s string) (Bytes, error) {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("expected a size such as 4096, 64KiB or 4MiB, got %s", quoted(s))
	}
	v := f * float64(mult)
	if v != math.Trunc(v) || math.Abs(v) > 1<<62 {
		return 0, fmt.Errorf("size %s is not a whole number of bytes within ±2^62", quoted(s))
	}
	return Bytes(v), nil
}

func (b *Bytes) unmarshalNode(dc *decoder, n ast.Node, path string) bool {
	if s, ok := n.(*ast.StringNode); ok {
		v, err := ParseBytes(s.Value)
		if err != nil {
			dc.fail(n, path, "%v", err)
			return false
		}
		*b = v
		return true
	}
	var i int64
	if !dc.decode(n, reflectOf(&i), path) {
		return false
	}
	*b = Bytes(i)
	return true
}

// Level is a consistency level: one of ONE, TWO, QUORUM, ALL, LOCAL_QUORUM,
// EACH_QUORUM (any letter case in a file; stored in upper case), DEFAULT
// (the node's configured R or W), or a replica count written as an integer.
type Level string

// LevelDefault defers to the node's configured R or W.
const LevelDefault Level = "DEFAULT"

// Need converts the level to the wire form a request carries.
func (l Level) Need() (wire.Need, error) {
	if c, err := strconv.Atoi(string(l)); err == nil {
		if c < 1 || c > math.MaxUint8 {
			return wire.Need{}, fmt.Errorf("replica count %d is outside [1, %d]", c, math.MaxUint8)
		}
		return wire.Need{Level: wire.LevelCount, Count: uint8(c)}, nil
	}
	lv, err := wire.ParseLevel(string(l))
	if err != nil || lv == wire.LevelCount {
		return wire.Need{}, fmt.Errorf("unknown consistency level %s (want %s, or a replica count)", quoted(string(l)), strings.Join(levelNames(), ", "))
	}
	return wire.Need{Level: lv}, nil
}

// Effective is the level a node applies: DEFAULT is the node's configured
// count (node.r or node.w, given as nodeCount), any other level itself.
func (l Level) Effective(nodeCount int) Level { return explicitLevel(l, nodeCount) }

// Count returns the replicas the level requires out of n, and false for
// DEFAULT and the datacenter-aware levels, which depend on more than n.
func (l Level) Count(n int) (int, bool) {
	q, err := l.Need()
	if err != nil {
		return 0, false
	}
	return q.Fixed(n)
}

func levelNames() []string {
	return []string{"ONE", "TWO", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "DEFAULT"}
}

func (l *Level) unmarshalNode(dc *decoder, n ast.Node, path string) bool {
	var s string
	switch v := n.(type) {
	case *ast.IntegerNode:
		s = v.Token.Value
	case *ast.StringNode:
		s = strings.ToUpper(v.Value)
	default:
		dc.fail(n, path, "expected a consistency level (%s) or a replica count, got %s", strings.Join(levelNames(), ", "), describe(n))
		return false
	}
	if _, err := Level(s).Need(); err != nil {
		dc.fail(n, path, "%v%s", err, suggest(s, levelNames()))
		return false
	}
	*l = Level(s)
	return true
}

// enum is a string type whose values come from a fixed list; the decoder
// refuses anything else and suggests the nearest value.
type enum interface{ enumValues() []string }

// VersionMode is how replicas version values: vclock (server-id vector
// clocks), dvv (dotted version vectors) or lww (last write wins).
type VersionMode string

// ReadRepair is what a coordinator does with stale replicas it saw on a get:
// off, async (repair after replying) or blocking (repair before replying).
type ReadRepair string

// SyncPolicy is when the commit log is fsynced: every (each write before
// it is acknowledged), group (writes arriving within the sync interval share
// one sync, still before acknowledgement) or periodic (every sync interval,
// independently of acknowledgements, so a crash may lose acknowledged
// writes).
type SyncPolicy string

// CrashMode is what a crash does to a disk's unsynced bytes; the names are
// disk.CrashMode's.
type CrashMode string

// KeyDist is how the workload picks keys.
type KeyDist string

// Routing is how a client picks the node it sends a request to.
type Routing string

// FinalReadKeys says which keys the final reads read back (and the
// convergence probes record): written (every key a put or delete was
// issued for) or all (the whole key space, written or not).
type FinalReadKeys string

// LinMode says when the linearizability check runs: on, off, or auto (when
// the write and read quorums overlap, W+R>N).
type LinMode string

// DiskOp names a kind of disk operation, as disk.ParseOp reads it, or "all".
type DiskOp string

// DiskFaultKind names a family of disk faults a schedule can switch:
// latency, error, bitflip or diskfull.
type DiskFaultKind string

// OpName names a client operation in expectations: get, put, delete, or all.
type OpName string

// QuorumMode is strict or sloppy (coord.Quorum's names).
type QuorumMode string

// Detector is the gossip failure detector: heartbeat or phi
// (gossip.Detector's names).
type Detector string

// The node's own names: versions.ParseMode, coord.ParseReadRepair,
// coord.ParseQuorum and gossip.ParseDetector read exactly these.
func (VersionMode) enumValues() []string { return versions.ModeNames() }
func (ReadRepair) enumValues() []string  { return coord.ReadRepairNames() }
func (QuorumMode) enumValues() []string  { return coord.QuorumNames() }
func (Detector) enumValues() []string {
	return []string{gossip.DetectorHeartbeat.String(), gossip.DetectorPhi.String()}
}
func (SyncPolicy) enumValues() []string { return []string{"every", "group", "periodic"} }
func (KeyDist) enumValues() []string    { return []string{"uniform", "zipfian", "hotspot", "sequential"} }
func (Routing) enumValues() []string    { return []string{"random", "first_replica", "non_replica"} }
func (LinMode) enumValues() []string    { return []string{"on", "off", "auto"} }
func (FinalReadKeys) enumValues() []string {
	return []string{"written", "all"}
}
func (OpName) enumValues() []string { return []string{"get", "put", "delete", "all"} }

func (CrashMode) enumValues() []string {
	var out []string
	for m := disk.CrashLoseUnsynced; m <= disk.CrashTornWrite; m++ {
		out = append(out, m.String())
	}
	return out
}

// Disk returns the disk package's crash mode.
func (c CrashMode) Disk() disk.CrashMode {
	m, _ := disk.ParseCrashMode(string(c))
	return m
}

func (DiskOp) enumValues() []string {
	var out []string
	for o := disk.Op(1); o <= disk.OpAll; o <<= 1 {
		out = append(out, o.String())
	}
	return append(out, "all")
}

// Disk returns the disk package's operation set.
func (o DiskOp) Disk() disk.Op {
	op, _ := disk.ParseOp(string(o))
	return op
}

var diskFaultKinds = []disk.FaultKind{disk.FaultLatency, disk.FaultError, disk.FaultBitFlip, disk.FaultDiskFull}

func (DiskFaultKind) enumValues() []string {
	out := make([]string, len(diskFaultKinds))
	for i, k := range diskFaultKinds {
		out[i] = k.String()
	}
	return out
}

// Disk returns the disk package's fault kind.
func (k DiskFaultKind) Disk() disk.FaultKind {
	for _, f := range diskFaultKinds {
		if f.String() == string(k) {
			return f
		}
	}
	return disk.FaultKind(255)
}
