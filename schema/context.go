package schema

import (
	"crypto/sha256"
	_ "embed" // the JSON-LD contexts are embedded
	"encoding/hex"
)

// ContextURL is the canonical, versioned IRI of credreg's current JSON-LD
// context. Documents credreg serves refer to the copy at
// Base.Context (the same version under the registry's own base); every
// name resolves to an embedded document and none is ever fetched.
const ContextURL = "https://w3id.org/credreg/context/v" + ContextVersion + ".jsonld"

// ContextVersion is the version of the current context. It changes when a
// term is renamed or removed or a term's compacted shape changes (v2:
// multi-valued properties always arrays, counts JSON numbers); adding
// terms keeps it.
const ContextVersion = "2"

// ContextVersions lists every context version credreg serves, oldest
// first. An older version is served unchanged forever, so documents and
// caches that name it keep their meaning.
var ContextVersions = []string{"1", "2"}

// ContextURLOf returns the canonical IRI of a context version.
func ContextURLOf(version string) string {
	return "https://w3id.org/credreg/context/v" + version + ".jsonld"
}

//go:embed context.jsonld
var contextJSON []byte

//go:embed context_v1.jsonld
var contextV1JSON []byte

// ContextDocument returns the current JSON-LD context document. The caller
// must not modify the returned slice.
func ContextDocument() []byte { return contextJSON }

// ContextDocumentOf returns the context document of a version, or nil for
// a version credreg does not have. The caller must not modify it.
func ContextDocumentOf(version string) []byte {
	switch version {
	case "1":
		return contextV1JSON
	case ContextVersion:
		return contextJSON
	}
	return nil
}

// ContextETag returns a strong HTTP entity tag for the current context
// document.
func ContextETag() string { return ContextETagOf(ContextVersion) }

// ContextETagOf returns a strong HTTP entity tag for a context version.
func ContextETagOf(version string) string {
	sum := sha256.Sum256(ContextDocumentOf(version))
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// ContextDocuments maps every IRI of every version of credreg's context to
// its document: the canonical IRIs (https://w3id.org/credreg/context/vN.jsonld),
// the registry's own ({base}/contexts/vN.jsonld) and {base}/context.jsonld,
// the current version. Document loaders serve these and nothing else. The
// caller must not modify the documents.
func ContextDocuments(base Base) map[string][]byte {
	docs := map[string][]byte{base.ContextLatest(): contextJSON}
	for _, v := range ContextVersions {
		docs[ContextURLOf(v)] = ContextDocumentOf(v)
		docs[base.ContextOf(v)] = ContextDocumentOf(v)
	}
	return docs
}
