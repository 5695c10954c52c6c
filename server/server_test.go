package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// newTestServer runs a Server over a real Badger store with the fixtures
// loaded, on a loopback port.
func newTestServer(t *testing.T) (*httptest.Server, *registry.Store) {
	t.Helper()
	return newImportServer(t, Config{})
}

func do(t *testing.T, method, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

const securityPlus = "ce-753d4e3a-bc16-4cc6-9d35-37f186c36532"

func TestConditionalGetAndHead(t *testing.T) {
	srv, _ := newTestServer(t)
	url := srv.URL + "/resources/" + securityPlus
	res, body := do(t, http.MethodGet, url, map[string]string{"Accept": "application/ld+json"})
	etag := res.Header.Get("ETag")
	if res.StatusCode != 200 || etag == "" || res.Header.Get("Last-Modified") == "" {
		t.Fatalf("GET: %d, ETag %q, Last-Modified %q", res.StatusCode, etag, res.Header.Get("Last-Modified"))
	}
	if res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("reads are not open to other origins (CORS)")
	}
	res, _ = do(t, http.MethodGet, url, map[string]string{"Accept": "application/ld+json", "If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: %d, want 304", res.StatusCode)
	}
	// Each representation has its own tag.
	res, _ = do(t, http.MethodGet, url, map[string]string{"Accept": "application/n-quads", "If-None-Match": etag})
	if res.StatusCode != 200 {
		t.Errorf("N-Quads with the JSON-LD tag: %d, want 200", res.StatusCode)
	}
	res, headBody := do(t, http.MethodHead, url, map[string]string{"Accept": "application/ld+json"})
	if res.StatusCode != 200 || headBody != "" || res.Header.Get("Content-Length") != itoa(len(body)) {
		t.Errorf("HEAD: %d, body %q, Content-Length %s (GET body %d)", res.StatusCode, headBody, res.Header.Get("Content-Length"), len(body))
	}
	res, _ = do(t, http.MethodPost, url, nil)
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", res.StatusCode)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestHTMLIsEscaped(t *testing.T) {
	srv, store := newTestServer(t)
	base := store.Base()
	ctid := "ce-0badc0de-0000-4000-8000-000000000001"
	doc := `{"@context":"` + schema.ContextURL + `","id":"resources/` + ctid + `","type":"CredentialOrganization","ctid":"` + ctid + `",
	  "name":"<script>alert(1)</script> & Sons","description":"\"><img src=x onerror=alert(2)>","subjectWebpage":"https://example.org/?q=\"><script>alert(3)</script>"}`
	quads, err := rdf.ParseJSONLD(base, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := registry.GroupRecords(quads)
	if _, err := store.PutBatch(context.Background(), "test", recs); err != nil {
		t.Fatal(err)
	}
	res, body := do(t, http.MethodGet, srv.URL+"/resources/"+ctid, map[string]string{"Accept": "text/html"})
	if res.StatusCode != 200 {
		t.Fatalf("HTML: %d", res.StatusCode)
	}
	for _, bad := range []string{"<script>alert(1)", "<img src=x", "<script>alert(3)"} {
		if strings.Contains(body, bad) {
			t.Errorf("HTML contains unescaped %q", bad)
		}
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons") {
		t.Error("HTML does not show the escaped name")
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}

func TestSchemesAndConcepts(t *testing.T) {
	srv, _ := newTestServer(t)
	res, body := do(t, http.MethodGet, srv.URL+"/schemes", map[string]string{"Accept": "application/ld+json"})
	if res.StatusCode != 200 {
		t.Fatalf("/schemes: %d", res.StatusCode)
	}
	for _, s := range []string{"career-clusters", "soc", "naics", "cip", "value-criteria"} {
		if !strings.Contains(body, `"`+srv.URL+"/schemes/"+s+`"`) {
			t.Errorf("/schemes does not list %s", s)
		}
	}
	// The Framework: Clusters are top concepts, Sub-Clusters point up.
	_, body = do(t, http.MethodGet, srv.URL+"/schemes/career-clusters/060100", map[string]string{"Accept": "application/ld+json"})
	var cluster map[string]any
	if err := json.Unmarshal([]byte(body), &cluster); err != nil {
		t.Fatal(err)
	}
	if cluster["prefLabel"] != "Digital Technology" || cluster["topConceptOf"] != srv.URL+"/schemes/career-clusters" || cluster["crossCutting"] != "true" {
		t.Errorf("Digital Technology cluster = %v", cluster)
	}
	_, body = do(t, http.MethodGet, srv.URL+"/schemes/career-clusters/060103", map[string]string{"Accept": "application/ld+json"})
	if !strings.Contains(body, `"broader": [`+"\n    "+`"`+srv.URL+`/schemes/career-clusters/060100"`) {
		t.Errorf("Sub-Cluster 060103 does not name its Cluster:\n%s", body)
	}
	// The scheme's page lists its concepts with their labels.
	res, body = do(t, http.MethodGet, srv.URL+"/schemes/career-clusters", map[string]string{"Accept": "text/html"})
	if res.StatusCode != 200 || !strings.Contains(body, "Concepts in this scheme") || !strings.Contains(body, "Advanced Manufacturing") {
		t.Errorf("career-clusters page: %d, lacks its concept list", res.StatusCode)
	}
	res, body = do(t, http.MethodGet, srv.URL+"/context.jsonld", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/ld+json" || !strings.Contains(body, `"ceterms": "https://purl.org/ctdl/terms/"`) {
		t.Errorf("/context.jsonld: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	res, _ = do(t, http.MethodGet, srv.URL+"/resources/"+securityPlus, map[string]string{"Accept": "application/json"})
	if res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Accept application/json answered with %q", res.Header.Get("Content-Type"))
	}
}

// TestCancelledPageDoesNotBlankLaterOnes serves a record's page to a
// request whose context is already cancelled (a client that left), then
// GETs the page: it is rendered afresh and answered whole, not 200 with an
// empty body from a cached failure.
func TestCancelledPageDoesNotBlankLaterOnes(t *testing.T) {
	srv, _ := newTestServer(t)
	url := srv.URL + "/resources/" + securityPlus
	// The document is cached (by a JSON-LD read) before the page is asked for.
	if res, _ := do(t, http.MethodGet, url, map[string]string{"Accept": "application/ld+json"}); res.StatusCode != 200 {
		t.Fatalf("JSON-LD GET: %d", res.StatusCode)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodGet, url, nil).WithContext(ctx)
	req.Header.Set("Accept", "text/html")
	srv.Config.Handler.ServeHTTP(httptest.NewRecorder(), req)
	for i := 0; i < 2; i++ {
		res, body := do(t, http.MethodGet, url, map[string]string{"Accept": "text/html"})
		if res.StatusCode != 200 || !strings.Contains(body, "</html>") || !strings.Contains(body, "<title>CompTIA Security") {
			t.Fatalf("GET %d after a cancelled one: %d, %d bytes:\n%.300s", i+1, res.StatusCode, len(body), body)
		}
	}
}
