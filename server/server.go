// Package server is credreg's HTTP surface: dereferenceable resources and
// concept schemes with content negotiation (JSON-LD, N-Quads, Turtle,
// HTML), the JSON-LD context, health, and RFC 9457 errors. It knows HTTP,
// not quads: documents come rendered from the registry.
package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"credreg/catalog"
	"credreg/harvest"
	"credreg/ingest"
	"credreg/registry"
	"credreg/schema"
)

// Config configures a Server.
type Config struct {
	// Catalog is the catalog of the store the server serves (its
	// Store). Required. The caller closes it, then the store, after the
	// server.
	Catalog *catalog.Catalog
	// Harvest answers the harvest routes (fragments, change feed, dump,
	// dataset description) of the store; nil means harvest.New(store).
	Harvest *harvest.Harvester
	Logger  *slog.Logger // nil means slog.Default()
	// MaxImportBytes caps a POST /import body; 0 means
	// DefaultMaxImportBytes.
	MaxImportBytes int64
	// License is the data's license, an IRI or a text, stated in the
	// dataset description; "" states none.
	License string
	// MaxAuthFailures is how many failed authentications a client address
	// may make within a minute before writes from it answer 429; 0 means
	// DefaultAuthFailures, a negative value no limit.
	MaxAuthFailures int
	// MaxWritesPerMinute is how many writes (each PUT, POST /designations,
	// retire, revoke or import) one token may make within a minute, in
	// bursts of as many; more answer 429 with Retry-After. 0 means
	// DefaultWritesPerMinute, a negative value no limit.
	MaxWritesPerMinute int
	// MaxConcurrentImports is how many POST /import requests run at once;
	// more answer 429 with Retry-After. 0 means DefaultConcurrentImports.
	MaxConcurrentImports int
	// StreamWriteTimeout is how long one piece of a streamed answer (the
	// dump, the CSV export) may wait for the client: the connection's
	// write deadline moves this far ahead as the bytes flow, so the
	// http.Server's WriteTimeout does not cut a long answer to a client
	// that keeps reading. 0 means DefaultStreamWriteTimeout.
	StreamWriteTimeout time.Duration
}

// DefaultConcurrentImports is the default of Config.MaxConcurrentImports:
// an import holds its whole upload in memory, so a few at a time.
const DefaultConcurrentImports = 2

// Server serves the registry over HTTP. Build one with New and use it as an
// http.Handler.
type Server struct {
	store  *registry.Store
	cat    *catalog.Catalog
	base   schema.Base
	log    *slog.Logger
	router *mux.Router
	orgs   orgIndex
	// renderTag is mixed into every ETag: it changes when the context, the
	// templates or the rendering code change, so that a client's cached copy
	// of an unchanged record is not taken for the new rendering.
	renderTag string

	maxImport int64
	license   string
	harvest   *harvest.Harvester
	authFails *failureLimiter
	writes    *writeLimiter
	imports   chan struct{} // one token per import running
	metrics   *metrics

	streamTimeout time.Duration
	backups       chan struct{} // holds a token while a backup runs
}

// renderVersion is bumped when a change to the rendering code changes the
// bytes served for an unchanged record.
const renderVersion = "2" // 2: arrays always arrays, counts numbers (context v2)

// New returns a Server for cfg.Catalog and its store.
func New(cfg Config) (*Server, error) {
	if cfg.Catalog == nil {
		return nil, errors.New("server: a catalog is required")
	}
	store := cfg.Catalog.Store()
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if _, err := siteTemplates(); err != nil {
		return nil, err
	}
	s := &Server{store: store, cat: cfg.Catalog, base: store.Base(), log: log, renderTag: renderTag(), maxImport: cfg.MaxImportBytes, license: cfg.License, harvest: cfg.Harvest}
	if s.harvest == nil {
		s.harvest = harvest.New(store)
	}
	if s.maxImport <= 0 {
		s.maxImport = DefaultMaxImportBytes
	}
	n := cfg.MaxConcurrentImports
	if n <= 0 {
		n = DefaultConcurrentImports
	}
	s.imports = make(chan struct{}, n)
	s.metrics = newMetrics(cfg.Catalog, log)
	s.streamTimeout = cfg.StreamWriteTimeout
	if s.streamTimeout <= 0 {
		s.streamTimeout = DefaultStreamWriteTimeout
	}
	s.backups = make(chan struct{}, 1)
	switch {
	case cfg.MaxAuthFailures == 0:
		s.authFails = newFailureLimiter(DefaultAuthFailures, time.Minute)
	case cfg.MaxAuthFailures > 0:
		s.authFails = newFailureLimiter(cfg.MaxAuthFailures, time.Minute)
	}
	switch {
	case cfg.MaxWritesPerMinute == 0:
		s.writes = newWriteLimiter(DefaultWritesPerMinute)
	case cfg.MaxWritesPerMinute > 0:
		s.writes = newWriteLimiter(cfg.MaxWritesPerMinute)
	}
	r := mux.NewRouter()
	r.StrictSlash(false)
	get := []string{http.MethodGet, http.MethodHead}
	r.HandleFunc("/", s.home).Methods(get...)
	r.HandleFunc("/healthz", s.health).Methods(get...)
	r.HandleFunc("/readyz", s.ready).Methods(get...)
	r.HandleFunc("/metrics", s.serveMetrics).Methods(get...)
	r.HandleFunc("/openapi.json", s.openAPI).Methods(get...)
	r.HandleFunc("/context.jsonld", s.context(schema.ContextVersion, false)).Methods(get...)
	for _, v := range schema.ContextVersions {
		r.HandleFunc("/contexts/v"+v+".jsonld", s.context(v, true)).Methods(get...)
	}
	s.umbrellaRoutes(r) // before /resources/{id}, so /resources/lookup is not taken for a CTID
	s.harvestRoutes(func(path string, h http.HandlerFunc) { r.HandleFunc(path, h).Methods(get...) })
	r.HandleFunc("/resources/{id}", s.resource).Methods(get...)
	r.HandleFunc("/organizations", s.organizations).Methods(get...)
	r.HandleFunc("/schemes", s.schemes).Methods(get...)
	r.HandleFunc("/schemes/{scheme}", s.scheme).Methods(get...)
	r.HandleFunc("/schemes/{scheme}/{notation}", s.concept).Methods(get...)
	r.HandleFunc("/import", s.importHandler).Methods(http.MethodPost)
	r.HandleFunc("/designations", s.createDesignation).Methods(http.MethodPost)
	r.HandleFunc("/resources/{id}", s.replaceResource).Methods(http.MethodPut)
	r.HandleFunc("/resources/{id}/retire", s.retireResource).Methods(http.MethodPost)
	r.HandleFunc("/tokens", s.createToken).Methods(http.MethodPost)
	r.HandleFunc("/tokens", s.listTokens).Methods(http.MethodGet)
	r.HandleFunc("/tokens/{id}/revoke", s.revokeToken).Methods(http.MethodPost)
	r.HandleFunc("/admin/backup", s.backup).Methods(http.MethodGet)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.notFound(w, r, fmt.Sprintf("no resource at %s", r.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allow := "GET, HEAD"
		switch {
		case r.URL.Path == "/admin/backup":
			allow = "GET"
		case r.URL.Path == "/tokens":
			allow = "GET, POST"
		case r.URL.Path == "/import", r.URL.Path == "/designations", strings.HasSuffix(r.URL.Path, "/retire"), strings.HasSuffix(r.URL.Path, "/revoke"):
			allow = "POST"
		case strings.HasSuffix(r.URL.Path, "/designations"), strings.HasSuffix(r.URL.Path, "/history"):
			allow = "GET, HEAD"
		case strings.HasPrefix(r.URL.Path, "/resources/"):
			allow = "GET, HEAD, PUT"
		}
		w.Header().Set("Allow", allow)
		writeProblem(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow))
	})
	r.Use(routeLabel)
	s.router = r
	return s, nil
}

// secretParams are query parameters that carry credentials: a request
// with one is refused (a token in a URL ends up in logs, histories and
// Referer headers) and its query is never logged.
var secretParams = []string{"access_token", "token", "api_key", "apikey"}

// ServeHTTP implements http.Handler: it logs and counts each request
// (never logging a query that carries a credential), sets nosniff on every
// answer, refuses tokens in URLs and turns a panic into a 500 problem.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	// Deferred first, so it runs last: after a panic's 500, and even when
	// an aborted response panics on.
	defer func() { s.metrics.observe(rec, r.Method, time.Since(start)) }()
	logged := r.URL.RequestURI()
	q := r.URL.Query()
	for _, p := range secretParams {
		if q.Has(p) {
			logged = r.URL.Path + "?[query withheld: it carries " + p + "]"
			defer s.log.InfoContext(r.Context(), "request", "method", r.Method, "path", logged, "status", http.StatusBadRequest)
			writeProblem(rec, r, http.StatusBadRequest, fmt.Sprintf("the query carries %s: a token goes in the Authorization header (Authorization: Bearer …), never in a URL; revoke this token, it may have been recorded", p))
			return
		}
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
			if !rec.wrote {
				writeProblem(rec, r, http.StatusInternalServerError, "internal error; it has been logged")
			}
		}
		s.log.InfoContext(r.Context(), "request", "method", r.Method, "path", logged, "status", rec.status, "bytes", rec.bytes, "duration", time.Since(start))
	}()
	withGzip(rec, r, s.router.ServeHTTP)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
	route  string // the matched route's template (see routeLabel); "" for none
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (a backup
// moves its write deadline).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	st, err := s.store.Stats(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "health check", "err", err)
		writeProblem(w, r, http.StatusServiceUnavailable, "the store does not answer")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, r, http.StatusOK, map[string]any{"status": "ok", "quads": st.Quads, "sequence": st.Sequence})
}

// ready serves /readyz: 200 once the store answers and the list index is
// built (a load balancer sends traffic then), 503 with Retry-After before.
// /healthz, liveness, only says the process and its store answer.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, err := s.store.Stats(r.Context()); err != nil {
		s.log.ErrorContext(r.Context(), "readiness check", "err", err)
		writeProblem(w, r, http.StatusServiceUnavailable, "the store does not answer")
		return
	}
	if !s.cat.ListReady() {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, r, http.StatusServiceUnavailable, map[string]any{"status": "starting", "detail": "the list index is being built"})
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"status": "ready", "sequence": s.store.Sequence()})
}

// context serves a version of the JSON-LD context. A versioned IRI
// (/contexts/vN.jsonld) never changes what it serves, so it may be cached
// for a year; /context.jsonld follows the current version and is cached
// for a day.
func (s *Server) context(version string, immutable bool) http.HandlerFunc {
	doc := string(schema.ContextDocumentOf(version))
	etag := schema.ContextETagOf(version)
	cacheControl := "public, max-age=86400"
	if immutable {
		cacheControl = "public, max-age=31536000, immutable"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", typeJSONLD)
		h.Set("ETag", etag)
		h.Set("Cache-Control", cacheControl)
		h.Set("Access-Control-Allow-Origin", "*")
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(doc))
	}
}

// resource serves /resources/{id}.
func (s *Server) resource(w http.ResponseWriter, r *http.Request) {
	_, iri, ok := s.resourceID(w, r)
	if !ok {
		return
	}
	if wantsCTDL(r) {
		s.serveCTDL(w, r, iri, ingest.CTDLRecord)
		return
	}
	s.serveRecord(w, r, iri)
}

func (s *Server) scheme(w http.ResponseWriter, r *http.Request) {
	name := mux.Vars(r)["scheme"]
	if !schema.ValidSchemeName(name) {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("malformed scheme name %q: lowercase letters, digits and '-'", name))
		return
	}
	s.serveRecord(w, r, s.base.Scheme(name))
}

func (s *Server) concept(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	name, notation := v["scheme"], v["notation"]
	if !schema.ValidSchemeName(name) {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("malformed scheme name %q: lowercase letters, digits and '-'", name))
		return
	}
	if err := schema.CheckNotation(name, notation); err != nil {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("malformed code: %v", err))
		return
	}
	s.serveRecord(w, r, s.base.Concept(name, notation))
}

func (s *Server) schemes(w http.ResponseWriter, r *http.Request) {
	f, ok := s.pickFormat(w, r)
	if !ok {
		return
	}
	doc, err := s.store.Schemes(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.serveDocument(w, r, doc, f, "no-cache")
}

// serveRecord serves the record iri in the negotiated format.
func (s *Server) serveRecord(w http.ResponseWriter, r *http.Request, iri string) {
	f, ok := s.pickFormat(w, r)
	if !ok {
		return
	}
	doc, err := s.store.Document(r.Context(), iri)
	if err != nil {
		s.readError(w, r, iri, err)
		return
	}
	s.serveDocument(w, r, doc, f, "public, max-age=60")
}

// pickFormat negotiates a record's representation, honouring a ?format=
// override, and answers 400 or 406 itself when it cannot.
func (s *Server) pickFormat(w http.ResponseWriter, r *http.Request) (format, bool) {
	return pickAmong(w, r, offers, formatByName)
}

// serveDocument writes doc in format f with validators, answering a
// matching conditional GET with 304.
func (s *Server) serveDocument(w http.ResponseWriter, r *http.Request, doc *registry.Document, f format, cacheControl string) {
	var body []byte
	// A page that shows other records too (a credential's designations)
	// changes with every write: its validators follow the store's
	// sequence, not the record's hash.
	shared, tagOf := false, doc.Hash
	switch f {
	case formatJSONLD:
		b, err := doc.JSONLD()
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		body = b
	case formatNQuads, formatTurtle:
		// N-Triples lines are valid Turtle as they stand.
		body = doc.NQuads()
	case formatHTML:
		seq := s.store.Sequence()
		b, sh, err := s.recordHTML(r.Context(), doc)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		body, shared = b, sh
		if shared {
			cacheControl = "no-cache"
			tagOf = fmt.Sprintf("%s-%d", doc.Hash, seq)
		}
	}
	h := w.Header()
	if h.Get("Content-Type") != typeJSON {
		h.Set("Content-Type", f.contentType())
	}
	tag := strings.TrimPrefix(doc.Hash, "sha256:")[:16]
	if shared {
		sum := sha256.Sum256([]byte(tagOf))
		tag = hex.EncodeToString(sum[:8])
	}
	h.Set("ETag", fmt.Sprintf(`"%s-%s-%s"`, tag, s.renderTag, f))
	h.Set("Cache-Control", cacheControl)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Link", fmt.Sprintf(`<%s>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`, s.base.Context()))
	// The other representations of the same resource.
	self := r.URL.Path
	for _, alt := range []struct {
		f    format
		name string
	}{{formatJSONLD, "jsonld"}, {formatNQuads, "nq"}, {formatTurtle, "ttl"}, {formatHTML, "html"}} {
		if alt.f != f {
			h.Add("Link", fmt.Sprintf(`<%s?format=%s>; rel="alternate"; type=%q`, self, alt.name, strings.Split(alt.f.contentType(), ";")[0]))
		}
	}
	if f == formatHTML {
		h.Set("Content-Security-Policy", htmlCSP)
	}
	var modified time.Time
	if !doc.Modified.IsZero() && !shared {
		modified = doc.Modified
	}
	http.ServeContent(w, r, "", modified, strings.NewReader(string(body)))
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	// Only this request's own cancellation goes unanswered (its client has
	// left); a cancellation error from anywhere else is a failure to report,
	// never a silent 200 with an empty body.
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeProblem(w, r, http.StatusInternalServerError, "internal error; it has been logged")
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	st, err := s.store.Stats(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	b0 := s.base.String()
	h := w.Header()
	h.Add("Link", fmt.Sprintf(`<%s/.well-known/void>; rel="describedby"; type="application/ld+json"`, b0))
	h.Add("Link", fmt.Sprintf(`<%s/fragments>; rel="http://www.w3.org/ns/hydra/core#search"`, b0))
	if f := negotiate(r.Header.Get("Accept")); f != formatHTML {
		writeJSON(w, r, http.StatusOK, map[string]any{
			"name":        "credreg",
			"base":        b0,
			"context":     s.base.Context(),
			"schemes":     b0 + "/schemes",
			"credentials": b0 + "/credentials",
			"reports":     b0 + "/reports/clusters",
			"fragments":   b0 + "/fragments",
			"dump":        b0 + "/dump.nq.gz",
			"changes":     b0 + "/changes",
			"void":        b0 + "/.well-known/void",
			"quads":       st.Quads,
			"sequence":    st.Sequence,
		})
		return
	}
	b, err := s.homeHTML(r.Context(), st)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeHTML(w, r, http.StatusOK, b)
}

// resourceID reads the {id} of a /resources/{id} (or /graph/{id}) path: the
// CTID and the resource's IRI. A malformed CTID is answered 400 here.
func (s *Server) resourceID(w http.ResponseWriter, r *http.Request) (id, iri string, ok bool) {
	id = mux.Vars(r)["id"]
	if err := schema.CheckCTID(id); err != nil {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("malformed resource id: %v", err))
		return "", "", false
	}
	return id, s.base.Resource(id), true
}

// readError answers an error reading the record iri: 404 when there is no
// such record, else 500.
func (s *Server) readError(w http.ResponseWriter, r *http.Request, iri string, err error) {
	if errors.Is(err, registry.ErrNotFound) {
		s.notFound(w, r, fmt.Sprintf("no record with IRI %s", iri))
		return
	}
	s.internalError(w, r, err)
}
