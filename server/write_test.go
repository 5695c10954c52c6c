package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func send(t *testing.T, method, url, token, body string) (int, http.Header, string) {
	t.Helper()
	return sendWith(t, method, url, token, body, nil)
}

const nremt = "ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a"

func designationBody(base, agency string) string {
	d := map[string]any{
		"type":       "ValueDesignation",
		"credential": base + "/resources/" + nremt,
		"subCluster": base + "/schemes/career-clusters/040301",
		"cluster":    base + "/schemes/career-clusters/040300",
		"region":     "Northeast Heartland Workforce Region",
		"validFrom":  "2026-07-01",
		"criterion":  []string{base + "/schemes/value-criteria/in-demand"},
	}
	if agency != "" {
		d["agency"] = agency
	}
	b, _ := json.Marshal(d)
	return string(b)
}

func TestDesignationWritesAreBoundToTheTokensAgency(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	tokA, agencyA := tokenFor(t, store, "Heartland Workforce Commission")
	tokB, agencyB := tokenFor(t, store, "Heartland Department of Education")
	base := store.Base().String()

	// Without a token, or with a wrong one: 401.
	for _, tok := range []string{"", "crt_000000000000_nope", tokA + "x"} {
		if code, h, _ := send(t, http.MethodPost, srv.URL+"/designations", tok, designationBody(base, "")); code != 401 || h.Get("WWW-Authenticate") == "" {
			t.Errorf("token %q: %d, want 401 with WWW-Authenticate", tok, code)
		}
	}
	// A designates; the agency comes from the token.
	code, h, body := send(t, http.MethodPost, srv.URL+"/designations", tokA, designationBody(base, ""))
	if code != http.StatusCreated || !strings.HasPrefix(h.Get("Location"), "/resources/ce-") {
		t.Fatalf("create: %d %s\n%s", code, h.Get("Location"), body)
	}
	loc := h.Get("Location")
	if !strings.Contains(body, `"agency": "`+agencyA+`"`) {
		t.Errorf("the created designation does not name agency A:\n%s", body)
	}
	// A designation claiming another agency is refused.
	if code, _, body := send(t, http.MethodPost, srv.URL+"/designations", tokA, designationBody(base, agencyB)); code != http.StatusForbidden {
		t.Errorf("designating for another agency: %d %s", code, body)
	}
	// B may neither replace nor retire A's designation.
	if code, _, body := send(t, http.MethodPut, srv.URL+loc, tokB, designationBody(base, agencyB)); code != http.StatusForbidden || !strings.Contains(body, "a designation of "+agencyA+" (Heartland Workforce Commission); an agency writes only its own designations") {
		t.Errorf("B replaces A's designation: %d %s", code, body)
	}
	if code, _, body := send(t, http.MethodPost, srv.URL+loc+"/retire", tokB, `{"reason":"not ours"}`); code != http.StatusForbidden {
		t.Errorf("B retires A's designation: %d %s", code, body)
	}
	// A replaces it (new region), then retires it.
	next := strings.Replace(designationBody(base, agencyA), "Northeast Heartland Workforce Region", "Statewide", 1)
	if code, _, body := send(t, http.MethodPut, srv.URL+loc, tokA, next); code != http.StatusOK || !strings.Contains(body, `"region": "Statewide"`) {
		t.Errorf("A replaces: %d %s", code, body)
	}
	if code, _, body := send(t, http.MethodPost, srv.URL+loc+"/retire", tokA, `{"reason":"superseded by the 2027 list"}`); code != http.StatusOK || !strings.Contains(body, `"action": "retire"`) {
		t.Errorf("A retires: %d %s", code, body)
	}
	if code, _, _ := send(t, http.MethodPost, srv.URL+loc+"/retire", tokA, `{"reason":"again"}`); code != http.StatusConflict {
		t.Errorf("retiring twice: %d, want 409", code)
	}
	// Every write names agency A in the change log.
	changes, err := store.Changes(context.Background(), store.Sequence()-3, 10)
	if err != nil || len(changes) != 3 {
		t.Fatalf("changes = %v, %v", changes, err)
	}
	for _, c := range changes {
		if c.Actor != agencyA {
			t.Errorf("change %d (%s) by %q, want %q", c.Seq, c.Action, c.Actor, agencyA)
		}
	}
}

func TestWriteInputErrors(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	tok, _ := tokenFor(t, store, "Heartland Workforce Commission")
	base := store.Base().String()
	tests := []struct {
		method, path, body string
		status             int
		detail             string
	}{
		{http.MethodPost, "/designations", `{"type": "ValueDesignation", `, 400, "not a JSON-LD object"},
		{http.MethodPost, "/designations", `{"@context": "https://evil.example/ctx.jsonld", "type": "ValueDesignation"}`, 400, "unknown remote JSON-LD context"},
		{http.MethodPost, "/designations", `{"type": "Certification", "name": "x"}`, 400, "must be a ValueDesignation"},
		{http.MethodPost, "/designations", `{"type": "ValueDesignation", "region": "Statewide", "validFrom": "someday"}`, 422, "is not valid"},
		{http.MethodPost, "/designations", strings.Repeat(" ", 1<<20+1), 413, "over the limit"},
		{http.MethodPut, "/resources/not-a-ctid", designationBody(base, ""), 400, "malformed resource id"},
		{http.MethodPut, "/resources/ce-00000000-0000-4000-8000-0000000000ff", `{"type": "Organization", "name": "Typed by a term the context lacks"}`, 422, "CTDL's class is ceterms:Organization"},
		{http.MethodPut, "/resources/ce-00000000-0000-4000-8000-0000000000ff", `{"type": "Widget", "name": "x"}`, 422, `unknown type \"Widget\"`},
		{http.MethodPost, "/resources/" + nremt + "/retire", `{}`, 400, "give the reason"},
		{http.MethodPost, "/resources/ce-00000000-0000-4000-8000-000000000000/retire", `{"reason":"x"}`, 404, "no record"},
		{http.MethodDelete, "/resources/" + nremt, "", 405, "allowed: GET, HEAD, PUT"},
	}
	for _, tt := range tests {
		code, _, body := send(t, tt.method, srv.URL+tt.path, tok, tt.body)
		if code != tt.status || !strings.Contains(body, tt.detail) {
			t.Errorf("%s %s: %d %s; want %d containing %q", tt.method, tt.path, code, body, tt.status, tt.detail)
		}
	}
	// A 422 lists every problem with its field.
	_, _, body := send(t, http.MethodPost, srv.URL+"/designations", tok, `{"type": "ValueDesignation", "region": "Statewide", "validFrom": "someday"}`)
	var p struct {
		Problems []struct{ Field, Message string }
	}
	_ = json.Unmarshal([]byte(body), &p)
	fields := map[string]bool{}
	for _, x := range p.Problems {
		fields[x.Field] = true
	}
	for _, f := range []string{"credreg:credential", "credreg:cluster", "schema:validFrom"} {
		if !fields[f] {
			t.Errorf("422 problems %v lack %s", p.Problems, f)
		}
	}
}
