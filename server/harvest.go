package server

// What harvesters use: Triple Pattern Fragments, the change feed, the
// dump and the dataset description.

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"credreg/harvest"
	"credreg/ingest"
	"credreg/rdf"
	"credreg/registry"
)

// Media types of the harvest routes.
const (
	typeTriG = "application/trig"
	typeGzip = "application/gzip"
)

// fragmentOffers are the representations of a fragment.
var fragmentOffers = []offer{
	{typeJSONLD, formatJSONLD},
	{typeJSON, formatJSONLD},
	{typeNQuads, formatNQuads},
	{typeTriG, formatTriG},
	{typeTurtle, formatTurtle},
}

// harvestRoutes adds the harvest routes to r.
func (s *Server) harvestRoutes(get func(path string, h http.HandlerFunc)) {
	get("/fragments", s.fragments)
	get("/changes", s.changes)
	get("/dump.nq.gz", s.dump)
	get("/.well-known/void", s.void)
	get("/graph/{id}", s.whole)
}

// whole serves /graph/{id}: a resource with the records it owns.
func (s *Server) whole(w http.ResponseWriter, r *http.Request) {
	_, iri, ok := s.resourceID(w, r)
	if !ok {
		return
	}
	if wantsCTDL(r) {
		s.serveCTDL(w, r, iri, ingest.CTDLGraph)
		return
	}
	f, ok := s.pickFormat(w, r)
	if !ok {
		return
	}
	doc, err := s.store.Whole(r.Context(), iri)
	if err != nil {
		s.readError(w, r, iri, err)
		return
	}
	s.serveDocument(w, r, doc, f, "public, max-age=60")
}

// checkParams refuses parameters not in allowed and repeated ones.
func checkParams(w http.ResponseWriter, r *http.Request, allowed ...string) (url.Values, bool) {
	v := r.URL.Query()
	for name, vals := range v {
		ok := false
		for _, a := range allowed {
			ok = ok || a == name
		}
		if !ok {
			writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: name,
				Detail: fmt.Sprintf("unknown parameter %q; this takes %s", name, strings.Join(allowed, ", "))})
			return nil, false
		}
		if len(vals) > 1 {
			writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: name, Detail: fmt.Sprintf("%s is given %d times; give it once", name, len(vals))})
			return nil, false
		}
		if len(vals[0]) > 4096 {
			writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: name, Detail: fmt.Sprintf("%s is %d bytes long; at most 4096", name, len(vals[0]))})
			return nil, false
		}
	}
	return v, true
}

// serveBody writes a rendered body with a content ETag, CORS and caching
// headers, answering conditional requests.
func (s *Server) serveBody(w http.ResponseWriter, r *http.Request, f format, contentType string, body []byte, maxAge int) {
	h := w.Header()
	if h.Get("Content-Type") != typeJSON {
		h.Set("Content-Type", contentType)
	}
	sum := sha256.Sum256(body)
	h.Set("ETag", fmt.Sprintf(`"%s-%s-%s"`, hex.EncodeToString(sum[:8]), s.renderTag, f))
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", maxAge))
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "ETag, Link, X-Credreg-Sequence")
	h.Set("X-Content-Type-Options", "nosniff")
	if f == formatJSONLD && !strings.Contains(contentType, "profile=") {
		h.Add("Link", fmt.Sprintf(`<%s>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`, s.base.Context()))
	}
	http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(body)))
}

// --- fragments -------------------------------------------------------------

func (s *Server) fragments(w http.ResponseWriter, r *http.Request) {
	v, ok := checkParams(w, r, "subject", "predicate", "object", "graph", "page", "after", "format")
	if !ok {
		return
	}
	var p harvest.Pattern
	for _, t := range []struct {
		name    string
		literal bool
	}{{"subject", false}, {"predicate", false}, {"object", true}, {"graph", false}} {
		val, err := rdf.ParseTerm(v.Get(t.name), t.literal)
		if err != nil {
			writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: t.name, Detail: fmt.Sprintf("%s: %v", t.name, err)})
			return
		}
		switch t.name {
		case "subject":
			p.Subject = val
		case "predicate":
			p.Predicate = val
		case "object":
			p.Object = val
		case "graph":
			p.Graph = val
		}
	}
	page := 1
	if ps := v.Get("page"); ps != "" {
		n, err := strconv.Atoi(ps)
		if err != nil || n < 1 || n > harvest.MaxFragmentPage {
			writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: "page",
				Detail: fmt.Sprintf("page=%q: pages are numbered 1 to %d", ps, harvest.MaxFragmentPage)})
			return
		}
		page = n
	}
	f, ok := pickAmong(w, r, fragmentOffers, map[string]format{"jsonld": formatJSONLD, "nq": formatNQuads, "trig": formatTriG, "ttl": formatTurtle})
	if !ok {
		return
	}
	fp, err := s.harvest.Page(r.Context(), harvest.FragmentRequest{Pattern: p, Page: page, After: v.Get("after"),
		Format: fragmentFormats[f], Query: r.URL.RawQuery})
	if err != nil {
		s.listError(w, r, err)
		return
	}
	s.writeFragment(w, r, f, fp)
}

// fragmentFormats are the harvest's names of the fragment formats.
var fragmentFormats = map[format]harvest.Format{
	formatJSONLD: harvest.FormatJSONLD,
	formatNQuads: harvest.FormatNQuads,
	formatTriG:   harvest.FormatTriG,
	formatTurtle: harvest.FormatTurtle,
}

// writeFragment writes a rendered fragment page.
func (s *Server) writeFragment(w http.ResponseWriter, r *http.Request, f format, p *harvest.FragmentPage) {
	ct := f.contentType()
	if f == formatTriG {
		ct = typeTriG + "; charset=utf-8"
	}
	w.Header().Set("X-Credreg-Sequence", strconv.FormatUint(p.Sequence, 10))
	for rel, href := range map[string]string{"first": p.Links.First, "next": p.Links.Next, "prev": p.Links.Previous} {
		if href != "" {
			w.Header().Add("Link", fmt.Sprintf("<%s>; rel=%q", href, rel))
		}
	}
	s.serveBody(w, r, f, ct, p.Body, 60)
}

// --- the change feed -------------------------------------------------------

func (s *Server) changes(w http.ResponseWriter, r *http.Request) {
	v, ok := checkParams(w, r, "since", "limit", "format")
	if !ok {
		return
	}
	since, limit := uint64(0), harvest.DefaultFeedPage
	if x := v.Get("since"); x != "" {
		n, err := strconv.ParseUint(x, 10, 64)
		if err != nil {
			writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: "since",
				Detail: fmt.Sprintf("since=%q: expected a change number, 0 or more", x)})
			return
		}
		since = n
	}
	if x := v.Get("limit"); x != "" {
		n, err := strconv.Atoi(x)
		if err != nil || n < 1 || n > harvest.MaxFeedPage {
			writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: "limit",
				Detail: fmt.Sprintf("limit=%q: a page holds 1 to %d changes", x, harvest.MaxFeedPage)})
			return
		}
		limit = n
	}
	f, ok := pickAmong(w, r, offers[:4], map[string]format{"jsonld": formatJSONLD, "nq": formatNQuads, "ttl": formatTurtle})
	if !ok {
		return
	}
	page, err := s.harvest.Feed(r.Context(), since, limit)
	if err != nil {
		s.listError(w, r, err)
		return
	}
	coll := s.base.String() + "/changes"
	at := func(n uint64) string {
		u := coll + "?since=" + strconv.FormatUint(n, 10)
		if limit != harvest.DefaultFeedPage {
			u += "&limit=" + strconv.Itoa(limit)
		}
		return u
	}
	links := harvest.FeedLinks{Collection: coll, Page: at(since)}
	last := since
	if n := len(page.Changes); n > 0 {
		last = page.Changes[n-1].Seq
	}
	// The next page exists once there are changes after this one; a
	// harvester that has caught up polls the next link it was given.
	links.Next = at(last)
	if since > 0 {
		prev := uint64(0)
		if since > uint64(limit) {
			prev = since - uint64(limit)
		}
		links.Prev = at(prev)
	}
	var body []byte
	if f == formatJSONLD {
		if body, err = page.JSONLD(s.base, links); err != nil {
			s.internalError(w, r, err)
			return
		}
	} else {
		body = page.NQuads(links)
	}
	w.Header().Set("X-Credreg-Sequence", strconv.FormatUint(page.Head, 10))
	w.Header().Add("Link", fmt.Sprintf("<%s>; rel=\"next\"", links.Next))
	maxAge := 5
	if len(page.Changes) == limit {
		maxAge = 3600 // a full page never changes
	}
	s.serveBody(w, r, f, f.contentType(), body, maxAge)
}

// --- the dump ----------------------------------------------------------------

func (s *Server) dump(w http.ResponseWriter, r *http.Request) {
	if _, ok := checkParams(w, r); !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Type", typeGzip)
	h.Set("Content-Disposition", `attachment; filename="credreg-dump.nq.gz"`)
	h.Set("X-Credreg-Sequence", strconv.FormatUint(s.harvest.Sequence(), 10))
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "X-Credreg-Sequence")
	h.Set("Cache-Control", "no-cache")
	if r.Method == http.MethodHead {
		return
	}
	gz := gzip.NewWriter(s.stream(w))
	st, err := s.harvest.Dump(r.Context(), gz)
	var busy *registry.BusyError
	if errors.As(err, &busy) && st.Records == 0 {
		// Nothing is written yet: say why, in a problem.
		h.Del("Content-Disposition")
		s.listError(w, r, err)
		return
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		// Cut the connection: a short dump must not pass for a whole one.
		s.log.ErrorContext(r.Context(), "dump cut short", "err", err, "records", st.Records)
		panic(http.ErrAbortHandler)
	}
	s.log.InfoContext(r.Context(), "dump", "records", st.Records, "quads", st.Quads, "sequence", st.Sequence)
}

func sorted(ss []string) []string {
	out := append([]string{}, ss...)
	sort.Strings(out)
	return out
}

// --- the dataset description -------------------------------------------------

func (s *Server) void(w http.ResponseWriter, r *http.Request) {
	if _, ok := checkParams(w, r, "format"); !ok {
		return
	}
	f, ok := pickAmong(w, r, offers[:4], map[string]format{"jsonld": formatJSONLD, "nq": formatNQuads, "ttl": formatTurtle})
	if !ok {
		return
	}
	// The class partitions and designations are the catalog's counts.
	facets, err := s.cat.Facets(r.Context())
	if err != nil {
		s.listError(w, r, err)
		return
	}
	classes := make([]harvest.ClassCount, len(facets.Types))
	for i, t := range facets.Types {
		classes[i] = harvest.ClassCount{IRI: t.IRI, Count: t.Count}
	}
	b := s.base.String()
	js, nq, err := s.harvest.DatasetDescription(r.Context(), harvest.DatasetInfo{
		IRI:          b + "/.well-known/void#registry",
		Title:        "credreg: credentials of value",
		Description:  "Credentials, competencies, organizations, the National Career Clusters Framework with its SOC, NAICS and CIP crosswalks, and agencies' value designations, as linked data.",
		License:      s.license,
		Fragments:    b + "/fragments{?subject,predicate,object}",
		Dataset:      b + "/fragments",
		Dump:         b + "/dump.nq.gz",
		Feed:         b + "/changes",
		URISpace:     b + "/",
		Classes:      classes,
		Designations: s.cat.ListStatus().Designations,
	})
	if err != nil {
		s.listError(w, r, err)
		return
	}
	body := js
	if f != formatJSONLD {
		body = nq
	}
	s.serveBody(w, r, f, f.contentType(), body, 300)
}

// --- CTDL ------------------------------------------------------------------

// ctdlMediaType is the media type of a CTDL export: JSON-LD with CTDL's
// context as its profile.
const ctdlMediaType = typeJSONLD + `; profile="` + ingest.CTDLContextURL + `"`

// wantsCTDL tells whether a request asks for CTDL's shape: a ?profile=
// (ctdl is the one offered), or an Accept range of JSON-LD whose profile
// is CTDL's context.
func wantsCTDL(r *http.Request) bool {
	if r.URL.Query().Has("profile") {
		return true // serveCTDL refuses a profile it does not know
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		fields := strings.Split(part, ";")
		if !strings.EqualFold(strings.TrimSpace(fields[0]), typeJSONLD) {
			continue
		}
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
			if strings.EqualFold(k, "profile") && strings.Contains(strings.Trim(v, `"`), "credreg.net/ctdl") {
				return true
			}
		}
	}
	return false
}

// serveCTDL serves a record (export: ingest.CTDLRecord) or a record with
// its parts (ingest.CTDLGraph) in CTDL's JSON-LD shape.
func (s *Server) serveCTDL(w http.ResponseWriter, r *http.Request, iri string, export func(context.Context, *registry.Store, string) ([]byte, error)) {
	w.Header().Add("Vary", "Accept")
	if p := r.URL.Query().Get("profile"); r.URL.Query().Has("profile") && p != "ctdl" && p != ingest.CTDLContextURL {
		writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: "profile", Detail: fmt.Sprintf("unknown profile %q: use ctdl", p)})
		return
	}
	if f := r.URL.Query().Get("format"); f != "" && f != "jsonld" && f != "json" {
		writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: "format", Detail: fmt.Sprintf("the CTDL profile is JSON-LD only, not format=%s", f)})
		return
	}
	body, err := export(r.Context(), s.store, iri)
	switch {
	case errors.Is(err, ingest.ErrNotCTDL):
		writeProblemDoc(w, r, problem{Status: http.StatusNotAcceptable, Detail: fmt.Sprintf("%s is of credreg's own classes only (such as a value designation), which CTDL does not define; the CTDL profile is offered for every other record", iri),
			Offered: []string{typeJSONLD, typeNQuads, typeTurtle, typeHTML}})
		return
	case err != nil:
		s.readError(w, r, iri, err)
		return
	}
	w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="profile"`, ingest.CTDLContextURL))
	s.serveBody(w, r, formatJSONLD, ctdlMediaType, body, 60)
}
