package registry

// Triple Pattern Fragments: the statements of every record matching a
// pattern, in pages, with the TPF hypermedia controls (a hydra:search
// IriTemplate), counts and paging links. The store's bookkeeping graphs
// (records, change log, tokens) are never part of a fragment.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// FragmentPageSize is the number of statements of a fragment page.
const FragmentPageSize = 100

// MaxFragmentPage caps the page number a client may ask for.
const MaxFragmentPage = 1_000_000

// Pattern is a triple pattern: nil for a variable. Graph, when set,
// keeps the statements of one record (its graph).
type Pattern struct {
	Subject, Predicate, Object quad.Value
	Graph                      quad.Value
}

// ParseTerm reads a pattern term in the TPF spec's syntax (Hydra's
// ExplicitRepresentation): an IRI (optionally in <>), or a literal
// "value", "value"@lang or "value"^^datatype. "" and a variable ("?x")
// are nil. Blank nodes never match (credreg has none) and are refused.
func ParseTerm(s string, literalOK bool) (quad.Value, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" || strings.HasPrefix(s, "?"):
		return nil, nil
	case strings.HasPrefix(s, "_:"):
		return nil, fmt.Errorf("%q is a blank node; credreg has none, so a pattern names IRIs and literals only", s)
	case strings.HasPrefix(s, `"`):
		if !literalOK {
			return nil, fmt.Errorf("%q is a literal; only an object can be one", s)
		}
		end := strings.LastIndexByte(s, '"')
		if end == 0 {
			return nil, fmt.Errorf("%q: a literal's closing quote is missing", s)
		}
		value, rest := s[1:end], s[end+1:]
		switch {
		case rest == "":
			return literalValue(value, "", ""), nil
		case strings.HasPrefix(rest, "@") && len(rest) > 1 && validLang(rest[1:]):
			return literalValue(value, "", rest[1:]), nil
		case strings.HasPrefix(rest, "^^"):
			dt := strings.TrimSuffix(strings.TrimPrefix(rest[2:], "<"), ">")
			if !absoluteIRI(dt) {
				return nil, fmt.Errorf("%q: the datatype %q is not an absolute IRI", s, dt)
			}
			return literalValue(value, dt, ""), nil
		}
		return nil, fmt.Errorf("%q: after a literal's closing quote, expected @language or ^^datatype", s)
	}
	iri := strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	if !absoluteIRI(iri) {
		return nil, fmt.Errorf("%q is not an absolute IRI (like https://…) or a literal (like \"text\")", s)
	}
	return quad.IRI(iri), nil
}

func absoluteIRI(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 || strings.ContainsAny(s, " <>\"{}|\\^`\n\r\t") {
		return false
	}
	for j, r := range s[:i] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || j > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return len(s) > i+1
}

func validLang(s string) bool {
	if len(s) > 35 {
		return false
	}
	for i, part := range strings.Split(s, "-") {
		if part == "" || len(part) > 8 || (i == 0 && len(part) > 3 && len(part) < 5) {
			return false
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

// Fragment is one page of a triple pattern fragment.
type Fragment struct {
	Triples []quad.Quad // without graph labels, in the page's order (see Fragment)
	Total   int         // statements matching the pattern (exact)
	Page    int
	// Sequence is the change-log position the fragment reflects.
	Sequence uint64
}

// Fragment returns page (1-based) of the statements matching p, in N-Triples
// order, each statement once however many records state it. A pattern of
// a predicate alone, or of three variables, is answered from the harvest
// index instead: its pages go record by record in IRI order, each
// record's statements in N-Triples order, and read only the records the
// page shows. Every other pattern names a subject, an object or a graph,
// which cayley's indexes lead by; none scans the store.
func (s *Store) Fragment(ctx context.Context, p Pattern, page int) (*Fragment, error) {
	if page < 1 || page > MaxFragmentPage {
		return nil, &QueryError{Param: "page", Value: strconv.Itoa(page), Message: fmt.Sprintf("pages are numbered 1 to %d", MaxFragmentPage)}
	}
	if p.Subject == nil && p.Object == nil && p.Graph == nil {
		return s.indexedFragment(ctx, p.Predicate, page)
	}
	seq := s.Sequence()
	key := patternKey(p)
	triples, ok := s.frags.get(key, seq)
	if !ok {
		var err error
		if triples, err = s.matchSorted(ctx, p); err != nil {
			return nil, err
		}
		s.frags.put(key, seq, triples)
	}
	f := &Fragment{Total: len(triples), Page: page, Sequence: seq}
	start := (page - 1) * FragmentPageSize
	for i := start; i < len(triples) && i < start+FragmentPageSize; i++ {
		f.Triples = append(f.Triples, triples[i])
	}
	return f, ctx.Err()
}

// indexedFragment answers the pattern of predicate alone (nil: of three
// variables) from the harvest index: the page's records and where the
// page starts and ends in them come from the index's counts, and only
// those records' statements (of the predicate) are read.
//
// The count is exact: the index counts each record's statements, and no
// statement is held by two records, since every statement's subject is
// its record's IRI or a fragment of it (schema.Validate refuses any other
// on every write path: PutBatch, merges, retirement, publishers), so a
// statement names its one record. The pages hold each statement once.
func (s *Store) indexedFragment(ctx context.Context, predicate quad.Value, page int) (*Fragment, error) {
	ix, err := s.harvest(ctx, harvestWait)
	if err != nil {
		return nil, err
	}
	pred := ""
	if predicate != nil {
		if pred = string(asIRI(predicate)); pred == "" {
			return &Fragment{Page: page, Sequence: s.Sequence()}, nil // a literal is never a predicate
		}
	}
	ix.mu.RLock()
	seq := ix.seq
	spans, total := ix.data.spans(pred, (page-1)*FragmentPageSize, FragmentPageSize)
	ix.mu.RUnlock()
	// The records are read after the index: a write between the two shows
	// in this page (its count as of seq), as a write during a read of the
	// store would.
	f := &Fragment{Total: total, Page: page, Sequence: seq}
	for _, sp := range spans {
		quads, err := s.recordStatements(ctx, sp.iri, predicate)
		if err != nil {
			return nil, err
		}
		lo, hi := min(sp.skip, len(quads)), min(sp.skip+sp.take, len(quads))
		f.Triples = append(f.Triples, quads[lo:hi]...)
	}
	return f, ctx.Err()
}

// recordStatements returns the statements of the record iri (its graph)
// with predicate (any when nil), without graph labels, in N-Triples order.
func (s *Store) recordStatements(ctx context.Context, iri string, predicate quad.Value) ([]quad.Quad, error) {
	quads, err := s.match(ctx, Pattern{Graph: quad.IRI(iri), Predicate: predicate})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", iri, err)
	}
	for i := range quads {
		quads[i].Label = nil
	}
	out, _ := canonical(quads)
	return out, nil
}

// matchSorted returns the distinct statements matching p, in N-Triples
// order.
func (s *Store) matchSorted(ctx context.Context, p Pattern) ([]quad.Quad, error) {
	quads, err := s.matchPattern(ctx, p)
	if err != nil {
		return nil, err
	}
	keep := quads[:0]
	for _, q := range quads {
		label := string(asIRI(q.Label))
		if label == "" || strings.HasPrefix(label, "urn:credreg:") {
			continue
		}
		if (p.Graph != nil && termString(q.Label) != termString(p.Graph)) ||
			(p.Subject != nil && termString(q.Subject) != termString(p.Subject)) ||
			(p.Predicate != nil && termString(q.Predicate) != termString(p.Predicate)) ||
			(p.Object != nil && termString(q.Object) != termString(p.Object)) {
			continue
		}
		keep = append(keep, q)
	}
	// canonical drops the graphs, sorts in N-Triples order and keeps each
	// statement once.
	triples, _ := canonical(keep)
	return triples, ctx.Err()
}

func patternKey(p Pattern) string {
	t := func(v quad.Value) string {
		if v == nil {
			return "?"
		}
		return termString(v)
	}
	return t(p.Subject) + " " + t(p.Predicate) + " " + t(p.Object) + " " + t(p.Graph)
}

// fragmentCache keeps the matches of recent patterns, each valid for the
// change-log position it was read at (a write makes it stale), within a
// bound on the statements held.
type fragmentCache struct {
	mu      sync.Mutex
	entries map[string]*fragmentEntry
	held    int
}

type fragmentEntry struct {
	seq     uint64
	triples []quad.Quad
	used    uint64
}

// Fragment cache bounds.
const (
	fragmentCacheEntries = 256
	fragmentCacheQuads   = 2_000_000
)

var fragmentClock atomic.Uint64

func (c *fragmentCache) get(key string, seq uint64) ([]quad.Quad, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil || e.seq != seq {
		return nil, false
	}
	e.used = fragmentClock.Add(1)
	return e.triples, true
}

func (c *fragmentCache) put(key string, seq uint64, triples []quad.Quad) {
	if len(triples) > fragmentCacheQuads/4 {
		return // too big to keep
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*fragmentEntry{}
	}
	if old := c.entries[key]; old != nil {
		c.held -= len(old.triples)
	}
	c.entries[key] = &fragmentEntry{seq: seq, triples: triples, used: fragmentClock.Add(1)}
	c.held += len(triples)
	for len(c.entries) > fragmentCacheEntries || c.held > fragmentCacheQuads {
		var oldest string
		var min uint64
		for k, e := range c.entries {
			if e.seq != seq { // stale: drop first
				oldest = k
				break
			}
			if oldest == "" || e.used < min {
				oldest, min = k, e.used
			}
		}
		c.held -= len(c.entries[oldest].triples)
		delete(c.entries, oldest)
	}
}

// matchPattern returns the statements (in every graph) that may match p,
// through the most selective index. p names a graph, a subject or an
// object (Fragment answers the other patterns from the harvest index).
func (s *Store) matchPattern(ctx context.Context, p Pattern) ([]quad.Quad, error) {
	switch {
	case p.Graph != nil:
		return s.quadsByGraph(ctx, p.Graph)
	case p.Subject != nil:
		return s.quadsBy(ctx, quad.Subject, p.Subject)
	case p.Object != nil && p.Predicate != nil:
		return s.quadsByObjectPredicate(ctx, p.Object, string(asIRI(p.Predicate)))
	case p.Object != nil:
		return s.quadsBy(ctx, quad.Object, p.Object)
	}
	return nil, errors.New("match: the pattern names no subject, object or graph")
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
func (f *Fragment) metadata(l FragmentLinks) []*ldNode {
	tmpl := newNode(l.Dataset[:strings.IndexByte(l.Dataset+"#", '#')]+"#triplePattern", schema.ClassHydraIriTemp)
	tmpl.add(schema.PropHydraTemplate, quad.String(l.Template))
	tmpl.add(schema.PropHydraVarRepr, quad.IRI(schema.HydraExplicitRepr))
	for _, v := range []string{"subject", "predicate", "object"} {
		m := newNode(l.Dataset[:strings.IndexByte(l.Dataset+"#", '#')]+"#"+v, schema.ClassHydraMapping)
		m.add(schema.PropHydraVariable, quad.String(v))
		m.add(schema.PropHydraProperty, quad.IRI(schema.RDF+v))
		tmpl.add(schema.PropHydraMapping, m)
	}
	ds := newNode(l.Dataset, schema.ClassVoidDataset, schema.ClassCollection)
	ds.add(schema.PropHydraSearch, tmpl)
	ds.add(schema.PropVoidSubset, quad.IRI(l.Page))
	page := newNode(l.Page, schema.Hydra+"PartialCollectionView")
	page.add(schema.PropVoidTriples, intLiteral(uint64(f.Total)))
	page.add(schema.TotalItems, intLiteral(uint64(f.Total)))
	page.add(schema.PropHydraItemsPerPag, intLiteral(FragmentPageSize))
	page.links(schema.PropFirst, l.First).links(schema.PropNext, l.Next).links(schema.PropPrevious, l.Previous)
	return []*ldNode{ds, page}
}

// metadataGraph is the graph of a page's metadata in quad formats.
func metadataGraph(page string) string { return page + "#metadata" }

// FragmentNQuads returns the page as N-Quads: its statements in the
// default graph, the metadata in the graph {page}#metadata, which
// foaf:primaryTopic links to the page (first, as TPF clients expect).
func (f *Fragment) FragmentNQuads(l FragmentLinks) []byte {
	g := quad.IRI(metadataGraph(l.Page))
	var b strings.Builder
	b.WriteString(nquadLine(g, quad.IRI(schema.PropPrimaryTopic), quad.IRI(l.Page), g))
	var meta []quad.Quad
	for _, n := range f.metadata(l) {
		meta = n.quads(meta)
	}
	metaLines := make([]string, len(meta))
	for i, q := range meta {
		metaLines[i] = nquadLine(q.Subject, q.Predicate, q.Object, g)
	}
	sort.Strings(metaLines)
	for _, l := range metaLines {
		b.WriteString(l)
	}
	for _, q := range f.Triples {
		b.WriteString(nquadLine(q.Subject, q.Predicate, q.Object, nil))
	}
	return []byte(b.String())
}

// FragmentNTriples returns the page as N-Triples (valid Turtle): the
// statements and the metadata in one graph.
func (f *Fragment) FragmentNTriples(l FragmentLinks) []byte {
	var meta []quad.Quad
	for _, n := range f.metadata(l) {
		meta = n.quads(meta)
	}
	lines := make([]string, 0, len(meta)+len(f.Triples))
	for _, q := range meta {
		lines = append(lines, nquadLine(q.Subject, q.Predicate, q.Object, nil))
	}
	sort.Strings(lines)
	for _, q := range f.Triples {
		lines = append(lines, nquadLine(q.Subject, q.Predicate, q.Object, nil))
	}
	return []byte(strings.Join(lines, ""))
}

// FragmentTriG returns the page as TriG: the statements, then the metadata
// graph.
func (f *Fragment) FragmentTriG(l FragmentLinks) []byte {
	var b strings.Builder
	for _, q := range f.Triples {
		b.WriteString(nquadLine(q.Subject, q.Predicate, q.Object, nil))
	}
	g := quad.IRI(metadataGraph(l.Page))
	b.WriteString(termString(g) + " {\n")
	b.WriteString("  " + nquadLine(g, quad.IRI(schema.PropPrimaryTopic), quad.IRI(l.Page), nil))
	var meta []quad.Quad
	for _, n := range f.metadata(l) {
		meta = n.quads(meta)
	}
	lines := make([]string, len(meta))
	for i, q := range meta {
		lines[i] = "  " + nquadLine(q.Subject, q.Predicate, q.Object, nil)
	}
	sort.Strings(lines)
	b.WriteString(strings.Join(lines, ""))
	b.WriteString("}\n")
	return []byte(b.String())
}

// FragmentJSONLD returns the page as JSON-LD: the statements as top-level
// nodes, and the metadata as the named graph {page}#metadata.
func (f *Fragment) FragmentJSONLD(base schema.Base, l FragmentLinks) ([]byte, error) {
	var nodes []*ldNode
	bySubject := map[string]*ldNode{}
	for _, q := range f.Triples {
		s := string(asIRI(q.Subject))
		n := bySubject[s]
		if n == nil {
			n = newNode(s)
			bySubject[s] = n
			nodes = append(nodes, n)
		}
		if asIRI(q.Predicate) == schema.RDFType {
			if t := string(asIRI(q.Object)); t != "" {
				n.types = append(n.types, t)
				continue
			}
		}
		n.addValue(string(asIRI(q.Predicate)), q.Object)
	}
	meta := f.metadata(l)
	topic := newNode(metadataGraph(l.Page)).links(schema.PropPrimaryTopic, l.Page)
	meta = append([]*ldNode{topic}, meta...)
	return graphJSONLD(base, nodes, metadataGraph(l.Page), meta)
}
