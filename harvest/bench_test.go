package harvest

// Benchmarks and figures of the harvest reads: fragments (first pages of
// every pattern kind, deep pages by cursor and by number), the dump and
// the dataset description.
//
// On a store of CREDREG_BENCH_N synthetic credentials (default 100000;
// synth.Credential, the records of registry's BenchmarkGet):
//
//	go test -run '^$' -bench 'BenchmarkFragment|BenchmarkVoID|BenchmarkDump' -benchtime 20x ./harvest/
//
// On a copy of a prepared store (never the shared original: the first
// open upgrades a layout 1 store in place), printing "credreg-bench:"
// lines:
//
//	cp -a /tmp/listbench-store /tmp/harvest-store-copy
//	CREDREG_HARVEST_STORE=/tmp/harvest-store-copy go test -run '^TestHarvestFigures$' -v -timeout 30m ./harvest/

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/catalog"
	"credreg/internal/synth"
	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// synthCredential is the record of the i-th synthetic credential.
func synthCredential(base schema.Base, i int) registry.Record {
	iri, quads := synth.Credential(base, i)
	return registry.Record{IRI: iri, Quads: quads}
}

// benchFixture is the benchmarks' store, built once per process and
// closed after loading (removed by TestMain).
var benchFixture struct {
	once  sync.Once
	err   error
	dir   string // the temporary directory holding the store
	store string // the store URL
}

// benchLoadBatch is the batch of the load: 1000 records, or as many as
// MaxBatchQuads allows with their bookkeeping.
const benchLoadBatch = min(1000, registry.MaxBatchQuads/(synth.QuadsPerCredential+registry.BookkeepingQuads))

// loadBenchStore builds the benchmarks' store of synth.N synthetic
// credentials, once per process.
func loadBenchStore(b *testing.B) {
	f := &benchFixture
	f.once.Do(func() {
		base := synth.Base(b)
		n := synth.N(b)
		f.dir, f.err = os.MkdirTemp("", "credreg-bench-harvest-")
		if f.err != nil {
			return
		}
		f.store = "badger://" + filepath.Join(f.dir, "store")
		ctx := context.Background()
		s, err := registry.Open(ctx, f.store, registry.Options{Base: base, NoSync: true, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			f.err = err
			return
		}
		batch := make([]registry.Record, 0, benchLoadBatch)
		for i := 0; i < n; i++ {
			batch = append(batch, synthCredential(base, i))
			if len(batch) == benchLoadBatch || i == n-1 {
				if _, err := s.PutBatch(ctx, "bench", batch); err != nil {
					_ = s.Close()
					f.err = fmt.Errorf("load credentials %d..%d: %w", i+1-len(batch), i, err)
					return
				}
				batch = batch[:0]
			}
		}
		f.err = s.Close()
	})
	if f.err != nil {
		b.Fatalf("build the benchmarks' store: %v", f.err)
	}
}

// openHarvestBench opens the benchmarks' store (loading it once per
// process) and its Harvester.
func openHarvestBench(b *testing.B) (*registry.Store, *Harvester) {
	loadBenchStore(b)
	s, err := registry.Open(context.Background(), benchFixture.store, registry.Options{Base: synth.Base(b), NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s, New(s)
}

// describe answers the dataset description as the server does: the
// catalog's class partitions and designations, then DatasetDescription.
func describe(ctx context.Context, cat *catalog.Catalog, h *Harvester, info DatasetInfo) ([]byte, []byte, error) {
	facets, err := cat.Facets(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range facets.Types {
		info.Classes = append(info.Classes, ClassCount{IRI: t.IRI, Count: t.Count})
	}
	info.Designations = cat.ListStatus().Designations
	return h.DatasetDescription(ctx, info)
}

// harvestPatterns are the pattern kinds measured, with terms taken from
// the store's first record that has a type, an owner and a name.
func harvestPatterns(tb testing.TB, s *registry.Store) []struct {
	name string
	p    Pattern
} {
	ctx := context.Background()
	pub := s.Published()
	typ := quad.IRI(schema.RDFType)
	page, _, err := pub.Match(ctx, Pattern{Predicate: quad.IRI(schema.OwnedBy)}, nil, 1)
	if err != nil || len(page) == 0 {
		tb.Fatalf("no statement of %s: %v", schema.OwnedBy, err)
	}
	owned := page[0]
	rec, _, err := pub.Match(ctx, Pattern{Subject: owned.Subject, Graph: owned.Label}, nil, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	var class, name quad.Value
	for _, q := range rec {
		switch string(rdf.IRIOf(q.Predicate)) {
		case schema.RDFType:
			class = q.Object
		case schema.Name:
			name = q.Object
		}
	}
	if class == nil || name == nil {
		tb.Fatalf("%v has no type or no name", owned.Subject)
	}
	agencies, _, err := pub.Match(ctx, Pattern{Predicate: quad.IRI(schema.DesignatingAgency)}, nil, 1)
	if err != nil || len(agencies) == 0 {
		tb.Fatalf("no designation: %v", err)
	}
	agency := agencies[0].Object
	desig := quad.IRI(schema.ClassValueDesignation)
	s0, g := owned.Subject, owned.Label
	return []struct {
		name string
		p    Pattern
	}{
		{"unbound", Pattern{}},
		{"S", Pattern{Subject: s0}},
		{"P-type", Pattern{Predicate: typ}},
		{"P-ownedBy", Pattern{Predicate: owned.Predicate}},
		{"P-modified(bookkeeping-heavy)", Pattern{Predicate: quad.IRI(schema.PropDCTModified)}},
		{"O-owner(popular)", Pattern{Object: owned.Object}},
		{"O-class", Pattern{Object: class}},
		{"O-agency(popular)", Pattern{Object: agency}},
		{"O-designation-class(popular)", Pattern{Object: desig}},
		{"O-literal", Pattern{Object: name}},
		{"O-create(bookkeeping-only)", Pattern{Object: quad.String("create")}},
		{"SP", Pattern{Subject: s0, Predicate: typ}},
		{"PO-class", Pattern{Predicate: typ, Object: class}},
		{"PO-owner", Pattern{Predicate: owned.Predicate, Object: owned.Object}},
		{"PO-designation-class(popular)", Pattern{Predicate: typ, Object: desig}},
		{"PO-agency(popular)", Pattern{Predicate: quad.IRI(schema.DesignatingAgency), Object: agency}},
		{"SO", Pattern{Subject: s0, Object: owned.Object}},
		{"SPO", Pattern{Subject: s0, Predicate: owned.Predicate, Object: owned.Object}},
		{"G", Pattern{Graph: g}},
		{"SG", Pattern{Subject: s0, Graph: g}},
		{"PG", Pattern{Predicate: typ, Graph: g}},
		{"OG", Pattern{Object: owned.Object, Graph: g}},
		{"SPOG", Pattern{Subject: s0, Predicate: owned.Predicate, Object: owned.Object, Graph: g}},
		{"G-bookkeeping", Pattern{Graph: quad.IRI("urn:credreg:graph:changes")}},
	}
}

// BenchmarkFragment reads the first page of every pattern kind, a deep
// page through the cursor of the page before, and the same page by
// number alone.
func BenchmarkFragment(b *testing.B) {
	s, h := openHarvestBench(b)
	ctx := context.Background()
	for _, pc := range harvestPatterns(b, s) {
		b.Run("first/"+pc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := h.Fragment(ctx, pc.p, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, pc := range []struct {
		name string
		p    Pattern
	}{{"unbound", Pattern{}}, {"P-type", Pattern{Predicate: quad.IRI(schema.RDFType)}}} {
		f, err := h.Fragment(ctx, pc.p, 1)
		if err != nil {
			b.Fatal(err)
		}
		deep := f.Total / FragmentPageSize / 2
		cursor, err := pageCursor(ctx, s, pc.p, deep)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("cursor-page-%d/%s", deep, pc.name), func(b *testing.B) {
			for b.Loop() {
				f, err := h.FragmentAfter(ctx, pc.p, deep, cursor)
				if err != nil || len(f.Triples) != FragmentPageSize {
					b.Fatal(err, len(f.Triples))
				}
			}
		})
		// What a page number alone would cost (the registry refuses one
		// past MaxPageWithoutCursor): passing the pages before it.
		b.Run(fmt.Sprintf("skip-to-page-%d/%s", deep, pc.name), func(b *testing.B) {
			for b.Loop() {
				if _, err := pageCursor(ctx, s, pc.p, deep); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDump writes the whole dump (to nowhere).
func BenchmarkDump(b *testing.B) {
	_, h := openHarvestBench(b)
	var st DumpStats
	for b.Loop() {
		var err error
		if st, err = h.Dump(context.Background(), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Quads)*float64(b.N)/b.Elapsed().Seconds(), "statements/s")
}

// BenchmarkVoID renders the dataset description: as it stands, and
// after a write.
func BenchmarkVoID(b *testing.B) {
	s, h := openHarvestBench(b)
	ctx := context.Background()
	cat := catalog.New(s, catalog.Options{NoListSnapshot: true})
	if err := cat.WarmList(ctx); err != nil {
		b.Fatal(err)
	}
	info := DatasetInfo{IRI: "https://registry.example.gov/.well-known/void#registry", Dataset: "https://registry.example.gov/fragments"}
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := describe(ctx, cat, h, info); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("after-write", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			rec := synthCredential(s.Base(), i%1000)
			rec.Quads[2].Object = quad.String("Renamed by BenchmarkVoID " + strconv.Itoa(i))
			if _, err := s.Put(ctx, "bench", rec); err != nil {
				b.Fatal(err)
			}
			if _, _, err := describe(ctx, cat, h, info); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestHarvestFigures prints the harvest figures of the store in
// $CREDREG_HARVEST_STORE (a copy: it is opened writable, and a layout 1
// store is upgraded in place): open time, the dataset description's
// counts and its first answer, the first page of every pattern kind cold
// (the first read after open) and warm with its count, deep pages by
// cursor and by number, and the dump's time and rate.
func TestHarvestFigures(t *testing.T) {
	dir := os.Getenv("CREDREG_HARVEST_STORE")
	if dir == "" {
		t.Skip("set CREDREG_HARVEST_STORE to a copy of a store")
	}
	ctx := context.Background()
	out := func(format string, a ...any) { fmt.Printf("credreg-bench: "+format+"\n", a...) }
	start := time.Now()
	s, err := registry.Open(ctx, "badger://"+dir, registry.Options{Base: synth.Base(t), AdoptStoredBase: true, MustExist: true, NoSync: true, DocumentCache: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := New(s)
	out("open %v (sequence %d)", time.Since(start).Round(time.Millisecond), s.Sequence())
	start = time.Now()
	triples, records, err := h.counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out("void-counts cold %v triples=%d records=%d", time.Since(start).Round(time.Microsecond), triples, records)
	for _, pc := range harvestPatterns(t, s) {
		start := time.Now()
		f, err := h.Fragment(ctx, pc.p, 1)
		if err != nil {
			t.Fatal(err)
		}
		cold := time.Since(start)
		start = time.Now()
		if _, err := h.Fragment(ctx, pc.p, 1); err != nil {
			t.Fatal(err)
		}
		out("fragment %-30s first page cold %9v warm %9v count=%d page=%d", pc.name, cold.Round(time.Microsecond),
			time.Since(start).Round(time.Microsecond), f.Total, len(f.Triples))
	}
	for _, p := range []Pattern{{}, {Predicate: quad.IRI(schema.RDFType)}} {
		f, err := h.Fragment(ctx, p, 1)
		if err != nil {
			t.Fatal(err)
		}
		deep := f.Total / FragmentPageSize / 2
		start := time.Now()
		cursor, err := pageCursor(ctx, s, p, deep)
		if err != nil {
			t.Fatal(err)
		}
		byNumber := time.Since(start)
		start = time.Now()
		g, err := h.FragmentAfter(ctx, p, deep, cursor)
		if err != nil || len(g.Triples) != FragmentPageSize {
			t.Fatal(err)
		}
		out("fragment %s passing %d pages (what a page number alone would cost) %v, page %d by cursor %v", patternString(p), deep-1, byNumber.Round(time.Millisecond),
			deep, time.Since(start).Round(time.Microsecond))
	}
	start = time.Now()
	st, err := h.Dump(ctx, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	out("dump %v records=%d quads=%d sequence=%d %.0f statements/s", el.Round(time.Millisecond), st.Records, st.Quads, st.Sequence,
		float64(st.Quads)/el.Seconds())
	start = time.Now()
	cat := catalog.New(s, catalog.Options{NoListSnapshot: true})
	if err := cat.WarmList(ctx); err != nil {
		t.Fatal(err)
	}
	out("list index (class partitions of the description) %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if _, _, err := describe(ctx, cat, h, DatasetInfo{IRI: "http://x.invalid/void#r", Dataset: "http://x.invalid/fragments"}); err != nil {
		t.Fatal(err)
	}
	out("void first answer (list index built) %v", time.Since(start).Round(time.Microsecond))
}

// pageCursor is the after= cursor of page (1-based) of the fragment of p:
// the backend passes the pages before it, as a page number alone would.
func pageCursor(ctx context.Context, s *registry.Store, p Pattern, page int) (string, error) {
	c, err := s.Published().Skip(ctx, p, nil, (page-1)*FragmentPageSize)
	if err != nil || c == nil {
		return "", fmt.Errorf("skip to page %d: %v (cursor %x)", page, err, c)
	}
	return base64.RawURLEncoding.EncodeToString(c), nil
}
