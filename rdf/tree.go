package rdf

// Documents built as trees of nodes, written straight to compacted JSON-LD
// in credreg's context and to N-Quads, without a JSON-LD processor on the
// request path. The list's pages and the reports are such documents; tests
// expand their JSON-LD with a processor and compare it with their N-Quads.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// Node is a node of a document tree: an IRI, its types and properties
// whose values are quad values or nested nodes.
type Node struct {
	id    string
	types []string
	props []nodeProp
}

type nodeProp struct {
	pred string
	vals []any // quad.Value or *Node
}

func NewNode(id string, types ...string) *Node { return &Node{id: id, types: types} }

// Add appends values of a property, skipping empty strings and nil nodes.
func (n *Node) Add(pred string, vals ...any) *Node {
	var keep []any
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
		case *Node:
			if x != nil {
				keep = append(keep, x)
			}
		case quad.IRI:
			if x != "" {
				keep = append(keep, x)
			}
		case quad.String:
			if x != "" {
				keep = append(keep, x)
			}
		case quad.Value:
			keep = append(keep, x)
		}
	}
	if len(keep) == 0 {
		return n
	}
	for i := range n.props {
		if n.props[i].pred == pred {
			n.props[i].vals = append(n.props[i].vals, keep...)
			return n
		}
	}
	n.props = append(n.props, nodeProp{pred: pred, vals: keep})
	return n
}

// AddType adds types (rdf:type) to the node.
func (n *Node) AddType(types ...string) *Node {
	n.types = append(n.types, types...)
	return n
}

// AddValue appends one value as it is (add skips empty strings).
func (n *Node) AddValue(pred string, v quad.Value) *Node {
	for i := range n.props {
		if n.props[i].pred == pred {
			n.props[i].vals = append(n.props[i].vals, v)
			return n
		}
	}
	n.props = append(n.props, nodeProp{pred: pred, vals: []any{v}})
	return n
}

// Always makes pred present even without values: a property whose term
// is a set ("@container": "@set") then compacts to [] (as a page's
// "member" with no results); it adds no statement.
func (n *Node) Always(pred string) *Node {
	for i := range n.props {
		if n.props[i].pred == pred {
			return n
		}
	}
	n.props = append(n.props, nodeProp{pred: pred})
	return n
}

// Links adds IRIs.
func (n *Node) Links(pred string, iris ...string) *Node {
	for _, iri := range iris {
		n.Add(pred, quad.IRI(iri))
	}
	return n
}

// Quads appends the statements of the tree.
func (n *Node) Quads(out []quad.Quad) []quad.Quad {
	s := quad.IRI(n.id)
	for _, t := range n.types {
		out = append(out, quad.Quad{Subject: s, Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(t)})
	}
	for _, p := range n.props {
		for _, v := range p.vals {
			if child, ok := v.(*Node); ok {
				out = append(out, quad.Quad{Subject: s, Predicate: quad.IRI(p.pred), Object: quad.IRI(child.id)})
				out = child.Quads(out)
				continue
			}
			out = append(out, quad.Quad{Subject: s, Predicate: quad.IRI(p.pred), Object: v.(quad.Value)})
		}
	}
	return out
}

// NQuads renders the tree as sorted, distinct N-Quads lines.
func (n *Node) NQuads() []byte {
	q, _ := Canonicalize(n.Quads(nil))
	return NQuads(q)
}

// Context is the context of a tree document: the "@context" value it
// writes and the terms it compacts with.
type Context struct {
	ref   any
	terms *contextTerms
}

// DefaultContext is credreg's context, by the IRI documents name it at.
func DefaultContext(base schema.Base) Context {
	return Context{ref: base.Context(), terms: ctxTerms}
}

// Ref is the context's "@context" value, as documents written in it name
// it.
func (c Context) Ref() any { return c.ref }

// LocalTerm is a term an embedded context defines over credreg's: Name
// stands for the property IRI, its values coerced to Coerce ("@id" or a
// datatype IRI).
type LocalTerm struct {
	Name, IRI, Coerce string
}

// Redefine returns c followed by an embedded context that gives the terms'
// names their meaning in this document only: the properties of terms are
// written under those names, and the properties the names held in c are
// left to compact IRIs. The embedded context writes compact IRIs in
// credreg's prefixes, as JSON-LD 1.0 reads them.
func (c Context) Redefine(terms ...LocalTerm) Context {
	local := ordered{}
	for _, t := range terms {
		local = append(local, field{t.Name, ordered{{"@id", schema.Compact(t.IRI)}, {"@type", schema.Compact(t.Coerce)}}})
	}
	nt := &contextTerms{props: map[string]termDef{}, classes: c.terms.classes, prefixes: c.terms.prefixes, byName: map[string]termDef{}}
	redefined := map[string]bool{}
	for _, t := range terms {
		redefined[t.Name] = true
	}
	for iri, d := range c.terms.props {
		if !redefined[d.name] {
			nt.props[iri] = d
		}
	}
	for name, d := range c.terms.byName {
		if !redefined[name] {
			nt.byName[name] = d
		}
	}
	for _, t := range terms {
		d := termDef{name: t.Name, coerce: t.Coerce}
		nt.props[t.IRI], nt.byName[t.Name] = d, d
	}
	return Context{ref: []any{c.ref, local}, terms: nt}
}

// JSONLD renders the tree as a compacted JSON-LD document in credreg's
// context, indented like credreg's other documents.
func (n *Node) JSONLD(base schema.Base) ([]byte, error) {
	return n.JSONLDIn(DefaultContext(base))
}

// JSONLDIn renders the tree as a compacted JSON-LD document in c.
func (n *Node) JSONLDIn(c Context) ([]byte, error) {
	obj := append(ordered{{"@context", c.ref}}, n.compact(c.terms)...)
	var b bytes.Buffer
	b.Grow(4096)
	if err := writeJSONValue(&b, obj, 0); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// field is a key and value of a JSON object.
type field struct {
	k string
	v any
}

// ordered is a JSON object that keeps its keys in order.
type ordered []field

// writeJSONValue writes v as indented JSON in one pass (encoding/json
// would re-validate the output of every nested Marshaler).
func writeJSONValue(b *bytes.Buffer, v any, depth int) error {
	newline := func(d int) {
		b.WriteByte('\n')
		for i := 0; i < d; i++ {
			b.WriteString("  ")
		}
	}
	switch x := v.(type) {
	case string:
		writeJSONString(b, x)
	case ordered:
		if len(x) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteByte('{')
		for i, kv := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			newline(depth + 1)
			writeJSONString(b, kv.k)
			b.WriteString(": ")
			if err := writeJSONValue(b, kv.v, depth+1); err != nil {
				return err
			}
		}
		newline(depth)
		b.WriteByte('}')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := make(ordered, len(keys))
		for i, k := range keys {
			o[i].k, o[i].v = k, x[k]
		}
		return writeJSONValue(b, o, depth)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			newline(depth + 1)
			if err := writeJSONValue(b, e, depth+1); err != nil {
				return err
			}
		}
		newline(depth)
		b.WriteByte(']')
	default:
		js, err := json.Marshal(x)
		if err != nil {
			return err
		}
		b.Write(js)
	}
	return nil
}

// writeJSONString writes s as a JSON string, escaping what JSON requires
// (not <, > and &, as credreg's other documents).
func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				fmt.Fprintf(b, `\u%04x`, c)
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			fmt.Fprintf(b, `\u%04x`, r)
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// compact writes a node in the context of t: terms for properties and
// classes, values in the form the term's coercion expects (integers as
// JSON numbers), value objects otherwise; the values of a set term
// ("@container": "@set") always as an array, [] for a property made
// present by always.
func (n *Node) compact(t *contextTerms) ordered {
	o := ordered{{"id", n.id}}
	if len(n.types) > 0 {
		ts := make([]any, len(n.types))
		for i, ty := range n.types {
			ts[i] = t.vocab(ty)
		}
		o = append(o, field{"type", one(ts)})
	}
	for _, p := range n.props {
		key, def := t.property(p.pred)
		if len(p.vals) == 0 && !def.set {
			continue
		}
		vals := make([]any, len(p.vals))
		for i, v := range p.vals {
			if child, ok := v.(*Node); ok {
				vals[i] = child.compact(t)
				continue
			}
			vals[i] = compactValue(t, def, v.(quad.Value))
		}
		if def.set {
			o = append(o, field{key, vals})
			continue
		}
		o = append(o, field{key, one(vals)})
	}
	return o
}

func one(vs []any) any {
	if len(vs) == 1 {
		return vs[0]
	}
	return vs
}

// compactValue writes a value under a term of coercion def.coerce ("@id",
// "@vocab", a datatype IRI or ""), looking class terms up in t.
func compactValue(t *contextTerms, def termDef, v quad.Value) any {
	switch x := v.(type) {
	case quad.IRI:
		switch def.coerce {
		case "@id":
			return string(x)
		case "@vocab":
			if term, ok := t.classes[string(x)]; ok {
				return term
			}
			return string(x)
		}
		return map[string]any{"@id": string(x)}
	case quad.String:
		if def.coerce == "" {
			return string(x)
		}
		return map[string]any{"@value": string(x)}
	case quad.LangString:
		return map[string]any{"@value": string(x.Value), "@language": x.Lang}
	case quad.TypedString:
		if def.coerce == string(x.Type) || def.coerce == "" {
			if nv, ok := nativeValue(string(x.Value), string(x.Type)); ok {
				return nv
			}
		}
		if def.coerce == string(x.Type) {
			return string(x.Value)
		}
		return map[string]any{"@value": string(x.Value), "@type": string(x.Type)}
	}
	cv := CanonicalTerm(v)
	if _, ok := cv.(quad.TypedString); ok {
		return compactValue(t, def, cv)
	}
	return map[string]any{"@value": quad.StringOf(v)}
}

// maxNativeInteger is the largest integer a JSON number carries exactly
// in every client (2^53: JavaScript's and float64's integers).
const maxNativeInteger = 1 << 53

// nativeValue returns the JSON number that a JSON-LD processor turns back
// into exactly the literal (lexical form and datatype): an xsd:integer in
// canonical form (no sign "+", no leading zeros) within ±2^53. A native
// JSON number expands to an xsd:integer literal, under a term coerced to
// xsd:integer too. Other literals stay strings: decimals such as wages (a
// JSON number would come back in an xsd:double lexical form), and
// booleans (context v2 leaves them as they were in v1).
func nativeValue(lexical, datatype string) (any, bool) {
	if datatype != schema.XSD+"integer" {
		return nil, false
	}
	n, err := strconv.ParseInt(lexical, 10, 64)
	if err != nil || n > maxNativeInteger || n < -maxNativeInteger || strconv.FormatInt(n, 10) != lexical {
		return nil, false
	}
	return n, true
}

// termDef is a property term of the context: its name, its coercion
// ("@id", "@vocab", a datatype IRI or "") and whether its values are a
// set, always written as an array.
type termDef struct {
	name, coerce string
	set          bool
}

// contextTerms is credreg's context read as tables: property IRI to term,
// class (or vocabulary value) IRI to term, and the prefixes.
type contextTerms struct {
	props    map[string]termDef
	classes  map[string]string
	prefixes map[string]string  // prefix -> namespace
	byName   map[string]termDef // term name -> definition
}

var ctxTerms = readContextTerms(schema.ContextDocument())

func readContextTerms(doc []byte) *contextTerms {
	var c struct {
		Context map[string]json.RawMessage `json:"@context"`
	}
	if err := json.Unmarshal(doc, &c); err != nil {
		panic("credreg context: " + err.Error())
	}
	t := &contextTerms{props: map[string]termDef{}, classes: map[string]string{}, prefixes: map[string]string{}, byName: map[string]termDef{}}
	raw := map[string]string{}
	coerce := map[string]string{}
	set := map[string]bool{}
	for name, v := range c.Context {
		var s string
		if json.Unmarshal(v, &s) == nil {
			if strings.HasSuffix(s, "/") || strings.HasSuffix(s, "#") {
				t.prefixes[name] = s
				continue
			}
			raw[name] = s
			continue
		}
		var d struct {
			ID        string `json:"@id"`
			Type      string `json:"@type"`
			Container string `json:"@container"`
		}
		if json.Unmarshal(v, &d) == nil && d.ID != "" {
			raw[name], coerce[name], set[name] = d.ID, d.Type, d.Container == "@set"
		}
	}
	expand := func(s string) string {
		if p, local, ok := strings.Cut(s, ":"); ok {
			if ns, ok := t.prefixes[p]; ok {
				return ns + local
			}
		}
		return s
	}
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names) // the first name of an IRI wins, whatever map order
	for _, name := range names {
		if strings.HasPrefix(raw[name], "@") {
			continue
		}
		iri := expand(raw[name])
		cz := coerce[name]
		if cz != "" && !strings.HasPrefix(cz, "@") {
			cz = expand(cz)
		}
		def := termDef{name: name, coerce: cz, set: set[name]}
		t.byName[name] = def
		if _, ok := t.props[iri]; !ok {
			t.props[iri] = def
		}
		if _, ok := t.classes[iri]; !ok {
			t.classes[iri] = name
		}
	}
	return t
}

// property returns the key and definition to write a property under.
func (t *contextTerms) property(iri string) (string, termDef) {
	if d, ok := t.props[iri]; ok {
		return d.name, d
	}
	return t.compactIRI(iri), termDef{}
}

// vocab returns the term or compact IRI of a class.
func (t *contextTerms) vocab(iri string) string {
	if n, ok := t.classes[iri]; ok {
		return n
	}
	return t.compactIRI(iri)
}

func (t *contextTerms) compactIRI(iri string) string {
	best, bestNS := "", ""
	for p, ns := range t.prefixes {
		if len(ns) > len(bestNS) && strings.HasPrefix(iri, ns) && len(iri) > len(ns) {
			best, bestNS = p, ns
		}
	}
	if bestNS == "" {
		return iri
	}
	return best + ":" + iri[len(bestNS):]
}

// GraphJSONLD renders top-level nodes as one JSON-LD document, with the
// nodes of meta as the named graph graphIRI.
func GraphJSONLD(base schema.Base, nodes []*Node, graphIRI string, meta []*Node) ([]byte, error) {
	top := make([]any, 0, len(nodes)+1)
	for _, n := range nodes {
		top = append(top, n.compact(ctxTerms))
	}
	if len(meta) > 0 {
		inner := make([]any, len(meta))
		for i, n := range meta {
			inner[i] = n.compact(ctxTerms)
		}
		top = append(top, ordered{{"id", graphIRI}, {"@graph", inner}})
	}
	doc := ordered{{"@context", base.Context()}, {"@graph", top}}
	var b bytes.Buffer
	if err := writeJSONValue(&b, doc, 0); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
