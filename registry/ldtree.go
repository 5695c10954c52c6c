package registry

// Documents built as trees of nodes, written straight to compacted JSON-LD
// in credreg's context and to N-Quads, without a JSON-LD processor on the
// request path. The list's pages and the reports are such documents; tests
// expand their JSON-LD with a processor and compare it with their N-Quads.

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// ldNode is a node of a document tree: an IRI, its types and properties
// whose values are quad values or nested nodes.
type ldNode struct {
	id    string
	types []string
	props []ldProp
}

type ldProp struct {
	pred string
	vals []any // quad.Value or *ldNode
}

func newNode(id string, types ...string) *ldNode { return &ldNode{id: id, types: types} }

// add appends values of a property, skipping empty strings and nil nodes.
func (n *ldNode) add(pred string, vals ...any) *ldNode {
	var keep []any
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
		case *ldNode:
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
	n.props = append(n.props, ldProp{pred: pred, vals: keep})
	return n
}

// links adds IRIs.
func (n *ldNode) links(pred string, iris ...string) *ldNode {
	for _, iri := range iris {
		n.add(pred, quad.IRI(iri))
	}
	return n
}

// quads appends the statements of the tree.
func (n *ldNode) quads(out []quad.Quad) []quad.Quad {
	s := quad.IRI(n.id)
	for _, t := range n.types {
		out = append(out, quad.Quad{Subject: s, Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(t)})
	}
	for _, p := range n.props {
		for _, v := range p.vals {
			if child, ok := v.(*ldNode); ok {
				out = append(out, quad.Quad{Subject: s, Predicate: quad.IRI(p.pred), Object: quad.IRI(child.id)})
				out = child.quads(out)
				continue
			}
			out = append(out, quad.Quad{Subject: s, Predicate: quad.IRI(p.pred), Object: v.(quad.Value)})
		}
	}
	return out
}

// nquads renders the tree as sorted, distinct N-Quads lines.
func (n *ldNode) nquads() []byte {
	q, _ := canonical(n.quads(nil))
	return renderNQuads(q)
}

// jsonld renders the tree as a compacted JSON-LD document.
func (n *ldNode) jsonld(base schema.Base) ([]byte, error) {
	obj := n.compact()
	obj = append(ordered{{"@context", base.Context()}}, obj...)
	return encodeJSON(obj)
}

// ordered is a JSON object that keeps its keys in order.
type ordered []struct {
	k string
	v any
}

func (o ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(kv.k)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := marshalNoEscape(kv.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// compact writes a node in credreg's context: terms for properties and
// classes, values in the form the term's coercion expects, value objects
// otherwise.
func (n *ldNode) compact() ordered {
	o := ordered{{"id", n.id}}
	if len(n.types) > 0 {
		ts := make([]any, len(n.types))
		for i, t := range n.types {
			ts[i] = ctxTerms.vocab(t)
		}
		o = append(o, struct {
			k string
			v any
		}{"type", one(ts)})
	}
	for _, p := range n.props {
		key, def := ctxTerms.property(p.pred)
		vals := make([]any, len(p.vals))
		for i, v := range p.vals {
			if child, ok := v.(*ldNode); ok {
				vals[i] = child.compact()
				continue
			}
			vals[i] = compactValue(def, v.(quad.Value))
		}
		o = append(o, struct {
			k string
			v any
		}{key, one(vals)})
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
// "@vocab", a datatype IRI or "").
func compactValue(def termDef, v quad.Value) any {
	switch x := v.(type) {
	case quad.IRI:
		switch def.coerce {
		case "@id":
			return string(x)
		case "@vocab":
			if t, ok := ctxTerms.classes[string(x)]; ok {
				return t
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
		if def.coerce == string(x.Type) {
			return string(x.Value)
		}
		return map[string]any{"@value": string(x.Value), "@type": string(x.Type)}
	}
	cv := canonicalValue(v)
	if _, ok := cv.(quad.TypedString); ok {
		return compactValue(def, cv)
	}
	return map[string]any{"@value": quad.StringOf(v)}
}

// termDef is a property term of the context.
type termDef struct {
	name, coerce string
}

// contextTerms is credreg's context read as tables: property IRI to term,
// class (or vocabulary value) IRI to term, and the prefixes.
type contextTerms struct {
	props    map[string]termDef
	classes  map[string]string
	prefixes map[string]string // prefix -> namespace
}

var ctxTerms = readContextTerms(schema.ContextDocument())

func readContextTerms(doc []byte) *contextTerms {
	var c struct {
		Context map[string]json.RawMessage `json:"@context"`
	}
	if err := json.Unmarshal(doc, &c); err != nil {
		panic("credreg context: " + err.Error())
	}
	t := &contextTerms{props: map[string]termDef{}, classes: map[string]string{}, prefixes: map[string]string{}}
	raw := map[string]string{}
	coerce := map[string]string{}
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
			ID   string `json:"@id"`
			Type string `json:"@type"`
		}
		if json.Unmarshal(v, &d) == nil && d.ID != "" {
			raw[name], coerce[name] = d.ID, d.Type
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
		if _, ok := t.props[iri]; !ok {
			t.props[iri] = termDef{name: name, coerce: cz}
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
