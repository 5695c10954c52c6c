package registry

import (
	"container/list"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/schema"
)

// Document is a record ready to serve: its bookkeeping and its renderings,
// each made once on first use and kept while the record is unchanged.
type Document struct {
	IRI      string
	Hash     string
	Version  uint64
	Modified time.Time
	Retired  bool

	store *Store
	quads []quad.Quad

	// Renderings that succeed are kept; a failed one (a cancelled
	// request's context, a store error) is not, so the next caller renders
	// afresh instead of being served the failure.
	jsonMu sync.Mutex
	jsonld []byte
	// renderJSON, when set, renders the JSON-LD instead of the default
	// rendering of the record.
	renderJSON func() ([]byte, error)

	nqOnce sync.Once
	nq     []byte

	viewMu sync.Mutex
	view   *View
}

// JSONLD returns the record as compacted JSON-LD in credreg's context.
func (d *Document) JSONLD() ([]byte, error) {
	d.jsonMu.Lock()
	defer d.jsonMu.Unlock()
	if d.jsonld != nil {
		return d.jsonld, nil
	}
	render := d.renderJSON
	if render == nil {
		render = func() ([]byte, error) { return rdf.RenderRecord(d.store.base, d.IRI, d.quads) }
	}
	b, err := render()
	if err != nil {
		return nil, err
	}
	d.jsonld = b
	return b, nil
}

// NQuads returns the record's statements as sorted N-Quads lines in the
// default graph.
func (d *Document) NQuads() []byte {
	d.nqOnce.Do(func() { d.nq = rdf.NQuads(d.quads) })
	return d.nq
}

// View returns the record arranged for a page: nodes, properties and
// values, with the labels of linked resources. A view that cannot be built
// (ctx cancelled, the store failing) is not kept: a later call with a live
// context builds it again.
func (d *Document) View(ctx context.Context) (*View, error) {
	d.viewMu.Lock()
	defer d.viewMu.Unlock()
	if d.view != nil {
		return d.view, nil
	}
	v, err := d.store.buildView(ctx, d.IRI, d.quads)
	if err != nil {
		return nil, err
	}
	d.view = v
	return v, nil
}

// Document returns the current rendering of the record iri, or an error
// wrapping ErrNotFound. Renderings are cached by record version. On a store
// this process holds alone (Badger), every write drops the entries it
// changes, so a cached document is served without reading the store; on a
// shared store the record's content hash is checked first.
func (s *Store) Document(ctx context.Context, iri string) (*Document, error) {
	if s.exclusive {
		if d := s.docs.get(iri, ""); d != nil {
			return d, nil
		}
	} else if s.docs != nil {
		hash, _, _, err := s.meta(ctx, iri)
		if err != nil {
			return nil, err
		}
		if d := s.docs.get(iri, hash); d != nil {
			return d, nil
		}
	}
	// Take the version of the cache before reading, so that a write that
	// lands while this rendering is made is not hidden behind it.
	gen := s.docs.generation()
	st, err := s.getLocked(ctx, iri)
	if err != nil {
		return nil, err
	}
	d := &Document{IRI: iri, Hash: st.Hash, Version: st.Version, Modified: st.Modified, Retired: st.Retired(), store: s, quads: st.Quads}
	s.docs.put(d, gen)
	return d, nil
}

// docCache is a bounded LRU of documents by IRI.
type docCache struct {
	mu  sync.Mutex
	max int
	ll  *list.List
	m   map[string]*list.Element
	gen uint64 // counts drops; a rendering begun before a drop is not cached
}

func newDocCache(max int) *docCache {
	return &docCache{max: max, ll: list.New(), m: map[string]*list.Element{}}
}

// get returns the cached document of iri; with a non-empty hash, only if
// it is of that content.
func (c *docCache) get(iri, hash string) *Document {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[iri]
	if !ok {
		return nil
	}
	d := e.Value.(*Document)
	if hash != "" && d.Hash != hash {
		return nil
	}
	c.ll.MoveToFront(e)
	return d
}

func (c *docCache) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// drop forgets the documents of records that changed.
func (c *docCache) drop(iris []string) {
	if c == nil || len(iris) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, iri := range iris {
		if e, ok := c.m[iri]; ok {
			c.ll.Remove(e)
			delete(c.m, iri)
		}
	}
}

// put caches d unless a drop happened since gen was taken.
func (c *docCache) put(d *Document, gen uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if e, ok := c.m[d.IRI]; ok {
		e.Value = d
		c.ll.MoveToFront(e)
		return
	}
	c.m[d.IRI] = c.ll.PushFront(d)
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.m, last.Value.(*Document).IRI)
	}
}

// View is a record arranged for reading by a person.
type View struct {
	IRI   string
	Title string
	Types []Value
	Nodes []ViewNode // the record's own node first, then its fragment nodes
}

// ViewNode is one node of a record.
type ViewNode struct {
	IRI        string
	Properties []Property
}

// Property is one property of a node with its values.
type Property struct {
	IRI    string
	Name   string // compact name, such as "ceterms:name"
	Label  string // name for people, such as "Name"
	Values []Value
}

// Value is one value: a link (with a label when the registry knows one) or
// a literal with its language or datatype.
type Value struct {
	Link     string // IRI of a linked node, or ""
	Internal bool   // the link is under the registry base
	Text     string // label of the link, or the literal's text
	Lang     string
	Datatype string // compact datatype of a typed literal
}

// labelPredicates name a node, in order of preference.
var labelPredicates = []string{schema.Name, schema.CEASNName, schema.PrefLabel, schema.Title, schema.CompetencyText, schema.Definition}

func (s *Store) buildView(ctx context.Context, iri string, quads []quad.Quad) (*View, error) {
	nodes := map[string]*ViewNode{}
	props := map[string]map[string]*Property{}
	var order []string
	labels := map[string]string{}
	for _, q := range quads {
		subj := string(rdf.IRIOf(q.Subject))
		n := nodes[subj]
		if n == nil {
			n = &ViewNode{IRI: subj}
			nodes[subj] = n
			props[subj] = map[string]*Property{}
			order = append(order, subj)
		}
		pred := string(rdf.IRIOf(q.Predicate))
		p := props[subj][pred]
		if p == nil {
			p = &Property{IRI: pred, Name: schema.Compact(pred), Label: schema.Label(pred)}
			props[subj][pred] = p
		}
		p.Values = append(p.Values, valueOf(q.Object))
		if o, ok := q.Object.(quad.IRI); ok {
			labels[string(o)] = ""
		}
	}
	// Labels of linked nodes under the base.
	for link := range labels {
		if _, ok := s.base.Path(link); !ok {
			continue
		}
		if strings.HasPrefix(link, iri+"#") {
			continue
		}
		l, err := s.label(ctx, link)
		if err != nil {
			return nil, err
		}
		labels[link] = l
	}
	v := &View{IRI: iri}
	sort.Slice(order, func(i, j int) bool {
		if order[i] == iri || order[j] == iri {
			return order[i] == iri
		}
		return order[i] < order[j]
	})
	for _, subj := range order {
		n := nodes[subj]
		var names []string
		for pred := range props[subj] {
			names = append(names, pred)
		}
		sort.Slice(names, func(i, j int) bool {
			return propRank(names[i]) < propRank(names[j]) || propRank(names[i]) == propRank(names[j]) && names[i] < names[j]
		})
		for _, pred := range names {
			p := props[subj][pred]
			for i := range p.Values {
				if link := p.Values[i].Link; link != "" {
					_, p.Values[i].Internal = s.base.Path(link)
					if l := labels[link]; l != "" {
						p.Values[i].Text = l
					} else if strings.HasPrefix(link, iri+"#") {
						p.Values[i].Text = "#" + link[len(iri)+1:] + " (below)"
					} else if pred == schema.RDFType || pred == schema.RecordStatus {
						p.Values[i].Text = schema.Label(link)
					}
				}
			}
			if pred == schema.RDFType {
				if subj == iri {
					v.Types = p.Values
				}
			}
			n.Properties = append(n.Properties, *p)
		}
		v.Nodes = append(v.Nodes, *n)
	}
	for _, lp := range labelPredicates {
		for _, q := range quads {
			if q.Subject == quad.IRI(iri) && q.Predicate == quad.IRI(lp) {
				v.Title = rdf.Lexical(q.Object)
				break
			}
		}
		if v.Title != "" {
			break
		}
	}
	if v.Title == "" {
		v.Title = s.fallbackTitle(iri, quads, labels)
	}
	return v, nil
}

// fallbackTitle names a record that has no name of its own: a value
// designation by its credential and agency, anything else by its type.
func (s *Store) fallbackTitle(iri string, quads []quad.Quad, labels map[string]string) string {
	var credential, agency, typ string
	for _, q := range quads {
		if q.Subject != quad.IRI(iri) {
			continue
		}
		switch rdf.IRIOf(q.Predicate) {
		case schema.DesignatedFor:
			credential = labels[string(rdf.IRIOf(q.Object))]
		case schema.DesignatingAgency:
			agency = labels[string(rdf.IRIOf(q.Object))]
		case schema.RDFType:
			typ = schema.Label(string(rdf.IRIOf(q.Object)))
		}
	}
	switch {
	case credential != "" && agency != "":
		return "Value designation: " + credential + ", by " + agency
	case credential != "":
		return "Value designation: " + credential
	case typ != "":
		return typ + " " + iri[strings.LastIndexByte(iri, '/')+1:]
	}
	return iri
}

// propRank puts the properties a reader looks for first at the top.
func propRank(pred string) int {
	switch pred {
	case schema.RDFType:
		return 0
	case schema.Name, schema.PrefLabel, schema.Title:
		return 1
	case schema.Description, schema.CompetencyText:
		return 2
	case schema.CTID, schema.Notation:
		return 3
	}
	return 10
}

func valueOf(o quad.Value) Value {
	switch x := rdf.CanonicalTerm(o).(type) {
	case quad.IRI:
		return Value{Link: string(x), Text: schema.Compact(string(x))}
	case quad.LangString:
		return Value{Text: string(x.Value), Lang: x.Lang}
	case quad.TypedString:
		return Value{Text: string(x.Value), Datatype: schema.Compact(string(x.Type))}
	case quad.String:
		return Value{Text: string(x)}
	}
	return Value{Text: fmt.Sprint(o)}
}

// label returns the name of a node from its own record, or "".
func (s *Store) label(ctx context.Context, iri string) (string, error) {
	quads, err := s.quadsBySubject(ctx, quad.IRI(iri))
	if err != nil {
		return "", err
	}
	for _, lp := range labelPredicates {
		for _, q := range quads {
			if rdf.IRIOf(q.Predicate) == quad.IRI(lp) && rdf.IRIOf(q.Label) == quad.IRI(schema.RecordIRI(iri)) {
				return rdf.Lexical(q.Object), nil
			}
		}
	}
	return "", nil
}

// TreeDocument returns a Document of statements that are not one stored
// record (a collection made of several records' statements, under iri),
// at the store's current sequence: its JSON-LD nests the nodes that iri
// links to with the predicate nest, as a tree, and is rendered now (a
// failure is not kept: serving the document renders it again and reports
// it).
func (s *Store) TreeDocument(iri string, quads []quad.Quad, nest string) *Document {
	q, hash := rdf.Canonicalize(quads)
	doc := &Document{IRI: iri, Hash: hash, Version: s.Sequence(), store: s, quads: q}
	doc.renderJSON = func() ([]byte, error) { return rdf.RenderTree(s.base, iri, q, nest) }
	_, _ = doc.JSONLD()
	return doc
}
