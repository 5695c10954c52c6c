package registry

// Benchmarks and figures of the harvest reads: fragments (first pages of
// every pattern kind, deep pages by cursor and by number), the dump and
// the dataset description.
//
// On BenchmarkGet's store of CREDREG_BENCH_N synthetic credentials
// (default 100000):
//
//	go test -run '^$' -bench 'BenchmarkFragment|BenchmarkVoID|BenchmarkDump' -benchtime 20x ./registry/
//
// On a copy of a prepared store (never the shared original: the first
// open upgrades a layout 1 store in place), printing "credreg-bench:"
// lines:
//
//	cp -a /tmp/listbench-store /tmp/harvest-store-copy
//	CREDREG_HARVEST_STORE=/tmp/harvest-store-copy go test -run '^TestHarvestFigures$' -v -timeout 30m ./registry/

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// openHarvestBench opens BenchmarkGet's store (loading it once per
// process).
func openHarvestBench(b *testing.B) *Store {
	loadGetFixture(b)
	s, err := Open(context.Background(), getFixture.store, Options{Base: benchBase(b), NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// harvestPatterns are the pattern kinds measured, with terms taken from
// the store's first record that has a type, an owner and a name.
func harvestPatterns(tb testing.TB, s *Store) []struct {
	name string
	p    Pattern
} {
	ctx := context.Background()
	typ := quad.IRI(schema.RDFType)
	page, _, err := s.be.Match(ctx, Pattern{Predicate: quad.IRI(schema.OwnedBy), Except: bookkeepingGraphs}, nil, 1)
	if err != nil || len(page) == 0 {
		tb.Fatalf("no statement of %s: %v", schema.OwnedBy, err)
	}
	owned := page[0]
	rec, _, err := s.be.Match(ctx, Pattern{Subject: owned.Subject, Graph: owned.Label}, nil, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	var class, name quad.Value
	for _, q := range rec {
		switch string(asIRI(q.Predicate)) {
		case schema.RDFType:
			class = q.Object
		case schema.Name:
			name = q.Object
		}
	}
	if class == nil || name == nil {
		tb.Fatalf("%v has no type or no name", owned.Subject)
	}
	agencies, _, err := s.be.Match(ctx, Pattern{Predicate: quad.IRI(schema.DesignatingAgency), Except: bookkeepingGraphs}, nil, 1)
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
		{"P-modified(bookkeeping-heavy)", Pattern{Predicate: quad.IRI(predModified)}},
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
		{"G-bookkeeping", Pattern{Graph: quad.IRI(graphChanges)}},
	}
}

// BenchmarkFragment reads the first page of every pattern kind, a deep
// page through the cursor of the page before, and the same page by
// number alone.
func BenchmarkFragment(b *testing.B) {
	s := openHarvestBench(b)
	ctx := context.Background()
	for _, pc := range harvestPatterns(b, s) {
		b.Run("first/"+pc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Fragment(ctx, pc.p, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, pc := range []struct {
		name string
		p    Pattern
	}{{"unbound", Pattern{}}, {"P-type", Pattern{Predicate: quad.IRI(schema.RDFType)}}} {
		f, err := s.Fragment(ctx, pc.p, 1)
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
				f, err := s.FragmentAfter(ctx, pc.p, deep, cursor)
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
	s := openHarvestBench(b)
	var st DumpStats
	for b.Loop() {
		var err error
		if st, err = s.Dump(context.Background(), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Quads)*float64(b.N)/b.Elapsed().Seconds(), "statements/s")
}

// BenchmarkVoID renders the dataset description: as it stands, and
// after a write.
func BenchmarkVoID(b *testing.B) {
	s := openHarvestBench(b)
	ctx := context.Background()
	info := DatasetInfo{IRI: "https://registry.example.gov/.well-known/void#registry", Dataset: "https://registry.example.gov/fragments"}
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.DatasetDescription(ctx, info); err != nil {
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
			if _, _, err := s.DatasetDescription(ctx, info); err != nil {
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
	s, err := Open(ctx, "badger://"+dir, Options{Base: benchBase(t), AdoptStoredBase: true, MustExist: true, NoSync: true, DocumentCache: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out("open %v (sequence %d)", time.Since(start).Round(time.Millisecond), s.Sequence())
	start = time.Now()
	triples, records, err := s.counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out("void-counts cold %v triples=%d records=%d", time.Since(start).Round(time.Microsecond), triples, records)
	for _, pc := range harvestPatterns(t, s) {
		start := time.Now()
		f, err := s.Fragment(ctx, pc.p, 1)
		if err != nil {
			t.Fatal(err)
		}
		cold := time.Since(start)
		start = time.Now()
		if _, err := s.Fragment(ctx, pc.p, 1); err != nil {
			t.Fatal(err)
		}
		out("fragment %-30s first page cold %9v warm %9v count=%d page=%d", pc.name, cold.Round(time.Microsecond),
			time.Since(start).Round(time.Microsecond), f.Total, len(f.Triples))
	}
	for _, p := range []Pattern{{}, {Predicate: quad.IRI(schema.RDFType)}} {
		f, err := s.Fragment(ctx, p, 1)
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
		g, err := s.FragmentAfter(ctx, p, deep, cursor)
		if err != nil || len(g.Triples) != FragmentPageSize {
			t.Fatal(err)
		}
		out("fragment %s passing %d pages (what a page number alone would cost) %v, page %d by cursor %v", patternKey(p), deep-1, byNumber.Round(time.Millisecond),
			deep, time.Since(start).Round(time.Microsecond))
	}
	start = time.Now()
	st, err := s.Dump(ctx, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	out("dump %v records=%d quads=%d sequence=%d %.0f statements/s", el.Round(time.Millisecond), st.Records, st.Quads, st.Sequence,
		float64(st.Quads)/el.Seconds())
	start = time.Now()
	if _, _, err := s.DatasetDescription(ctx, DatasetInfo{IRI: "http://x.invalid/void#r", Dataset: "http://x.invalid/fragments"}); err != nil {
		t.Fatal(err)
	}
	out("void first answer (list index built) %v", time.Since(start).Round(time.Microsecond))
}

// pageCursor is the after= cursor of page (1-based) of the fragment of p:
// the backend passes the pages before it, as a page number alone would.
func pageCursor(ctx context.Context, s *Store, p Pattern, page int) (string, error) {
	if p.Graph == nil {
		p.Except = bookkeepingGraphs
	}
	c, err := s.be.Skip(ctx, p, nil, (page-1)*FragmentPageSize)
	if err != nil || c == nil {
		return "", fmt.Errorf("skip to page %d: %v (cursor %x)", page, err, c)
	}
	return base64.RawURLEncoding.EncodeToString(c), nil
}
