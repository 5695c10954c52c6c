package registry

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/schema"
)

// Schemes returns a document listing every concept scheme in the store as
// a hydra:Collection at {base}/schemes.
func (s *Store) Schemes(ctx context.Context) (*Document, error) {
	subjects, err := s.subjectsWith(ctx, schema.RDFType, quad.IRI(schema.ClassConceptScheme))
	if err != nil {
		return nil, fmt.Errorf("list schemes: %w", err)
	}
	iri := s.base.String() + "/schemes"
	list := quad.IRI(iri)
	quads := []quad.Quad{
		{Subject: list, Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(schema.ClassCollection)},
		{Subject: list, Predicate: quad.IRI(schema.TotalItems), Object: rdf.Integer(uint64(len(subjects)))},
	}
	for _, sc := range subjects {
		quads = append(quads,
			quad.Quad{Subject: list, Predicate: quad.IRI(schema.Member), Object: quad.IRI(sc)},
			quad.Quad{Subject: quad.IRI(sc), Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(schema.ClassConceptScheme)},
		)
		title, err := s.label(ctx, sc)
		if err != nil {
			return nil, err
		}
		if title != "" {
			quads = append(quads, quad.Quad{Subject: quad.IRI(sc), Predicate: quad.IRI(schema.Title), Object: quad.String(title)})
		}
	}
	q, hash := rdf.Canonicalize(quads)
	return &Document{IRI: iri, Hash: hash, Version: s.Sequence(), store: s, quads: q}, nil
}

// Members returns the concepts of a scheme, with their labels, ordered by
// notation.
func (s *Store) Members(ctx context.Context, schemeIRI string) ([]Value, error) {
	subjects, err := s.subjectsWith(ctx, schema.InScheme, quad.IRI(schemeIRI))
	if err != nil {
		return nil, fmt.Errorf("list members of %s: %w", schemeIRI, err)
	}
	out := make([]Value, 0, len(subjects))
	for _, c := range subjects {
		l, err := s.label(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, Value{Link: c, Internal: true, Text: l})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Link < out[j].Link })
	return out, nil
}

// Subjects returns the IRIs of the nodes that have the statement
// (node, predicate, object) in their records, sorted.
func (s *Store) Subjects(ctx context.Context, predicate string, object quad.Value) ([]string, error) {
	return s.subjectsWith(ctx, predicate, object)
}

// Label returns the name of a node (ceterms:name, skos:prefLabel,
// dct:title or ceasn:competencyText) from its record, or "".
func (s *Store) Label(ctx context.Context, iri string) (string, error) {
	return s.label(ctx, iri)
}

// resourceIRI matches what may be the IRI of a resource in a message.
var resourceIRI = regexp.MustCompile(`https?://\S+?/resources/ce-[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)

// WithNames returns msg with each IRI of a resource of this registry in
// it (an agency, a publisher) followed by the resource's name in
// parentheses, for messages read by people: "published by
// https://…/resources/ce-… (Heartland Workforce Commission)". An IRI
// whose record has no name, or cannot be read, is left as it is.
func (s *Store) WithNames(ctx context.Context, msg string) string {
	prefix := s.base.Resource("")
	names := map[string]string{}
	return resourceIRI.ReplaceAllStringFunc(msg, func(iri string) string {
		if !strings.HasPrefix(iri, prefix) {
			return iri
		}
		name, ok := names[iri]
		if !ok {
			name, _ = s.label(ctx, iri)
			names[iri] = name
		}
		if name == "" {
			return iri
		}
		return iri + " (" + name + ")"
	})
}

// Objects returns the values of a property of a node, from its record.
func (s *Store) Objects(ctx context.Context, iri, predicate string) ([]quad.Value, error) {
	return s.objects(ctx, quad.IRI(iri), predicate, schema.RecordIRI(iri))
}

// subjectsWith returns the subjects of statements (?, predicate, object)
// in records, sorted.
func (s *Store) subjectsWith(ctx context.Context, predicate string, object quad.Value) ([]string, error) {
	quads, err := s.quadsBy(ctx, quad.Object, object)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, q := range quads {
		subj := string(rdf.IRIOf(q.Subject))
		if rdf.IRIOf(q.Predicate) != quad.IRI(predicate) || subj == "" || seen[subj] {
			continue
		}
		if rdf.IRIOf(q.Label) != quad.IRI(schema.RecordIRI(subj)) {
			continue // bookkeeping, not record content
		}
		seen[subj] = true
		out = append(out, subj)
	}
	sort.Strings(out)
	return out, nil
}

// Stats are counts for health checks and dataset descriptions.
type Stats struct {
	Quads    int64  `json:"quads"`
	Sequence uint64 `json:"sequence"`
}

// Stats returns the number of statements stored and the change-log head.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	n, err := s.be.Count(ctx, Pattern{})
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	return Stats{Quads: n, Sequence: s.Sequence()}, nil
}
