package catalog

import (
	"strconv"

	"github.com/cayleygraph/quad"

	"credreg/registry"
	"credreg/schema"
)

// asIRI returns v as an IRI, "" when it is another kind of term.
func asIRI(v quad.Value) quad.IRI {
	if iri, ok := v.(quad.IRI); ok {
		return iri
	}
	return ""
}

// literalOf returns the text of a literal (its lexical form), or the IRI
// of an IRI.
func literalOf(v quad.Value) string { return registry.Lexical(v) }

// intLiteral is n as an xsd:integer.
func intLiteral(n uint64) quad.Value {
	return quad.TypedString{Value: quad.String(strconv.FormatUint(n, 10)), Type: quad.IRI(schema.XSDInteger)}
}
