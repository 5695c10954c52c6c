package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"credreg/catalog"
	"credreg/catalog/catalogtest"
	"credreg/ingest/seed"
	"credreg/registry"
	"credreg/schema"
)

// benchStore opens the store at $CREDREG_BENCH_STORE (synthetic is then
// set), or a new one with the fixtures loaded; it closes with the
// benchmark.
func benchStore(b *testing.B) (store *registry.Store, synthetic bool) {
	b.Helper()
	dir := os.Getenv("CREDREG_BENCH_STORE")
	synthetic = dir != ""
	if dir == "" {
		dir = b.TempDir()
	}
	base, _ := schema.NewBase("http://bench.invalid")
	store, err := registry.Open(context.Background(), "badger://"+dir, registry.Options{Base: base, AdoptStoredBase: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	if !synthetic {
		if _, err := seed.Load(context.Background(), store, seed.Options{Sample: true, Logger: slog.New(slog.DiscardHandler)}); err != nil {
			b.Fatal(err)
		}
	}
	return store, synthetic
}

// BenchmarkListHTTP measures list queries through the real HTTP server on
// loopback: each sub-benchmark sends b.N requests one after another and
// reports the p50, p95 and p99 latency. It runs on the store at
// $CREDREG_BENCH_STORE (see bench/list.sh, which builds one of 100k
// credentials with 150k designations), or on the fixtures. With
// $CREDREG_BENCH_URL (a base URL such as http://127.0.0.1:8080) it sends
// the same queries to that running server instead, whatever its store
// (bench/backends.sh: Badger beside PostgreSQL), and takes its data to be
// synthetic.
func BenchmarkListHTTP(b *testing.B) {
	ctx := context.Background()
	baseURL := strings.TrimRight(os.Getenv("CREDREG_BENCH_URL"), "/")
	synthetic := baseURL != ""
	if baseURL == "" {
		var store *registry.Store
		store, synthetic = benchStore(b)
		start := time.Now()
		if err := catalogtest.Of(b, store).WarmList(ctx); err != nil {
			b.Fatal(err)
		}
		all, err := catalogtest.Of(b, store).List(ctx, catalog.ListQuery{Active: catalog.ActiveAny, Limit: 1})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Printf("list-bench: index built in %s: %d credentials; Go heap after a GC %d MiB\n",
			took.Round(time.Millisecond), all.Total, ms.HeapAlloc>>20)
		h, err := New(Config{Catalog: catalogtest.Of(b, store), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(h)
		defer srv.Close()
		baseURL = srv.URL
	}
	queries := []struct{ name, query string }{
		{"cluster+region", "cluster=Digital+Technology&region=Statewide&limit=50"},
		{"of-value-today", "limit=50"},
		{"q-rare", "q=synthetic+4242&limit=50"},
		{"q-broad", "q=synthetic+credential&limit=50"},
		{"soc+criteria", "soc=15-1212&criteria=high-wage&limit=50"},
		// The forgiving search: word starts, and slips that only a scan
		// of the vocabulary finds.
		{"q-prefix", "q=synth+cred&limit=50"},
		{"q-slip", "q=synthetc+credentail&limit=50"},
		// One word that every credential holds, and a short name (the
		// initials of the sample's Certified Nursing Assistant).
		{"q-word", "q=credential&limit=50"},
		{"q-short", "q=cna&limit=50"},
	}
	if !synthetic {
		queries[2].query, queries[3].query = "q=nursing&limit=50", "q=certificate&limit=50"
		queries[5].query, queries[6].query = "q=nurs+cert&limit=50", "q=nursign+certificat&limit=50"
		queries[7].query = "q=technician&limit=50"
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			url := baseURL + "/credentials?" + q.query
			lat := make([]time.Duration, 0, b.N)
			var body []byte
			for i := 0; i < b.N; i++ {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Accept", "application/ld+json")
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body, _ = io.ReadAll(res.Body)
				res.Body.Close()
				lat = append(lat, time.Since(t0))
				if res.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", url, res.StatusCode)
				}
			}
			var page struct {
				TotalItems int `json:"totalItems"`
			}
			if err := json.Unmarshal(body, &page); err != nil {
				b.Fatal(err)
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			pct := func(p float64) float64 {
				return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			verdict := "met"
			if pct(0.95) >= 20 {
				verdict = "NOT met"
			}
			if b.N == 1 {
				return // the probe run
			}
			fmt.Printf("list-bench: query=%-15s matches=%-6d n=%d p50=%.2fms p95=%.2fms p99=%.2fms body=%dB (goal p95 < 20 ms: %s)\n",
				q.name, page.TotalItems, len(lat), pct(0.50), pct(0.95), pct(0.99), len(body), verdict)
		})
	}
}
