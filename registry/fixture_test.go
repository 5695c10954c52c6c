package registry

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/schema"
)

// Fixture CTIDs (fixtures/data).
const (
	fxNREMT        = "ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a"
	fxSecurityPlus = "ce-753d4e3a-bc16-4cc6-9d35-37f186c36532"
	fxAWSCloud     = "ce-09e4b1a8-2a10-4682-bed4-5220b34a551e"
	fxNetworkPlus  = "ce-82d95aec-8a0d-49b8-a8a6-96bbc43e12ff"
	fxDeptEd       = "ce-02327000-993b-4166-8e74-bea0a771b3d3" // Heartland Department of Education
	fxWorkforce    = "ce-f426a2a0-0e4c-4ba7-b6fb-a55da02f39f7" // Heartland Workforce Commission
	fxHigherEd     = "ce-f19b3635-7002-4d65-88fd-6c6cc106d4c7" // Heartland Higher Education Coordinating Board
	fxCompTIA      = "ce-68c7408a-031d-4c10-a7dc-4937df07e692"
	fxActor        = "credreg-fixtures" // seed.Actor; that package imports this one
)

// fixtureStore opens a store with the fixture files loaded the way
// seed.Load loads them: one batch, written by "credreg-fixtures".
func fixtureStore(t *testing.T) *Store {
	t.Helper()
	s := openStore(t, t.TempDir())
	names, err := filepath.Glob("../fixtures/data/*/*.jsonld")
	if err != nil || len(names) == 0 {
		t.Fatalf("fixture files: %v (%d)", err, len(names))
	}
	sort.Strings(names)
	var all []Record
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		quads, err := rdf.ParseJSONLD(s.Base(), b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		recs, problems := GroupRecords(quads)
		if len(problems) > 0 {
			t.Fatalf("%s: %v", name, problems)
		}
		all = append(all, recs...)
	}
	all = append(all, codeConcepts(s.Base(), all)...)
	if _, err := s.PutBatch(context.Background(), fxActor, all); err != nil {
		t.Fatal(err)
	}
	return s
}

func res(s *Store, ctid string) string { return s.Base().Resource(ctid) }

// TestScanRecordQuads checks the scan of the records (ScanRecords, one
// scan or one per predicate) against the scan through the port's paged
// Match, after a replacement and a retirement have left deleted
// statements behind, for a few predicates and for many.
func TestScanRecordQuads(t *testing.T) {
	ctx := context.Background()
	s := fixtureStore(t)
	rec, err := s.Get(ctx, res(s, fxNetworkPlus))
	if err != nil {
		t.Fatal(err)
	}
	var quads []quad.Quad
	var oldName quad.Value
	for _, q := range rec.Quads {
		if q.Subject == quad.IRI(rec.IRI) && q.Predicate == quad.IRI(schema.Name) {
			oldName = q.Object
			q.Object = quad.String("Network+, renamed")
		}
		quads = append(quads, q)
	}
	if _, err := s.Put(ctx, "test", Record{IRI: rec.IRI, Quads: quads}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retire(ctx, "test", res(s, fxAWSCloud), "withdrawn", time.Now()); err != nil {
		t.Fatal(err)
	}
	few := map[quad.IRI]bool{quad.IRI(schema.Name): true, quad.IRI(schema.RDFType): true, quad.IRI(schema.RecordStatus): true}
	many := map[quad.IRI]bool{}
	for _, p := range []string{schema.RDFType, schema.CTID, schema.Name, schema.Description, schema.OwnedBy, schema.OfferedBy,
		schema.OccupationType, schema.Cluster, schema.SubCluster, schema.RecordStatus, schema.RetiredOn, schema.DesignatingAgency,
		schema.DesignatedFor, schema.Region, schema.ValidFrom, schema.PrefLabel, schema.Notation, schema.InScheme} {
		many[quad.IRI(p)] = true
	}
	for name, tc := range map[string]struct {
		preds map[quad.IRI]bool
		least int // statements the fixtures hold at least
	}{"few predicates": {few, 500}, "many predicates": {many, 1000}} {
		preds := tc.preds
		t.Run(name, func(t *testing.T) {
			collect := func(scan func(context.Context, map[quad.IRI]bool, func(quad.Quad) error) error) map[string]bool {
				out := map[string]bool{}
				if err := scan(ctx, preds, func(q quad.Quad) error {
					out[rdf.NQuadLine(q.Subject, q.Predicate, q.Object, q.Label)] = true
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return out
			}
			fast, slow := collect(s.ScanRecords), collect(s.scanQuads)
			if len(fast) < tc.least || !reflect.DeepEqual(fast, slow) {
				t.Errorf("the scan found %d statements, the paged match %d", len(fast), len(slow))
				for l := range fast {
					if !slow[l] {
						t.Errorf("only in the scan: %s", l)
					}
				}
				for l := range slow {
					if !fast[l] {
						t.Errorf("only in the paged match: %s", l)
					}
				}
			}
			if !fast[rdf.NQuadLine(quad.IRI(rec.IRI), quad.IRI(schema.Name), quad.String("Network+, renamed"), quad.IRI(rec.IRI))] {
				t.Error("the scan misses the replaced name")
			}
			if fast[rdf.NQuadLine(quad.IRI(rec.IRI), quad.IRI(schema.Name), oldName, quad.IRI(rec.IRI))] {
				t.Error("a replaced statement is scanned")
			}
		})
	}
}
