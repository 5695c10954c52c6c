package registry

import (
	"fmt"
	"strings"

	"credreg/rdf"
	"credreg/schema"
)

// DocumentLimits bound a decoded JSON(-LD) document before JSON-LD
// processing, whose cost grows with the square of one property's values
// (json-gold compares each new value with every earlier one).
type DocumentLimits struct {
	MaxValues int // values of one property (the length of one array)
	MaxNodes  int // JSON objects in the whole document
	// Unbounded names the keys whose arrays MaxValues does not cap (a
	// document's "@graph" holds many nodes, each with its own properties).
	Unbounded []string
}

// CheckDocumentSize says why doc is over lim, naming the property, or
// returns "". It stops at the first excess, so it costs at most a walk of
// the document.
func CheckDocumentSize(doc any, lim DocumentLimits) string {
	nodes := 0
	unbounded := func(key string) bool {
		for _, k := range lim.Unbounded {
			if k == key {
				return true
			}
		}
		return false
	}
	var walk func(v any, key string) string
	walk = func(v any, key string) string {
		switch x := v.(type) {
		case map[string]any:
			if nodes++; lim.MaxNodes > 0 && nodes > lim.MaxNodes {
				return fmt.Sprintf("the document holds more than %d JSON objects", lim.MaxNodes)
			}
			for k, e := range x {
				if why := walk(e, k); why != "" {
					return why
				}
			}
		case []any:
			if lim.MaxValues > 0 && len(x) > lim.MaxValues && !unbounded(key) {
				return fmt.Sprintf("%q has %d values, over the limit of %d for one property", key, len(x), lim.MaxValues)
			}
			for _, e := range x {
				if why := walk(e, key); why != "" {
					return why
				}
			}
		}
		return ""
	}
	return walk(doc, "")
}

// CheckDocumentTerms finds, in a decoded JSON-LD document, the language
// tags ("@language") that are not well-formed and the "@id"/"id" values
// that cannot be IRIs (white space, control characters, <>"{}|\^`):
// JSON-LD processing would drop them without a word. Each problem names
// the property that holds the value.
func CheckDocumentTerms(doc any) schema.Problems {
	var ps schema.Problems
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				switch k {
				case "@language":
					if tag, ok := e.(string); ok && !rdf.ValidLanguageTag(tag) {
						ps = append(ps, schema.Problem{Field: key, Value: tag, Message: "not a language tag (BCP 47, like en or es-MX)"})
					}
				case "@id", "id":
					if id, ok := e.(string); ok && strings.ContainsAny(id, " \t\r\n<>\"{}|\\^`") {
						ps = append(ps, schema.Problem{Field: key, Value: id, Message: "not an IRI (it holds white space or a character IRIs do not allow)"})
					}
				}
				if k != "@context" {
					walk(e, k)
				}
			}
		case []any:
			for _, e := range x {
				walk(e, key)
			}
		}
	}
	walk(doc, "")
	return ps
}
