package registry

// Benchmarks of the registry store on synthetic credentials, and the
// generator and N-Quads dump that bench/run.sh uses to compare with raw
// Badger and with Oxigraph. They run only with -bench:
//
//	go test -run '^$' -bench 'BenchmarkPut|BenchmarkGet' -benchtime 20000x ./registry/
//
// CREDREG_BENCH_N sets the number of credentials in BenchmarkGet's store
// (default 100000). CREDREG_BENCH_DUMP=path makes TestDumpSynthNQuads write
// the same CREDREG_BENCH_N credentials as N-Quads (graph label = record IRI).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"

	"credreg/internal/pgtest"
	"credreg/internal/synth"
	"credreg/rdf"
	"credreg/registry/internal/badgerkv"
	"credreg/schema"
)

// benchQuadsPerCredential is the number of statements synthCredential
// builds; TestSynthCredentialIsValid checks it.
const benchQuadsPerCredential = synth.QuadsPerCredential

// synthCredential builds the record of the i-th synthetic credential
// (synth.Credential: 15 statements, depending only on base and i).
func synthCredential(base schema.Base, i int) Record {
	iri, quads := synth.Credential(base, i)
	return Record{IRI: iri, Quads: quads}
}

func TestSynthCredentialIsValid(t *testing.T) {
	ctx := context.Background()
	base := synth.Base(t)
	s, err := Open(ctx, "badger://"+t.TempDir(), Options{Base: base, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seen := map[string]bool{}
	var recs []Record
	for i := 0; i < 300; i++ {
		rec := synthCredential(base, i)
		if ps := s.Validate(rec); len(ps) > 0 {
			t.Fatalf("credential %d is invalid: %v", i, ps)
		}
		if q, _ := rdf.Canonicalize(rec.Quads); len(q) != benchQuadsPerCredential {
			t.Fatalf("credential %d has %d distinct statements, want %d", i, len(q), benchQuadsPerCredential)
		}
		if seen[rec.IRI] {
			t.Fatalf("credential %d repeats IRI %s", i, rec.IRI)
		}
		seen[rec.IRI] = true
		recs = append(recs, rec)
	}
	if again := synthCredential(base, 7); again.IRI != recs[7].IRI || rdf.NQuads(again.Quads) == nil ||
		string(rdf.NQuads(again.Quads)) != string(rdf.NQuads(recs[7].Quads)) {
		t.Error("synthCredential is not deterministic")
	}
	if _, err := s.PutBatch(ctx, "bench", recs); err != nil {
		t.Fatalf("PutBatch: %v", err)
	}
	d, err := s.Document(ctx, recs[0].IRI)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.JSONLD(); err != nil {
		t.Fatalf("render: %v", err)
	}
}

// TestDumpSynthNQuads writes CREDREG_BENCH_N synthetic credentials as
// N-Quads (each in its record's graph) to $CREDREG_BENCH_DUMP, for loading
// into other stores. Skipped unless that variable is set.
func TestDumpSynthNQuads(t *testing.T) {
	path := os.Getenv("CREDREG_BENCH_DUMP")
	if path == "" {
		t.Skip("set CREDREG_BENCH_DUMP=path to write the synthetic credentials as N-Quads")
	}
	base := synth.Base(t)
	n := synth.N(t)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	quads := 0
	for i := 0; i < n; i++ {
		rec := synthCredential(base, i)
		g := quad.IRI(rec.IRI)
		for _, q := range rec.Quads {
			w.WriteString(rdf.NQuadLine(q.Subject, q.Predicate, q.Object, g))
			quads++
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("credreg-bench: dump records=%d quads=%d file=%s\n", n, quads, path)
}

// reportRate adds records/s and quads/s for b.N records.
func reportRate(b *testing.B) {
	sec := b.Elapsed().Seconds()
	if sec <= 0 {
		return
	}
	b.ReportMetric(float64(b.N)/sec, "records/s")
	b.ReportMetric(float64(b.N*benchQuadsPerCredential)/sec, "quads/s")
}

// benchPutBatch is BenchmarkPut's batch: 500 records (12500 statements
// with bookkeeping), within MaxBatchQuads.
const benchPutBatch = min(500, MaxBatchQuads/(benchQuadsPerCredential+BookkeepingQuads))

// BenchmarkPut writes b.N credentials (one op = one credential) in batches
// of 500 into a fresh store with sync writes on: through the registry
// (validation, canonical hashing, the quad store's dictionary and six
// indexes, bookkeeping and change log), and into raw Badger v4 databases:
//
//   - raw-badger: one key per statement (its N-Quads line), Badger's
//     WriteBatch, no sync; a floor that writes far fewer keys than any
//     indexed store;
//   - raw-badger-samekeys: every key and value the registry wrote to
//     Badger writing the same records (index keys, dictionary, counters,
//     for the content and the bookkeeping; recorded untimed by a Badger
//     subscription), commit by commit in the order Badger applied them,
//     one WriteBatch per commit with the registry's Badger options and
//     one Sync after each, as the registry syncs once per batch.
//
// registry ÷ raw-badger-samekeys is the cost of the stack above Badger for
// the same Badger work; registry ÷ raw-badger also counts the layout's
// extra keys.
// registry-postgres is the registry on PostgreSQL (pgtest's database).
func BenchmarkPut(b *testing.B) {
	base := synth.Base(b)
	gen := func(n int) []Record {
		recs := make([]Record, n)
		for i := range recs {
			recs[i] = synthCredential(base, i)
		}
		return recs
	}
	b.Run("registry", func(b *testing.B) {
		recs := gen(b.N)
		ctx := context.Background()
		s, err := Open(ctx, "badger://"+b.TempDir(), Options{Base: base})
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for lo := 0; lo < len(recs); lo += benchPutBatch {
			hi := min(lo+benchPutBatch, len(recs))
			if _, err := s.PutBatch(ctx, "bench", recs[lo:hi]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		reportRate(b)
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("registry-postgres", func(b *testing.B) {
		recs := gen(b.N)
		ctx := context.Background()
		s, err := Open(ctx, pgtest.NewDatabase(b), Options{Base: base, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for lo := 0; lo < len(recs); lo += benchPutBatch {
			hi := min(lo+benchPutBatch, len(recs))
			if _, err := s.PutBatch(ctx, "bench", recs[lo:hi]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		reportRate(b)
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("raw-badger", func(b *testing.B) {
		recs := gen(b.N)
		db, err := badgerkv.Open(badgerkv.Options{Dir: b.TempDir(), MemTableSize: badgerMemTable})
		if err != nil {
			b.Fatal(err)
		}
		bdb := db.Badger()
		val := make([]byte, 8)
		b.ResetTimer()
		for lo := 0; lo < len(recs); lo += benchPutBatch {
			hi := min(lo+benchPutBatch, len(recs))
			wb := bdb.NewWriteBatch()
			for _, rec := range recs[lo:hi] {
				g := quad.IRI(rec.IRI)
				for _, q := range rec.Quads {
					if err := wb.Set([]byte(rdf.NQuadLine(q.Subject, q.Predicate, q.Object, g)), val); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := wb.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		reportRate(b)
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("raw-badger-samekeys", func(b *testing.B) {
		benchPutSameKeys(b, base, gen(b.N))
	})
}

// benchPutSameKeys is BenchmarkPut's raw-badger-samekeys.
func benchPutSameKeys(b *testing.B, base schema.Base, recs []Record) {
	// Untimed: the registry writes recs, a subscription records every
	// Badger write it makes, by commit, and the options it opened Badger
	// with are kept.
	ctx := context.Background()
	s, err := Open(ctx, "badger://"+b.TempDir(), Options{Base: base, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	bdb := s.be.(badgerDB).Badger()
	opts := bdb.Opts()
	var (
		mu      sync.Mutex
		commits [][]*pb.KV // by commit
		last    uint64     // the version of the last commit seen
	)
	subCtx, cancel := context.WithCancel(ctx)
	subDone := make(chan error, 1)
	go func() {
		subDone <- bdb.Subscribe(subCtx, func(l *badger.KVList) error {
			mu.Lock()
			defer mu.Unlock()
			for _, kv := range l.Kv {
				if strings.HasPrefix(string(kv.Key), "!badger!") {
					continue
				}
				if kv.Version != last || len(commits) == 0 {
					commits = append(commits, nil)
					last = kv.Version
				}
				commits[len(commits)-1] = append(commits[len(commits)-1], kv)
			}
			return nil
		}, []pb.Match{{Prefix: []byte{}}})
	}()
	time.Sleep(100 * time.Millisecond) // let the subscription start
	for lo := 0; lo < len(recs); lo += benchPutBatch {
		if _, err := s.PutBatch(ctx, "bench", recs[lo:min(lo+benchPutBatch, len(recs))]); err != nil {
			b.Fatal(err)
		}
	}
	want := bdb.MaxVersion()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		seen := last
		mu.Unlock()
		if seen >= want {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the subscription saw commits up to version %d of %d", seen, want)
		}
	}
	cancel()
	if err := <-subDone; err != nil && !errors.Is(err, context.Canceled) {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	keys := 0
	for _, c := range commits {
		keys += len(c)
	}

	dir := b.TempDir()
	db, err := badger.Open(opts.WithDir(dir).WithValueDir(dir))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for _, c := range commits {
		wb := db.NewWriteBatch()
		for _, kv := range c {
			if err := wb.Set(kv.Key, kv.Value); err != nil {
				b.Fatal(err)
			}
		}
		if err := wb.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := db.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRate(b)
	b.ReportMetric(float64(keys)/float64(b.N), "keys/op")
	b.ReportMetric(float64(len(commits)), "commits")
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
}

// getFixture is BenchmarkGet's store, built once per process and closed
// after loading: the sub-benchmarks open it in the mode they need (one
// Badger handle at a time).
var getFixture struct {
	once   sync.Once
	err    error
	dir    string // the temporary directory holding the store
	store  string // the store URL
	n      int
	random []string // IRIs of random credentials, cycled through by the lookups
}

// getLoadBatch is the batch of BenchmarkGet's load: 1000 records, or as
// many as MaxBatchQuads allows with their bookkeeping (600 at 15000).
const getLoadBatch = min(1000, MaxBatchQuads/(benchQuadsPerCredential+BookkeepingQuads))

func loadGetFixture(b *testing.B) {
	f := &getFixture
	f.once.Do(func() {
		base := synth.Base(b)
		f.n = synth.N(b)
		f.dir, f.err = os.MkdirTemp("", "credreg-bench-get-")
		if f.err != nil {
			return
		}
		f.store = "badger://" + filepath.Join(f.dir, "store")
		ctx := context.Background()
		s, err := Open(ctx, f.store, Options{Base: base, NoSync: true})
		if err != nil {
			f.err = err
			return
		}
		start := time.Now()
		batch := make([]Record, 0, getLoadBatch)
		for i := 0; i < f.n; i++ {
			batch = append(batch, synthCredential(base, i))
			if len(batch) == getLoadBatch || i == f.n-1 {
				if _, err := s.PutBatch(ctx, "bench", batch); err != nil {
					_ = s.Close()
					f.err = fmt.Errorf("load credentials %d..%d: %w", i+1-len(batch), i, err)
					return
				}
				batch = batch[:0]
			}
		}
		if err := s.Close(); err != nil { // flushes: part of the load
			f.err = err
			return
		}
		el := time.Since(start)
		q := f.n * benchQuadsPerCredential
		fmt.Printf("credreg-bench: load records=%d quads=%d batch=%d seconds=%.2f records/s=%.0f quads/s=%.0f (NoSync)\n",
			f.n, q, getLoadBatch, el.Seconds(), float64(f.n)/el.Seconds(), float64(q)/el.Seconds())
		rng := rand.New(rand.NewPCG(1, 2))
		f.random = make([]string, 1<<16)
		for i := range f.random {
			f.random[i] = base.Resource(schema.DerivedCTID("bench", strconv.Itoa(rng.IntN(f.n))))
		}
	})
	if f.err != nil {
		b.Fatalf("build BenchmarkGet store: %v", f.err)
	}
}

// TestMain removes BenchmarkGet's store when the process ends.
func TestMain(m *testing.M) {
	code := m.Run()
	if getFixture.dir != "" {
		_ = os.RemoveAll(getFixture.dir)
	}
	os.Exit(code)
}

// reportLatency adds µs/op and ops/s.
func reportLatency(b *testing.B) {
	sec := b.Elapsed().Seconds()
	if sec <= 0 || b.N == 0 {
		return
	}
	b.ReportMetric(sec*1e6/float64(b.N), "µs/op")
	b.ReportMetric(float64(b.N)/sec, "ops/s")
}

// BenchmarkGet reads one random credential by IRI from a store of
// CREDREG_BENCH_N credentials: its statements (quads), its JSON-LD rendered
// on every request (jsonld-uncached), and its JSON-LD and N-Quads from the
// document cache on a warm working set of 1000 credentials.
func BenchmarkGet(b *testing.B) {
	loadGetFixture(b)
	f := &getFixture
	base := synth.Base(b)
	ctx := context.Background()
	open := func(b *testing.B, cache int) *Store {
		s, err := Open(ctx, f.store, Options{Base: base, DocumentCache: cache})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}

	// Phase 1: a store without a document cache.
	uncached := open(b, -1)
	b.Run("quads", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			rec, err := uncached.Get(ctx, f.random[i%len(f.random)])
			if err != nil {
				b.Fatal(err)
			}
			if len(rec.Quads) != benchQuadsPerCredential {
				b.Fatalf("Get %s: %d statements, want %d", rec.IRI, len(rec.Quads), benchQuadsPerCredential)
			}
		}
		reportLatency(b)
	})
	b.Run("jsonld-uncached", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			d, err := uncached.Document(ctx, f.random[i%len(f.random)])
			if err != nil {
				b.Fatal(err)
			}
			if _, err := d.JSONLD(); err != nil {
				b.Fatal(err)
			}
		}
		reportLatency(b)
	})
	if err := uncached.Close(); err != nil {
		b.Fatal(err)
	}

	// Phase 2: the default document cache, warmed on 1000 credentials.
	cached := open(b, 0)
	defer cached.Close()
	working := f.random[:1000]
	for _, iri := range working {
		d, err := cached.Document(ctx, iri)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.JSONLD(); err != nil {
			b.Fatal(err)
		}
		d.NQuads()
	}
	b.Run("jsonld-cached", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			d, err := cached.Document(ctx, working[i%len(working)])
			if err != nil {
				b.Fatal(err)
			}
			if _, err := d.JSONLD(); err != nil {
				b.Fatal(err)
			}
		}
		reportLatency(b)
	})
	b.Run("nquads-cached", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			d, err := cached.Document(ctx, working[i%len(working)])
			if err != nil {
				b.Fatal(err)
			}
			if len(d.NQuads()) == 0 {
				b.Fatal("empty N-Quads")
			}
		}
		reportLatency(b)
	})
}
