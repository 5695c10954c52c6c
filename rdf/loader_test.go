package rdf

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"credreg/schema"
)

func TestDocumentLoaderNeverFetches(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/ld+json")
		_, _ = w.Write([]byte(`{"@context":{"name":"http://schema.org/name"}}`))
	}))
	defer srv.Close()
	base := testBase(t)
	for _, ctx := range []string{srv.URL + "/context.jsonld", "/etc/hostname", "file:///etc/passwd", "https://credentialengineregistry.org/nonexistent.json"} {
		doc := `{"@context":"` + ctx + `","@id":"resources/ce-11111111-1111-4111-8111-111111111111","name":"x"}`
		_, err := ParseJSONLD(base, []byte(doc))
		if err == nil {
			t.Errorf("context %q was accepted", ctx)
			continue
		}
		if !errors.Is(err, ErrRemoteContext) && !strings.Contains(err.Error(), "unknown remote JSON-LD context") {
			t.Errorf("context %q: error %v does not say it is an unknown remote context", ctx, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loader made %d HTTP requests", n)
	}
	l := NewDocumentLoader(base)
	for i := 0; i < maxContextLoads; i++ {
		if _, err := l.LoadDocument(schema.ContextURL); err != nil {
			t.Fatalf("load %d: %v", i, err)
		}
	}
	if _, err := l.LoadDocument(schema.ContextURL); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("load past the cap = %v, want a cycle error", err)
	}
}
