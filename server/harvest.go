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
	"sync"
	"time"

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
	var p registry.Pattern
	for _, t := range []struct {
		name    string
		dst     *registry.Pattern
		literal bool
	}{{"subject", &p, false}, {"predicate", &p, false}, {"object", &p, true}, {"graph", &p, false}} {
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
		if err != nil || n < 1 || n > registry.MaxFragmentPage {
			writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: "page",
				Detail: fmt.Sprintf("page=%q: pages are numbered 1 to %d", ps, registry.MaxFragmentPage)})
			return
		}
		page = n
	}
	f, ok := pickAmong(w, r, fragmentOffers, map[string]format{"jsonld": formatJSONLD, "nq": formatNQuads, "trig": formatTriG, "ttl": formatTurtle})
	if !ok {
		return
	}
	seq := s.store.Sequence()
	cacheKey := fmt.Sprintf("%s %d %s", f, seq, r.URL.RawQuery)
	if body, ok := s.fragPages.get(cacheKey); ok {
		s.writeFragment(w, r, f, seq, body.links, body.body)
		return
	}
	frag, err := s.store.FragmentAfter(r.Context(), p, page, v.Get("after"))
	if err != nil {
		s.listError(w, r, err)
		return
	}
	links := s.fragmentLinks(r, v, page, frag)
	var body []byte
	switch f {
	case formatJSONLD:
		if body, err = frag.FragmentJSONLD(s.base, links); err != nil {
			s.internalError(w, r, err)
			return
		}
	case formatNQuads:
		body = frag.FragmentNQuads(links)
	case formatTriG:
		body = frag.FragmentTriG(links)
	case formatTurtle:
		// Turtle has no graphs: the metadata goes with the data.
		body = frag.FragmentNTriples(links)
	}
	if frag.Sequence == seq {
		s.fragPages.put(cacheKey, renderedFragment{links: links, body: body})
	}
	s.writeFragment(w, r, f, frag.Sequence, links, body)
}

// writeFragment writes a rendered fragment page.
func (s *Server) writeFragment(w http.ResponseWriter, r *http.Request, f format, seq uint64, links registry.FragmentLinks, body []byte) {
	ct := f.contentType()
	if f == formatTriG {
		ct = typeTriG + "; charset=utf-8"
	}
	w.Header().Set("X-Credreg-Sequence", strconv.FormatUint(seq, 10))
	for rel, href := range map[string]string{"first": links.First, "next": links.Next, "prev": links.Previous} {
		if href != "" {
			w.Header().Add("Link", fmt.Sprintf("<%s>; rel=%q", href, rel))
		}
	}
	s.serveBody(w, r, f, ct, body, 60)
}

// renderedFragment is a fragment page as served.
type renderedFragment struct {
	links registry.FragmentLinks
	body  []byte
}

// pageCache keeps recently rendered fragment pages by format, change-log
// position and query; a write changes the position, so stale pages are
// never served, and the oldest go first past maxPages.
type pageCache struct {
	mu    sync.Mutex
	pages map[string]renderedFragment
	order []string
}

const maxCachedPages = 2048

func (c *pageCache) get(key string) (renderedFragment, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pages[key]
	return p, ok
}

func (c *pageCache) put(key string, p renderedFragment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pages == nil {
		c.pages = map[string]renderedFragment{}
	}
	if _, ok := c.pages[key]; ok {
		return
	}
	c.pages[key] = p
	c.order = append(c.order, key)
	for len(c.order) > maxCachedPages {
		delete(c.pages, c.order[0])
		c.order = c.order[1:]
	}
}

// fragmentLinks builds a fragment page's IRIs: the page itself is the URL
// as requested (TPF clients look its metadata up by that URL); the other
// links list the pattern in the template's order, then the page. The next
// link carries the cursor of the next page (after=), so following it costs
// one seek however deep; a page=N link without one still works, reading
// the pages before it.
func (s *Server) fragmentLinks(r *http.Request, v url.Values, page int, f *registry.Fragment) registry.FragmentLinks {
	base := s.base.String() + "/fragments"
	at := func(n int, cursor string) string {
		var parts []string
		for _, name := range []string{"subject", "predicate", "object", "graph"} {
			if val := v.Get(name); val != "" && !strings.HasPrefix(val, "?") {
				parts = append(parts, name+"="+url.QueryEscape(val))
			}
		}
		if n > 1 {
			parts = append(parts, "page="+strconv.Itoa(n))
		}
		if cursor != "" {
			parts = append(parts, "after="+cursor)
		}
		if len(parts) == 0 {
			return base
		}
		return base + "?" + strings.Join(parts, "&")
	}
	self := base
	if r.URL.RawQuery != "" {
		self += "?" + iriSafe(r.URL.RawQuery)
	}
	l := registry.FragmentLinks{
		Dataset:  base + "#dataset",
		Template: base + "{?subject,predicate,object}",
		Fragment: at(1, ""),
		Page:     self,
		First:    at(1, ""),
	}
	if f.Next != "" {
		l.Next = at(page+1, f.Next)
	}
	if page > 1 {
		l.Previous = at(page-1, "")
	}
	return l
}

// iriSafe percent-encodes the bytes of s that may not stand in an IRI
// (spaces, quotes, angle brackets, controls and the like); it leaves
// existing escapes alone.
func iriSafe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// --- the change feed -------------------------------------------------------

func (s *Server) changes(w http.ResponseWriter, r *http.Request) {
	v, ok := checkParams(w, r, "since", "limit", "format")
	if !ok {
		return
	}
	since, limit := uint64(0), registry.DefaultFeedPage
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
		if err != nil || n < 1 || n > registry.MaxFeedPage {
			writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: "limit",
				Detail: fmt.Sprintf("limit=%q: a page holds 1 to %d changes", x, registry.MaxFeedPage)})
			return
		}
		limit = n
	}
	f, ok := pickAmong(w, r, offers[:4], map[string]format{"jsonld": formatJSONLD, "nq": formatNQuads, "ttl": formatTurtle})
	if !ok {
		return
	}
	page, err := s.store.Feed(r.Context(), since, limit)
	if err != nil {
		s.listError(w, r, err)
		return
	}
	coll := s.base.String() + "/changes"
	at := func(n uint64) string {
		u := coll + "?since=" + strconv.FormatUint(n, 10)
		if limit != registry.DefaultFeedPage {
			u += "&limit=" + strconv.Itoa(limit)
		}
		return u
	}
	links := registry.FeedLinks{Collection: coll, Page: at(since)}
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
	h.Set("X-Credreg-Sequence", strconv.FormatUint(s.store.Sequence(), 10))
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "X-Credreg-Sequence")
	h.Set("Cache-Control", "no-cache")
	if r.Method == http.MethodHead {
		return
	}
	gz := gzip.NewWriter(s.stream(w))
	st, err := s.store.Dump(r.Context(), gz)
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
	b := s.base.String()
	// The class partitions, from the list index.
	facets, err := s.cat.Facets(r.Context())
	if err != nil {
		s.listError(w, r, err)
		return
	}
	classes := make([]registry.ClassCount, len(facets.Types))
	for i, t := range facets.Types {
		classes[i] = registry.ClassCount{IRI: t.IRI, Count: t.Count}
	}
	js, nq, err := s.store.DatasetDescription(r.Context(), registry.DatasetInfo{
		Classes:      classes,
		Designations: s.cat.ListStatus().Designations,
		IRI:          b + "/.well-known/void#registry",
		Title:        "credreg: credentials of value",
		Description:  "Credentials, competencies, organizations, the National Career Clusters Framework with its SOC, NAICS and CIP crosswalks, and agencies' value designations, as linked data.",
		License:      s.license,
		Fragments:    b + "/fragments{?subject,predicate,object}",
		Dataset:      b + "/fragments",
		Dump:         b + "/dump.nq.gz",
		Feed:         b + "/changes",
		URISpace:     b + "/",
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
