package server

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// decodeBody makes r.Body yield the request's content as sent before its
// Content-Encoding: gzip is decoded (the limits the handlers apply hold
// for the decoded bytes, and the compressed stream is capped at limit
// too); identity or none is left alone; any other coding is answered 415,
// so that compressed bytes are never parsed as data. It reports whether
// the request may go on.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64) bool {
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
		return true
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("Content-Encoding: gzip, but the body is not gzip data: %v", err))
			return false
		}
		r.Body = struct {
			io.Reader
			io.Closer
		}{zr, r.Body}
		r.Header.Del("Content-Encoding")
		return true
	}
	w.Header().Set("Accept-Encoding", "gzip, identity")
	writeProblem(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding %q is not supported: send the body as it is, or gzip-compressed (Content-Encoding: gzip)", enc))
	return false
}
