package rdf

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/piprate/json-gold/ld"

	"credreg/schema"
)

// ErrRemoteContext is returned when a JSON-LD document refers to a context
// that credreg does not embed. credreg never fetches a context at run time.
var ErrRemoteContext = errors.New("unknown remote JSON-LD context")

// maxContextLoads caps context loads while processing one document, so a
// chain of contexts that refer to each other fails instead of recursing.
const maxContextLoads = 8

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
