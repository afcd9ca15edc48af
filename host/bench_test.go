package host

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// BenchmarkLoopbackSetGet runs go-redis SETs and GETs (half each, 100-byte
// values over 1000 keys) from parallel clients against the 3-node loopback
// cluster, N=3 W=2 R=2, every write synced before it is acknowledged.
//
//	go test ./host -run '^$' -bench LoopbackSetGet -cpu 16
func BenchmarkLoopbackSetGet(b *testing.B) {
	c := startClusterB(b)
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
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		n := next.Add(1)
		r := clients[n%uint64(len(clients))]
		for i := n * 7919; pb.Next(); i++ {
			key := fmt.Sprint("key", i%1000)
			var err error
			if i%2 == 0 {
				err = r.Set(ctx, key, val, 0).Err()
			} else if err = r.Get(ctx, key).Err(); err == redis.Nil {
				err = nil
			}
			if err != nil {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(failed.Load()), "failed")
}
