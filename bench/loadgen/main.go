// Command loadgen is bench/backends.sh's load generator: it loads running
// credreg servers with GET /resources/{id} (JSON-LD) from a fixed number
// of concurrent connections for a while, and prints the requests/s and
// the p50/p99 latency.
//
//	go run ./bench/loadgen -urls http://127.0.0.1:8081,http://127.0.0.1:8082 -conns 32 -duration 5s
//
// The resources are the credentials the first server lists (GET
// /credentials, page after page, up to -max of them), asked for in a
// random order (the same order for every run with the same -seed).
// Listing them costs the servers work of its own, so it can be done
// beforehand: -collect FILE only writes their paths to FILE, one a line,
// and -paths FILE loads them from there instead of listing.
// Requests go to the servers in turn (round robin over one counter), so
// two servers on one database share the load evenly. Each connection
// sends one request after another; every answer must be 200.
//
// It prints one line:
//
//	loadgen: servers=2 conns=32 seconds=5.0 paths=20040 requests=41234 errors=0 rps=8246 p50=3.41ms p99=12.80ms per-server=20617,20617
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	urls := flag.String("urls", "", "comma-separated base URLs of the servers, e.g. http://127.0.0.1:8080")
	conns := flag.Int("conns", 32, "concurrent connections (in all, over every server)")
	duration := flag.Duration("duration", 5*time.Second, "how long to send requests")
	maxPaths := flag.Int("max", 100000, "at most this many credentials to ask for")
	seed := flag.Uint64("seed", 1, "seed of the random order of the requests")
	collectTo := flag.String("collect", "", "only write the paths of the first server's credentials to this file")
	pathsFrom := flag.String("paths", "", "read the paths to ask for from this file (written by -collect)")
	flag.Parse()
	if err := run(strings.Split(*urls, ","), *conns, *duration, *maxPaths, *seed, *collectTo, *pathsFrom); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(servers []string, conns int, duration time.Duration, maxPaths int, seed uint64, collectTo, pathsFrom string) error {
	for i, s := range servers {
		servers[i] = strings.TrimRight(s, "/")
		if servers[i] == "" {
			return errors.New("-urls: want one or more base URLs")
		}
	}
	if conns < 1 {
		return errors.New("-conns: want at least 1")
	}
	// Like for like: no compression, as in server/load_bench_test.go.
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	defer tr.CloseIdleConnections()

	var paths []string
	if pathsFrom != "" {
		b, err := os.ReadFile(pathsFrom)
		if err != nil {
			return err
		}
		paths = strings.Fields(string(b))
		if len(paths) > maxPaths {
			paths = paths[:maxPaths]
		}
	} else {
		var err error
		if paths, err = collect(client, servers[0], maxPaths); err != nil {
			return err
		}
	}
	if len(paths) == 0 {
		return fmt.Errorf("no credential to ask for (listed by %s/credentials or in -paths)", servers[0])
	}
	if collectTo != "" {
		return os.WriteFile(collectTo, []byte(strings.Join(paths, "\n")+"\n"), 0o644)
	}

	var (
		next      atomic.Uint64 // round robin over the servers
		perServer = make([]atomic.Int64, len(servers))
		failures  atomic.Int64
		firstErr  atomic.Value
		mu        sync.Mutex
		lat       []time.Duration
		wg        sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(duration)
	for c := range conns {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(c)))
			mine := make([]time.Duration, 0, 1024)
			for time.Now().Before(deadline) {
				n := next.Add(1) - 1
				srv := int(n % uint64(len(servers)))
				u := servers[srv] + paths[rng.IntN(len(paths))]
				t0 := time.Now()
				status, err := get(client, u)
				if err == nil && status != http.StatusOK {
					err = fmt.Errorf("GET %s: %d", u, status)
				}
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				mine = append(mine, time.Since(t0))
				perServer[srv].Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if len(lat) == 0 {
		return fmt.Errorf("no request succeeded: %v", firstErr.Load())
	}
	slices.Sort(lat)
	ms := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	counts := make([]string, len(servers))
	for i := range perServer {
		counts[i] = fmt.Sprint(perServer[i].Load())
	}
	fmt.Printf("loadgen: servers=%d conns=%d seconds=%.1f paths=%d requests=%d errors=%d rps=%.0f p50=%.2fms p99=%.2fms per-server=%s\n",
		len(servers), conns, elapsed, len(paths), len(lat), failures.Load(), float64(len(lat))/elapsed,
		ms(0.50), ms(0.99), strings.Join(counts, ","))
	if err, _ := firstErr.Load().(error); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: first error:", err)
	}
	return nil
}

// get sends one GET for JSON-LD and reads the whole answer.
func get(client *http.Client, u string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/ld+json")
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// collect pages through server's GET /credentials and returns the paths
// (/resources/…) of up to max credentials. The IRIs are under the
// registry's base, which need not be the server's address: only their
// paths are kept, and so are only the path and query of the next page's
// link.
func collect(client *http.Client, server string, max int) ([]string, error) {
	var paths []string
	next := "/credentials?limit=1000"
	for next != "" && len(paths) < max {
		req, err := http.NewRequest(http.MethodGet, server+next, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/ld+json")
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			View struct {
				Next string `json:"next"`
			} `json:"view"`
			Member []struct {
				ID string `json:"id"`
			} `json:"member"`
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s%s: %d", server, next, res.StatusCode)
		}
		if err != nil {
			return nil, fmt.Errorf("GET %s%s: %w", server, next, err)
		}
		for _, m := range page.Member {
			if i := strings.Index(m.ID, "/resources/"); i >= 0 && len(paths) < max {
				paths = append(paths, m.ID[i:])
			}
		}
		next = ""
		if page.View.Next != "" {
			u, err := url.Parse(page.View.Next)
			if err != nil {
				return nil, fmt.Errorf("next page %q: %w", page.View.Next, err)
			}
			next = u.RequestURI()
		}
	}
	return paths, nil
}
