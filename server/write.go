package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/cayleygraph/quad"
	"github.com/gorilla/mux"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// maxRecordBytes caps the body of a single-record write.
const maxRecordBytes = 1 << 20

// readBody reads at most limit bytes of the body, answering 413 itself
// when it is longer.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if !decodeBody(w, r, limit) {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("reading the body: %v", err))
		return nil, false
	}
	if int64(len(b)) > limit {
		writeProblem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over the limit of %d bytes", limit))
		return nil, false
	}
	return b, true
}

// writeProblems answers 422 with every validation problem.
func writeProblems(w http.ResponseWriter, r *http.Request, detail string, ps schema.Problems) {
	writeProblemDoc(w, r, problem{Status: http.StatusUnprocessableEntity, Detail: detail, Problems: ps})
}

// parseRecord reads a JSON-LD body describing one resource. When the body
// names no IRI, mint gives the record a new CTID.
func (s *Server) parseRecord(w http.ResponseWriter, r *http.Request, wantIRI string) (registry.Record, bool) {
	body, ok := readBody(w, r, maxRecordBytes)
	if !ok {
		return registry.Record{}, false
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("the body is not a JSON-LD object: %v", err))
		return registry.Record{}, false
	}
	if why := registry.CheckDocumentSize(doc, recordLimits); why != "" {
		// json-gold's cost grows with the square of a property's values:
		// refuse before expanding.
		writeProblem(w, r, http.StatusRequestEntityTooLarge, why+"; a record is smaller: split it, or import it (POST /import)")
		return registry.Record{}, false
	}
	if ps := registry.CheckDocumentTerms(doc); len(ps) > 0 {
		// JSON-LD processing drops these silently: say so instead.
		writeProblems(w, r, "the body holds values JSON-LD would drop", ps)
		return registry.Record{}, false
	}
	if _, has := doc["@context"]; !has {
		doc["@context"] = schema.ContextURL
	}
	_, hasID := doc["id"]
	_, hasAtID := doc["@id"]
	if !hasID && !hasAtID {
		if wantIRI == "" {
			ctid := schema.NewCTID()
			doc["id"] = s.base.Resource(ctid)
			if _, has := doc["ctid"]; !has {
				doc["ctid"] = ctid
			}
		} else {
			doc["id"] = wantIRI
		}
	}
	if _, has := doc["ctid"]; !has && wantIRI != "" {
		// The CTID is in the IRI: a body may leave it out.
		doc["ctid"] = wantIRI[strings.LastIndexByte(wantIRI, '/')+1:]
	}
	b, _ := json.Marshal(doc)
	quads, err := rdf.ParseJSONLD(s.base, b)
	if err != nil {
		status := http.StatusBadRequest
		writeProblem(w, r, status, err.Error())
		return registry.Record{}, false
	}
	recs, ps := registry.GroupRecords(quads)
	if len(ps) > 0 {
		writeProblems(w, r, "the body describes nodes the registry cannot place", ps)
		return registry.Record{}, false
	}
	if len(recs) != 1 {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("the body must describe one resource (and its #fragments); it describes %d", len(recs)))
		return registry.Record{}, false
	}
	if wantIRI != "" && recs[0].IRI != wantIRI {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("the body describes %s, not %s", recs[0].IRI, wantIRI))
		return registry.Record{}, false
	}
	return recs[0], true
}

// recordLimits bound a single-record write, checked before JSON-LD
// processing.
var recordLimits = registry.DocumentLimits{MaxValues: 1000, MaxNodes: 2000}

// mayWrite answers 403 itself when the token's agency may not replace old
// (nil when none is stored) by next (nil for a retirement), before the
// body is validated: a write that is forbidden and invalid answers 403,
// not 422. It is an early answer, not the guard: the registry applies
// the same rule under its write lock (PutAs, RetireAs). An admin token
// may write anything.
func (s *Server) mayWrite(w http.ResponseWriter, r *http.Request, tok registry.Token, old, next *registry.Record) bool {
	if tok.Admin() {
		return true // the registry's operator
	}
	if old != nil && next != nil {
		if _, changed := registry.Changed(old, *next); !changed {
			return true // writes nothing
		}
	}
	err := registry.Authorize(s.base, tok.Agency, old, next)
	if err == nil {
		return true
	}
	if !s.refused(w, r, err) {
		s.internalError(w, r, err)
	}
	return false
}

// refused answers 403 itself when err says the token's agency may not
// make the write (registry.Authorize's rule, which the registry applies
// under its write lock to every agency's write: PutAs, RetireAs), naming
// the agencies.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, err error) bool {
	var fe *registry.ForbiddenError
	if !errors.As(err, &fe) {
		return false
	}
	writeProblem(w, r, http.StatusForbidden, s.store.WithNames(r.Context(), fe.Error()))
	return true
}

// createDesignation serves POST /designations.
func (s *Server) createDesignation(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	rec, ok := s.parseRecord(w, r, "")
	if !ok {
		return
	}
	agency, isDesignation := registry.DesignatingAgency(&rec)
	if !isDesignation {
		writeProblem(w, r, http.StatusBadRequest, "the body must be a ValueDesignation (\"type\": \"ValueDesignation\")")
		return
	}
	if agency == "" {
		rec.Quads = append(rec.Quads, registry.Statement(rec.IRI, schema.DesignatingAgency, tok.Agency))
	} else if !s.mayWrite(w, r, tok, nil, &rec) {
		return
	}
	rec.IfMatch = registry.NoRecord // created here, or 409 (written) when the IRI is taken
	s.put(w, r, tok, rec, http.StatusCreated)
}

// replaceResource serves PUT /resources/{id}. It honours If-Match (an
// ETag of any representation of the stored version, or *), If-None-Match: *
// (create only) and If-Unmodified-Since, answering 412 when they fail; the
// condition holds at the write itself, not only when it was checked. A
// retired record stays retired unless the request says ?unretire=true.
// Without conditions, a replace that races another write reads the record
// again and is applied to it whole (the later write wins, never a mix).
func (s *Server) replaceResource(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	_, iri, ok := s.resourceID(w, r)
	if !ok {
		return
	}
	given, ok := s.parseRecord(w, r, iri)
	if !ok {
		return
	}
	unretire := r.URL.Query().Get("unretire") == "true"
	for attempt := 0; ; attempt++ {
		old, err := s.store.Get(r.Context(), iri)
		if err != nil && !errors.Is(err, registry.ErrNotFound) {
			s.internalError(w, r, err)
			return
		}
		status := http.StatusOK
		if err != nil {
			old, status = nil, http.StatusCreated
		}
		rec := given
		rec.Quads = append([]quad.Quad(nil), given.Quads...)
		cond, why := preconditions(r, old)
		if why != "" {
			writeProblem(w, r, http.StatusPreconditionFailed, why)
			return
		}
		rec.IfMatch = cond
		if rec.IfMatch == "" {
			// Unconditional: still atomic against what was just read.
			rec.IfMatch = registry.NoRecord
			if old != nil {
				rec.IfMatch = old.Hash
			}
		}
		if old != nil && old.Retired() && !unretire {
			rec.Quads = keepRetirement(rec, old)
		}
		if !s.mayWrite(w, r, tok, old, &rec) {
			return
		}
		rec.Publisher = tok.Agency
		c, err := s.putAs(r.Context(), tok, rec)
		if errors.Is(err, registry.ErrPrecondition) && cond == "" {
			// Another write came between the read and this one: read
			// again and apply to it. A request without preconditions is
			// never answered 412; the later write wins, whole.
			if attempt < maxReplaceAttempts && r.Context().Err() == nil {
				time.Sleep(time.Duration(rand.IntN(attempt+1)+1) * time.Millisecond)
				continue
			}
			w.Header().Set("Retry-After", "1")
			writeProblem(w, r, http.StatusServiceUnavailable, fmt.Sprintf("%s: other writes to this record kept coming between this one's read and its write (%d attempts); try again", iri, attempt+1))
			return
		}
		if errors.Is(err, registry.ErrPrecondition) {
			writeProblem(w, r, http.StatusPreconditionFailed, err.Error())
			return
		}
		s.written(w, r, tok, rec, c, err, status)
		return
	}
}

// maxReplaceAttempts bounds how often an unconditional PUT reads the
// record again because another write came between its read and its write.
const maxReplaceAttempts = 100

// preconditions reads a write's conditional headers against the stored
// record (nil when none): the Hash the write must find (registry.NoRecord
// for If-None-Match: *; "" when unconditional), or why the request fails
// with 412.
func preconditions(r *http.Request, old *registry.Record) (ifMatch, why string) {
	if inm := strings.TrimSpace(r.Header.Get("If-None-Match")); inm != "" {
		if inm != "*" {
			return "", "If-None-Match on a write takes * only (create, do not replace)"
		}
		if old != nil {
			return "", fmt.Sprintf("If-None-Match: * but %s exists (version %d)", old.IRI, old.Version)
		}
		ifMatch = registry.NoRecord
	}
	if im := strings.TrimSpace(r.Header.Get("If-Match")); im != "" {
		if old == nil {
			return "", "If-Match but no record is stored under this IRI"
		}
		if im != "*" {
			if !etagMatches(im, old.Hash) {
				return "", fmt.Sprintf("If-Match %s does not match the stored version %d of %s: read it again (its ETag) and retry", im, old.Version, old.IRI)
			}
			ifMatch = old.Hash
		}
	}
	if ius := strings.TrimSpace(r.Header.Get("If-Unmodified-Since")); ius != "" && old != nil {
		t, err := http.ParseTime(ius)
		if err != nil {
			return "", fmt.Sprintf("If-Unmodified-Since %q is not an HTTP date", ius)
		}
		if old.Modified.Truncate(time.Second).After(t) {
			return "", fmt.Sprintf("%s was modified at %s, after If-Unmodified-Since", old.IRI, old.Modified.UTC().Format(http.TimeFormat))
		}
		if ifMatch == "" {
			ifMatch = old.Hash
		}
	}
	return ifMatch, ""
}

// etagMatches reports whether a list of entity tags names the version of
// a record whose content hash is hash: credreg's resource ETags begin
// with the hash's first 16 hex digits, whatever the representation.
func etagMatches(list, hash string) bool {
	want := strings.TrimPrefix(hash, "sha256:")
	if len(want) < 16 {
		return false
	}
	for _, tag := range strings.Split(list, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		tag = strings.Trim(tag, `"`)
		if len(tag) >= 16 && tag[:16] == want[:16] {
			return true
		}
	}
	return false
}

// keepRetirement carries a stored record's retirement into its
// replacement, unless the replacement gives a status of its own.
func keepRetirement(rec registry.Record, old *registry.Record) []quad.Quad {
	for _, q := range rec.Quads {
		if q.Subject == quad.IRI(rec.IRI) && q.Predicate == quad.IRI(schema.RecordStatus) {
			return rec.Quads
		}
	}
	out := rec.Quads
	for _, q := range old.Quads {
		if q.Subject != quad.IRI(old.IRI) {
			continue
		}
		switch q.Predicate {
		case quad.IRI(schema.RecordStatus), quad.IRI(schema.RetiredOn), quad.IRI(schema.RetirementReason):
			out = append(out, q)
		}
	}
	return out
}

func (s *Server) put(w http.ResponseWriter, r *http.Request, tok registry.Token, rec registry.Record, status int) {
	rec.Publisher = tok.Agency
	c, err := s.putAs(r.Context(), tok, rec)
	s.written(w, r, tok, rec, c, err, status)
}

// putAs stores rec for the token: an agency's write is authorized by the
// registry at the write itself (registry.Store.PutAs), against the record
// then stored; the operator's (an admin token) is not.
func (s *Server) putAs(ctx context.Context, tok registry.Token, rec registry.Record) (registry.Change, error) {
	if tok.Admin() {
		return s.store.Put(ctx, tok.Agency, rec)
	}
	return s.store.PutAs(ctx, tok.Agency, tok.Agency, rec)
}

// written answers a write: the problems, or the record as stored.
func (s *Server) written(w http.ResponseWriter, r *http.Request, tok registry.Token, rec registry.Record, c registry.Change, err error, status int) {
	if s.refused(w, r, err) {
		return
	}
	if errors.Is(err, registry.ErrPrecondition) && rec.IfMatch == registry.NoRecord {
		writeProblem(w, r, http.StatusConflict, fmt.Sprintf("%s exists; replace it with PUT", rec.IRI))
		return
	}
	var re *registry.RecordError
	if errors.As(err, &re) {
		writeProblems(w, r, fmt.Sprintf("%s is not valid", rec.IRI), re.Problems)
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "write", "iri", rec.IRI, "agency", tok.Agency, "token", tok.ID, "seq", c.Seq)
	p, _ := s.base.Path(rec.IRI)
	w.Header().Set("Location", p)
	doc, err := s.store.Document(r.Context(), rec.IRI)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	body, err := doc.JSONLD()
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", typeJSONLD)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// retireResource serves POST /resources/{id}/retire with a body
// {"reason": "…"}. It honours If-Match and If-Unmodified-Since as PUT does.
func (s *Server) retireResource(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	_, iri, ok := s.resourceID(w, r)
	if !ok {
		return
	}
	body, ok := readBody(w, r, 16<<10)
	if !ok {
		return
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(body, &req); err != nil || strings.TrimSpace(req.Reason) == "" {
		writeProblem(w, r, http.StatusBadRequest, `give the reason as JSON: {"reason": "…"}`)
		return
	}
	old, err := s.store.Get(r.Context(), iri)
	if err != nil {
		s.readError(w, r, iri, err)
		return
	}
	if !s.mayWrite(w, r, tok, old, nil) {
		return
	}
	cond, why := preconditions(r, old)
	if why != "" {
		writeProblem(w, r, http.StatusPreconditionFailed, why)
		return
	}
	var c registry.Change
	if tok.Admin() {
		c, err = s.store.RetireIf(r.Context(), tok.Agency, iri, req.Reason, time.Now(), cond)
	} else {
		// Authorized again at the write, against the record then stored.
		c, err = s.store.RetireAs(r.Context(), tok.Agency, iri, req.Reason, time.Now(), cond)
	}
	if s.refused(w, r, err) {
		return
	}
	if errors.Is(err, registry.ErrRetired) {
		writeProblem(w, r, http.StatusConflict, err.Error())
		return
	}
	if errors.Is(err, registry.ErrPrecondition) {
		writeProblem(w, r, http.StatusPreconditionFailed, err.Error())
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, c)
}

// revokeToken serves POST /tokens/{id}/revoke: an admin token revokes any
// token, an agency token those of its own agency. It takes effect at once.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	id := mux.Vars(r)["id"]
	target, err := s.store.Token(r.Context(), id)
	if errors.Is(err, registry.ErrNotFound) {
		writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("no token %s", id))
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !tok.Admin() && target.Agency != tok.Agency {
		writeProblem(w, r, http.StatusForbidden, fmt.Sprintf("token %s is another agency's: an agency revokes its own tokens (an admin token revokes any)", id))
		return
	}
	if !tok.Admin() && target.Admin() {
		writeProblem(w, r, http.StatusForbidden, fmt.Sprintf("token %s is an admin token, the registry operator's: only an admin token revokes it", id))
		return
	}
	if !target.Revoked.IsZero() {
		writeProblem(w, r, http.StatusConflict, fmt.Sprintf("token %s was revoked on %s", id, target.Revoked.Format(time.RFC3339)))
		return
	}
	if err := s.store.RevokeToken(r.Context(), id); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "token revoked", "token", id, "by", tok.ID, "agency", tok.Agency)
	target, _ = s.store.Token(r.Context(), id)
	writeJSON(w, r, http.StatusOK, target)
}
