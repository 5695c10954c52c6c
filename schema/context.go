package schema

import (
	"crypto/sha256"
	_ "embed" // the JSON-LD context is embedded
	"encoding/hex"
)

// ContextURL is the canonical, versioned IRI of credreg's JSON-LD context.
// Documents credreg serves refer to the copy at Base.Context; both names
// resolve to the same embedded document and neither is ever fetched.
const ContextURL = "https://w3id.org/credreg/context/v1.jsonld"

// ContextVersion is the version of the embedded context. It changes when a
// term is renamed or removed; adding terms keeps it.
const ContextVersion = "1"

//go:embed context.jsonld
var contextJSON []byte

// ContextDocument returns the JSON-LD context document. The caller must not
// modify the returned slice.
func ContextDocument() []byte { return contextJSON }

// ContextETag returns a strong HTTP entity tag for the context document.
func ContextETag() string {
	sum := sha256.Sum256(contextJSON)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}
