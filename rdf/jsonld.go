package rdf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cayleygraph/quad"
	"github.com/piprate/json-gold/ld"

	"credreg/schema"
)

// maxDocumentQuads caps the statements one JSON-LD document may expand to.
const maxDocumentQuads = 200_000

// ParseJSONLD reads a JSON-LD document and returns its statements as
// quads. Relative IRIs resolve against the registry base followed by "/",
// so "resources/ce-…" names a credreg resource. Graph labels are dropped:
// every statement lands in the default graph of the caller's record.
func ParseJSONLD(base schema.Base, doc []byte) ([]quad.Quad, error) {
	var input any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&input); err != nil {
		return nil, fmt.Errorf("JSON-LD: %w", err)
	}
	opts := ldOptions(base, base.String()+"/")
	expanded, err := ld.NewJsonLdProcessor().Expand(input, opts)
	if err != nil {
		return nil, fmt.Errorf("JSON-LD expansion: %w", err)
	}
	ds, err := ld.NewJsonLdApi().ToRDF(expanded, opts)
	if err != nil {
		return nil, fmt.Errorf("JSON-LD to RDF: %w", err)
	}
	var out []quad.Quad
	for _, g := range ds.Graphs {
		if len(out)+len(g) > maxDocumentQuads {
			return nil, fmt.Errorf("JSON-LD document expands to more than %d statements", maxDocumentQuads)
		}
		for _, q := range g {
			out = append(out, quad.Quad{
				Subject:   FromJSONLDNode(q.Subject),
				Predicate: FromJSONLDNode(q.Predicate),
				Object:    FromJSONLDNode(q.Object),
			})
		}
	}
	return out, nil
}

// FromJSONLDNode converts a json-gold RDF term into the canonical quad
// value the registry stores (see Literal).
func FromJSONLDNode(n ld.Node) quad.Value {
	switch x := n.(type) {
	case ld.IRI:
		return quad.IRI(x.Value)
	case *ld.IRI:
		return quad.IRI(x.Value)
	case ld.BlankNode:
		return quad.BNode(strings.TrimPrefix(x.Attribute, "_:"))
	case *ld.BlankNode:
		return quad.BNode(strings.TrimPrefix(x.Attribute, "_:"))
	case ld.Literal:
		return Literal(x.Value, x.Datatype, x.Language)
	case *ld.Literal:
		return Literal(x.Value, x.Datatype, x.Language)
	}
	return nil
}

func toLDNode(v quad.Value) ld.Node {
	switch x := v.(type) {
	case quad.IRI:
		return ld.NewIRI(string(x))
	case quad.BNode:
		return ld.NewBlankNode("_:" + string(x))
	case quad.String:
		return ld.NewLiteral(string(x), schema.XSDString, "")
	case quad.LangString:
		return ld.NewLiteral(string(x.Value), "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString", x.Lang)
	case quad.TypedString:
		return ld.NewLiteral(string(x.Value), string(x.Type), "")
	}
	return ld.NewLiteral(quad.StringOf(v), schema.XSDString, "")
}

// RenderRecord compacts the statements of one record into credreg's
// JSON-LD shape: one node object for the record, its fragment nodes
// embedded where they are referenced, and "@context" naming the context
// the registry serves. The statements must be without duplicates, as
// Canonicalize returns them (a stored record's are).
func RenderRecord(base schema.Base, iri string, quads []quad.Quad) ([]byte, error) {
	expanded, err := fromRDF(base, quads)
	if err != nil {
		return nil, fmt.Errorf("render %s: from RDF: %w", iri, err)
	}
	top := embedFragments(iri, expanded)
	compacted, err := compactExpanded(top)
	if err != nil {
		return nil, fmt.Errorf("render %s: compact: %w", iri, err)
	}
	compacted["@context"] = base.Context()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(compacted); err != nil {
		return nil, fmt.Errorf("render %s: %w", iri, err)
	}
	return buf.Bytes(), nil
}

// fromRDF turns statements without duplicates (a record's canonical
// statements) into expanded JSON-LD node objects, as JSON-LD 1.0's
// Serialize-from-RDF algorithm does without native types (rdf:type as
// "@type", nodes sorted by "@id", nodes that only are referred to left
// out). It is json-gold's FromRDF in one linear pass: json-gold compares
// each new value of a property with every earlier one, which made a
// designation set of 4,000 members take 2.3 s and 10,000 over a minute.
// Statements that make RDF lists (an object rdf:nil) go to json-gold,
// which turns them into "@list".
func fromRDF(base schema.Base, quads []quad.Quad) ([]any, error) {
	nodes := make(map[string]map[string]any, len(quads)/4+1)
	node := func(id string) map[string]any {
		n, ok := nodes[id]
		if !ok {
			n = map[string]any{"@id": id}
			nodes[id] = n
		}
		return n
	}
	for _, q := range quads {
		if o, ok := q.Object.(quad.IRI); ok && string(o) == ld.RDFNil {
			return jsonGoldFromRDF(base, quads)
		}
		n := node(nodeID(q.Subject))
		pred := string(IRIOf(q.Predicate))
		var value map[string]any
		switch o := q.Object.(type) {
		case quad.IRI, quad.BNode:
			id := nodeID(o)
			node(id)
			if pred == ld.RDFType {
				types, _ := n["@type"].([]any)
				n["@type"] = append(types, id)
				continue
			}
			value = map[string]any{"@id": id}
		default:
			l := toLDNode(o).(ld.Literal)
			value = map[string]any{"@value": l.Value}
			switch {
			case l.Language != "":
				value["@language"] = l.Language
			case l.Datatype != schema.XSDString:
				value["@type"] = l.Datatype
			}
		}
		vals, _ := n[pred].([]any)
		n[pred] = append(vals, value)
	}
	ids := make([]string, 0, len(nodes))
	for id, n := range nodes {
		if len(n) > 1 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = nodes[id]
	}
	return out, nil
}

// jsonGoldFromRDF is json-gold's FromRDF over the statements.
func jsonGoldFromRDF(base schema.Base, quads []quad.Quad) ([]any, error) {
	ds := ld.NewRDFDataset()
	g := make([]*ld.Quad, 0, len(quads))
	for _, q := range quads {
		g = append(g, ld.NewQuad(toLDNode(q.Subject), toLDNode(q.Predicate), toLDNode(q.Object), ""))
	}
	ds.Graphs["@default"] = g
	return ld.NewJsonLdApi().FromRDF(ds, ldOptions(base, ""))
}

// nodeID is the "@id" of an IRI or a blank node.
func nodeID(v quad.Value) string {
	if b, ok := v.(quad.BNode); ok {
		return "_:" + string(b)
	}
	return string(IRIOf(v))
}

// activeContext is credreg's context processed once, with its inverse
// context built up front: compaction then only reads it, so renderings
// share it safely and skip re-parsing it (which cost most of a render).
var activeContext = func() *ld.Context {
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = &DocumentLoader{docs: map[string]any{}}
	opts.ProcessingMode = ld.JsonLd_1_0
	m := parsedContext.(map[string]any)["@context"]
	c, err := ld.NewContext(nil, opts).Parse(m)
	if err != nil {
		panic(fmt.Sprintf("registry: embedded JSON-LD context does not process: %v", err))
	}
	c.GetInverse()
	return c
}()

// compactExpanded compacts already expanded JSON-LD with credreg's context
// (the JSON-LD Compaction Algorithm without json-gold's re-expansion and
// context processing, which the input and activeContext make redundant).
func compactExpanded(expanded any) (map[string]any, error) {
	compacted, err := ld.NewJsonLdApi().Compact(activeContext, "", expanded, true)
	if err != nil {
		return nil, err
	}
	compacted = nativeValues(compacted, termDef{})
	switch c := compacted.(type) {
	case map[string]any:
		return c, nil
	case []any:
		if len(c) == 0 {
			return map[string]any{}, nil
		}
		return map[string]any{"@graph": c}, nil
	}
	return nil, fmt.Errorf("compaction gave a %T", compacted)
}

// nativeValues rewrites compacted JSON-LD in credreg's context so that
// integers are JSON numbers (see nativeValue): a string under a term
// coerced to xsd:integer, and an xsd:integer value object under a key with
// no coercion. Each rewrite expands to the same literal. def is the
// definition of the key v is the value of.
func nativeValues(v any, def termDef) any {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			x[i] = nativeValues(e, def)
		}
		return x
	case string:
		if def.coerce != "" && !strings.HasPrefix(def.coerce, "@") {
			if nv, ok := nativeValue(x, def.coerce); ok {
				return nv
			}
		}
		return x
	case map[string]any:
		if lex, ok := x["@value"].(string); ok {
			ty, _ := x["@type"].(string)
			if len(x) == 2 && ty != "" && def.coerce == "" {
				if nv, ok := nativeValue(lex, expandCompactIRI(ty)); ok {
					return nv
				}
			}
			return x
		}
		for k, e := range x {
			switch {
			case k == "@list" || k == "@set":
				x[k] = nativeValues(e, def)
			case k == "@graph" || !strings.HasPrefix(k, "@"):
				x[k] = nativeValues(e, ctxTerms.byName[k])
			}
		}
		return x
	}
	return v
}

// expandCompactIRI expands a compact IRI of credreg's context ("xsd:integer").
func expandCompactIRI(s string) string {
	if p, local, ok := strings.Cut(s, ":"); ok {
		if ns, ok := ctxTerms.prefixes[p]; ok {
			return ns + local
		}
	}
	return s
}

// embedFragments nests each fragment node ("…#evidence") into the node that
// refers to it, so a record renders as one tree rooted at its IRI. Nodes
// that nothing refers to stay at the top level.
func embedFragments(iri string, expanded []any) any {
	byID := map[string]map[string]any{}
	for _, n := range expanded {
		if m, ok := n.(map[string]any); ok {
			if id, ok := m["@id"].(string); ok {
				byID[id] = m
			}
		}
	}
	embedded := map[string]bool{}
	var walk func(m map[string]any, depth int)
	walk = func(m map[string]any, depth int) {
		if depth > 8 {
			return
		}
		for k, vals := range m {
			if strings.HasPrefix(k, "@") {
				continue
			}
			list, ok := vals.([]any)
			if !ok {
				continue
			}
			for i, v := range list {
				ref, ok := v.(map[string]any)
				if !ok || len(ref) != 1 {
					continue
				}
				id, _ := ref["@id"].(string)
				if id == "" || !strings.HasPrefix(id, iri+"#") || embedded[id] {
					continue
				}
				if child, ok := byID[id]; ok {
					embedded[id] = true
					list[i] = child
					walk(child, depth+1)
				}
			}
		}
	}
	if root, ok := byID[iri]; ok {
		walk(root, 0)
	}
	var top []any
	for _, n := range expanded {
		if m, ok := n.(map[string]any); ok {
			if id, _ := m["@id"].(string); embedded[id] {
				continue
			}
		}
		top = append(top, n)
	}
	if len(top) == 1 {
		return top[0]
	}
	return top
}

// RenderTree renders statements as one compacted JSON-LD document in
// credreg's context, rooted at root: every node the statements describe is
// nested into the first node that refers to it, walking from root and
// following the properties named in first before the others. Nodes nothing
// refers to stay at the top level (then under "@graph"). The statements
// must be without duplicates, as Canonicalize returns them (and as
// RenderRecord takes them).
func RenderTree(base schema.Base, root string, quads []quad.Quad, first ...string) ([]byte, error) {
	expanded, err := fromRDF(base, quads)
	if err != nil {
		return nil, fmt.Errorf("render %s: from RDF: %w", root, err)
	}
	compacted, err := compactExpanded(embedTree(root, expanded, first))
	if err != nil {
		return nil, fmt.Errorf("render %s: compact: %w", root, err)
	}
	if _, ok := compacted["member"]; !ok && compacted["type"] == "Collection" {
		compacted["member"] = []any{} // a collection always lists its members, none too
	}
	compacted["@context"] = base.Context()
	return MarshalDocument(compacted)
}

// MarshalDocument writes a JSON(-LD) document as credreg writes its
// documents: indented by two spaces, with <, > and & as they are.
func MarshalDocument(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// embedTree nests every node into the first node that refers to it, in a
// walk from root that takes the properties in first before the others (in
// sorted order), so the result does not depend on map order. Each node is
// nested once; the walk never nests root and stops at a depth of 16.
func embedTree(root string, expanded []any, first []string) any {
	byID := map[string]map[string]any{}
	var ids []string
	for _, n := range expanded {
		if m, ok := n.(map[string]any); ok {
			if id, ok := m["@id"].(string); ok {
				byID[id] = m
				ids = append(ids, id)
			}
		}
	}
	rank := map[string]int{}
	for i, p := range first {
		rank[p] = i - len(first) // before every other key
	}
	embedded := map[string]bool{root: true}
	var walk func(m map[string]any, depth int)
	walk = func(m map[string]any, depth int) {
		if depth > 16 {
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			if !strings.HasPrefix(k, "@") {
				keys = append(keys, k)
			}
		}
		sort.Slice(keys, func(i, j int) bool {
			if rank[keys[i]] != rank[keys[j]] {
				return rank[keys[i]] < rank[keys[j]]
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			list, ok := m[k].([]any)
			if !ok {
				continue
			}
			for i, v := range list {
				ref, ok := v.(map[string]any)
				if !ok || len(ref) != 1 {
					continue
				}
				id, _ := ref["@id"].(string)
				child, ok := byID[id]
				if id == "" || !ok || embedded[id] {
					continue
				}
				embedded[id] = true
				list[i] = child
				walk(child, depth+1)
			}
		}
	}
	rootNode, ok := byID[root]
	if ok {
		walk(rootNode, 0)
	}
	var top []any
	if ok {
		top = append(top, rootNode)
	}
	for _, id := range ids {
		if !embedded[id] {
			top = append(top, byID[id])
		}
	}
	if len(top) == 1 {
		return top[0]
	}
	return top
}
