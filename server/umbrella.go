package server

// The read side of the umbrella list (issue 5, items 3, 5 and 7):
//
//   GET  /resources/{id}/designations  every agency's designations of a
//        credential side by side, with where they disagree (JSON-LD,
//        N-Quads, Turtle, HTML);
//   GET  /resources/{id}/history       the record's change-log entries
//        (JSON, HTML);
//   GET  /check?ctid=…|name=…[&date=]  the employer's answer (JSON, HTML);
//   POST /resources/lookup             up to 1,000 CTIDs in, one JSON-LD
//        @graph out.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"credreg/catalog"
	"credreg/registry"
	"credreg/schema"
)

// now is the clock of "today" in the check and the designations page;
// tests replace it.
var now = time.Now

// maxLookupBytes caps a POST /resources/lookup body. 1,000 CTIDs as a JSON
// array take about 45 KiB.
const maxLookupBytes = 256 << 10

// maxCheckName caps the length of ?name= in /check.
const maxCheckName = 500

// maxCheckSuggestions caps the closest credentials a check by an unknown
// name suggests.
const maxCheckSuggestions = 5

// umbrellaRoutes adds the umbrella list's read routes to r.
func (s *Server) umbrellaRoutes(r *mux.Router) {
	get := []string{http.MethodGet, http.MethodHead}
	r.HandleFunc("/resources/lookup", s.lookup).Methods(http.MethodPost)
	r.HandleFunc("/resources/lookup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		writeProblem(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s: POST a JSON list of CTIDs", r.Method, r.URL.Path))
	})
	r.HandleFunc("/resources/{id}/designations", s.designations).Methods(get...)
	r.HandleFunc("/resources/{id}/history", s.history).Methods(get...)
	r.HandleFunc("/check", s.check).Methods(get...)
	r.HandleFunc("/credentials", s.credentials).Methods(get...)
	r.HandleFunc("/reports/clusters", s.clusterReport).Methods(get...)
}

// today returns the current date, YYYY-MM-DD, in the server's time zone.
func today() string { return now().Format("2006-01-02") }

// pickPage negotiates between the plain JSON and the HTML of an answer
// that has no RDF form (history, check), honouring ?format=json|html.
func pickPage(w http.ResponseWriter, r *http.Request) (html, ok bool) {
	w.Header().Add("Vary", "Accept")
	switch name := r.URL.Query().Get("format"); name {
	case "":
	case "html":
		return true, true
	case "json":
		return false, true
	default:
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("unknown format %q: use json or html", name))
		return false, false
	}
	switch f, _ := negotiateType(r.Header.Get("Accept")); f {
	case formatHTML:
		return true, true
	case formatJSONLD:
		return false, true
	}
	writeProblemDoc(w, r, problem{
		Status:  http.StatusNotAcceptable,
		Detail:  fmt.Sprintf("none of the media types in Accept %q is offered; offered: %s, %s", r.Header.Get("Accept"), typeJSON, typeHTML),
		Offered: []string{typeJSON, typeHTML},
	})
	return false, false
}

// check serves GET /check?ctid=…|name=…[&date=YYYY-MM-DD]. An ambiguous
// name answers 300 Multiple Choices with the candidates; an unknown one,
// 404.
func (s *Server) check(w http.ResponseWriter, r *http.Request) {
	html, ok := pickPage(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	ctid, name := strings.TrimSpace(q.Get("ctid")), strings.TrimSpace(q.Get("name"))
	day := today()
	if d := strings.TrimSpace(q.Get("date")); d != "" {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("malformed date %q: use YYYY-MM-DD", d))
			return
		}
		day = d
	}
	page := checkPage{pageData: pageData{Title: "Check a credential", Base: s.base.String(), Section: "check"}, Name: name, CTID: ctid, Date: q.Get("date")}
	switch {
	case ctid == "" && name == "":
		if html {
			s.writePage(w, r, http.StatusOK, "check", page)
			return
		}
		writeProblem(w, r, http.StatusBadRequest, "give the credential's CTID (?ctid=ce-…) or its name (?name=…)")
		return
	case ctid != "" && name != "":
		writeProblem(w, r, http.StatusBadRequest, "give either ?ctid= or ?name=, not both")
		return
	}
	var a *catalog.Check
	var err error
	iri := ""
	if ctid != "" {
		if err := schema.CheckCTID(ctid); err != nil {
			writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("malformed CTID: %v", err))
			return
		}
		iri = s.base.Resource(ctid)
		a, err = catalog.CheckCredential(r.Context(), s.cat, iri, day)
	} else {
		if len(name) > maxCheckName {
			writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("the name is %d bytes long, over the limit of %d", len(name), maxCheckName))
			return
		}
		a, err = catalog.CheckName(r.Context(), s.cat, name, day, maxCheckSuggestions)
	}
	var (
		nc   *catalog.NotCredentialError
		none *catalog.NoMatchError
		amb  *catalog.Ambiguous
	)
	switch {
	case errors.As(err, &none):
		w.Header().Set("Cache-Control", "no-cache")
		if html {
			page.Title = "No credential named " + name
			page.NotFound, page.Suggestions = none.Error(), none.Suggestions
			s.writePage(w, r, http.StatusNotFound, "check", page)
			return
		}
		writeProblemDoc(w, r, problem{Status: http.StatusNotFound, Detail: none.Error(), Suggestions: none.Suggestions})
		return
	case errors.As(err, &amb):
		w.Header().Set("Cache-Control", "no-cache")
		if html {
			page.Ambiguous = amb
			s.writePage(w, r, http.StatusMultipleChoices, "check", page)
			return
		}
		writeJSON(w, r, http.StatusMultipleChoices, amb)
		return
	case errors.Is(err, registry.ErrNotFound):
		writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("no credential with IRI %s", iri))
		return
	case errors.As(err, &nc):
		writeProblem(w, r, http.StatusNotFound, nc.Error())
		return
	case err != nil:
		s.listError(w, r, err) // a busy list index answers 503; anything else 500
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if html {
		page.Title = "Check: " + a.Credential.Name
		page.Answer = a
		page.Alternates = []alternate{{typeJSON, "/check?" + url.Values{"ctid": {a.Credential.CTID}, "format": {"json"}}.Encode(), "JSON"}}
		s.writePage(w, r, http.StatusOK, "check", page)
		return
	}
	writeJSON(w, r, http.StatusOK, a)
}

// link is a linked resource with the name people read (see catalog.Link).
type link = catalog.Link

func (s *Server) newLabeler(ctx context.Context) *catalog.Labeler {
	return catalog.NewLabeler(ctx, s.store)
}

// --- who said what --------------------------------------------------------

// designations serves GET /resources/{id}/designations.
func (s *Server) designations(w http.ResponseWriter, r *http.Request) {
	_, iri, ok := s.resourceID(w, r)
	if !ok {
		return
	}
	f, ok := s.pickFormat(w, r)
	if !ok {
		return
	}
	set, err := s.cat.DesignationSet(r.Context(), iri)
	if err != nil {
		s.readError(w, r, iri, err)
		return
	}
	if f != formatHTML {
		s.serveDocument(w, r, set.Document, f, "no-cache")
		return
	}
	page, err := s.sideBySide(r.Context(), set, today())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	s.writePage(w, r, http.StatusOK, "designations", page)
}

// sidePage is the side-by-side table of a credential's designations.
type sidePage struct {
	pageData
	Credential    link
	CTID          string
	Day           string
	Columns       []sideColumn
	Rows          []sideRow
	Disagreements []string
}

type sideColumn struct {
	Agency link
	IRI    string
}

type sideRow struct {
	Label   string
	Differs bool
	Cells   []sideCell
}

// sideCell is a list of values: links (internal ones by path) or text.
type sideCell struct{ Items []sideItem }

type sideItem struct {
	Href, Text string
}

// markedItem is a value of a row that differs (Mark) or not.
type markedItem struct {
	sideItem
	Mark bool
}

func (s *Server) sideBySide(ctx context.Context, set *catalog.DesignationSet, day string) (*sidePage, error) {
	l := s.newLabeler(ctx)
	cred := l.Link(set.Credential)
	if cred.Label == "" {
		cred.Label = set.Credential
	}
	page := &sidePage{
		pageData: pageData{
			Title: "Designations: " + cred.Label, Base: s.base.String(), Section: "credentials",
			Alternates: []alternate{
				{typeJSONLD, "?format=jsonld", "JSON-LD"},
				{typeNQuads, "?format=nq", "N-Quads"},
				{typeTurtle, "?format=ttl", "Turtle"},
			},
		},
		Credential: cred, Day: day,
	}
	if p, ok := s.base.Path(set.Credential); ok {
		page.CTID = strings.TrimPrefix(p, "/resources/")
	}
	differs := map[string]bool{}
	for _, d := range set.Disagreements {
		differs[d.Property] = true
		page.Disagreements = append(page.Disagreements, d.Label)
	}
	// Whether designations are in force today may differ by their dates
	// alone (one expired, one active): mark the status row then as well.
	statusDiffers := differs[schema.RecordStatus]
	for i, a := range set.Designations {
		for _, b := range set.Designations[i+1:] {
			if a.Agency != b.Agency && a.StatusOn(day) != b.StatusOn(day) {
				if !statusDiffers {
					page.Disagreements = append(page.Disagreements, "Status on "+formatDate(day))
				}
				statusDiffers = true
			}
		}
	}
	links := func(iris []string) sideCell {
		var c sideCell
		for _, iri := range iris {
			k := l.Link(iri)
			c.Items = append(c.Items, sideItem{Href: s.href(iri), Text: firstNonEmpty(k.Label, schema.Compact(iri))})
		}
		return c
	}
	text := func(ss ...string) sideCell {
		var c sideCell
		for _, t := range ss {
			if t != "" {
				c.Items = append(c.Items, sideItem{Text: t})
			}
		}
		return c
	}
	rows := []struct {
		label   string
		differs bool
		cell    func(d catalog.DesignationView) sideCell
	}{
		{"Agency", false, func(d catalog.DesignationView) sideCell { return links([]string{d.Agency}) }},
		{"Career Cluster", differs[schema.Cluster], func(d catalog.DesignationView) sideCell { return links(d.Clusters) }},
		{"Sub-Cluster", differs[schema.SubCluster], func(d catalog.DesignationView) sideCell { return links(d.SubClusters) }},
		{"Region", differs[schema.Region], func(d catalog.DesignationView) sideCell { return text(d.Region) }},
		{"Valid from", differs[schema.ValidFrom], func(d catalog.DesignationView) sideCell { return text(formatDate(d.ValidFrom)) }},
		{"Valid through", differs[schema.ValidThrough], func(d catalog.DesignationView) sideCell {
			return text(firstNonEmpty(formatDate(d.ValidThrough), "(open)"))
		}},
		{"Criteria", differs[schema.Criterion], func(d catalog.DesignationView) sideCell { return links(d.Criteria) }},
		{"Status on " + formatDate(day), statusDiffers, func(d catalog.DesignationView) sideCell { return text(statusText(d, day)) }},
		{"Evidence", differs[schema.Evidence], func(d catalog.DesignationView) sideCell {
			var c sideCell
			for _, e := range d.Evidence {
				if e.MedianAnnualWage != "" {
					c.Items = append(c.Items, sideItem{Text: "Median annual wage: " + formatMoney(e.MedianAnnualWage)})
				}
				if e.ProjectedAnnualOpenings != "" {
					c.Items = append(c.Items, sideItem{Text: "Projected annual openings: " + formatCount(e.ProjectedAnnualOpenings)})
				}
				if e.DataSource != "" {
					c.Items = append(c.Items, sideItem{Text: "Source: " + e.DataSource})
				}
				if e.DataYear != "" {
					c.Items = append(c.Items, sideItem{Text: "Data year: " + e.DataYear})
				}
			}
			return c
		}},
	}
	for _, d := range set.Designations {
		page.Columns = append(page.Columns, sideColumn{Agency: l.Link(d.Agency), IRI: d.IRI})
	}
	for _, row := range rows {
		sr := sideRow{Label: row.label, Differs: row.differs}
		for _, d := range set.Designations {
			sr.Cells = append(sr.Cells, row.cell(d))
		}
		page.Rows = append(page.Rows, sr)
	}
	return page, l.Err()
}

func statusText(d catalog.DesignationView, day string) string {
	switch d.StatusOn(day) {
	case catalog.StatusRetiredNow:
		s := "Retired"
		if d.RetiredOn != "" {
			s += " " + formatDate(dateOnly(d.RetiredOn))
		}
		if d.RetirementReason != "" {
			s += ": " + d.RetirementReason
		}
		return s
	case catalog.StatusNotYet:
		return "Not yet in force (from " + formatDate(d.ValidFrom) + ")"
	case catalog.StatusExpired:
		return "Expired (through " + formatDate(d.ValidThrough) + ")"
	}
	return "In force"
}

func dateOnly(s string) string {
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// href is the link a page uses for iri: its path when under the base.
func (s *Server) href(iri string) string {
	if p, ok := s.base.Path(iri); ok {
		return p
	}
	return iri
}

// --- history --------------------------------------------------------------

// historyAnswer lists a record's change-log entries.
type historyAnswer struct {
	Resource string            `json:"resource"`
	Changes  []registry.Change `json:"changes"`
	Note     string            `json:"note"`
}

const historyNote = "Each entry names who wrote the record (the agency of the token), when, the action and the content hash of the version written. The change log keeps hashes, not earlier versions, so it cannot list the statements a change added or removed."

// history serves GET /resources/{id}/history.
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	id, iri, ok := s.resourceID(w, r)
	if !ok {
		return
	}
	html, ok := pickPage(w, r)
	if !ok {
		return
	}
	changes, err := s.store.History(r.Context(), iri)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if len(changes) == 0 {
		writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("no record with IRI %s", iri))
		return
	}
	a := historyAnswer{Resource: iri, Changes: changes, Note: historyNote}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if !html {
		writeJSON(w, r, http.StatusOK, a)
		return
	}
	l := s.newLabeler(r.Context())
	title := l.Link(iri).Label
	if title == "" {
		title = id
	}
	if l.Err() != nil {
		s.internalError(w, r, l.Err())
		return
	}
	s.writePage(w, r, http.StatusOK, "history", historyPage{
		pageData: pageData{Title: "History: " + title, Base: s.base.String(), Section: "credentials", Alternates: []alternate{{typeJSON, "?format=json", "JSON"}}},
		Name:     title, Answer: a,
	})
}

type historyPage struct {
	pageData
	Name   string
	Answer historyAnswer
}

type checkPage struct {
	pageData
	Name, CTID, Date string
	Answer           *catalog.Check
	Ambiguous        *catalog.Ambiguous
	// NotFound explains a name that matched no credential; Suggestions
	// are the closest ones.
	NotFound    string
	Suggestions []catalog.Candidate
}

// --- bulk lookup ----------------------------------------------------------

// lookup serves POST /resources/lookup: the body is a JSON array of CTIDs
// (or of /resources/{ctid} IRIs), or {"ctids": [...]}; at most
// registry.MaxLookup of them in at most maxLookupBytes. The answer is one
// JSON-LD document (see registry.LookupResult): unknown CTIDs are listed
// under credreg:unknown and malformed ones under credreg:malformed, and
// neither makes the request fail.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != typeJSON && !strings.HasSuffix(mt, "+json") {
			writeProblem(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send application/json, a list of CTIDs or {\"ctids\": [...]}", ct))
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxLookupBytes+1))
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("reading the body: %v", err))
		return
	}
	if len(body) > maxLookupBytes {
		writeProblem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over the limit of %d bytes; send at most %d CTIDs at once", maxLookupBytes, catalog.MaxLookup))
		return
	}
	ids, err := parseLookupBody(body)
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if len(ids) == 0 {
		writeProblem(w, r, http.StatusBadRequest, "no CTIDs given: send a JSON list of CTIDs or {\"ctids\": [...]}")
		return
	}
	if len(ids) > catalog.MaxLookup {
		writeProblem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("%d CTIDs given; at most %d at once: split the batch", len(ids), catalog.MaxLookup))
		return
	}
	res, err := s.cat.Lookup(r.Context(), ids)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	h := w.Header()
	h.Add("Vary", "Accept")
	if _, mt := negotiateType(r.Header.Get("Accept")); mt == typeJSON {
		h.Set("Content-Type", typeJSON)
	} else {
		h.Set("Content-Type", typeJSONLD)
	}
	h.Set("Cache-Control", "no-store")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Link", fmt.Sprintf(`<%s>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`, s.base.Context()))
	h.Set("Content-Length", strconv.Itoa(len(res.JSONLD)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.JSONLD)
}

// parseLookupBody reads a JSON array of strings or {"ctids": [...]}.
func parseLookupBody(body []byte) ([]string, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, nil
	}
	var raw []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	switch trimmed[0] {
	case '[':
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("the body is not a JSON list of CTIDs: %v", err)
		}
	case '{':
		var obj struct {
			CTIDs []json.RawMessage `json:"ctids"`
		}
		dec.DisallowUnknownFields()
		if err := dec.Decode(&obj); err != nil {
			return nil, fmt.Errorf("the body is not {\"ctids\": [...]}: %v", err)
		}
		raw = obj.CTIDs
	default:
		return nil, errors.New("the body is not JSON: send a list of CTIDs or {\"ctids\": [...]}")
	}
	if dec.More() {
		return nil, errors.New("the body has data after its JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("the body has data after its JSON value")
	}
	ids := make([]string, len(raw))
	var bad []string
	for i, m := range raw {
		if err := json.Unmarshal(m, &ids[i]); err != nil {
			bad = append(bad, fmt.Sprintf("ctids[%d] is %s, not a string", i, m))
		}
	}
	if len(bad) > 0 {
		if len(bad) > 10 {
			bad = append(bad[:10], fmt.Sprintf("and %d more", len(bad)-10))
		}
		return nil, fmt.Errorf("every CTID must be a JSON string: %s", strings.Join(bad, "; "))
	}
	return ids, nil
}

// writePage renders the page name with data (see siteTemplates).
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	b, err := renderPage(name, data)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeHTML(w, r, status, b)
}
