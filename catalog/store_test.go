package catalog

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/fixtures/fixturestest"
	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// testStore is a store with its catalog, as a server holds them: the
// tests call the store's methods (writes, reads) and the catalog's
// (lists, views) on one value.
type testStore struct {
	*registry.Store
	*Catalog
}

// close closes the catalog, then the store.
func (s *testStore) close() error {
	if err := s.Catalog.Close(); err != nil {
		return err
	}
	return s.Store.Close()
}

const testBase = "http://registry.test"

func testBaseIRI(t testing.TB) schema.Base {
	b, err := schema.NewBase(testBase)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testStoreURL gives the URL of the store openStore opens for dir: a
// Badger store in dir, unless a test runs the catalog tests on another
// backend (TestPostgresCatalog).
var testStoreURL = func(t testing.TB, dir string) string { return "badger://" + dir }

// openStore opens the store for dir (see testStoreURL) and its catalog,
// both closed when the test ends.
func openStore(t testing.TB, dir string) *testStore {
	t.Helper()
	return openURL(t, testStoreURL(t, dir), Options{})
}

// openURL opens the store at storeURL (the test base) and its catalog
// with opts, both closed when the test ends.
func openURL(t testing.TB, storeURL string, opts Options) *testStore {
	t.Helper()
	st, err := registry.Open(context.Background(), storeURL, registry.Options{Base: testBaseIRI(t)})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &testStore{Store: st, Catalog: New(st, opts)}
	t.Cleanup(func() { _ = s.close() })
	return s
}

func lines(quads []quad.Quad) map[string]bool {
	out := map[string]bool{}
	for _, q := range quads {
		out[rdf.NQuadLine(q.Subject, q.Predicate, q.Object, nil)] = true
	}
	return out
}

func fixtureFile(tb testing.TB, name string) []byte {
	tb.Helper()
	for _, dir := range []string{"reference", "sample"} {
		b, err := os.ReadFile(filepath.Join("..", "fixtures", "data", dir, name+".jsonld"))
		if err == nil {
			return b
		}
	}
	tb.Fatalf("no fixture file %s.jsonld under fixtures/data/reference or sample", name)
	return nil
}

// codeConcepts returns the records of the code-list concepts (SOC, NAICS,
// CIP, from schema's generated tables) that recs link to, and of their
// schemes, the way the fixtures package builds them (as registry's tests do).
func codeConcepts(base schema.Base, recs []registry.Record) []registry.Record {
	want := map[string]bool{}
	for _, r := range recs {
		for _, q := range r.Quads {
			if iri, ok := q.Object.(quad.IRI); ok {
				want[string(iri)] = true
			}
		}
	}
	var out []registry.Record
	for _, scheme := range []string{schema.SchemeSOC, schema.SchemeNAICS, schema.SchemeCIP} {
		s := base.Scheme(scheme)
		out = append(out, registry.Record{IRI: s, Quads: []quad.Quad{
			registry.Statement(s, schema.RDFType, schema.ClassConceptScheme),
			{Subject: quad.IRI(s), Predicate: quad.IRI(schema.Title), Object: quad.String(schema.CodeListTitle(scheme))},
		}})
		prefix := s + "/"
		for _, c := range schema.CodeList(scheme) {
			iri := base.Concept(scheme, c.Notation)
			if !want[iri] || !strings.HasPrefix(iri, prefix) {
				continue
			}
			out = append(out, registry.Record{IRI: iri, Quads: []quad.Quad{
				registry.Statement(iri, schema.RDFType, schema.ClassConcept),
				{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.PrefLabel), Object: quad.String(c.Title)},
				{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.Notation), Object: quad.String(c.Notation)},
				registry.Statement(iri, schema.InScheme, s),
			}})
		}
	}
	return out
}

// fixtureCatalog is the catalog of a copy of the fixtures' template store
// (fixturestest.Open), closed at the end of the test before the store.
func fixtureCatalog(t testing.TB, base schema.Base, sample bool) *Catalog {
	t.Helper()
	c := New(fixturestest.Open(t, base, sample), Options{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { _ = c.Close() })
	return c
}
