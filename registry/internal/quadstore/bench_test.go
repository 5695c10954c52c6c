package quadstore

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
)

// recordsPerCall is the number of records per ApplyDeltas in the
// benchmarks: 7,500 statements, one Badger transaction, like one import
// batch of credreg.
const recordsPerCall = 500

func loadRecords(tb testing.TB, qs *QuadStore, from, n int) {
	var batch []graph.Delta
	for i := from; i < from+n; i++ {
		for _, q := range credentialRecord(i) {
			batch = append(batch, graph.Delta{Quad: q, Action: graph.Add})
		}
		if (i-from+1)%recordsPerCall == 0 || i == from+n-1 {
			if err := qs.ApplyDeltas(batch, graph.IgnoreOpts{IgnoreDup: true}); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// BenchmarkApplyDeltas writes b.N credential-like records (15 statements
// each, in their own named graph) in calls of 500 records, then writes the
// very keys and values the store ended up with (read back in chunks of
// 200,000, shuffled within a chunk) into a fresh Badger with a WriteBatch
// per chunk, with the same Badger options; only the writes are timed.
// Both skip fsync (NoSync) and sync once at the end. Run it with
// -benchtime=100000x for 100k records.
func BenchmarkApplyDeltas(b *testing.B) {
	dir := b.TempDir()
	qs, err := Open(dir+"/qs", Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer qs.Close()
	b.ResetTimer()
	start := time.Now()
	loadRecords(b, qs, 0, b.N)
	if err := qs.Sync(); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	b.StopTimer()
	stmts := float64(b.N * 15)
	b.ReportMetric(stmts/took.Seconds(), "stmts/s")

	// The same keys through a raw WriteBatch.
	raw, err := Open(dir+"/raw", Options{NoSync: true}) // same Badger options
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	rdb := raw.Badger()
	var keys, vals [][]byte
	var rawTook time.Duration
	nkeys := 0
	flush := func() {
		rand.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i]; vals[i], vals[j] = vals[j], vals[i] })
		t0 := time.Now()
		wb := rdb.NewWriteBatch()
		for i := range keys {
			if err := wb.Set(keys[i], vals[i]); err != nil {
				b.Fatal(err)
			}
		}
		if err := wb.Flush(); err != nil {
			b.Fatal(err)
		}
		rawTook += time.Since(t0)
		nkeys += len(keys)
		keys, vals = nil, nil
	}
	err = qs.Badger().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			keys = append(keys, it.Item().KeyCopy(nil))
			vals = append(vals, v)
			if len(keys) == 200000 {
				flush()
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	flush()
	t0 := time.Now()
	if err := rdb.Sync(); err != nil {
		b.Fatal(err)
	}
	rawTook += time.Since(t0)
	b.ReportMetric(float64(nkeys)/stmts, "keys/stmt")
	b.ReportMetric(float64(nkeys)/took.Seconds(), "keys/s")
	b.ReportMetric(float64(nkeys)/rawTook.Seconds(), "raw-keys/s")
	b.ReportMetric(rawTook.Seconds()/took.Seconds(), "ratio-vs-raw")
}

var fixture struct {
	once sync.Once
	dir  string
	n    int
	err  error
}

// benchStore opens the shared benchmark store of CREDREG_QS_BENCH_RECORDS
// records (default 100,000), building it on first use; every call opens it
// anew, so Badger's caches start cold (the OS page cache does not).
func benchStore(b *testing.B) *QuadStore {
	fixture.once.Do(func() {
		fixture.n = 100000
		if s := os.Getenv("CREDREG_QS_BENCH_RECORDS"); s != "" {
			fixture.n, fixture.err = strconv.Atoi(s)
		}
		if fixture.err != nil {
			return
		}
		fixture.dir, fixture.err = os.MkdirTemp("", "quadstore-bench-")
		if fixture.err != nil {
			return
		}
		qs, err := Open(fixture.dir, Options{NoSync: true})
		if err != nil {
			fixture.err = err
			return
		}
		t0 := time.Now()
		loadRecords(b, qs, 0, fixture.n)
		b.Logf("built the fixture: %d records, %d statements in %v", fixture.n, fixture.n*15, time.Since(t0).Round(time.Millisecond))
		fixture.err = qs.Close()
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	qs, err := Open(fixture.dir, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	return qs
}

// BenchmarkFirstPage answers a fragment cold: the exact count and the first
// page of 100 statements, on a store just opened.
func BenchmarkFirstPage(b *testing.B) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		p    Pattern
	}{
		{"predicate", Pattern{Predicate: quad.IRI(ceterms + "occupationType")}},
		{"predicate+object", Pattern{Predicate: quad.IRI(ceterms + "occupationType"), Object: quad.IRI(base + "schemes/soc/7")}},
		{"object", Pattern{Object: quad.IRI(base + "schemes/soc/7")}},
		{"subject", Pattern{Subject: credentialRecord(4321)[0].Subject}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var count int64
			for range b.N {
				b.StopTimer()
				qs := benchStore(b)
				b.StartTimer()
				n, err := qs.Count(ctx, tc.p)
				if err != nil {
					b.Fatal(err)
				}
				page, _, err := qs.Match(ctx, tc.p, nil, 100)
				if err != nil || len(page) == 0 {
					b.Fatal(err, len(page))
				}
				count = n
				b.StopTimer()
				_ = qs.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(count), "matches")
		})
	}
}

// BenchmarkDeepPage follows the cursor of a predicate-only pattern 200
// pages deep (20,000 statements) on a warm store: the cost per page.
func BenchmarkDeepPage(b *testing.B) {
	ctx := context.Background()
	qs := benchStore(b)
	defer qs.Close()
	p := Pattern{Predicate: quad.IRI(ceterms + "name")}
	b.ResetTimer()
	for range b.N {
		var after []byte
		for range 200 {
			page, next, err := qs.Match(ctx, p, after, 100)
			if err != nil || len(page) != 100 {
				b.Fatal(err)
			}
			after = next
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*200), "µs/page")
}

// BenchmarkDump reads every statement with its terms, in pages of 10,000.
func BenchmarkDump(b *testing.B) {
	ctx := context.Background()
	qs := benchStore(b)
	defer qs.Close()
	b.ResetTimer()
	total := 0
	for range b.N {
		var after []byte
		for {
			page, next, err := qs.Match(ctx, Pattern{}, after, 10000)
			if err != nil {
				b.Fatal(err)
			}
			total += len(page)
			if next == nil {
				break
			}
			after = next
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "stmts/s")
}
