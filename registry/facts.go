package registry

import (
	"context"
	"fmt"
	"sort"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
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
		p := string(rdf.IRIOf(q.Predicate))
		f.values[p] = append(f.values[p], rdf.Lexical(q.Object))
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

// quadsByObjectPredicate returns the statements (?, predicate, object) in
// every graph: one prefix scan of the store's (predicate, object) index, so
// a node many statements point at (an agency, a type) costs only the
// statements of that predicate.
func (s *Store) quadsByObjectPredicate(ctx context.Context, object quad.Value, predicate string) ([]quad.Quad, error) {
	return s.quadsByObjectPredicateLimit(ctx, object, predicate, -1)
}

// quadsByObjectPredicateLimit is quadsByObjectPredicate that stops after
// limit+1 statements when limit >= 0 (so a caller can tell "more than
// limit").
func (s *Store) quadsByObjectPredicateLimit(ctx context.Context, object quad.Value, predicate string, limit int) ([]quad.Quad, error) {
	p := Pattern{Object: object, Predicate: quad.IRI(predicate)}
	if limit < 0 {
		return s.match(ctx, p)
	}
	quads, _, err := s.be.Match(ctx, p, nil, limit+1)
	if err != nil {
		return nil, fmt.Errorf("match %s: %w", patternKey(p), err)
	}
	return quads, nil
}

// recordSubjects returns the record nodes (no fragment IRIs) that have the
// statement (node, predicate, object) in their own record, sorted.
func (s *Store) recordSubjects(ctx context.Context, predicate string, object quad.Value) ([]string, error) {
	quads, err := s.quadsByObjectPredicate(ctx, object, predicate)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, q := range quads {
		subj := string(rdf.IRIOf(q.Subject))
		if subj == "" || seen[subj] || schema.RecordIRI(subj) != subj || rdf.IRIOf(q.Label) != quad.IRI(subj) {
			continue
		}
		seen[subj] = true
		out = append(out, subj)
	}
	sort.Strings(out)
	return out, nil
}

// RecordsWith returns, sorted, the records whose own node has the
// statement (node, predicate, object): the designations of a credential
// (schema.DesignatedFor), the credentials of a name (schema.Name).
// Statements of a record's other nodes (an evidence node) do not count.
func (s *Store) RecordsWith(ctx context.Context, predicate string, object quad.Value) ([]string, error) {
	return s.recordSubjects(ctx, predicate, object)
}

// ScanRecords calls fn with every statement of the records (not of the
// store's bookkeeping: record metadata, the change log, tokens) whose
// predicate is in preds (any, when preds is nil), each in its record's
// graph, from one snapshot of the store: what a listener reads to build
// its state by a scan, before it catches up from the change log.
func (s *Store) ScanRecords(ctx context.Context, preds map[quad.IRI]bool, fn func(quad.Quad) error) error {
	return s.scanRecordQuads(ctx, preds, fn)
}
