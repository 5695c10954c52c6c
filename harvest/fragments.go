package registry

// Triple Pattern Fragments: the statements of every record matching a
// pattern, in pages, with the TPF hypermedia controls (a hydra:search
// IriTemplate), counts and paging links. The store's bookkeeping graphs
// (records, change log, tokens) are never part of a fragment.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/schema"
)

// FragmentPageSize is the number of statements of a fragment page.
const FragmentPageSize = 100

// MaxFragmentPage caps the page number a client may ask for.
const MaxFragmentPage = 1_000_000

// MaxPageWithoutCursor is the last page a client may ask for by number
// alone: a deeper page needs the after= cursor of the page before it (its
// next link), since finding it by number passes every statement before it
// (about 1 ms per 1,000 statements).
const MaxPageWithoutCursor = 1000

// Pattern is a triple pattern: nil for a variable. Graph, when set,
// keeps the statements of one record (its graph).
type Pattern struct {
	Subject, Predicate, Object quad.Value
	Graph                      quad.Value
	// Except leaves out the statements of these graphs (nil: the default
	// graph) when Graph is nil. A backend answers it without reading the
	// excluded statements where its indexes allow (Backend.Count from
	// counters for the bookkeeping graphs, whose counts it keeps).
	Except []quad.Value
}

// bookkeepingGraphs are the graphs of the store's own bookkeeping (and
// the default graph, which no record uses): never published. The Badger
// backend counts their statements per predicate (quadstore
// CountedGraphs), so that counts without them cost a few counter reads.
var bookkeepingGraphs = []quad.Value{nil, quad.IRI(graphRecords), quad.IRI(graphChanges), quad.IRI(graphTokens)}

// Fragment is one page of a triple pattern fragment.
type Fragment struct {
	Triples []quad.Quad // without graph labels, in the page's order (see Fragment)
	Total   int         // statements matching the pattern (exact)
	Page    int
	// Next is the cursor of the next page (FragmentAfter), "" on the
	// last page.
	Next string
	// Sequence is the change-log position the fragment reflects.
	Sequence uint64
}

// Fragment returns page (1-based) of the statements matching p, outside
// the bookkeeping graphs, and their exact count. It is FragmentAfter
// without a cursor: page N passes the keys of the N-1 pages before it
// (Backend.Skip, no terms), so a client that follows the next links
// should pass their cursor.
func (s *Store) Fragment(ctx context.Context, p Pattern, page int) (*Fragment, error) {
	return s.FragmentAfter(ctx, p, page, "")
}

// FragmentAfter returns page (1-based) of the statements matching p
// outside the bookkeeping graphs, with their exact count (Total) and the
// cursor of the next page (Next). With cursor, the Next of the page
// before, the page starts right after that page's last statement: one
// seek, however deep. Without it, page N skips (N-1)·FragmentPageSize
// statements, reading their keys only. An ill-formed cursor is a QueryError on "after".
//
// Statements come in the order of the backend's index that serves the
// pattern (for the Badger backend: by graph for the unbound pattern, by
// predicate then graph for a predicate alone, by object then graph for an
// object alone, by subject for any pattern with one), stable across pages
// while the store is not written. Every statement is one record's (its
// subject is the record's IRI or a fragment of it: schema.Validate refuses
// any other on every write path), so a triple appears once. The count and
// the page are read from the backend one after the other: a write between
// them shows in the page, as in the next count.
func (s *Store) FragmentAfter(ctx context.Context, p Pattern, page int, cursor string) (*Fragment, error) {
	if page < 1 || page > MaxFragmentPage {
		return nil, &QueryError{Param: "page", Value: strconv.Itoa(page), Message: fmt.Sprintf("pages are numbered 1 to %d", MaxFragmentPage)}
	}
	var after []byte
	if cursor != "" {
		var err error
		if after, err = base64.RawURLEncoding.DecodeString(cursor); err != nil || len(after) == 0 {
			return nil, &QueryError{Param: "after", Value: cursor, Message: "not a cursor of this fragment: follow the next link of a page"}
		}
	}
	f := &Fragment{Page: page, Sequence: s.Sequence()}
	if p.Graph != nil && bookkeeping(p.Graph) {
		return f, nil
	}
	if p.Predicate != nil && asIRI(p.Predicate) == "" {
		return f, nil // a literal is never a predicate
	}
	p.Except = nil
	if p.Graph == nil {
		p.Except = bookkeepingGraphs
	}
	total, err := s.be.Count(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("fragment %s: count: %w", patternKey(p), err)
	}
	f.Total = int(total)
	skip := (page - 1) * FragmentPageSize
	if after == nil && skip >= f.Total {
		return f, nil // past the end: nothing to read
	}
	if after == nil && page > MaxPageWithoutCursor {
		return nil, &QueryError{Param: "page", Value: strconv.Itoa(page), Message: fmt.Sprintf("pages past %d are reached by the next links, whose after= cursor goes straight to them (a page number alone makes the registry pass every statement before it)", MaxPageWithoutCursor)}
	}
	if after == nil && skip > 0 {
		if after, err = s.be.Skip(ctx, p, nil, skip); err != nil {
			return nil, fmt.Errorf("fragment %s: skip to page %d: %w", patternKey(p), page, err)
		}
		if after == nil {
			return f, nil // fewer statements than the count said: written since
		}
	}
	quads, next, err := s.be.Match(ctx, p, after, FragmentPageSize)
	if errors.Is(err, ErrBadCursor) {
		return nil, &QueryError{Param: "after", Value: cursor, Message: "not a cursor of this fragment: follow the next link of a page"}
	}
	if err != nil {
		return nil, fmt.Errorf("fragment %s: %w", patternKey(p), err)
	}
	for _, q := range quads {
		if bookkeeping(q.Label) {
			continue // a urn:credreg: graph not in bookkeepingGraphs
		}
		q.Label = nil
		f.Triples = append(f.Triples, q)
	}
	if next != nil {
		f.Next = base64.RawURLEncoding.EncodeToString(next)
	}
	return f, ctx.Err()
}

func patternKey(p Pattern) string {
	t := func(v quad.Value) string {
		if v == nil {
			return "?"
		}
		return rdf.TermString(v)
	}
	return t(p.Subject) + " " + t(p.Predicate) + " " + t(p.Object) + " " + t(p.Graph)
}

// FragmentLinks are the IRIs a fragment page is published under.
type FragmentLinks struct {
	Dataset  string // the dataset ({base}/fragments#dataset)
	Template string // the IriTemplate's template, like {base}/fragments{?subject,predicate,object}
	Fragment string // the fragment (the pattern, no page)
	Page     string // this page
	First    string
	Next     string // "" on the last page
	Previous string // "" on the first
}

// metadata returns the fragment's hypermedia controls and counts, as the
// TPF spec has them.
func (f *Fragment) metadata(l FragmentLinks) []*rdf.Node {
	tmpl := rdf.NewNode(l.Dataset[:strings.IndexByte(l.Dataset+"#", '#')]+"#triplePattern", schema.ClassHydraIriTemp)
	tmpl.Add(schema.PropHydraTemplate, quad.String(l.Template))
	tmpl.Add(schema.PropHydraVarRepr, quad.IRI(schema.HydraExplicitRepr))
	for _, v := range []string{"subject", "predicate", "object"} {
		m := rdf.NewNode(l.Dataset[:strings.IndexByte(l.Dataset+"#", '#')]+"#"+v, schema.ClassHydraMapping)
		m.Add(schema.PropHydraVariable, quad.String(v))
		m.Add(schema.PropHydraProperty, quad.IRI(schema.RDF+v))
		tmpl.Add(schema.PropHydraMapping, m)
	}
	ds := rdf.NewNode(l.Dataset, schema.ClassVoidDataset, schema.ClassCollection)
	ds.Add(schema.PropHydraSearch, tmpl)
	ds.Add(schema.PropVoidSubset, quad.IRI(l.Page))
	page := rdf.NewNode(l.Page, schema.Hydra+"PartialCollectionView")
	page.Add(schema.PropVoidTriples, intLiteral(uint64(f.Total)))
	page.Add(schema.TotalItems, intLiteral(uint64(f.Total)))
	page.Add(schema.PropHydraItemsPerPag, intLiteral(FragmentPageSize))
	page.Links(schema.PropFirst, l.First).Links(schema.PropNext, l.Next).Links(schema.PropPrevious, l.Previous)
	return []*rdf.Node{ds, page}
}

// metadataGraph is the graph of a page's metadata in quad formats.
func metadataGraph(page string) string { return page + "#metadata" }

// FragmentNQuads returns the page as N-Quads: its statements in the
// default graph, the metadata in the graph {page}#metadata, which
// foaf:primaryTopic links to the page (first, as TPF clients expect).
func (f *Fragment) FragmentNQuads(l FragmentLinks) []byte {
	g := quad.IRI(metadataGraph(l.Page))
	var b strings.Builder
	b.WriteString(rdf.NQuadLine(g, quad.IRI(schema.PropPrimaryTopic), quad.IRI(l.Page), g))
	var meta []quad.Quad
	for _, n := range f.metadata(l) {
		meta = n.Quads(meta)
	}
	metaLines := make([]string, len(meta))
	for i, q := range meta {
		metaLines[i] = rdf.NQuadLine(q.Subject, q.Predicate, q.Object, g)
	}
	sort.Strings(metaLines)
	for _, l := range metaLines {
		b.WriteString(l)
	}
	for _, q := range f.Triples {
		b.WriteString(rdf.NQuadLine(q.Subject, q.Predicate, q.Object, nil))
	}
	return []byte(b.String())
}

// FragmentNTriples returns the page as N-Triples (valid Turtle): the
// statements and the metadata in one graph.
func (f *Fragment) FragmentNTriples(l FragmentLinks) []byte {
	var meta []quad.Quad
	for _, n := range f.metadata(l) {
		meta = n.Quads(meta)
	}
	lines := make([]string, 0, len(meta)+len(f.Triples))
	for _, q := range meta {
		lines = append(lines, rdf.NQuadLine(q.Subject, q.Predicate, q.Object, nil))
	}
	sort.Strings(lines)
	for _, q := range f.Triples {
		lines = append(lines, rdf.NQuadLine(q.Subject, q.Predicate, q.Object, nil))
	}
	return []byte(strings.Join(lines, ""))
}

// FragmentTriG returns the page as TriG: the statements, then the metadata
// graph.
func (f *Fragment) FragmentTriG(l FragmentLinks) []byte {
	var b strings.Builder
	for _, q := range f.Triples {
		b.WriteString(rdf.NQuadLine(q.Subject, q.Predicate, q.Object, nil))
	}
	g := quad.IRI(metadataGraph(l.Page))
	b.WriteString(rdf.TermString(g) + " {\n")
	b.WriteString("  " + rdf.NQuadLine(g, quad.IRI(schema.PropPrimaryTopic), quad.IRI(l.Page), nil))
	var meta []quad.Quad
	for _, n := range f.metadata(l) {
		meta = n.Quads(meta)
	}
	lines := make([]string, len(meta))
	for i, q := range meta {
		lines[i] = "  " + rdf.NQuadLine(q.Subject, q.Predicate, q.Object, nil)
	}
	sort.Strings(lines)
	b.WriteString(strings.Join(lines, ""))
	b.WriteString("}\n")
	return []byte(b.String())
}

// FragmentJSONLD returns the page as JSON-LD: the statements as top-level
// nodes, and the metadata as the named graph {page}#metadata.
func (f *Fragment) FragmentJSONLD(base schema.Base, l FragmentLinks) ([]byte, error) {
	var nodes []*rdf.Node
	bySubject := map[string]*rdf.Node{}
	for _, q := range f.Triples {
		s := string(asIRI(q.Subject))
		n := bySubject[s]
		if n == nil {
			n = rdf.NewNode(s)
			bySubject[s] = n
			nodes = append(nodes, n)
		}
		if asIRI(q.Predicate) == schema.RDFType {
			if t := string(asIRI(q.Object)); t != "" {
				n.AddType(t)
				continue
			}
		}
		n.AddValue(string(asIRI(q.Predicate)), q.Object)
	}
	meta := f.metadata(l)
	topic := rdf.NewNode(metadataGraph(l.Page)).Links(schema.PropPrimaryTopic, l.Page)
	meta = append([]*rdf.Node{topic}, meta...)
	return rdf.GraphJSONLD(base, nodes, metadataGraph(l.Page), meta)
}
