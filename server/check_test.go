package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"credreg/catalog"
	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// TestCheckByForgivingName asks the check by the names people type: a
// short name, initials, a misspelt name.
func TestCheckByForgivingName(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	base := store.Base()
	ccna := "ce-5ea4c000-0000-4000-8000-0000000000c1"
	doc := `{"@context":"` + schema.ContextURL + `","id":"resources/` + ccna + `","type":"Certification","ctid":"` + ccna + `",
	  "name":"Cisco Certified Network Associate (CCNA)","ownedBy":"resources/ce-f7bc2f1f-1814-4c58-a483-38cf37c42a02"}`
	quads, err := rdf.ParseJSONLD(base, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := registry.GroupRecords(quads)
	if _, err := store.PutBatch(context.Background(), "test", recs); err != nil {
		t.Fatal(err)
	}
	check := func(name string, accept string) (*http.Response, string) {
		t.Helper()
		h := map[string]string{}
		if accept != "" {
			h["Accept"] = accept
		}
		return do(t, http.MethodGet, srv.URL+"/check?name="+url.QueryEscape(name), h)
	}

	for _, tc := range []struct{ name, want, by string }{
		{"ccna", "Cisco Certified Network Associate (CCNA)", catalog.MatchedByShortName},
		{"CCNA", "Cisco Certified Network Associate (CCNA)", catalog.MatchedByShortName},
		{"cisco certified network associate (ccna)", "Cisco Certified Network Associate (CCNA)", catalog.MatchedByName},
		{"CNA", "Certified Nursing Assistant", catalog.MatchedByShortName},
		{"NREMT", "Nationally Registered Emergency Medical Technician (NREMT)", catalog.MatchedByShortName},
	} {
		res, body := check(tc.name, "")
		var a catalog.Check
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			t.Fatalf("%q: %v\n%s", tc.name, err, body)
		}
		if res.StatusCode != 200 || a.Credential.Name != tc.want || a.MatchedBy != tc.by {
			t.Errorf("check?name=%s: %d %q matched by %q, want %q by %q", tc.name, res.StatusCode, a.Credential.Name, a.MatchedBy, tc.want, tc.by)
		}
	}
	// A check by CTID says nothing about names.
	_, body := do(t, http.MethodGet, srv.URL+"/check?ctid="+ccna, nil)
	if strings.Contains(body, "matchedBy") {
		t.Errorf("check by CTID has matchedBy:\n%.300s", body)
	}

	// A misspelt name: 404 with the closest credentials, best first.
	for _, tc := range []struct{ name, first string }{
		{"Cisco Certified Network Asociate", "Cisco Certified Network Associate (CCNA)"},
		{"certified nursing asisstant", "Certified Nursing Assistant"},
		{"Security+ CompTIA", "CompTIA Security+"},
	} {
		res, body := check(tc.name, "")
		var p problem
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 404 || res.Header.Get("Content-Type") != typeProblem || len(p.Suggestions) == 0 || p.Suggestions[0].Name != tc.first ||
			len(p.Suggestions) > maxCheckSuggestions || !strings.Contains(p.Detail, "closest") {
			t.Errorf("check?name=%s: %d %s, want 404 suggesting %q first\n%s", tc.name, res.StatusCode, res.Header.Get("Content-Type"), tc.first, body)
			continue
		}
		s := p.Suggestions[0]
		if s.Check != "/check?ctid="+s.CTID || s.IRI != base.Resource(s.CTID) || len(s.Types) == 0 {
			t.Errorf("suggestion %+v", s)
		}
	}
	// Nothing close: 404, no suggestions.
	res, body := check("Qqqqqq Zzzzzz", "")
	if res.StatusCode != 404 || strings.Contains(body, "suggestions") {
		t.Errorf("nothing close: %d\n%s", res.StatusCode, body)
	}

	// In a browser: the check page with "Did you mean" links.
	res, page := check("Cisco Certified Network Asociate", "text/html")
	if res.StatusCode != 404 || !strings.Contains(page, "Did you mean") || !strings.Contains(page, `href="/check?ctid=`+ccna+`"`) {
		t.Errorf("404 page: %d\n%s", res.StatusCode, page)
	}
	res, page = check("ccna", "text/html")
	if res.StatusCode != 200 || !strings.Contains(page, "Found by its short name") || !strings.Contains(page, "Cisco Certified Network Associate (CCNA)") {
		t.Errorf("short-name page: %d\n%s", res.StatusCode, page)
	}
	res, page = check("Qqqqqq <b>Zzzzzz</b>", "text/html")
	if res.StatusCode != 404 || !strings.Contains(page, "search the list") || strings.Contains(page, "<b>Zzzzzz") {
		t.Errorf("nothing close, as a page: %d\n%s", res.StatusCode, page)
	}
}
