package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// readKeysEnv sets the size of the readrandom data set.
const readKeysEnv = "DYNASIM_BENCH_KEYS"

const (
	defaultReadKeys = 1_000_000
	batchKeys       = 100
	readSalt        = 0x5eed
)

var values = newValueSource()

// dataset is a readrandom data set, built once per engine per process and
// kept open across the benchmark's b.N rounds and -count repetitions.
type dataset struct {
	s    store
	dir  string
	keys uint64
}

var datasets = map[string]*dataset{}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range datasets {
		if err := d.s.close(); err != nil {
			fmt.Fprintln(os.Stderr, "closing data set:", err)
			code = 1
		}
		_ = os.RemoveAll(d.dir)
	}
	os.Exit(code)
}

func readKeys(b *testing.B) uint64 {
	v := os.Getenv(readKeysEnv)
	if v == "" {
		return defaultReadKeys
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		b.Fatalf("%s=%q: want a positive integer", readKeysEnv, v)
	}
	return n
}

func BenchmarkStorage(b *testing.B) {
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			b.Run("fillrandom", func(b *testing.B) { benchFill(b, e, false) })
			b.Run("readrandom", func(b *testing.B) { benchReadRandom(b, e) })
			b.Run("fillsync", func(b *testing.B) { benchFill(b, e, true) })
			b.Run("batchsync", func(b *testing.B) { benchBatchSync(b, e) })
		})
	}
}

func openFresh(b *testing.B, e engine) store {
	s, err := e.open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// benchFill puts b.N unique keys in random order, syncing each if sync.
func benchFill(b *testing.B, e engine, sync bool) {
	s := openFresh(b, e)
	salt := uint64(b.N)
	key := make([]byte, keySize)
	b.SetBytes(keySize + valueSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.put(makeKey(key, salt, uint64(i)), values.value(uint64(i)), sync); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	report(b)
	if err := s.close(); err != nil {
		b.Fatal(err)
	}
}

// benchBatchSync writes b.N unique keys in synced batches of batchKeys.
func benchBatchSync(b *testing.B, e engine) {
	s := openFresh(b, e)
	salt := uint64(b.N)
	keys := make([][]byte, batchKeys)
	vals := make([][]byte, batchKeys)
	for i := range keys {
		keys[i] = make([]byte, keySize)
	}
	b.SetBytes(keySize + valueSize)
	b.ResetTimer()
	for i := 0; i < b.N; i += batchKeys {
		n := min(batchKeys, b.N-i)
		for j := 0; j < n; j++ {
			makeKey(keys[j], salt, uint64(i+j))
			vals[j] = values.value(uint64(i + j))
		}
		if err := s.writeBatch(keys[:n], vals[:n]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	report(b)
	if err := s.close(); err != nil {
		b.Fatal(err)
	}
}

// benchReadRandom gets b.N random keys of the engine's data set.
func benchReadRandom(b *testing.B, e engine) {
	d := buildDataset(b, e)
	r := rand.New(rand.NewPCG(uint64(b.N), 7))
	key := make([]byte, keySize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, err := d.s.get(makeKey(key, readSalt, r.Uint64N(d.keys)))
		if err != nil {
			b.Fatal(err)
		}
		if err := checkLen(n); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	report(b)
}

// buildDataset fills an engine's data set in random key order and flushes
// it, outside the timer.
func buildDataset(b *testing.B, e engine) *dataset {
	if d, ok := datasets[e.name]; ok {
		return d
	}
	b.StopTimer()
	defer b.StartTimer()
	dir, err := os.MkdirTemp("", "dynasim-bench-"+e.name+"-")
	if err != nil {
		b.Fatal(err)
	}
	s, err := e.open(dir)
	if err != nil {
		b.Fatal(err)
	}
	n := readKeys(b)
	key := make([]byte, keySize)
	for i := uint64(0); i < n; i++ {
		if err := s.put(makeKey(key, readSalt, i), values.value(i), false); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.settle(); err != nil {
		b.Fatal(err)
	}
	d := &dataset{s: s, dir: dir, keys: n}
	datasets[e.name] = d
	return d
}
