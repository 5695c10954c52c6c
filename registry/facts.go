package registry

import (
	"context"
	"sort"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// Facts are the statements of a record's own node, by predicate, as text:
// an IRI for a link, the lexical form of a literal. Pages read them without
// knowing the record's quads.
type Facts struct {
	IRI     string
	Retired bool
	values  map[string][]string
}

// All returns the values of predicate, sorted.
func (f *Facts) All(predicate string) []string { return f.values[predicate] }

// First returns the first value of predicate, "" when there is none.
func (f *Facts) First(predicate string) string {
	if v := f.values[predicate]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Has reports whether the node has the statement (predicate, value).
func (f *Facts) Has(predicate, value string) bool {
	for _, v := range f.values[predicate] {
		if v == value {
			return true
		}
	}
	return false
}

// Facts reads the record iri's own node. It returns an error wrapping
// ErrNotFound when there is no such record.
func (s *Store) Facts(ctx context.Context, iri string) (*Facts, error) {
	rec, err := s.Get(ctx, iri)
	if err != nil {
		return nil, err
	}
	f := &Facts{IRI: iri, Retired: rec.Retired(), values: map[string][]string{}}
	for _, q := range rec.Quads {
		if q.Subject != quad.IRI(iri) {
			continue
		}
		p := string(asIRI(q.Predicate))
		f.values[p] = append(f.values[p], literalOf(q.Object))
	}
	for _, vs := range f.values {
		sort.Strings(vs)
	}
	return f, nil
}

// LinkedFrom returns, sorted, the records' nodes that link to iri with
// predicate: the credentials an organization owns (schema.OwnedBy), the
// Sub-Clusters that crosswalk to an occupation (schema.RelatedMatch).
func (s *Store) LinkedFrom(ctx context.Context, predicate, iri string) ([]string, error) {
	return s.subjectsWith(ctx, predicate, quad.IRI(iri))
}

// IsOrganization reports whether a node of the given types is an
// organization: a CTDL organization of any kind or a credreg agency.
func IsOrganization(types []string) bool {
	for _, t := range types {
		if t == schema.ClassAgency || schema.IsCTDLSubClassOf(t, schema.CETerms+"Organization") {
			return true
		}
	}
	return false
}
