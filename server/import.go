package server

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"credreg/ingest"
)

// DefaultMaxImportBytes is the default size limit of a POST /import body.
const DefaultMaxImportBytes = 64 << 20

// importHandler serves POST /import: the body is a spreadsheet, CTDL
// JSON-LD or N-Quads (by Content-Type, or ?format=), imported for the
// agency the token is bound to; the answer is the report as JSON.
func (s *Server) importHandler(w http.ResponseWriter, r *http.Request) {
	if s.importToken == "" {
		writeProblem(w, r, http.StatusForbidden, "imports over HTTP are off: start the server with --import-token (and --import-agency) to allow them")
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="credreg"`)
		writeProblem(w, r, http.StatusUnauthorized, "a valid bearer token is required to import (Authorization: Bearer …)")
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		f, ok := ingest.FormatOfMediaType(r.Header.Get("Content-Type"))
		if !ok {
			writeProblem(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q is not importable: send text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/ld+json (CTDL) or application/n-quads, or give ?format=", r.Header.Get("Content-Type")))
			return
		}
		format = f
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, s.maxImport+1))
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("reading the body: %v", err))
		return
	}
	if int64(len(body)) > s.maxImport {
		writeProblem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over the limit of %d bytes; split the file", s.maxImport))
		return
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "upload." + format
	}
	ctx := r.Context()
	res, err := ingest.NewResolver(ctx, s.store)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	src, err := ingest.NewSource(format, name, bytes.NewReader(body), int64(len(body)), ingest.Config{
		Base:  s.base,
		Sheet: ingest.SheetOptions{Agency: s.importAgency, Resolver: res},
	})
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, err.Error())
		return
	}
	dry := r.URL.Query().Get("dry_run") == "true"
	rep, err := ingest.Run(ctx, s.store, src, format, ingest.Options{Actor: s.importAgency, DryRun: dry, Logger: s.log})
	if err != nil {
		if errors.Is(err, ctx.Err()) {
			return
		}
		s.internalError(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "import", "agency", s.importAgency, "file", name, "format", format, "units", rep.Units, "imported", rep.Imported, "failed", rep.Failed, "written", rep.Written, "dry_run", dry)
	writeJSON(w, r, http.StatusOK, rep)
}

// authorized checks the bearer token in constant time.
func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	got := []byte(strings.TrimSpace(h[len(prefix):]))
	return subtle.ConstantTimeCompare(got, []byte(s.importToken)) == 1
}
