package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/cayleygraph/quad"
	"github.com/piprate/json-gold/ld"

	"credreg/schema"
)

// ErrRemoteContext is returned when a JSON-LD document refers to a context
// that credreg does not embed. credreg never fetches a context at run time.
var ErrRemoteContext = errors.New("unknown remote JSON-LD context")

// maxContextLoads caps context loads while processing one document, so a
// chain of contexts that refer to each other fails instead of recursing.
const maxContextLoads = 8

// maxDocumentQuads caps the statements one JSON-LD document may expand to.
const maxDocumentQuads = 200_000

// DocumentLoader is credreg's JSON-LD document loader. It serves the
// embedded contexts only (credreg's own under its canonical and served
// IRIs) and refuses every other IRI with ErrRemoteContext, without any
// network or file access. A DocumentLoader counts the loads made through
// it and fails after a few, so use a fresh one for each document.
type DocumentLoader struct {
	docs  map[string]any
	loads int
}

// parsedContexts are the embedded contexts by version, parsed once.
// json-gold only reads loaded documents, so they are shared.
var parsedContexts = func() map[string]any {
	out := map[string]any{}
	for _, v := range schema.ContextVersions {
		var doc any
		if err := json.Unmarshal(schema.ContextDocumentOf(v), &doc); err != nil {
			panic(fmt.Sprintf("registry: embedded JSON-LD context v%s does not parse: %v", v, err))
		}
		out[v] = doc
	}
	return out
}()

// parsedContext is the current context, parsed.
var parsedContext = parsedContexts[schema.ContextVersion]

// NewDocumentLoader returns a loader that serves every version of
// credreg's context under its canonical IRI and under the IRIs the
// registry at base serves it at ({base}/contexts/vN.jsonld, and the
// current version at {base}/context.jsonld).
func NewDocumentLoader(base schema.Base) *DocumentLoader {
	docs := map[string]any{base.ContextLatest(): parsedContext}
	for _, v := range schema.ContextVersions {
		docs[schema.ContextURLOf(v)] = parsedContexts[v]
		docs[base.ContextOf(v)] = parsedContexts[v]
	}
	return &DocumentLoader{docs: docs}
}

// LoadDocument implements ld.DocumentLoader.
func (l *DocumentLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	l.loads++
	if l.loads > maxContextLoads {
		return nil, fmt.Errorf("JSON-LD context %q: more than %d context loads for one document (a context cycle?)", u, maxContextLoads)
	}
	doc, ok := l.docs[u]
	if !ok {
		return nil, fmt.Errorf("JSON-LD context %q: %w (credreg only accepts its own context %s; it never fetches contexts)", u, ErrRemoteContext, schema.ContextURL)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

// ldOptions returns json-gold options that can never reach the network.
func ldOptions(base schema.Base, docBase string) *ld.JsonLdOptions {
	opts := ld.NewJsonLdOptions(docBase)
	opts.DocumentLoader = NewDocumentLoader(base)
	opts.ProcessingMode = ld.JsonLd_1_0
	return opts
}

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
				Subject:   fromLDNode(q.Subject),
				Predicate: fromLDNode(q.Predicate),
				Object:    fromLDNode(q.Object),
			})
		}
	}
	return out, nil
}

// FromJSONLDNode converts a json-gold RDF term into the canonical quad
// value the registry stores (see Literal).
func FromJSONLDNode(n ld.Node) quad.Value { return fromLDNode(n) }

func fromLDNode(n ld.Node) quad.Value {
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
		return literalValue(x.Value, x.Datatype, x.Language)
	case *ld.Literal:
		return literalValue(x.Value, x.Datatype, x.Language)
	}
	return nil
}

// Literal builds the canonical quad value the registry stores for a
// literal: plain strings as quad.String, language strings as
// quad.LangString, others as quad.TypedString.
func Literal(value, datatype, lang string) quad.Value { return literalValue(value, datatype, lang) }

func literalValue(value, datatype, lang string) quad.Value {
	switch {
	case lang != "":
		return quad.LangString{Value: quad.String(value), Lang: lang}
	case datatype == "" || datatype == schema.XSDString:
		return quad.String(value)
	}
	return quad.TypedString{Value: quad.String(value), Type: quad.IRI(datatype)}
}

// canonicalValue returns v in the canonical form literalValue builds, so
// values read back from a backend that converts typed literals compare
// equal to the values written.
func canonicalValue(v quad.Value) quad.Value {
	switch x := v.(type) {
	case quad.IRI, quad.String, quad.LangString, quad.BNode, nil:
		return v
	case quad.TypedString:
		return literalValue(string(x.Value), string(x.Type), "")
	case quad.TypedStringer:
		ts := x.TypedString()
		return literalValue(string(ts.Value), string(ts.Type), "")
	}
	return quad.String(quad.StringOf(v))
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

// renderJSONLD compacts the statements of one record into credreg's
// JSON-LD shape: one node object for the record, its fragment nodes
// embedded where they are referenced, and "@context" naming the context
// the registry serves.
func renderJSONLD(base schema.Base, iri string, quads []quad.Quad) ([]byte, error) {
	ds := ld.NewRDFDataset()
	g := make([]*ld.Quad, 0, len(quads))
	for _, q := range quads {
		g = append(g, ld.NewQuad(toLDNode(q.Subject), toLDNode(q.Predicate), toLDNode(q.Object), ""))
	}
	ds.Graphs["@default"] = g
	opts := ldOptions(base, "")
	expanded, err := ld.NewJsonLdApi().FromRDF(ds, opts)
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

// renderNQuads writes statements as N-Quads lines, sorted, without graph
// labels.
func renderNQuads(quads []quad.Quad) []byte {
	lines := make([]string, len(quads))
	for i, q := range quads {
		lines[i] = nquadLine(q.Subject, q.Predicate, q.Object, nil)
	}
	sort.Strings(lines)
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
	}
	return b.Bytes()
}

// nquadLine formats one statement as an N-Quads line with a newline.
func nquadLine(s, p, o, g quad.Value) string {
	return string(appendNQuad(nil, s, p, o, g))
}

// appendNQuad appends the N-Quads line of a statement (with its newline)
// to b, as nquadLine formats it, without allocating beyond b's growth.
func appendNQuad(b []byte, s, p, o, g quad.Value) []byte {
	b = appendTerm(b, s)
	b = append(b, ' ')
	b = appendTerm(b, p)
	b = append(b, ' ')
	b = appendTerm(b, o)
	if g != nil {
		b = append(b, ' ')
		b = appendTerm(b, g)
	}
	return append(b, " .\n"...)
}

// termString formats a term in N-Quads syntax ("" for none).
func termString(v quad.Value) string {
	return string(appendTerm(nil, v))
}

// appendTerm appends a term in N-Quads syntax to b (nothing for none).
func appendTerm(b []byte, v quad.Value) []byte {
	switch x := v.(type) {
	case nil:
		return b
	case quad.IRI:
		b = append(b, '<')
		b = append(b, escapeIRI(string(x))...)
		return append(b, '>')
	case quad.BNode:
		b = append(b, "_:"...)
		return append(b, x...)
	case quad.String:
		b = append(b, '"')
		b = appendEscapedLiteral(b, string(x))
		return append(b, '"')
	case quad.LangString:
		b = append(b, '"')
		b = appendEscapedLiteral(b, string(x.Value))
		b = append(b, `"@`...)
		return append(b, x.Lang...)
	case quad.TypedString:
		b = append(b, '"')
		b = appendEscapedLiteral(b, string(x.Value))
		b = append(b, `"^^<`...)
		b = append(b, escapeIRI(string(x.Type))...)
		return append(b, '>')
	}
	if c := canonicalValue(v); c != v {
		return appendTerm(b, c)
	}
	return append(b, quad.StringOf(v)...)
}

// appendEscapedLiteral appends s escaped as the lexical form of an N-Quads
// literal (invalid UTF-8 becomes U+FFFD).
func appendEscapedLiteral(b []byte, s string) []byte {
	if !strings.ContainsAny(s, "\\\"\n\r") && utf8.ValidString(s) {
		return append(b, s...)
	}
	for _, r := range s {
		switch r {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

func escapeIRI(s string) string {
	if !strings.ContainsAny(s, "<>\"{}|^`\\ ") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r <= 0x20 || strings.ContainsRune("<>\"{}|^`\\", r) {
			fmt.Fprintf(&b, `\u%04X`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
