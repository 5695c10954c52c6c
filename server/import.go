package server

import (
	"bytes"
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
// agency the bearer token is bound to; the answer is the report as JSON.
func (s *Server) importHandler(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	agency := tok.Agency[strings.LastIndexByte(tok.Agency, '/')+1:]
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
		Sheet: ingest.SheetOptions{Agency: agency, Resolver: res},
	})
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, err.Error())
		return
	}
	dry := r.URL.Query().Get("dry_run") == "true"
	rep, err := ingest.Run(ctx, s.store, src, format, ingest.Options{Actor: tok.Agency, DryRun: dry, Logger: s.log})
	if err != nil {
		if errors.Is(err, ctx.Err()) {
			return
		}
		s.internalError(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "import", "agency", tok.Agency, "token", tok.ID, "file", name, "format", format, "units", rep.Units, "imported", rep.Imported, "failed", rep.Failed, "written", rep.Written, "dry_run", dry)
	writeJSON(w, r, http.StatusOK, rep)
}
