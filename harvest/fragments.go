package harvest

// Triple Pattern Fragments: the published statements matching a pattern,
// in pages, with the TPF hypermedia controls (a hydra:search IriTemplate),
// counts and paging links. The store's bookkeeping (records' bookkeeping,
// change log, tokens) is never part of a fragment.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry"
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

// Pattern is a triple pattern of published statements: nil for a
// variable; Graph, when set, keeps the statements of one record.
type Pattern = registry.StatementPattern

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

// Fragment returns page (1-based) of the published statements matching p
// and their exact count. It is FragmentAfter without a cursor: page N
// passes the keys of the N-1 pages before it (registry.Published.Skip, no
// terms), so a client that follows the next links should pass their
// cursor.
func (h *Harvester) Fragment(ctx context.Context, p Pattern, page int) (*Fragment, error) {
	return h.FragmentAfter(ctx, p, page, "")
}

// FragmentAfter returns page (1-based) of the published statements
// matching p (never the store's bookkeeping), with their exact count
// (Total) and the cursor of the next page (Next). With cursor, the Next of
// the page before, the page starts right after that page's last
// statement: one seek, however deep. Without it, page N skips
// (N-1)·FragmentPageSize statements, reading their keys only. An
// ill-formed cursor is a registry.QueryError on "after", as is a page
// number out of range or past MaxPageWithoutCursor on "page".
//
// Statements come in registry.Published.Match's order, stable across
// pages while the store is not written. Every statement is one record's
// (its subject is the record's IRI or a fragment of it: schema.Validate
// refuses any other on every write path), so a triple appears once. The
// count and the page are read one after the other: a write between them
// shows in the page, as in the next count.
func (h *Harvester) FragmentAfter(ctx context.Context, p Pattern, page int, cursor string) (*Fragment, error) {
	if page < 1 || page > MaxFragmentPage {
		return nil, &registry.QueryError{Param: "page", Value: strconv.Itoa(page), Message: fmt.Sprintf("pages are numbered 1 to %d", MaxFragmentPage)}
	}
	badCursor := &registry.QueryError{Param: "after", Value: cursor, Message: "not a cursor of this fragment: follow the next link of a page"}
	var after []byte
	if cursor != "" {
		var err error
		if after, err = base64.RawURLEncoding.DecodeString(cursor); err != nil || len(after) == 0 {
			return nil, badCursor
		}
	}
	pub := h.store.Published()
	f := &Fragment{Page: page, Sequence: h.store.Sequence()}
	total, err := pub.Count(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("fragment: %w", err)
	}
	f.Total = int(total)
	skip := (page - 1) * FragmentPageSize
	if after == nil && skip >= f.Total {
		return f, nil // past the end: nothing to read
	}
	if after == nil && page > MaxPageWithoutCursor {
		return nil, &registry.QueryError{Param: "page", Value: strconv.Itoa(page), Message: fmt.Sprintf("pages past %d are reached by the next links, whose after= cursor goes straight to them (a page number alone makes the registry pass every statement before it)", MaxPageWithoutCursor)}
	}
	if after == nil && skip > 0 {
		if after, err = pub.Skip(ctx, p, nil, skip); err != nil {
			return nil, fmt.Errorf("fragment: to page %d: %w", page, err)
		}
		if after == nil {
			return f, nil // fewer statements than the count said: written since
		}
	}
	quads, next, err := pub.Match(ctx, p, after, FragmentPageSize)
	if errors.Is(err, registry.ErrBadCursor) {
		return nil, badCursor
	}
	if err != nil {
		return nil, fmt.Errorf("fragment: %w", err)
	}
	for _, q := range quads {
		q.Label = nil
		f.Triples = append(f.Triples, q)
	}
	if next != nil {
		f.Next = base64.RawURLEncoding.EncodeToString(next)
	}
	return f, ctx.Err()
}

// patternString writes p with "?" for its variables, for messages.
func patternString(p Pattern) string {
	t := func(v quad.Value) string {
		if v == nil {
			return "?"
		}
		return rdf.TermString(v)
	}
	return t(p.Subject) + " " + t(p.Predicate) + " " + t(p.Object) + " " + t(p.Graph)
}

// Format is a representation of a fragment page.
type Format string

// The representations of a fragment page.
const (
	FormatJSONLD Format = "jsonld"
	FormatNQuads Format = "nq"
	FormatTriG   Format = "trig"
	// FormatTurtle is N-Triples (valid Turtle): the statements and the
	// metadata in one graph, since Turtle has no graphs.
	FormatTurtle Format = "ttl"
)

// FragmentRequest is a fragment page as a client asked for it.
type FragmentRequest struct {
	Pattern Pattern
	Page    int    // 1-based
	After   string // the cursor of the page before (its next link), or ""
	Format  Format
	// Query is the request's query string as given (subject, predicate,
	// object and graph as the client wrote them, page, after, format):
	// the page's own IRI is the fragments' IRI with it, since TPF clients
	// look a page's metadata up by the URL they asked for, and the links
	// keep its terms.
	Query string
}

// FragmentPage is a rendered fragment page.
type FragmentPage struct {
	Body  []byte
	Links FragmentLinks
	// Sequence is the change-log position the page reflects.
	Sequence uint64
}

// FragmentsPath is the path of the fragments under the registry's base.
const FragmentsPath = "/fragments"

// Page returns the fragment page req asks for, rendered in req.Format,
// from the cache when it holds the page at the store's current position.
// Errors are FragmentAfter's, and a registry.QueryError on "format" for a
// format it does not know.
func (h *Harvester) Page(ctx context.Context, req FragmentRequest) (*FragmentPage, error) {
	switch req.Format {
	case FormatJSONLD, FormatNQuads, FormatTriG, FormatTurtle:
	default:
		return nil, &registry.QueryError{Param: "format", Value: string(req.Format), Message: "a fragment is jsonld, nq, trig or ttl"}
	}
	seq := h.store.Sequence()
	key := string(req.Format) + " " + req.Query
	if p, ok := h.pages.get(seq, key); ok {
		return p, nil
	}
	f, err := h.FragmentAfter(ctx, req.Pattern, req.Page, req.After)
	if err != nil {
		return nil, err
	}
	links := h.fragmentLinks(req, f)
	var body []byte
	switch req.Format {
	case FormatJSONLD:
		if body, err = f.FragmentJSONLD(h.base, links); err != nil {
			return nil, fmt.Errorf("fragment %s: %w", patternString(req.Pattern), err)
		}
	case FormatNQuads:
		body = f.FragmentNQuads(links)
	case FormatTriG:
		body = f.FragmentTriG(links)
	case FormatTurtle:
		body = f.FragmentNTriples(links)
	}
	p := &FragmentPage{Body: body, Links: links, Sequence: f.Sequence}
	if f.Sequence == seq {
		h.pages.put(seq, key, p)
	}
	return p, nil
}

// fragmentLinks builds a fragment page's IRIs: the page itself is the URL
// as requested (TPF clients look its metadata up by that URL); the other
// links list the pattern in the template's order, then the page. The next
// link carries the cursor of the next page (after=), so following it costs
// one seek however deep; a page=N link without one still works, reading
// the pages before it.
func (h *Harvester) fragmentLinks(req FragmentRequest, f *Fragment) FragmentLinks {
	base := h.base.String() + FragmentsPath
	v, _ := url.ParseQuery(req.Query) // the caller has checked it
	at := func(n int, cursor string) string {
		var parts []string
		for _, name := range []string{"subject", "predicate", "object", "graph"} {
			if val := v.Get(name); val != "" && !strings.HasPrefix(val, "?") {
				parts = append(parts, name+"="+url.QueryEscape(val))
			}
		}
		if n > 1 {
			parts = append(parts, "page="+strconv.Itoa(n))
		}
		if cursor != "" {
			parts = append(parts, "after="+cursor)
		}
		if len(parts) == 0 {
			return base
		}
		return base + "?" + strings.Join(parts, "&")
	}
	self := base
	if req.Query != "" {
		self += "?" + iriSafe(req.Query)
	}
	l := FragmentLinks{
		Dataset:  base + "#dataset",
		Template: base + "{?subject,predicate,object}",
		Fragment: at(1, ""),
		Page:     self,
		First:    at(1, ""),
	}
	if f.Next != "" {
		l.Next = at(req.Page+1, f.Next)
	}
	if req.Page > 1 {
		l.Previous = at(req.Page-1, "")
	}
	return l
}

// iriSafe percent-encodes the bytes of s that may not stand in an IRI
// (spaces, quotes, angle brackets, controls and the like); it leaves
// existing escapes alone.
func iriSafe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
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
	page.Add(schema.PropVoidTriples, rdf.Integer(uint64(f.Total)))
	page.Add(schema.TotalItems, rdf.Integer(uint64(f.Total)))
	page.Add(schema.PropHydraItemsPerPag, rdf.Integer(FragmentPageSize))
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
		s := string(rdf.IRIOf(q.Subject))
		n := bySubject[s]
		if n == nil {
			n = rdf.NewNode(s)
			bySubject[s] = n
			nodes = append(nodes, n)
		}
		if rdf.IRIOf(q.Predicate) == schema.RDFType {
			if t := string(rdf.IRIOf(q.Object)); t != "" {
				n.AddType(t)
				continue
			}
		}
		n.AddValue(string(rdf.IRIOf(q.Predicate)), q.Object)
	}
	meta := f.metadata(l)
	topic := rdf.NewNode(metadataGraph(l.Page)).Links(schema.PropPrimaryTopic, l.Page)
	meta = append([]*rdf.Node{topic}, meta...)
	return rdf.GraphJSONLD(base, nodes, metadataGraph(l.Page), meta)
}
