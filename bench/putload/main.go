// Command putload is the side-by-side script's load generator: C clients,
// each with one connection and one request in flight, run SET or GET
// against a Redis-protocol server (dynasim, redis-server) or puts and
// range reads against etcd's v3 JSON gateway, for a duration, optionally
// paced to a total rate, and print one line:
//
//	proto=resp op=set clients=16 ops=41234 errors=0 ops_per_s=8246.8 p50_ms=1.83 p99_ms=6.12
//
// It uses only the standard library, so the script needs no client
// packages. Errors (a Redis error reply, an HTTP status other than 200)
// are counted, not retried.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
)

func main() {
	proto := flag.String("proto", "resp", "resp (Redis protocol) or etcd (etcd v3 JSON gateway)")
	addr := flag.String("addr", "127.0.0.1:6379", "server address host:port")
	op := flag.String("op", "set", "set or get")
	clients := flag.Int("c", 16, "clients, one request in flight each")
	dur := flag.Duration("d", 5*time.Second, "how long to run")
	size := flag.Int("size", 100, "value size in bytes")
	keys := flag.Int("keys", 10000, "distinct keys")
	rate := flag.Float64("rate", 0, "total requests per second, paced evenly over the clients (0: as fast as possible)")
	flag.Parse()
	if *clients < 1 || *dur <= 0 || *size < 1 || *keys < 1 || *rate < 0 || (*op != "set" && *op != "get") || (*proto != "resp" && *proto != "etcd") {
		fmt.Fprintln(os.Stderr, "putload: bad flags (see -h)")
		os.Exit(2)
	}
	value := bytes.Repeat([]byte("x"), *size)
	var mu sync.Mutex
	var lat []time.Duration
	var errs int
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(*dur)
	for c := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			do, closeFn, err := dial(*proto, *addr)
			if err != nil {
				fmt.Fprintln(os.Stderr, "putload:", err)
				os.Exit(1)
			}
			defer closeFn()
			var mine []time.Duration
			bad := 0
			var every time.Duration
			if *rate > 0 {
				every = time.Duration(float64(*clients) / *rate * float64(time.Second))
			}
			next := start.Add(time.Duration(c) * every / time.Duration(*clients))
			for i := 0; ; i++ {
				if every > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(every)
				}
				t0 := time.Now()
				if t0.After(end) {
					break
				}
				key := "key:" + strconv.Itoa((c*7919+i)%*keys)
				if err := do(*op, key, value); err != nil {
					bad++
					if bad > 1000 {
						fmt.Fprintln(os.Stderr, "putload: too many errors, last:", err)
						break
					}
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	fmt.Printf("proto=%s op=%s clients=%d ops=%d errors=%d ops_per_s=%.1f p50_ms=%.2f p99_ms=%.2f\n",
		*proto, *op, *clients, len(lat), errs, float64(len(lat))/elapsed.Seconds(), q(0.50), q(0.99))
}

// dial returns a function running one request on a connection of its own.
func dial(proto, addr string) (func(op, key string, value []byte) error, func(), error) {
	if proto == "etcd" {
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
		b64 := base64.StdEncoding.EncodeToString
		return func(op, key string, value []byte) error {
			path, body := "/v3/kv/put", fmt.Sprintf(`{"key":%q,"value":%q}`, b64([]byte(key)), b64(value))
			if op == "get" {
				path, body = "/v3/kv/range", fmt.Sprintf(`{"key":%q}`, b64([]byte(key)))
			}
			resp, err := hc.Post("http://"+addr+path, "application/json", bytes.NewBufferString(body))
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("etcd %s: HTTP %d", path, resp.StatusCode)
			}
			return nil
		}, hc.CloseIdleConnections, nil
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, nil, err
	}
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	return func(op, key string, value []byte) error {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if op == "set" {
			fmt.Fprintf(w, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n", len(key), key, len(value))
			w.Write(value)
			w.WriteString("\r\n")
		} else {
			fmt.Fprintf(w, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(key), key)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return readReply(r)
	}, func() { c.Close() }, nil
}

// readReply reads one RESP reply; an error reply is returned as an error.
func readReply(r *bufio.Reader) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if len(line) < 3 {
		return fmt.Errorf("short reply %q", line)
	}
	switch line[0] {
	case '+', ':':
		return nil
	case '-':
		return fmt.Errorf("%s", line[1:len(line)-2])
	case '$':
		n, err := strconv.Atoi(line[1 : len(line)-2])
		if err != nil {
			return err
		}
		if n < 0 {
			return nil
		}
		_, err = io.CopyN(io.Discard, r, int64(n)+2)
		return err
	}
	return fmt.Errorf("unexpected reply %q", line)
}
