package server

// GET /credentials: the umbrella list, filtered and paged, as JSON-LD,
// N-Quads, CSV (every matching credential × designation, in the layout
// the importer reads) and HTML.

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"credreg/catalog"
	"credreg/ingest"
	"credreg/registry"
)

// List parameter limits.
const (
	maxListValue  = 500 // bytes of one parameter value
	maxListValues = 50  // values of one parameter
)

// listParams are the parameters GET /credentials takes; the filters take
// several values.
var listParams = map[string]bool{
	"cluster": true, "subcluster": true, "soc": true, "cip": true, "naics": true, "competency": true,
	"agency": true, "region": true, "criteria": true, "type": true,
	"active": false, "verifiedSince": false, "q": false, "cursor": false, "limit": false, "format": false,
}

// listOffers are the representations of the list.
var listOffers = append(append([]offer{}, offers...), offer{typeCSV, formatCSV})

// parseListQuery reads the list's parameters, refusing unknown ones,
// repeats of single ones and oversized values.
func parseListQuery(v url.Values) (catalog.ListQuery, url.Values, *problem) {
	var q catalog.ListQuery
	bad := func(param, detail string) (catalog.ListQuery, url.Values, *problem) {
		return q, nil, &problem{Status: http.StatusBadRequest, Detail: detail, Parameter: param}
	}
	var names []string
	for name := range v {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		multi, known := listParams[name]
		if !known {
			var allowed []string
			for p := range listParams {
				allowed = append(allowed, p)
			}
			sort.Strings(allowed)
			return bad(name, fmt.Sprintf("unknown parameter %q; the list takes %s", name, strings.Join(allowed, ", ")))
		}
		vals := v[name]
		if !multi && len(vals) > 1 {
			return bad(name, fmt.Sprintf("%s is given %d times; give it once", name, len(vals)))
		}
		if len(vals) > maxListValues {
			return bad(name, fmt.Sprintf("%s is given %d times; at most %d", name, len(vals), maxListValues))
		}
		for _, val := range vals {
			if len(val) > maxListValue {
				return bad(name, fmt.Sprintf("a value of %s is %d bytes long; at most %d", name, len(val), maxListValue))
			}
		}
	}
	// A form sends its empty fields: they filter nothing.
	clean := url.Values{}
	for name, vals := range v {
		for _, val := range vals {
			if strings.TrimSpace(val) != "" {
				clean[name] = append(clean[name], val)
			}
		}
	}
	v = clean
	q.Cluster, q.SubCluster, q.SOC, q.CIP, q.NAICS = v["cluster"], v["subcluster"], v["soc"], v["cip"], v["naics"]
	q.Competency, q.Agency, q.Region, q.Criteria, q.Type = v["competency"], v["agency"], v["region"], v["criteria"], v["type"]
	q.Active, q.VerifiedSince, q.Text, q.Cursor = v.Get("active"), v.Get("verifiedSince"), v.Get("q"), v.Get("cursor")
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > catalog.MaxListLimit {
			return bad("limit", fmt.Sprintf("limit=%q: the page size must be a number from 1 to %d", l, catalog.MaxListLimit))
		}
		q.Limit = n
	}
	return q, v, nil
}

// listFormatNames are the ?format= names of the list: a record's and csv.
var listFormatNames = func() map[string]format {
	m := map[string]format{"csv": formatCSV}
	for k, v := range formatByName {
		m[k] = v
	}
	return m
}()

// pickListFormat negotiates the list's (and the report's) representation,
// honouring ?format=jsonld|nq|ttl|csv|html.
func pickListFormat(w http.ResponseWriter, r *http.Request) (format, bool) {
	return pickAmong(w, r, listOffers, listFormatNames)
}

// listError answers a query the registry refused (400), or could not
// answer now (503 with Retry-After).
func (s *Server) listError(w http.ResponseWriter, r *http.Request, err error) {
	var qe *registry.QueryError
	if errors.As(err, &qe) {
		writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Detail: fmt.Sprintf("%s=%q: %s", qe.Param, qe.Value, qe.Message),
			Parameter: qe.Param, Candidates: qe.Candidates})
		return
	}
	var busy *registry.BusyError
	if errors.As(err, &busy) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(busy.RetryAfter.Seconds()))))
		writeProblem(w, r, http.StatusServiceUnavailable, busy.Reason)
		return
	}
	s.internalError(w, r, err)
}

// listURL is the list's URL with the query's filters (not its cursor,
// limit or format) in a stable order, plus extra parameters.
func (s *Server) listURL(v url.Values, extra ...string) string {
	keep := url.Values{}
	for name, vals := range v {
		switch name {
		case "cursor", "limit", "format":
			continue
		}
		keep[name] = vals
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] != "" {
			keep.Set(extra[i], extra[i+1])
		}
	}
	u := s.base.String() + "/credentials"
	if enc := keep.Encode(); enc != "" {
		u += "?" + enc
	}
	return u
}

func (s *Server) credentials(w http.ResponseWriter, r *http.Request) {
	q, v, p := parseListQuery(r.URL.Query())
	if p != nil {
		writeProblemDoc(w, r, *p)
		return
	}
	f, ok := pickListFormat(w, r)
	if !ok {
		return
	}
	if f == formatCSV {
		s.exportList(w, r, q)
		return
	}
	page, err := s.cat.List(r.Context(), q)
	if err != nil {
		s.listError(w, r, err)
		return
	}
	limit := ""
	if q.Limit != 0 {
		limit = strconv.Itoa(q.Limit)
	}
	links := catalog.ListLinks{
		Collection: s.listURL(v),
		View:       s.listURL(v, "limit", limit, "cursor", q.Cursor),
		First:      s.listURL(v, "limit", limit),
	}
	if page.Next != "" {
		links.Next = s.listURL(v, "limit", limit, "cursor", page.Next)
	}
	if page.Prev != "" {
		links.Previous = s.listURL(v, "limit", limit, "cursor", page.Prev)
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=10")
	for rel, href := range map[string]string{"first": links.First, "next": links.Next, "prev": links.Previous} {
		if href != "" {
			h.Add("Link", fmt.Sprintf("<%s>; rel=%q", href, rel))
		}
	}
	var body []byte
	switch f {
	case formatHTML:
		facets, err := s.cat.Facets(r.Context())
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		s.writePage(w, r, http.StatusOK, "list", s.listPage(v, q, page, facets, links))
		return
	case formatJSONLD, formatNQuads, formatTurtle:
		if f == formatJSONLD {
			js, err := page.JSONLD(s.base, links)
			if err != nil {
				s.internalError(w, r, err)
				return
			}
			body = js
		} else {
			body = page.NQuads(links)
		}
		h.Add("Link", fmt.Sprintf(`<%s>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`, s.base.Context()))
	}
	if h.Get("Content-Type") != typeJSON {
		h.Set("Content-Type", f.contentType())
	}
	sum := sha256.Sum256(body)
	h.Set("ETag", fmt.Sprintf(`"%s-%s-%s"`, hex.EncodeToString(sum[:8]), s.renderTag, f))
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(body)))
}

// exportList streams every matching credential × designation as CSV, from
// the cursor on, a page of the list at a time (one page when a limit is
// given). The rows follow the importer's layout (ingest.ExportHeader).
func (s *Server) exportList(w http.ResponseWriter, r *http.Request, q catalog.ListQuery) {
	one := q.Limit != 0
	if !one {
		q.Limit = catalog.MaxListLimit
	}
	page, err := s.cat.List(r.Context(), q)
	if err != nil {
		s.listError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", formatCSV.contentType())
	day := page.Day
	if day == "" {
		day = "any"
	}
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="credentials-%s.csv"`, day))
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Total-Count", strconv.Itoa(page.Total))
	if r.Method == http.MethodHead {
		return
	}
	// A byte-order mark, so that spreadsheet programs read UTF-8.
	out := s.stream(w)
	if _, err := out.Write([]byte("\ufeff")); err != nil {
		return
	}
	cw := csv.NewWriter(out)
	_ = cw.Write(ingest.ExportHeader)
	for {
		for _, row := range ingest.ListRows(page) {
			if err := cw.Write(row); err != nil {
				return
			}
		}
		if one || page.Next == "" {
			break
		}
		q.Cursor = page.Next
		if page, err = s.cat.List(r.Context(), q); err != nil {
			// Cut the connection: a client must not take a short file
			// for the whole list.
			s.log.ErrorContext(r.Context(), "list export cut short", "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	cw.Flush()
}

// --- the list page ----------------------------------------------------------

type listPageData struct {
	pageData
	Query      catalog.ListQuery
	Day        string
	Total      int
	Items      []listRow
	Caption    string
	Filters    []catalog.ListFilter
	Facets     *catalog.ListFacets
	Next, Prev string
	CSV        string
	AnyDay     bool
}

type listRow struct {
	Href, Name, CTID, Check string
	Types                   []string
	Owners                  []link
	Retired                 bool
	SupersededBy            []link
	Designations            []listDesignation
}

type listDesignation struct {
	Href     string
	Agency   link
	Where    []link // Clusters and Sub-Clusters
	Region   string
	Period   string
	Status   string
	Criteria []string
}

func (s *Server) listPage(v url.Values, q catalog.ListQuery, page *catalog.ListPage, facets *catalog.ListFacets, links catalog.ListLinks) *listPageData {
	title := "Credentials of value"
	if page.Day == "" {
		title = "Credentials"
	}
	d := &listPageData{
		pageData: pageData{Title: title, Base: s.base.String(), Section: "credentials", Search: q.Text, Alternates: []alternate{
			{typeJSONLD, localURL(v, "jsonld"), "JSON-LD"},
			{typeNQuads, localURL(v, "nq"), "N-Quads"},
			{typeCSV, localURL(v, "csv"), "CSV (every match, for spreadsheets)"},
		}},
		Query: q, Day: page.Day, Total: page.Total, Filters: page.Filters, Facets: facets,
		AnyDay: page.Day == "", CSV: localURL(v, "csv"),
	}
	if links.Next != "" {
		d.Next = s.href(links.Next)
	}
	if links.Previous != "" {
		d.Prev = s.href(links.Previous)
	}
	d.Items = s.listRows(page)
	d.Caption = "Credentials in name order; under each, the designations that put it on this list."
	if q.Text != "" {
		d.Caption = "Credentials, best matches first; under each, the designations that put it on this list."
	}
	return d
}

// listRows arranges a list page's credentials and their designations for
// a page.
func (s *Server) listRows(page *catalog.ListPage) []listRow {
	name := func(iri string) link {
		t := page.Terms[iri]
		l := link{IRI: iri, Label: t.Label, Code: t.Notation}
		if l.Label == "" {
			l.Label = iri
		}
		return l
	}
	day := page.Day
	if day == "" {
		day = today()
	}
	rows := make([]listRow, 0, len(page.Items))
	for _, it := range page.Items {
		v := it.Credential
		row := listRow{Href: s.href(v.IRI), Name: v.Name, CTID: v.CTID, Check: "/check?ctid=" + url.QueryEscape(v.CTID), Retired: v.Retired}
		if row.Name == "" {
			row.Name = v.IRI
		}
		for _, t := range v.Types {
			row.Types = append(row.Types, name(t).Label)
		}
		for _, o := range v.OwnedBy {
			row.Owners = append(row.Owners, name(o))
		}
		for _, o := range v.SupersededBy {
			row.SupersededBy = append(row.SupersededBy, name(o))
		}
		for _, des := range it.Designations {
			ld := listDesignation{Href: s.href(des.IRI), Agency: name(des.Agency), Region: des.Region}
			for _, c := range des.Clusters {
				ld.Where = append(ld.Where, name(c))
			}
			for _, c := range des.SubClusters {
				ld.Where = append(ld.Where, name(c))
			}
			for _, c := range des.Criteria {
				ld.Criteria = append(ld.Criteria, name(c).Label)
			}
			switch {
			case des.ValidFrom != "" && des.ValidThrough != "":
				ld.Period = formatDate(des.ValidFrom) + " to " + formatDate(des.ValidThrough)
			case des.ValidFrom != "":
				ld.Period = "from " + formatDate(des.ValidFrom)
			case des.ValidThrough != "":
				ld.Period = "through " + formatDate(des.ValidThrough)
			}
			ld.Status = des.StatusOn(day)
			row.Designations = append(row.Designations, ld)
		}
		rows = append(rows, row)
	}
	return rows
}

// localURL is the list's path with the query's parameters and format.
func localURL(q url.Values, format string) string {
	v := url.Values{}
	for k, vals := range q {
		v[k] = vals
	}
	v.Set("format", format)
	if format == "csv" {
		v.Del("cursor")
		v.Del("limit")
	}
	return "/credentials?" + v.Encode()
}
