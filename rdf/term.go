// Package rdf is credreg's RDF terms and their serializations, below the
// registry and above the vocabulary (schema):
//
//   - terms: the canonical form the registry stores a literal in
//     (Literal, CanonicalTerm), IRI and language-tag checks, and pattern
//     terms in the TPF syntax (ParseTerm); cayley's quad values are the
//     term model;
//   - N-Quads, read (ParseNQuad) and written (AppendNQuad, NQuads), and a
//     record's canonical statements and content hash (Canonicalize,
//     ContentHash), which every backend and the change log agree on;
//   - JSON-LD: the one document loader, which serves credreg's embedded
//     contexts and never fetches one (DocumentLoader); reading a document
//     into statements (ParseJSONLD); rendering a record, or a tree of
//     records, as compacted JSON-LD in credreg's context (RenderRecord,
//     RenderTree); and documents built as trees of nodes (Node), written
//     straight to compacted JSON-LD and N-Quads without a JSON-LD
//     processor on the request path.
package rdf

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// Literal builds the canonical quad value the registry stores for a
// literal: plain strings as quad.String, language strings as
// quad.LangString, others as quad.TypedString.
func Literal(value, datatype, lang string) quad.Value {
	switch {
	case lang != "":
		return quad.LangString{Value: quad.String(value), Lang: lang}
	case datatype == "" || datatype == schema.XSDString:
		return quad.String(value)
	}
	return quad.TypedString{Value: quad.String(value), Type: quad.IRI(datatype)}
}

// CanonicalTerm returns v in the canonical form literalValue builds, so
// values read back from a backend that converts typed literals compare
// equal to the values written.
func CanonicalTerm(v quad.Value) quad.Value {
	switch x := v.(type) {
	case quad.IRI, quad.String, quad.LangString, quad.BNode, nil:
		return v
	case quad.TypedString:
		return Literal(string(x.Value), string(x.Type), "")
	case quad.TypedStringer:
		ts := x.TypedString()
		return Literal(string(ts.Value), string(ts.Type), "")
	}
	return quad.String(quad.StringOf(v))
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
			return Literal(value, "", ""), nil
		case strings.HasPrefix(rest, "@") && len(rest) > 1 && ValidLanguageTag(rest[1:]):
			return Literal(value, "", rest[1:]), nil
		case strings.HasPrefix(rest, "^^"):
			dt := strings.TrimSuffix(strings.TrimPrefix(rest[2:], "<"), ">")
			if !ValidIRI(dt) {
				return nil, fmt.Errorf("%q: the datatype %q is not an absolute IRI", s, dt)
			}
			return Literal(value, dt, ""), nil
		}
		return nil, fmt.Errorf("%q: after a literal's closing quote, expected @language or ^^datatype", s)
	}
	iri := strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	if !ValidIRI(iri) {
		return nil, fmt.Errorf("%q is not an absolute IRI (like https://…) or a literal (like \"text\")", s)
	}
	return quad.IRI(iri), nil
}

// ValidIRI reports whether s is an absolute IRI with none of the
// characters IRIs do not allow (white space, <>"{}|\^`).
func ValidIRI(s string) bool {
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

// ValidLanguageTag reports whether s is a well-formed language tag (BCP
// 47's shape: en, es-MX, zh-Hant-TW), as an RDF literal's tag must be.
func ValidLanguageTag(s string) bool {
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

// IRIOf returns v when it is an IRI, "" when it is another kind of term.
func IRIOf(v quad.Value) quad.IRI {
	iri, _ := v.(quad.IRI)
	return iri
}

// Lexical returns the text of a literal (its lexical form, without
// language or datatype), or the IRI of an IRI; "" for a blank node.
func Lexical(v quad.Value) string {
	switch x := CanonicalTerm(v).(type) {
	case quad.String:
		return string(x)
	case quad.TypedString:
		return string(x.Value)
	case quad.LangString:
		return string(x.Value)
	case quad.IRI:
		return string(x)
	}
	return ""
}

// Integer is n as an xsd:integer literal.
func Integer(n uint64) quad.Value {
	return quad.TypedString{Value: quad.String(strconv.FormatUint(n, 10)), Type: quad.IRI(schema.XSDInteger)}
}

// DateTime is t as an xsd:dateTime literal, in UTC.
func DateTime(t time.Time) quad.Value {
	return quad.TypedString{Value: quad.String(t.UTC().Format(time.RFC3339Nano)), Type: quad.IRI(schema.XSDDateTime)}
}
