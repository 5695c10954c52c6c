package server

import (
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"credreg/catalog/catalogtest"
	"credreg/ingest/seed"
	"credreg/schema"
)

// BenchmarkLoad loads credreg on loopback with 64 connections, beside a
// static file server serving the same bytes from disk in the same run:
// GET /resources/{id} as JSON-LD and TPF pages. It prints requests/s,
// p50/p99 and the ratio to the static server, then the dump's speed. Run
// it once: go test -run '^$' -bench '^BenchmarkLoad$' -benchtime 1x
// ./server/ (bench/load.sh). CREDREG_LOAD_SECONDS sets each phase's
// length (default 5), CREDREG_BENCH_STORE a store to use instead of the
// fixtures.
func BenchmarkLoad(b *testing.B) {
	seconds := 5
	if v := os.Getenv("CREDREG_LOAD_SECONDS"); v != "" {
		fmt.Sscan(v, &seconds)
	}
	store, _ := benchStore(b)
	h, err := New(Config{Catalog: catalogtest.Of(b, store), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	base := store.Base()

	// The documents: every record's resource path (or a sample of them),
	// and the first pages of fragments by predicate.
	recs, err := seed.Records(base, true)
	if err != nil {
		b.Fatal(err)
	}
	var paths []string
	for _, r := range recs {
		if p, ok := base.Path(r.IRI); ok && strings.HasPrefix(p, "/resources/") {
			paths = append(paths, p)
		}
	}
	var fragments []string
	for _, p := range []string{schema.Name, schema.RDFType, schema.CTID, schema.OwnedBy, schema.PrefLabel, schema.Notation, schema.InScheme, schema.Broader} {
		for page := 1; page <= 3; page++ {
			fragments = append(fragments, fmt.Sprintf("/fragments?predicate=%s&page=%d", url.QueryEscape(p), page))
		}
	}
	// The static copies, fetched once from credreg.
	static := b.TempDir()
	files := map[string]string{}
	fetch := func(path string) []byte {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Accept", "application/ld+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d", path, res.StatusCode)
		}
		return body
	}
	for i, p := range append(append([]string{}, paths...), fragments...) {
		name := fmt.Sprintf("doc-%d.jsonld", i)
		if err := os.WriteFile(filepath.Join(static, name), fetch(p), 0o644); err != nil {
			b.Fatal(err)
		}
		files[p] = "/" + name
	}
	fileSrv := httptest.NewServer(http.FileServer(http.Dir(static)))
	defer fileSrv.Close()

	run := func(name string, urls []string) (rps float64, p50, p99 time.Duration) {
		const conns = 64
		// Like for like: the static server does not compress, so neither side
		// is asked to.
		tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
		client := &http.Client{Transport: tr}
		defer tr.CloseIdleConnections()
		var count atomic.Int64
		var mu sync.Mutex
		var lat []time.Duration
		deadline := time.Now().Add(time.Duration(seconds) * time.Second)
		var wg sync.WaitGroup
		for c := 0; c < conns; c++ {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(seed, 7))
				var mine []time.Duration
				for time.Now().Before(deadline) {
					u := urls[rng.IntN(len(urls))]
					req, _ := http.NewRequest(http.MethodGet, u, nil)
					req.Header.Set("Accept", "application/ld+json")
					t0 := time.Now()
					res, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Errorf("%s: %d", u, res.StatusCode)
						return
					}
					mine = append(mine, time.Since(t0))
					count.Add(1)
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}(uint64(c))
		}
		wg.Wait()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		if len(lat) == 0 {
			b.Fatalf("%s: no request completed", name)
		}
		rps = float64(count.Load()) / float64(seconds)
		return rps, lat[len(lat)/2], lat[len(lat)*99/100]
	}
	for _, phase := range []struct {
		name  string
		paths []string
	}{{"resources", paths}, {"fragments", fragments}} {
		var live, stat []string
		for _, p := range phase.paths {
			live = append(live, srv.URL+p)
			stat = append(stat, fileSrv.URL+files[p])
		}
		// Warm the caches once.
		for _, u := range live {
			_ = fetch(strings.TrimPrefix(u, srv.URL))
		}
		sRPS, s50, s99 := run("static", stat)
		cRPS, c50, c99 := run("credreg", live)
		verdict := "met"
		if cRPS < sRPS/2 || c99 > 10*time.Millisecond {
			verdict = "NOT met"
		}
		fmt.Printf("load-bench: %-9s 64 conns %ds: credreg %.0f req/s p50=%s p99=%s; static files %.0f req/s p50=%s p99=%s; ratio %.2f (goal >= 0.50 and p99 < 10ms: %s)\n",
			phase.name, seconds, cRPS, c50.Round(10*time.Microsecond), c99.Round(10*time.Microsecond), sRPS, s50.Round(10*time.Microsecond), s99.Round(10*time.Microsecond), cRPS/sRPS, verdict)
	}

	// The dump: statements per second, decompressed and counted.
	t0 := time.Now()
	res, err := http.Get(srv.URL + "/dump.nq.gz")
	if err != nil {
		b.Fatal(err)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		b.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	res.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	quads := strings.Count(string(data), "\n")
	took := time.Since(t0)
	fmt.Printf("load-bench: dump %d quads in %s: %.0f quads/s (%d bytes uncompressed)\n", quads, took.Round(time.Millisecond), float64(quads)/took.Seconds(), len(data))
}
