package registry

import (
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
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
	rec := synthCredential(benchBase(b), 1)
	b.ReportAllocs()
	for b.Loop() {
		rdf.Canonicalize(rec.Quads)
	}
}
