package server

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestGzip(t *testing.T) {
	srv, _ := newUmbrellaServer(t)
	url := srv.URL + "/resources/" + umbNREMT
	plainRes, plain := do(t, http.MethodGet, url, map[string]string{"Accept": "application/ld+json", "Accept-Encoding": "identity"})
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "application/ld+json")
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("Content-Encoding %q, Vary %q", res.Header.Get("Content-Encoding"), res.Header.Values("Vary"))
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if string(body) != plain {
		t.Error("the compressed body is not the plain one")
	}
	etag := res.Header.Get("ETag")
	if etag == plainRes.Header.Get("ETag") || !strings.HasSuffix(etag, `-gzip"`) {
		t.Errorf("ETags: compressed %s, plain %s", etag, plainRes.Header.Get("ETag"))
	}
	// A conditional request with the compressed ETag: 304.
	req.Header.Set("If-None-Match", etag)
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match %s: %d", etag, res2.StatusCode)
	}
	for _, ae := range []string{"gzip;q=0", "br", "identity"} {
		res, _ := do(t, http.MethodGet, url, map[string]string{"Accept": "application/ld+json", "Accept-Encoding": ae})
		if res.Header.Get("Content-Encoding") != "" {
			t.Errorf("Accept-Encoding %q: compressed", ae)
		}
	}
	// A streamed body (no length) is compressed once large enough.
	res4, _ := do(t, http.MethodGet, srv.URL+"/credentials?format=csv&active=any", map[string]string{"Accept-Encoding": "gzip"})
	if res4.Header.Get("Content-Encoding") != "gzip" {
		t.Error("the CSV export was not compressed")
	}
	// Small bodies go plain.
	res3, _ := do(t, http.MethodGet, srv.URL+"/healthz", map[string]string{"Accept-Encoding": "gzip"})
	if res3.Header.Get("Content-Encoding") != "" {
		t.Error("a small body was compressed")
	}
}
