package server

// Errors for people: a browser that asked for a page gets an HTML page
// with the problem in words, the search box and, for a page that is not
// there, the closest pages that are. Every other client gets the same
// problem as application/problem+json.

import (
	"net/http"
	"sort"
	"strings"

	"credreg/schema"
)

// seeAlso is a page a problem suggests instead.
type seeAlso struct {
	Href  string `json:"href"`
	Label string `json:"label"`
}

// errorPage is the HTML form of a problem.
type errorPage struct {
	pageData
	Problem problem
}

// wantsPage reports whether r is a browser's read that should get an
// HTML error page: a GET or HEAD whose Accept puts HTML first, or
// ?format=html.
func wantsPage(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "html"
	}
	if r.Header.Get("Accept") == "" {
		return false
	}
	return negotiate(r.Header.Get("Accept")) == formatHTML
}

// writeErrorPage renders p as an HTML page; it reports false when the page
// cannot be rendered (the caller falls back to problem+json).
func writeErrorPage(w http.ResponseWriter, r *http.Request, p problem) bool {
	title := p.Title
	if p.Status == http.StatusNotFound {
		title = "Not found"
	}
	b, err := renderPage("error", errorPage{pageData: pageData{Title: title}, Problem: p})
	if err != nil {
		return false
	}
	h := w.Header()
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Accept")
	writeHTML(w, r, p.Status, b)
	return true
}

// notFound answers a read of something that is not there, with the
// closest pages that are.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, detail string) {
	writeProblemDoc(w, r, problem{Status: http.StatusNotFound, Detail: detail, SeeAlso: s.closestPages(r.URL.Path)})
}

// sitePages are the pages a mistyped path may have meant.
var sitePages = []seeAlso{
	{"/credentials", "Credentials of value"},
	{"/check", "Check a credential"},
	{"/reports/clusters", "Credentials of value by Career Cluster"},
	{"/organizations", "Organizations"},
	{"/schemes", "Code lists"},
	{"/schemes/career-clusters", "The National Career Clusters Framework"},
	{"/schemes/soc", "Occupations (SOC)"},
	{"/schemes/naics", "Industries (NAICS)"},
	{"/schemes/cip", "Programs (CIP)"},
	{"/changes", "Change feed"},
	{"/fragments", "Triple pattern fragments"},
	{"/.well-known/void", "Dataset description"},
	{"/openapi.json", "API description"},
}

// maxSeeAlso caps the pages a not-found answer suggests.
const maxSeeAlso = 6

// closestPages suggests pages for a path that names none: codes near a
// code the list lacks, or the site's pages nearest in spelling.
func (s *Server) closestPages(path string) []seeAlso {
	var out []seeAlso
	if rest, ok := strings.CutPrefix(path, "/schemes/"); ok {
		if scheme, code, ok := strings.Cut(rest, "/"); ok && code != "" {
			out = append(out, nearbyCodes(scheme, code)...)
		}
	}
	if strings.HasPrefix(path, "/resources/") {
		out = append(out, seeAlso{"/credentials", "Search the credentials"}, seeAlso{"/organizations", "Organizations"})
		return out
	}
	type scored struct {
		p seeAlso
		d int
	}
	var cands []scored
	lower := strings.ToLower(strings.TrimSuffix(path, "/"))
	for _, p := range sitePages {
		d := editDistance(lower, p.Href)
		if d <= len(p.Href)/3 || strings.HasPrefix(lower, p.Href+"/") {
			cands = append(cands, scored{p, d})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].d < cands[j].d })
	for _, c := range cands {
		if len(out) >= maxSeeAlso {
			break
		}
		out = append(out, c.p)
	}
	return out
}

// nearbyCodes are the codes of scheme's official list that share the
// longest start with code.
func nearbyCodes(scheme, code string) []seeAlso {
	list := schema.CodeList(scheme)
	if list == nil {
		return nil
	}
	best := 0
	var out []seeAlso
	for _, c := range list {
		n := commonPrefix(c.Notation, code)
		switch {
		case n > best:
			best, out = n, out[:0]
			fallthrough
		case n == best && n > 0 && len(out) < maxSeeAlso:
			out = append(out, seeAlso{"/schemes/" + scheme + "/" + c.Notation, c.Notation + " " + c.Title})
		}
	}
	return out
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
