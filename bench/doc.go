// Package bench compares dynasim's storage engine (dynasim/node/lsm) with
// Pebble and goleveldb. It is a separate Go module so that the main module
// never depends on other storage engines.
//
// Every benchmark is named BenchmarkStorage/<engine>/<workload>, runs on the
// OS filesystem in a temporary directory, and uses 16-byte keys and
// 1,000-byte incompressible values. One benchmark op is one key operation;
// each benchmark also reports ops/s.
//
// Workloads:
//
//   - fillrandom: b.N puts of unique keys in random order, no per-write sync;
//   - readrandom: b.N random point gets over a data set built (random-order
//     puts) and flushed outside the timer; DYNASIM_BENCH_KEYS sets its size
//     (default 1,000,000), e.g. DYNASIM_BENCH_KEYS=100000 for a quick run;
//   - fillsync: b.N single puts, each synced before the next;
//   - batchsync: b.N keys written in synced batches of 100.
//
// Every engine gets an 8 MB block cache, 4 MB memtables and 10-bit-per-key
// Bloom filters (Pebble and goleveldb have no filters by default), so the
// read-path comparison is like for like; everything else is each engine's
// default. dynasim runs with InlineMaintenance (flushes, compactions and
// checkpoints run inside the write that fills a memtable, on the
// benchmark's goroutine — the engine has no background threads, unlike
// Pebble and goleveldb) and SyncGroupCommit (a synced write is Put or Apply
// followed by Sync). The readrandom set is built by random-order puts and
// then flushed: Pebble waits for its compactions to finish, goleveldb is
// reopened (it has no explicit flush), dynasim runs Flush and the due
// maintenance.
//
// Run:
//
//	cd bench && go test -run '^$' -bench BenchmarkStorage -count 5 -timeout 2h
//
// Beside the storage benchmarks: side-by-side.sh runs redis-benchmark and
// putload (bench/putload, a standard-library load generator for the Redis
// protocol and etcd's v3 JSON gateway) against a 3-node dynasim cluster,
// redis-server and a one-member etcd on this machine, and prints the
// ratios; it skips, and says so, what is not installed.
package bench
