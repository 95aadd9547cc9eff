// Command flood sends GET requests with one bearer token from a chosen local address for a
// bounded time, and prints how many it sent and what they were answered. The failed-auth
// benchmarks of BENCHMARKS.md use it as the attacker: wrk cannot pick its source address, and
// on loopback every connection otherwise comes from 127.0.0.1, the valid client's address.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

func main() {
	target := flag.String("url", "", "the URL to request")
	from := flag.String("from", "127.0.0.2", "the local address to send from (loopback only)")
	token := flag.String("token", "", "the bearer token to send")
	conns := flag.Int("c", 64, "concurrent connections")
	duration := flag.Duration("d", 10*time.Second, "how long to send (at most 5 minutes)")
	flag.Parse()
	if *target == "" || *duration <= 0 || *duration > 5*time.Minute {
		fmt.Fprintln(os.Stderr, "usage: flood -url URL [-from 127.0.0.2] [-token T] [-c 64] [-d 10s]")
		os.Exit(2)
	}
	local := net.ParseIP(*from)
	if local == nil || !local.IsLoopback() {
		fmt.Fprintln(os.Stderr, "flood: -from must be a loopback address")
		os.Exit(2)
	}
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: local}, Timeout: 5 * time.Second}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: *conns,
	}}

	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	var mu sync.Mutex
	statuses := map[string]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for range *conns {
		wg.Go(func() {
			seen := map[string]int{}
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
				if *token != "" {
					req.Header.Set("Authorization", "Bearer "+*token)
				}
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						seen["error"]++
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				seen[fmt.Sprint(resp.StatusCode)]++
			}
			mu.Lock()
			for k, v := range seen {
				statuses[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	total := 0
	keys := make([]string, 0, len(statuses))
	for k, v := range statuses {
		total += v
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Printf("requests %d in %.1fs (%.0f/s) from %s:", total, elapsed, float64(total)/elapsed, *from)
	for _, k := range keys {
		fmt.Printf(" %s=%d", k, statuses[k])
	}
	fmt.Println()
}
