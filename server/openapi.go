package server

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"
)

// openAPIDocument is the OpenAPI 3.1 description of every route, served
// at GET /openapi.json. TestOpenAPICoversRoutes holds it to the router.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPIETag is the document's strong validator.
var openAPIETag = func() string {
	sum := sha256.Sum256(openAPIDocument)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// openAPI serves GET /openapi.json.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", typeJSON)
	h.Set("ETag", openAPIETag)
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Access-Control-Allow-Origin", "*")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(openAPIDocument))
}
