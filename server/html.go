package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"strings"

	"credreg/registry"
	"credreg/schema"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages renders HTML pages with html/template, which escapes every value.
type pages struct {
	recordT *template.Template
	homeT   *template.Template
}

type alternate struct{ Type, Href, Label string }

type pageData struct {
	Title      string
	Base       string
	Alternates []alternate
	View       *registry.View
	Doc        *registry.Document
	Members    []registry.Value
	Stats      registry.Stats
}

func newPages() (*pages, error) {
	base := template.New("layout").Funcs(template.FuncMap{
		"path": func(iri string) string {
			if u, err := url.Parse(iri); err == nil && u.IsAbs() {
				return u.RequestURI() + fragmentSuffix(u)
			}
			return iri
		},
		"fragment": func(iri string) string {
			if i := strings.IndexByte(iri, '#'); i >= 0 {
				return iri[i+1:]
			}
			return iri
		},
		"notation": func(iri string) string {
			if i := strings.LastIndexByte(iri, '/'); i >= 0 {
				return iri[i+1:]
			}
			return ""
		},
	})
	layout, err := base.ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	p := &pages{}
	for name, dst := range map[string]**template.Template{"record.html": &p.recordT, "home.html": &p.homeT} {
		clone, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		t, err := clone.ParseFS(templateFS, "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		*dst = t
	}
	return p, nil
}

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

func fragmentSuffix(u *url.URL) string {
	if u.Fragment == "" {
		return ""
	}
	return "#" + u.Fragment
}

func (p *pages) record(ctx context.Context, store *registry.Store, doc *registry.Document) ([]byte, error) {
	v, err := doc.View(ctx)
	if err != nil {
		return nil, err
	}
	data := pageData{
		Title: v.Title,
		Base:  store.Base().String(),
		View:  v,
		Doc:   doc,
		Alternates: []alternate{
			{typeJSONLD, "?format=jsonld", "JSON-LD"},
			{typeNQuads, "?format=nq", "N-Quads"},
			{typeTurtle, "?format=ttl", "Turtle"},
		},
	}
	for _, t := range v.Types {
		if t.Link == schema.ClassConceptScheme {
			if data.Members, err = store.Members(ctx, doc.IRI); err != nil {
				return nil, err
			}
		}
	}
	var b bytes.Buffer
	if err := p.recordT.ExecuteTemplate(&b, "layout", data); err != nil {
		return nil, fmt.Errorf("render page for %s: %w", doc.IRI, err)
	}
	return b.Bytes(), nil
}

func (p *pages) home(base schema.Base, st registry.Stats) ([]byte, error) {
	var b bytes.Buffer
	err := p.homeT.ExecuteTemplate(&b, "layout", pageData{Title: "Home", Base: base.String(), Stats: st})
	if err != nil {
		return nil, fmt.Errorf("render home page: %w", err)
	}
	return b.Bytes(), nil
}
