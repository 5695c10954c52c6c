package catalog

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// memListStore is a catalog whose list index holds the reference data of
// fixtures/data and n synthetic credentials with 1.5n designations (all of
// them by one agency, every other one by a second), built in memory
// without a database: for profiling the list's queries.
func memListStore(tb testing.TB, n int) *testStore {
	tb.Helper()
	base, _ := schema.NewBase("http://bench.invalid")
	c := &Catalog{base: base, list: newListIndex()}
	c.life, c.stopLife = context.WithCancel(context.Background())
	s := &testStore{Catalog: c}
	ix := c.list
	var fixed []registry.Record
	for _, f := range []string{"career-clusters", "value-criteria", "organizations"} {
		quads, err := rdf.ParseJSONLD(base, fixtureFile(tb, f))
		if err != nil {
			tb.Fatal(err)
		}
		recs, _ := registry.GroupRecords(quads)
		fixed = append(fixed, recs...)
	}
	for _, r := range append(fixed, codeConcepts(base, fixed)...) {
		ix.apply(base, r.IRI, r.Quads)
	}
	subs := []string{"060103", "060102", "040206", "010204", "010102", "030101", "010203"}
	socs := []string{"15-1212", "15-1244", "15-1232", "29-2061", "49-3031", "51-4041", "47-2111", "43-4051", "11-9021", "13-2011"}
	types := []string{"Certification", "Certificate", "License", "AssociateDegree", "ApprenticeshipCertificate", "Badge"}
	regions := []string{"Statewide", "Northeast Heartland Workforce Region", "River Valley Workforce Region"}
	agencies := []string{base.Resource("ce-f426a2a0-0e4c-4ba7-b6fb-a55da02f39f7"), base.Resource("ce-02327000-993b-4166-8e74-bea0a771b3d3")}
	lit := func(s string) quad.Value { return quad.String(s) }
	date := func(s string) quad.Value { return quad.TypedString{Value: quad.String(s), Type: schema.XSDDate} }
	iri := func(s string) quad.Value { return quad.IRI(s) }
	for i := 0; i < n; i++ {
		ctid := schema.DerivedCTID("bench-credential", strconv.Itoa(i))
		c := base.Resource(ctid)
		q := func(p string, o quad.Value) quad.Quad {
			return quad.Quad{Subject: quad.IRI(c), Predicate: quad.IRI(p), Object: o}
		}
		ix.apply(base, c, []quad.Quad{
			q(schema.RDFType, iri(schema.CETerms+types[i%len(types)])),
			q(schema.CTID, lit(ctid)),
			q(schema.Name, lit(fmt.Sprintf("Synthetic Credential 1-%d", i))),
			q(schema.Description, lit(fmt.Sprintf("A synthetic credential number %d for load tests, covering skills of its occupations.", i))),
			q(schema.OwnedBy, iri(base.Resource(schema.DerivedCTID("organization", strconv.Itoa(i%200))))),
			q(schema.OccupationType, iri(base.Concept(schema.SchemeSOC, socs[i%len(socs)]))),
			q(schema.OccupationType, iri(base.Concept(schema.SchemeSOC, socs[(i/3+1)%len(socs)]))),
		})
		for a := 0; a < 2; a++ {
			if a == 1 && i%2 == 1 {
				break
			}
			dctid := schema.DerivedCTID("bench-designation", strconv.Itoa(i), strconv.Itoa(a))
			d := base.Resource(dctid)
			dq := func(p string, o quad.Value) quad.Quad {
				return quad.Quad{Subject: quad.IRI(d), Predicate: quad.IRI(p), Object: o}
			}
			quads := []quad.Quad{
				dq(schema.RDFType, iri(schema.ClassValueDesignation)),
				dq(schema.CTID, lit(dctid)),
				dq(schema.DesignatingAgency, iri(agencies[a])),
				dq(schema.DesignatedFor, iri(c)),
				dq(schema.SubCluster, iri(base.Concept(schema.SchemeCareerClusters, subs[i%len(subs)]))),
				dq(schema.Region, lit(regions[i%len(regions)])),
				dq(schema.ValidFrom, date("2025-07-01")),
				dq(schema.ValidThrough, date("2027-06-30")),
			}
			if i%2 == 0 {
				quads = append(quads, dq(schema.Criterion, iri(base.Concept(schema.SchemeValueCriteria, "high-wage"))))
			}
			if i%5 != 0 {
				quads = append(quads, dq(schema.Criterion, iri(base.Concept(schema.SchemeValueCriteria, "in-demand"))))
			}
			ix.apply(base, d, quads)
		}
	}
	ix.ready = true
	return s
}

// BenchmarkList measures List on the in-memory index (no HTTP, no
// database): CREDREG_BENCH_N credentials (default 100000).
func BenchmarkList(b *testing.B) {
	n := 100_000
	if v := os.Getenv("CREDREG_BENCH_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	s := memListStore(b, n)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		q    ListQuery
	}{
		{"cluster+region", ListQuery{Active: "2026-11-25", Cluster: []string{"Digital Technology"}, Region: []string{"Statewide"}}},
		{"of-value-today", ListQuery{Active: "2026-11-25"}},
		{"q-rare", ListQuery{Active: "2026-11-25", Text: "synthetic 4242"}},
		{"q-broad", ListQuery{Active: "2026-11-25", Text: "synthetic credential"}},
		{"soc+criteria", ListQuery{Active: "2026-11-25", SOC: []string{"15-1212"}, Criteria: []string{"high-wage"}}},
		{"q-prefix", ListQuery{Active: "2026-11-25", Text: "synth cred"}},
		{"q-slip", ListQuery{Active: "2026-11-25", Text: "synthetc credentail"}},
		{"q-word", ListQuery{Active: "2026-11-25", Text: "credential"}},
		{"q-short", ListQuery{Active: "2026-11-25", Text: "cna"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var page *ListPage
			for i := 0; i < b.N; i++ {
				var err error
				if page, err = s.List(ctx, tc.q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(page.Total), "matches")
			links := ListLinks{Collection: "http://bench.invalid/credentials", View: "http://bench.invalid/credentials"}
			if _, err := page.JSONLD(s.base, links); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkListIndexMemory measures what the list index of
// CREDREG_BENCH_N credentials (default 100000) costs the Go collector: its
// live heap, its objects, and the time of a full collection with nothing
// else live (each iteration is one runtime.GC).
func BenchmarkListIndexMemory(b *testing.B) {
	n := 100_000
	if v := os.Getenv("CREDREG_BENCH_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	s := memListStore(b, n)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
	}
	b.StopTimer()
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(ms.HeapObjects)/1e6, "M-objects")
	runtime.KeepAlive(s)
}
