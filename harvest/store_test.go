package harvest

// The stores the harvest tests read: the fixtures (reference data and the
// sample, as credreg serve --sample loads them) on Badger, or on
// PostgreSQL when TestPostgres runs the tests there.

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/fixtures/fixturestest"
	"credreg/ingest/seed"
	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

const testBase = "http://registry.test"

// Fixture CTIDs (fixtures/data/sample).
const (
	fxNetworkPlus = "ce-82d95aec-8a0d-49b8-a8a6-96bbc43e12ff"
	fxWorkforce   = "ce-f426a2a0-0e4c-4ba7-b6fb-a55da02f39f7" // Heartland Workforce Commission
	fxCompTIA     = "ce-68c7408a-031d-4c10-a7dc-4937df07e692"
	orgCTID       = "ce-22222222-2222-4222-8222-222222222222"
)

func testBaseIRI(t testing.TB) schema.Base {
	b, err := schema.NewBase(testBase)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testStoreURL gives the URL of the store openStore opens for dir: a
// Badger store in dir, unless TestPostgres runs the tests on PostgreSQL.
var testStoreURL = func(t testing.TB, dir string) string { return "badger://" + dir }

// onPostgres is set while TestPostgres runs the tests on PostgreSQL.
var onPostgres bool

// openStore opens the store for dir (see testStoreURL), closed at the end
// of the test.
func openStore(t testing.TB, dir string) *registry.Store {
	t.Helper()
	s, err := registry.Open(context.Background(), testStoreURL(t, dir), registry.Options{Base: testBaseIRI(t), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// fixtureStore opens a store holding the reference data and the sample,
// as seed.Load leaves an empty store: on Badger a copy of fixturestest's
// template, on PostgreSQL loaded by seed.Load.
func fixtureStore(t *testing.T) *registry.Store {
	t.Helper()
	if !onPostgres {
		return fixturestest.Open(t, testBaseIRI(t), true)
	}
	s := openStore(t, t.TempDir())
	if _, err := seed.Load(context.Background(), s, seed.Options{Sample: true, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	return s
}

func res(s *registry.Store, ctid string) string { return s.Base().Resource(ctid) }

// publishedQuads is the brute force: every statement of every record, each
// in its record's graph, read record by record (registry.Store.Get) for
// every record the change log names, the path the harvest reads do not
// take.
func publishedQuads(t *testing.T, s *registry.Store) []quad.Quad {
	t.Helper()
	ctx := context.Background()
	seen := map[string]bool{}
	var out []quad.Quad
	for since := uint64(0); ; {
		cs, err := s.Changes(ctx, since, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			return out
		}
		for _, c := range cs {
			since = c.Seq
			if seen[c.IRI] {
				continue
			}
			seen[c.IRI] = true
			rec, err := s.Get(ctx, c.IRI)
			if err != nil {
				t.Fatalf("%s: %v", c.IRI, err)
			}
			for _, q := range rec.Quads {
				q.Label = quad.IRI(rec.IRI)
				out = append(out, q)
			}
		}
	}
}

func lineOf(q quad.Quad) string { return rdf.NQuadLine(q.Subject, q.Predicate, q.Object, nil) }

// TestMain removes the benchmarks' store when the process ends.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchFixture.dir != "" {
		_ = os.RemoveAll(benchFixture.dir)
	}
	os.Exit(code)
}
