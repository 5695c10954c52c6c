package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"credreg/ingest"
)

// DefaultMaxImportBytes is the default size limit of a POST /import body.
const DefaultMaxImportBytes = 64 << 20

const (
	// maxImportParts caps the parts of a multipart POST /import body.
	maxImportParts = 16
	// maxImportFieldBytes caps a form field (format, name, dry_run).
	maxImportFieldBytes = 1 << 10
)

// importParts are the parts a multipart POST /import body may have.
var importParts = []string{"file", "mapping", "format", "name", "dry_run", "dryRun", "atomic"}

// importError is a refused import request: its status and message.
type importError struct {
	status int
	detail string
}

func (e *importError) Error() string { return e.detail }

func badImport(status int, format string, args ...any) *importError {
	return &importError{status, fmt.Sprintf(format, args...)}
}

// upload is what a POST /import request asks for.
type upload struct {
	data        []byte
	format      string
	name        string
	dryRun      bool
	atomic      bool // all rows or none
	mapping     *ingest.Mapping
	mappingName string
}

// importHandler serves POST /import, imported for the agency the bearer
// token is bound to, as "credreg import" does. The request is either
//
//   - a raw body: the spreadsheet, CTDL JSON-LD or N-Quads (by
//     Content-Type, or ?format=); or
//   - multipart/form-data with a part "file" (its format from format=, the
//     part's Content-Type or its filename's extension) and an optional part
//     "mapping" (JSON or YAML, by its filename or its content).
//
// Parameters (query or form fields): format, name, dry_run (or dryRun),
// atomic (all units or none: see ingest.RunAtomic).
// Every unit is authorized for the token's agency (registry.Authorize): a
// unit writing another agency's designation or the reference data is
// refused with a 403 problem in the report. The answer is the report as
// JSON: 200, 207 when some units were written and some failed, 403 when
// every unit was refused so, or 422 when the input had units and every one
// failed. The import runs in the request's context: a client that leaves
// stops it after the batch in flight.
func (s *Server) importHandler(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	select {
	case s.imports <- struct{}{}:
		defer func() { <-s.imports }()
	default:
		w.Header().Set("Retry-After", "10")
		writeProblem(w, r, http.StatusTooManyRequests, fmt.Sprintf("%d imports are running, the most at once: retry in a few seconds", cap(s.imports)))
		return
	}
	if !decodeBody(w, r, s.maxImport) {
		return
	}
	agency := tok.Agency[strings.LastIndexByte(tok.Agency, '/')+1:]
	var up *upload
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		up, err = s.readMultipartImport(w, r)
	} else {
		up, err = s.readRawImport(r)
	}
	if err != nil {
		var ie *importError
		if errors.As(err, &ie) {
			writeProblem(w, r, ie.status, ie.detail)
			return
		}
		s.internalError(w, r, err)
		return
	}
	principal := tok.Agency // authorized as this agency; an admin as the operator
	if tok.Admin() {
		principal = ""
	}
	ctx := r.Context()
	// Each reading gets its own resolver: it learns the organizations the
	// input creates.
	open := func() (ingest.Source, error) {
		res, err := ingest.NewResolver(ctx, s.cat)
		if err != nil {
			return nil, err
		}
		src, err := ingest.NewSource(up.format, up.name, bytes.NewReader(up.data), int64(len(up.data)), ingest.Config{
			Base:  s.base,
			Sheet: ingest.SheetOptions{Agency: agency, Mapping: up.mapping, Resolver: res},
		})
		if err != nil {
			return nil, badImport(http.StatusBadRequest, "%s", err.Error())
		}
		return src, nil
	}
	opts := ingest.Options{Actor: tok.Agency, Agency: principal, DryRun: up.dryRun, Logger: s.log}
	var rep *ingest.Report
	if up.atomic {
		rep, err = ingest.RunAtomic(ctx, s.store, open, up.format, opts)
	} else {
		var src ingest.Source
		if src, err = open(); err == nil {
			rep, err = ingest.Run(ctx, s.store, src, up.format, opts)
		}
	}
	if err != nil {
		var ie *importError
		if errors.As(err, &ie) {
			writeProblem(w, r, ie.status, ie.detail)
			return
		}
		if errors.Is(err, ctx.Err()) {
			return
		}
		s.internalError(w, r, err)
		return
	}
	s.metrics.imported(rep, up.format, up.dryRun)
	s.log.InfoContext(ctx, "import", "agency", tok.Agency, "token", tok.ID, "file", up.name, "format", up.format, "mapping", up.mappingName,
		"units", rep.Units, "imported", rep.Imported, "failed", rep.Failed, "written", rep.Written, "dry_run", up.dryRun)
	status := http.StatusOK
	switch {
	case rep.Imported == 0 && rep.Failed > 0 && rep.Forbidden == rep.Failed:
		status = http.StatusForbidden // every unit writes what the agency may not
	case rep.Imported == 0 && rep.Failed > 0:
		status = http.StatusUnprocessableEntity
	case rep.Failed > 0:
		// Some units written, some not: never a bare 200 that a client
		// could take for "all imported".
		status = http.StatusMultiStatus
	}
	writeJSON(w, r, status, rep)
}

// readRawImport reads a request whose body is the data.
func (s *Server) readRawImport(r *http.Request) (*upload, error) {
	p := importParams(r.URL.Query())
	up, err := p.upload()
	if err != nil {
		return nil, err
	}
	if up.format == "" {
		f, ok := ingest.FormatOfMediaType(r.Header.Get("Content-Type"))
		if !ok {
			return nil, badImport(http.StatusUnsupportedMediaType, "Content-Type %q is not importable: send text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/ld+json (CTDL) or application/n-quads, or give ?format=, or send multipart/form-data with a part \"file\"", r.Header.Get("Content-Type"))
		}
		up.format = f
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, s.maxImport+1))
	if err != nil {
		return nil, badImport(http.StatusBadRequest, "reading the body: %v", err)
	}
	if int64(len(body)) > s.maxImport {
		return nil, s.tooLarge()
	}
	up.data = body
	if up.name == "" {
		up.name = "upload." + up.format
	}
	return up, nil
}

func (s *Server) tooLarge() *importError {
	return badImport(http.StatusRequestEntityTooLarge, "the body is over the limit of %d bytes; split the file", s.maxImport)
}

// readMultipartImport reads a multipart/form-data request, part by part
// from the stream (nothing goes to disk); the whole body is capped by
// s.maxImport.
func (s *Server) readMultipartImport(w http.ResponseWriter, r *http.Request) (*upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.maxImport)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badImport(http.StatusBadRequest, "reading the multipart body: %v", err)
	}
	readErr := func(what string, err error) error {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return s.tooLarge()
		}
		return badImport(http.StatusBadRequest, "reading %s: %v", what, err)
	}
	p := importParams(r.URL.Query())
	var (
		data, mapping         []byte
		haveData, haveMapping bool
		fileType, fileName    string
		mappingName           string
		unknown               []string
	)
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readErr("the multipart body", err)
		}
		if n == maxImportParts {
			return nil, badImport(http.StatusBadRequest, "more than %d parts; send %s", maxImportParts, strings.Join(importParts, ", "))
		}
		name := part.FormName()
		switch name {
		case "file":
			if haveData {
				return nil, badImport(http.StatusBadRequest, "more than one part \"file\": import one file per request")
			}
			haveData = true
			if data, err = io.ReadAll(part); err != nil {
				return nil, readErr("the part \"file\"", err)
			}
			fileType, fileName = part.Header.Get("Content-Type"), part.FileName()
		case "mapping":
			if haveMapping {
				return nil, badImport(http.StatusBadRequest, "more than one part \"mapping\"")
			}
			haveMapping = true
			if mapping, err = io.ReadAll(io.LimitReader(part, ingest.MaxMappingBytes+1)); err != nil {
				return nil, readErr("the part \"mapping\"", err)
			}
			if len(mapping) > ingest.MaxMappingBytes {
				return nil, badImport(http.StatusRequestEntityTooLarge, "the part \"mapping\" is over the limit of %d bytes (1 MiB) for a mapping", ingest.MaxMappingBytes)
			}
			mappingName = part.FileName()
		case "format", "name", "dry_run", "dryRun", "atomic":
			v, err := io.ReadAll(io.LimitReader(part, maxImportFieldBytes+1))
			if err != nil {
				return nil, readErr(fmt.Sprintf("the field %q", name), err)
			}
			if len(v) > maxImportFieldBytes {
				return nil, badImport(http.StatusBadRequest, "the field %q is over %d bytes", name, maxImportFieldBytes)
			}
			p.add(name, string(v))
		default:
			if q := strconv.Quote(name); !slices.Contains(unknown, q) {
				unknown = append(unknown, q)
			}
		}
		_ = part.Close()
	}
	if len(unknown) > 0 {
		return nil, badImport(http.StatusBadRequest, "unknown part(s) %s; the parts are: %s", strings.Join(unknown, ", "), strings.Join(importParts, ", "))
	}
	if !haveData {
		return nil, badImport(http.StatusBadRequest, "no part \"file\": send the data as the part \"file\" (curl -F file=@sheet.csv)")
	}
	up, err := p.upload()
	if err != nil {
		return nil, err
	}
	if up.format == "" {
		if f, ok := ingest.FormatOfMediaType(fileType); ok {
			up.format = f
		} else if f, ok := ingest.FormatOfFile(fileName); ok {
			up.format = f
		} else {
			return nil, badImport(http.StatusUnsupportedMediaType, "cannot tell the format of the part \"file\" (Content-Type %q, filename %q): give format (%s), a Content-Type such as text/csv, or a filename with its extension", fileType, fileName, strings.Join(ingest.Formats, ", "))
		}
	}
	up.data = data
	if up.name == "" {
		up.name = fileName
	}
	if up.name == "" {
		up.name = "upload." + up.format
	}
	if haveMapping {
		if up.format != ingest.FormatCSV && up.format != ingest.FormatXLSX {
			return nil, badImport(http.StatusBadRequest, "the part \"mapping\" applies to spreadsheets (csv, xlsx), not to %s", up.format)
		}
		up.mappingName = mappingName
		if up.mappingName == "" {
			up.mappingName = "mapping"
		}
		m, err := ingest.ParseMapping(up.mappingName, mapping)
		if err != nil {
			return nil, badImport(http.StatusBadRequest, "the part \"mapping\": %v", err)
		}
		up.mapping = m
	}
	return up, nil
}

// importParams are the parameters of an import, from the query and the
// form fields; dryRun is dry_run.
type importParams url.Values

func (p importParams) add(name, v string) {
	if name == "dryRun" {
		name = "dry_run"
	}
	p[name] = append(p[name], v)
}

// one returns a parameter's value: "" when absent, an error when given
// twice with different values.
func (p importParams) one(name string) (string, error) {
	vs := p[name]
	if name == "dry_run" {
		vs = append(slices.Clone(vs), p["dryRun"]...)
	}
	for _, v := range vs[min(1, len(vs)):] {
		if v != vs[0] {
			return "", badImport(http.StatusBadRequest, "%s is given twice, as %q and %q", name, vs[0], v)
		}
	}
	if len(vs) == 0 {
		return "", nil
	}
	return vs[0], nil
}

func (p importParams) upload() (*upload, error) {
	var up upload
	var err error
	if up.format, err = p.one("format"); err != nil {
		return nil, err
	}
	if up.name, err = p.one("name"); err != nil {
		return nil, err
	}
	dry, err := p.one("dry_run")
	if err != nil {
		return nil, err
	}
	if dry != "" {
		if up.dryRun, err = strconv.ParseBool(dry); err != nil {
			return nil, badImport(http.StatusBadRequest, "dry_run=%q: give true or false", dry)
		}
	}
	atomic, err := p.one("atomic")
	if err != nil {
		return nil, err
	}
	if atomic != "" {
		if up.atomic, err = strconv.ParseBool(atomic); err != nil {
			return nil, badImport(http.StatusBadRequest, "atomic=%q: give true or false", atomic)
		}
	}
	return &up, nil
}
