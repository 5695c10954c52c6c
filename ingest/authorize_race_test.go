package ingest

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/internal/synth"
	"credreg/registry"
	"credreg/schema"
)

// racedSource yields its units, then, before it says it is done (so
// after the runner authorized every unit but before it writes the
// batch), makes another agency's write.
type racedSource struct {
	units []*Unit
	race  func() error
}

func (s *racedSource) Name() string { return "raced.jsonld" }

func (s *racedSource) Next(context.Context) (*Unit, error) {
	if len(s.units) > 0 {
		u := s.units[0]
		s.units = s.units[1:]
		return u, nil
	}
	if s.race != nil {
		race := s.race
		s.race = nil
		if err := race(); err != nil {
			return nil, err
		}
	}
	return nil, io.EOF
}

// TestImportAuthorizesAtTheWrite: an import checks each unit when it
// reads it, and writes it later, with its batch. Another agency's write
// in between (creating the record the unit creates, or changing the one
// it leaves as it is) must not let the import replace that agency's
// record: the registry checks again under its write lock, the unit fails
// as forbidden, and the other agency's record stays as it wrote it.
func TestImportAuthorizesAtTheWrite(t *testing.T) {
	ctx := context.Background()
	const agencyA, agencyB = testBase + "/resources/ce-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", testBase + "/resources/ce-bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
	renamed := func(quads []quad.Quad, name string) []quad.Quad {
		out := make([]quad.Quad, len(quads))
		for i, q := range quads {
			if q.Predicate == quad.IRI(schema.Name) {
				q.Object = quad.String(name)
			}
			out[i] = q
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		stored bool // agency B's record is stored before the import reads it
	}{
		{name: "created by another agency meanwhile"},
		{name: "changed by its publisher meanwhile", stored: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			iri, quads := synth.Credential(s.Base(), 1)
			asB := func(q []quad.Quad) error {
				_, err := s.PutBatchAs(ctx, agencyB, agencyB, []registry.Record{{IRI: iri, Quads: q, Publisher: agencyB}})
				return err
			}
			unit := quads // what the import writes: a new record, or B's as stored
			if tc.stored {
				if err := asB(quads); err != nil {
					t.Fatal(err)
				}
				stored, err := s.Get(ctx, iri)
				if err != nil {
					t.Fatal(err)
				}
				unit = stored.Quads
			}
			src := &racedSource{
				units: []*Unit{{Row: 1, Records: []registry.Record{{IRI: iri, Quads: unit}}, Classes: []string{"ceterms:Certification"}}},
				race:  func() error { return asB(renamed(quads, "Agency B's own name")) },
			}
			rep, err := Run(ctx, s, src, "jsonld", Options{Actor: agencyA, Agency: agencyA})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if rep.Imported != 0 || rep.Failed != 1 || rep.Forbidden != 1 || len(rep.Problems) != 1 {
				t.Fatalf("report: %d imported, %d failed, %d forbidden, problems %v; want the unit failed as forbidden", rep.Imported, rep.Failed, rep.Forbidden, rep.Problems)
			}
			p := rep.Problems[0]
			if p.Row != 1 || !strings.Contains(p.Message, "forbidden (403): published by "+agencyB) || !strings.Contains(p.Message, "changed after this import read it") {
				t.Errorf("problem %+v: want row 1, forbidden as published by agency B, changed since it was read", p)
			}
			got, err := s.Get(ctx, iri)
			if err != nil {
				t.Fatal(err)
			}
			if registry.Publisher(got) != agencyB || !strings.Contains(quadsText(got.Quads), "Agency B's own name") {
				t.Errorf("agency B's record was changed by the import: %v", got.Quads)
			}
		})
	}
}

func quadsText(quads []quad.Quad) string {
	var b strings.Builder
	for _, q := range quads {
		b.WriteString(q.String())
		b.WriteByte('\n')
	}
	return b.String()
}
