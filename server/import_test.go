package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"credreg/fixtures"
	"credreg/registry"
	"credreg/schema"
)

// newImportServer runs a Server configured by cfg over a real Badger store
// with the fixtures loaded, on a loopback port.
func newImportServer(t *testing.T, cfg Config) (*httptest.Server, *registry.Store) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base, _ := schema.NewBase("http://" + srv.Listener.Addr().String())
	store, err := registry.Open(context.Background(), "badger://"+t.TempDir(), registry.Options{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if _, err := fixtures.Load(context.Background(), store, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Logger = store, slog.New(slog.DiscardHandler)
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, store
}

func post(t *testing.T, url, token, contentType, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

const sheet = "Credential Name,Owner,Type,Sub-Cluster,Region,In Demand,Valid From\n" +
	"Cloud Support Associate,Acme Cloud Academy,Certification,IT Support & Services,Statewide,yes,2025-07-01\n" +
	"Broken,Acme Cloud Academy,Certification,Nowhere,Statewide,yes,2025-07-01\n"

// tokenFor makes a write token for the fixture agency named name.
func tokenFor(t *testing.T, store *registry.Store, name string) (string, string) {
	t.Helper()
	ctx := context.Background()
	iri, err := store.FindOrganization(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := store.CreateToken(ctx, iri, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return secret, iri
}

func TestImportOverHTTP(t *testing.T) {
	srv, store := newImportServer(t, Config{MaxImportBytes: 4096})
	token, agency := tokenFor(t, store, "Heartland Workforce Commission")
	url := srv.URL + "/import"
	for _, tc := range []struct {
		token, ct, body string
		status          int
		detail          string
	}{
		{"", "text/csv", sheet, 401, "bearer token"},
		{"wrong", "text/csv", sheet, 401, "bearer token"},
		{token, "application/pdf", sheet, 415, "not importable"},
		{token, "text/csv", strings.Repeat("x", 5000), 413, "over the limit of 4096"},
	} {
		code, body := post(t, url, tc.token, tc.ct, tc.body)
		if code != tc.status || !strings.Contains(body, tc.detail) {
			t.Errorf("token %q, %s: %d %s; want %d containing %q", tc.token, tc.ct, code, body, tc.status, tc.detail)
		}
	}
	if store.Sequence() == 0 {
		t.Fatal("fixtures missing")
	}
	before := store.Sequence()
	code, body := post(t, url+"?dry_run=true", token, "text/csv", sheet)
	if code != 200 || store.Sequence() != before {
		t.Fatalf("dry run: %d, sequence %d -> %d\n%s", code, before, store.Sequence(), body)
	}
	code, body = post(t, url, token, "text/csv; charset=utf-8", sheet)
	var rep struct {
		Units, Imported, Failed, Written int
		Problems                         []struct {
			Row    int
			Column string
		}
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil || code != 200 {
		t.Fatalf("import: %d %s", code, body)
	}
	if rep.Units != 2 || rep.Imported != 1 || rep.Failed != 1 || rep.Written == 0 || len(rep.Problems) == 0 || rep.Problems[0].Row != 3 || rep.Problems[0].Column != "Sub-Cluster" {
		t.Errorf("report = %+v", rep)
	}
	changes, _ := store.Changes(context.Background(), before, 10)
	for _, c := range changes {
		if c.Actor != agency {
			t.Errorf("change %d by %q, want the token's agency", c.Seq, c.Actor)
		}
	}
	var buf bytes.Buffer
	buf.WriteString("x")
	if code, _ := post(t, url, token, "", buf.String()); code != 415 {
		t.Errorf("no Content-Type: %d, want 415", code)
	}
}
