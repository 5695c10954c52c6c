package registry

// Benchmarks of the reads the harvest index answers, on BenchmarkGet's
// store of CREDREG_BENCH_N synthetic credentials (default 100000: 1.5
// million record statements, 2.5 million with the bookkeeping):
//
//	go test -run '^$' -bench 'BenchmarkFragmentPredicateOnly|BenchmarkVoID|BenchmarkHarvestIndexBuild' -benchtime 200x ./registry/

import (
	"context"
	"runtime"
	"strconv"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// openHarvestBench opens BenchmarkGet's store (loading it once per
// process) with its harvest index built.
func openHarvestBench(b *testing.B) *Store {
	loadGetFixture(b)
	s, err := Open(context.Background(), getFixture.store, Options{Base: benchBase(b), NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	if err := s.WarmHarvest(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkFragmentPredicateOnly reads pages of predicate-only fragments
// (and of the unbound pattern): the first, one in the middle, the last,
// and one far past the end; "scan" is one answer the way it was made
// before the harvest index, a read of the whole log, for comparison.
func BenchmarkFragmentPredicateOnly(b *testing.B) {
	s := openHarvestBench(b)
	ctx := context.Background()
	n := getFixture.n
	typ, comp := quad.IRI(schema.RDFType), quad.IRI(schema.TargetCompetency)
	for _, bc := range []struct {
		name string
		pred quad.Value
		page int
		want int // statements on the page
	}{
		{"type-first", typ, 1, FragmentPageSize},
		{"type-middle", typ, n / FragmentPageSize / 2, FragmentPageSize},
		{"type-last", typ, n / FragmentPageSize, FragmentPageSize},
		{"competency-middle", comp, 3 * n / FragmentPageSize / 2, FragmentPageSize},
		{"unbound-middle", nil, benchQuadsPerCredential * n / FragmentPageSize / 2, FragmentPageSize},
		{"type-past-the-end", typ, MaxFragmentPage, 0},
		{"unbound-past-the-end", nil, MaxFragmentPage, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				f, err := s.Fragment(ctx, Pattern{Predicate: bc.pred}, bc.page)
				if err != nil {
					b.Fatal(err)
				}
				if len(f.Triples) != bc.want {
					b.Fatalf("page %d: %d statements of %d, want %d", bc.page, len(f.Triples), f.Total, bc.want)
				}
			}
		})
	}
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			var keep []quad.Quad
			if err := s.scanRecordQuads(ctx, map[quad.IRI]bool{typ: true}, func(q quad.Quad) error {
				keep = append(keep, q)
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			if t, _ := canonical(keep); len(t) != n {
				b.Fatalf("the scan found %d types, want %d", len(t), n)
			}
		}
	})
}

// BenchmarkVoID renders the dataset description: as it stands, and
// after a write (which made the old counts rescan the store).
func BenchmarkVoID(b *testing.B) {
	s := openHarvestBench(b)
	ctx := context.Background()
	if err := s.WarmList(ctx); err != nil {
		b.Fatal(err)
	}
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

// BenchmarkHarvestIndexBuild builds the harvest index from the log (what a
// server does once at start) and reports the memory one index holds.
func BenchmarkHarvestIndexBuild(b *testing.B) {
	s := openHarvestBench(b)
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := s.scanHarvestData(ctx)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	records, statements := d.records, d.statements
	runtime.KeepAlive(d)
	for b.Loop() {
		again, err := s.scanHarvestData(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if again.statements != statements {
			b.Fatalf("built with %d statements, then %d", statements, again.statements)
		}
	}
	b.ReportMetric(held/(1<<20), "MiB-held")
	b.ReportMetric(held/float64(records), "B/record")
	b.ReportMetric(float64(statements), "statements")
}
