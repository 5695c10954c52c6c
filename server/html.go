package server

// The HTML pages: one set of templates (html/template, which escapes every
// value) sharing the site layout, the functions that format values for
// people, and the schema.org description each page embeds.

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"credreg/registry"
	"credreg/schema"
)

//go:embed templates/*.html
var templateFS embed.FS

type alternate struct{ Type, Href, Label string }

// htmlCSP is the Content-Security-Policy of every HTML page: no script
// runs (an embedded application/ld+json block is data, not script), styles
// are the page's own, images only from the registry or data: URLs, forms
// post only to the registry.
const htmlCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// pageData is what the layout of every page reads; each page's own data
// embeds it.
type pageData struct {
	Title      string
	Base       string
	Alternates []alternate
	// Section names the site header's entry the page belongs to
	// ("credentials", "clusters", "check", "reports", "organizations"),
	// marked as the current one.
	Section string
	// Search is the text to show in the header's search box.
	Search string
	// SchemaOrg is the page's schema.org description as JSON-LD, embedded
	// in a <script type="application/ld+json"> block; see schemaOrgJSON.
	SchemaOrg template.JS
	// Print marks a page with a print style of its own.
	Print bool
}

// recordPage is the generic page of a record: its statements as a table.
type recordPage struct {
	pageData
	View    *registry.View
	Doc     *registry.Document
	Members []registry.Value
	// MembersNote says how Members were cut short, "" when they were not.
	MembersNote string
}

// pageFiles maps each page to the template file that defines its
// "NAME-content" block.
var pageFiles = map[string]string{
	"record":        "record.html",
	"home":          "home.html",
	"check":         "check.html",
	"designations":  "designations.html",
	"history":       "designations.html",
	"list":          "list.html",
	"report":        "report.html",
	"credential":    "credential.html",
	"organization":  "organization.html",
	"organizations": "organization.html",
	"concept":       "concept.html",
	"error":         "error.html",
}

// templateFuncs are the functions every page may call.
var templateFuncs = template.FuncMap{
	"path":       pathOf,
	"fragment":   fragmentOf,
	"notation":   notationOf,
	"money":      formatMoney,
	"count":      formatCount,
	"date":       formatDate,
	"sideItemOf": func(it sideItem, mark bool) markedItem { return markedItem{it, mark} },
	"has": func(list []string, v string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	},
	"web": isWebURL,
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
}

// siteTemplates parses every page once: the layout, with the page's own
// content, and the shared blocks of the files a page uses.
var siteTemplates = sync.OnceValues(func() (map[string]*template.Template, error) {
	layout, err := template.New("layout").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html", "templates/blocks.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	out := map[string]*template.Template{}
	for name, file := range pageFiles {
		t, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(templateFS, "templates/"+file); err != nil {
			return nil, fmt.Errorf("parse %s: %w", file, err)
		}
		if t, err = t.Parse(`{{define "content"}}{{template "` + name + `-content" .}}{{end}}`); err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
})

// renderPage renders the page name with data.
func renderPage(name string, data any) ([]byte, error) {
	ts, err := siteTemplates()
	if err != nil {
		return nil, err
	}
	t, ok := ts[name]
	if !ok {
		return nil, fmt.Errorf("no page template %q", name)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		return nil, fmt.Errorf("render %s page: %w", name, err)
	}
	return b.Bytes(), nil
}

// setHTMLHeaders sets the headers every HTML page carries.
func setHTMLHeaders(h http.Header) {
	h.Set("Content-Type", typeHTML+"; charset=utf-8")
	h.Set("Content-Security-Policy", htmlCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
}

// writeHTML answers with a rendered page.
func writeHTML(w http.ResponseWriter, r *http.Request, status int, b []byte) {
	h := w.Header()
	setHTMLHeaders(h)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// schemaOrgJSON encodes v, a schema.org description, for a
// <script type="application/ld+json"> block. encoding/json escapes <, >
// and & as \u003c, \u003e and \u0026, so no value can end the script or
// open a comment; U+2028 and U+2029 are escaped too.
func schemaOrgJSON(v any) template.JS {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return template.JS(b)
}

// schemaOrgContext is the context of every embedded description: schema.org
// as the vocabulary, given inline so that no processor fetches anything.
var schemaOrgContext = map[string]string{"@vocab": "https://schema.org/"}

// renderTag hashes what a rendering depends on besides the record: the
// JSON-LD context, the page templates and renderVersion.
func renderTag() string {
	h := sha256.New()
	h.Write([]byte(renderVersion))
	h.Write(schema.ContextDocument())
	_ = fs.WalkDir(templateFS, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := templateFS.ReadFile(path)
			h.Write([]byte(path))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:8]
}

// isWebURL reports whether s is an http or https URL: a page links only
// those, and shows any other IRI as text.
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// pathOf is the link a page gives an absolute IRI: its path (the pages are
// served under the base).
func pathOf(iri string) string {
	if u, err := url.Parse(iri); err == nil && u.IsAbs() {
		return u.RequestURI() + fragmentSuffix(u)
	}
	return iri
}

func fragmentOf(iri string) string {
	if i := strings.IndexByte(iri, '#'); i >= 0 {
		return iri[i+1:]
	}
	return iri
}

func notationOf(iri string) string {
	if i := strings.LastIndexByte(iri, '/'); i >= 0 {
		return iri[i+1:]
	}
	return ""
}

func fragmentSuffix(u *url.URL) string {
	if u.Fragment == "" {
		return ""
	}
	return "#" + u.Fragment
}

// formatMoney writes an amount in US dollars for people: "$58,920", or
// "$21.50" when it has cents. What is not a number is returned as it is.
func formatMoney(v any) string {
	s := strings.TrimSpace(fmt.Sprint(v))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return s
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	cents := int64(math.Round(f * 100))
	out := sign + "$" + groupDigits(strconv.FormatInt(cents/100, 10))
	if cents%100 != 0 {
		out += fmt.Sprintf(".%02d", cents%100)
	}
	return out
}

// formatCount writes a whole number with thousands separators: 12,345.
// What is not a whole number is returned as it is.
func formatCount(v any) string {
	var s string
	switch n := v.(type) {
	case int:
		s = strconv.Itoa(n)
	case int64:
		s = strconv.FormatInt(n, 10)
	case uint64:
		s = strconv.FormatUint(n, 10)
	default:
		s = strings.TrimSpace(fmt.Sprint(v))
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1e15 {
			s = strconv.FormatInt(int64(f), 10)
		} else {
			return s
		}
	}
	if strings.HasPrefix(s, "-") {
		return "-" + groupDigits(s[1:])
	}
	return groupDigits(s)
}

func groupDigits(d string) string {
	if len(d) <= 3 {
		return d
	}
	var b strings.Builder
	lead := len(d) % 3
	if lead > 0 {
		b.WriteString(d[:lead])
	}
	for i := lead; i < len(d); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(d[i : i+3])
	}
	return b.String()
}

// formatDate writes a date (YYYY-MM-DD, or the date of a timestamp) for
// people: "Nov 25, 2026". What is not a date is returned as it is.
func formatDate(v any) string {
	switch t := v.(type) {
	case time.Time:
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("Jan 2, 2006")
	}
	s := strings.TrimSpace(fmt.Sprint(v))
	if len(s) >= 10 {
		if d, err := time.Parse("2006-01-02", s[:10]); err == nil {
			return d.Format("Jan 2, 2006")
		}
	}
	return s
}
