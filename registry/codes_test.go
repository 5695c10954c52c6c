package registry

import (
	"strings"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// codeConcepts returns the records of the code-list concepts (SOC, NAICS,
// CIP, from schema's generated tables) that recs link to, and of their
// schemes, the way the fixtures package builds them; the registry's tests
// cannot import fixtures, which imports registry.
func codeConcepts(base schema.Base, recs []Record) []Record {
	want := map[string]bool{}
	for _, r := range recs {
		for _, q := range r.Quads {
			if iri, ok := q.Object.(quad.IRI); ok {
				want[string(iri)] = true
			}
		}
	}
	var out []Record
	for _, scheme := range []string{schema.SchemeSOC, schema.SchemeNAICS, schema.SchemeCIP} {
		s := base.Scheme(scheme)
		out = append(out, Record{IRI: s, Quads: []quad.Quad{
			Statement(s, schema.RDFType, schema.ClassConceptScheme),
			{Subject: quad.IRI(s), Predicate: quad.IRI(schema.Title), Object: quad.String(schema.CodeListTitle(scheme))},
		}})
		prefix := s + "/"
		for _, c := range schema.CodeList(scheme) {
			iri := base.Concept(scheme, c.Notation)
			if !want[iri] || !strings.HasPrefix(iri, prefix) {
				continue
			}
			out = append(out, Record{IRI: iri, Quads: []quad.Quad{
				Statement(iri, schema.RDFType, schema.ClassConcept),
				{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.PrefLabel), Object: quad.String(c.Title)},
				{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.Notation), Object: quad.String(c.Notation)},
				Statement(iri, schema.InScheme, s),
			}})
		}
	}
	return out
}
