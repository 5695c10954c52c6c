package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/schema"
)

// A resource with the records it owns, as one document (the /graph/
// route, and the CTDL export of a framework with its competencies).

// MaxWholeParts caps the records a whole-record document gathers.
const MaxWholeParts = 10_000

// Whole returns a resource together with the records it owns: the
// resource's own record (with its nodes, such as a credential's condition
// profiles or a designation's evidence) and every record that is part of
// it (ceasn:isPartOf it, as a framework's competencies). Every node keeps
// the IRI it has under /resources/. It returns an error wrapping
// ErrNotFound when there is no record iri.
func (s *Store) Whole(ctx context.Context, iri string) (*Document, error) {
	rec, err := s.Get(ctx, iri)
	if err != nil {
		return nil, err
	}
	quads := append([]quad.Quad{}, rec.Quads...)
	parts, err := s.recordSubjects(ctx, schema.IsPartOf, quad.IRI(iri))
	if err != nil {
		return nil, fmt.Errorf("parts of %s: %w", iri, err)
	}
	if len(parts) > MaxWholeParts {
		return nil, fmt.Errorf("%s has %d parts, more than %d", iri, len(parts), MaxWholeParts)
	}
	modified := rec.Modified
	for _, p := range parts {
		part, err := s.Get(ctx, p)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("part %s of %s: %w", p, iri, err)
		}
		quads = append(quads, part.Quads...)
		if part.Modified.After(modified) {
			modified = part.Modified
		}
	}
	q, hash := rdf.Canonicalize(quads)
	return &Document{IRI: iri, Hash: hash, Version: s.Sequence(), Modified: modified, Retired: rec.Retired(), store: s, quads: q}, nil
}
