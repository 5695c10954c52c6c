package registry

// The published statements: every record's, and none of the store's own
// bookkeeping. What harvesters read (package harvest) goes through this
// read-only view, so that nothing above the registry names a bookkeeping
// graph or the storage port.

import (
	"context"
	"fmt"

	"credreg/rdf"

	"github.com/cayleygraph/quad"
)

// bookkeepingGraphs are the graphs of the store's own bookkeeping (and
// the default graph, which no record uses): never published. The Badger
// backend counts their statements per predicate (quadstore
// CountedGraphs), so that counts without them cost a few counter reads.
var bookkeepingGraphs = []quad.Value{nil, quad.IRI(graphRecords), quad.IRI(graphChanges), quad.IRI(graphTokens)}

// StatementPattern selects published statements: a nil term matches any.
// Graph, when set, keeps the statements of one record (the graph named by
// its IRI).
type StatementPattern struct {
	Subject, Predicate, Object quad.Value
	Graph                      quad.Value
}

// Published is a read-only view of the store's published statements:
// every record's statements, each in its record's graph, and none of the
// store's bookkeeping (records' bookkeeping nodes, the change log,
// tokens). A pattern that names a bookkeeping graph, or a literal as
// predicate, matches nothing. Its reads go straight to the storage port;
// it keeps no state, so a Published is as good as the Store it came from.
type Published struct {
	s *Store
}

// Published returns the view of the store's published statements.
func (s *Store) Published() Published { return Published{s: s} }

// port returns the storage port's pattern of p, or false when p can match
// no published statement.
func (p StatementPattern) port() (Pattern, bool) {
	out := Pattern{Subject: p.Subject, Predicate: p.Predicate, Object: p.Object, Graph: p.Graph}
	if p.Graph != nil && bookkeeping(p.Graph) {
		return out, false
	}
	if p.Predicate != nil && rdf.IRIOf(p.Predicate) == "" {
		return out, false // a literal is never a predicate
	}
	if p.Graph == nil {
		out.Except = bookkeepingGraphs
	}
	return out, true
}

// Count returns the exact number of published statements matching p. The
// Badger backend answers the unbound pattern and a predicate alone from
// counters.
func (v Published) Count(ctx context.Context, p StatementPattern) (int64, error) {
	bp, ok := p.port()
	if !ok {
		return 0, nil
	}
	n, err := v.s.be.Count(ctx, bp)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", patternKey(bp), err)
	}
	return n, nil
}

// Match returns up to limit published statements matching p (with their
// graphs), starting after the cursor after (nil for the first page), and
// the cursor of the next page (nil on the last). A cursor is opaque and
// belongs to its pattern: another pattern's is an error wrapping
// ErrBadCursor. Statements come in the order of the backend's index that
// serves the pattern (for the Badger backend: by graph for the unbound
// pattern, by predicate then graph for a predicate alone, by object then
// graph for an object alone, by subject for any pattern with one), stable
// while the store is not written; a page costs the same however deep.
func (v Published) Match(ctx context.Context, p StatementPattern, after []byte, limit int) ([]quad.Quad, []byte, error) {
	bp, ok := p.port()
	if !ok {
		return nil, nil, nil
	}
	quads, next, err := v.s.be.Match(ctx, bp, after, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("match %s: %w", patternKey(bp), err)
	}
	out := quads[:0]
	for _, q := range quads {
		if !bookkeeping(q.Label) { // a urn:credreg: graph not in bookkeepingGraphs
			out = append(out, q)
		}
	}
	return out, next, nil
}

// Skip passes n published statements matching p after the cursor after
// (nil: from the first), in Match's order, reading their keys only, and
// returns the cursor Match would give after a page ending at the last one
// passed, or nil when fewer than n remain. It is how a page addressed by
// number finds where it starts.
func (v Published) Skip(ctx context.Context, p StatementPattern, after []byte, n int) ([]byte, error) {
	bp, ok := p.port()
	if !ok {
		return nil, nil
	}
	c, err := v.s.be.Skip(ctx, bp, after, n)
	if err != nil {
		return nil, fmt.Errorf("skip %d of %s: %w", n, patternKey(bp), err)
	}
	return c, nil
}

// Scan calls fn with every published statement matching p (with its
// graph), all from one snapshot of the store. The unbound pattern goes
// record by record (graph by graph: each record's statements together)
// and passes the bookkeeping graphs unread. An error from fn ends the scan
// and is returned as it is.
func (v Published) Scan(ctx context.Context, p StatementPattern, fn func(quad.Quad) error) error {
	bp, ok := p.port()
	if !ok {
		return nil
	}
	var fnErr error
	err := v.s.be.Scan(ctx, bp, PosAll, func(q quad.Quad) error {
		if bookkeeping(q.Label) {
			return nil // a urn:credreg: graph not in bookkeepingGraphs
		}
		fnErr = fn(q)
		return fnErr
	})
	if err != nil && err != fnErr {
		return fmt.Errorf("scan %s: %w", patternKey(bp), err)
	}
	return err
}

// Records returns the number of records, retired ones included (each has
// one content hash among its bookkeeping): a count the Badger backend
// answers from a counter.
func (v Published) Records(ctx context.Context) (int64, error) {
	n, err := v.s.be.Count(ctx, Pattern{Predicate: quad.IRI(predContentHash), Graph: quad.IRI(graphRecords)})
	if err != nil {
		return 0, fmt.Errorf("count the records: %w", err)
	}
	return n, nil
}
