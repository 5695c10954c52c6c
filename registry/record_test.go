package registry

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/internal/synth"
	"credreg/rdf"
	"credreg/schema"
)

func TestDiffRecord(t *testing.T) {
	iri := "https://registry.example.gov/resources/ce-1"
	label := quad.IRI(iri)
	st := func(p, o string, g quad.Value) quad.Quad {
		return quad.Quad{Subject: quad.IRI(iri), Predicate: quad.IRI(p), Object: quad.String(o), Label: g}
	}
	meta := func(p, o string) quad.Quad {
		return quad.Quad{Subject: metaNode(iri), Predicate: quad.IRI(p), Object: quad.String(o), Label: quad.IRI(graphRecords)}
	}
	strip := func(qs ...quad.Quad) []quad.Quad { // as a stored record holds them
		out := make([]quad.Quad, len(qs))
		for i, q := range qs {
			q.Label = nil
			out[i] = q
		}
		return out
	}
	tests := []struct {
		name        string
		old         *stored
		next        []quad.Quad
		wantAdd     []quad.Quad
		wantRemoved []quad.Quad
	}{
		{
			name:        "all kept",
			old:         &stored{Record: Record{Quads: strip(st("urn:a", "1", nil))}, meta: []quad.Quad{meta("urn:m", "x")}},
			next:        []quad.Quad{st("urn:a", "1", label), meta("urn:m", "x")},
			wantAdd:     nil,
			wantRemoved: nil,
		},
		{
			name:        "one replaced, one kept, bookkeeping changed",
			old:         &stored{Record: Record{Quads: strip(st("urn:a", "1", nil), st("urn:b", "2", nil))}, meta: []quad.Quad{meta("urn:m", "x"), meta("urn:created", "c")}},
			next:        []quad.Quad{st("urn:a", "1", label), st("urn:b", "3", label), meta("urn:m", "y"), meta("urn:created", "c")},
			wantAdd:     []quad.Quad{st("urn:b", "3", label), meta("urn:m", "y")},
			wantRemoved: []quad.Quad{st("urn:b", "2", label), meta("urn:m", "x")},
		},
		{
			name:        "everything new",
			old:         &stored{Record: Record{Quads: strip(st("urn:a", "1", nil))}},
			next:        []quad.Quad{st("urn:c", "9", label)},
			wantAdd:     []quad.Quad{st("urn:c", "9", label)},
			wantRemoved: []quad.Quad{st("urn:a", "1", label)},
		},
		{
			name:        "same statement in another graph is not kept",
			old:         &stored{Record: Record{Quads: strip(st("urn:a", "1", nil))}},
			next:        []quad.Quad{st("urn:a", "1", quad.IRI("urn:other"))},
			wantAdd:     []quad.Quad{st("urn:a", "1", quad.IRI("urn:other"))},
			wantRemoved: []quad.Quad{st("urn:a", "1", label)},
		},
	}
	lines := func(qs []quad.Quad) string {
		var b strings.Builder
		for _, q := range qs {
			b.WriteString(rdf.NQuadLine(q.Subject, q.Predicate, q.Object, q.Label))
		}
		return b.String()
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prior := quad.Quad{Subject: quad.IRI("urn:earlier"), Predicate: quad.IRI("urn:p"), Object: quad.String("o"), Label: quad.IRI("urn:earlier")}
			added, removed := diffRecord([]quad.Quad{prior}, tt.old, label, tt.next)
			if got, want := lines(added), lines(tt.wantAdd); got != want {
				t.Errorf("added:\n%s\nwant:\n%s", got, want)
			}
			if got, want := lines(removed), lines(append([]quad.Quad{prior}, tt.wantRemoved...)); got != want {
				t.Errorf("removed (after the earlier records' removals):\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func BenchmarkCanonical(b *testing.B) {
	rec := synthCredential(synth.Base(b), 1)
	b.ReportAllocs()
	for b.Loop() {
		rdf.Canonicalize(rec.Quads)
	}
}

func TestHistory(t *testing.T) {
	ctx := context.Background()
	s := fixtureStore(t)
	// Two designations of NREMT.
	iris, err := s.RecordsWith(ctx, schema.DesignatedFor, quad.IRI(res(s, fxNREMT)))
	if err != nil || len(iris) < 2 {
		t.Fatalf("designations of NREMT: %v, %v", iris, err)
	}
	var recs []*Record
	for _, iri := range iris {
		rec, err := s.Get(ctx, iri)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	iri := recs[1].IRI
	h, err := s.History(ctx, iri)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].Action != ActionCreate || h[0].Actor != fxActor || h[0].IRI != iri || h[0].Hash != recs[1].Hash || h[0].Time.IsZero() {
		t.Fatalf("history of a fixture record = %+v", h)
	}
	if _, err := s.Retire(ctx, "Heartland Workforce Commission", iri, "replaced by a statewide designation", time.Now()); err != nil {
		t.Fatal(err)
	}
	// Another record's change must not show up.
	if _, err := s.Retire(ctx, "someone else", recs[0].IRI, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	h, err = s.History(ctx, iri)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[1].Action != ActionRetire || h[1].Actor != "Heartland Workforce Commission" || h[1].Seq <= h[0].Seq {
		t.Fatalf("history after retire = %+v", h)
	}
	cur, _ := s.Get(ctx, iri)
	if h[1].Hash != cur.Hash || h[1].Hash == h[0].Hash {
		t.Errorf("retire entry hash %s, record %s", h[1].Hash, cur.Hash)
	}
	// The same entries as the change feed has.
	all, err := s.Changes(ctx, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var want []Change
	for _, c := range all {
		if c.IRI == iri {
			want = append(want, c)
		}
	}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("history %+v\nchange feed %+v", h, want)
	}
	// An organization that many records point at: only its own entries.
	h, err = s.History(ctx, res(s, fxWorkforce))
	if err != nil || len(h) != 1 || h[0].IRI != res(s, fxWorkforce) {
		t.Errorf("history of an agency = %+v, %v", h, err)
	}
	h, err = s.History(ctx, res(s, "ce-99999999-9999-4999-8999-999999999999"))
	if err != nil || len(h) != 0 {
		t.Errorf("history of nothing = %+v, %v", h, err)
	}
}

// TestRewriteUnchanged: writing a record again as it is stored writes and
// logs nothing, whether it names its publisher, has one kept from
// Record.Publisher, or none; a stale If-Match is still refused, and a
// changed record is still written whole.
func TestRewriteUnchanged(t *testing.T) {
	ctx := context.Background()
	base := testBaseIRI(t)
	comp := func(ctid, text string) []quad.Quad {
		iri := quad.IRI(base.Resource(ctid))
		return []quad.Quad{
			{Subject: iri, Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(schema.ClassCompetency)},
			{Subject: iri, Predicate: quad.IRI(schema.CTID), Object: quad.String(ctid)},
			{Subject: iri, Predicate: quad.IRI(schema.CompetencyText), Object: quad.String(text)},
			{Subject: iri, Predicate: quad.IRI(schema.IsPartOf), Object: quad.IRI(base.Resource(orgCTID))},
		}
	}
	org := base.Resource(orgCTID)
	for _, tc := range []struct {
		name      string
		publisher string // Record.Publisher
		names     bool   // the record names its publisher itself
	}{
		{"no publisher", "", false},
		{"publisher kept from Record.Publisher", org, false},
		{"publisher named", org, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t, t.TempDir())
			ctid := schema.DerivedCTID("unchanged", tc.name)
			iri := base.Resource(ctid)
			rec := func(text string) Record {
				q := comp(ctid, text)
				if tc.names {
					q = append(q, Statement(iri, schema.PublishedBy, org))
				}
				return Record{IRI: iri, Quads: q, Publisher: tc.publisher}
			}
			first, err := s.Put(ctx, "a", rec("one"))
			if err != nil {
				t.Fatal(err)
			}
			stored, err := s.Get(ctx, iri)
			if err != nil {
				t.Fatal(err)
			}
			if got := Publisher(stored); got != tc.publisher {
				t.Fatalf("stored publisher %q, want %q", got, tc.publisher)
			}
			again, err := s.Put(ctx, "a", rec("one"))
			if err != nil || again.Seq != 0 || s.Sequence() != first.Seq {
				t.Fatalf("rewrite as stored: change %+v, head %d (first %d), %v", again, s.Sequence(), first.Seq, err)
			}
			stale := rec("one")
			stale.IfMatch = "sha256:0000"
			if _, err := s.Put(ctx, "a", stale); !errors.Is(err, ErrPrecondition) {
				t.Fatalf("stale If-Match on an unchanged record: %v", err)
			}
			exists := rec("one")
			exists.IfMatch = NoRecord
			if _, err := s.Put(ctx, "a", exists); !errors.Is(err, ErrPrecondition) {
				t.Fatalf("If-None-Match on a stored record: %v", err)
			}
			changed, err := s.Put(ctx, "a", rec("two"))
			if err != nil || changed.Seq != first.Seq+1 {
				t.Fatalf("changed record: %+v, %v", changed, err)
			}
			cur, err := s.Get(ctx, iri)
			if err != nil || cur.Hash == stored.Hash || Publisher(cur) != tc.publisher {
				t.Fatalf("after the change: %+v, %v", cur, err)
			}
		})
	}
}
