package host

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dynasim/node"
)

// BenchmarkLoopbackSetGet runs go-redis SETs and GETs (half each, 100-byte
// values over 1000 keys) from parallel clients against the 3-node loopback
// cluster, N=3 W=2 R=2, every write synced before it is acknowledged:
// once per batch of events the host loop found waiting (sync=0s), once per
// group-commit window of 1 ms, or — batch=1, the loop handing the node one
// event at a time — at the end of each event that wrote.
//
//	go test ./host -run '^$' -bench LoopbackSetGet -cpu 16
func BenchmarkLoopbackSetGet(b *testing.B) {
	for _, d := range []time.Duration{0, time.Millisecond} {
		b.Run(fmt.Sprint("sync=", d), func(b *testing.B) { benchSetGet(b, d, 0) })
	}
	b.Run("sync=0s,batch=1", func(b *testing.B) { benchSetGet(b, 0, 1) })
}

func benchSetGet(b *testing.B, syncDelay time.Duration, maxBatch int) {
	c := startHostsWith(b, 3, func(h *Config) { h.MaxBatchEvents = maxBatch },
		func(c *node.Config) { c.Storage.SyncDelay = syncDelay })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	clients := make([]*redis.Client, len(c.hosts))
	for i, h := range c.hosts {
		clients[i] = redis.NewClient(&redis.Options{Addr: h.ClientAddr().String(), Protocol: 2, DisableIdentity: true, PoolSize: 64})
		defer clients[i].Close()
	}
	val := make([]byte, 100)
	var next atomic.Uint64
	var failed atomic.Uint64
	var mu sync.Mutex
	var sets, gets []time.Duration
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		n := next.Add(1)
		r := clients[n%uint64(len(clients))]
		var mySets, myGets []time.Duration
		for i := n * 7919; pb.Next(); i++ {
			key := fmt.Sprint("key", i%1000)
			var err error
			start := time.Now()
			if i%2 == 0 {
				err = r.Set(ctx, key, val, 0).Err()
				mySets = append(mySets, time.Since(start))
			} else {
				if err = r.Get(ctx, key).Err(); err == redis.Nil {
					err = nil
				}
				myGets = append(myGets, time.Since(start))
			}
			if err != nil {
				failed.Add(1)
			}
		}
		mu.Lock()
		sets, gets = append(sets, mySets...), append(gets, myGets...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(failed.Load()), "failed")
	for _, q := range []struct {
		name string
		d    []time.Duration
	}{{"set", sets}, {"get", gets}} {
		if len(q.d) == 0 {
			continue
		}
		slices.Sort(q.d)
		b.ReportMetric(float64(q.d[len(q.d)/2].Microseconds())/1000, q.name+"-p50-ms")
		b.ReportMetric(float64(q.d[len(q.d)*99/100].Microseconds())/1000, q.name+"-p99-ms")
	}
}
