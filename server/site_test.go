package server

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"credreg/catalog/catalogtest"
	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

func TestFormatForPeople(t *testing.T) {
	for _, tc := range []struct {
		f    func(any) string
		in   any
		want string
	}{
		{formatMoney, "58920", "$58,920"},
		{formatMoney, "58920.5", "$58,920.50"},
		{formatMoney, json.Number("1234567.891"), "$1,234,567.89"},
		{formatMoney, "0", "$0"},
		{formatMoney, "-12", "-$12"},
		{formatMoney, "n/a", "n/a"},
		{formatMoney, "", ""},
		{formatCount, 0, "0"},
		{formatCount, 999, "999"},
		{formatCount, 1000, "1,000"},
		{formatCount, int64(1234567), "1,234,567"},
		{formatCount, uint64(35630), "35,630"},
		{formatCount, "470", "470"},
		{formatCount, "12500", "12,500"},
		{formatCount, "-4500", "-4,500"},
		{formatCount, "12.5", "12.5"},
		{formatDate, "2026-11-25", "Nov 25, 2026"},
		{formatDate, "2026-06-30T00:00:00Z", "Jun 30, 2026"},
		{formatDate, time.Date(2027, 1, 2, 23, 0, 0, 0, time.UTC), "Jan 2, 2027"},
		{formatDate, time.Time{}, ""},
		{formatDate, "2026", "2026"},
		{formatDate, "", ""},
	} {
		if got := tc.f(tc.in); got != tc.want {
			t.Errorf("format(%#v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// embeddedJSONLD returns the page's <script type="application/ld+json">
// blocks, decoded.
func embeddedJSONLD(t *testing.T, page string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`).FindAllStringSubmatch(page, -1) {
		var v map[string]any
		if err := json.Unmarshal([]byte(m[1]), &v); err != nil {
			t.Errorf("embedded JSON-LD is not JSON: %v\n%s", err, m[1])
			continue
		}
		if ctx, _ := v["@context"].(map[string]any); ctx["@vocab"] != "https://schema.org/" {
			t.Errorf("embedded JSON-LD does not use schema.org as its vocabulary: %v", v["@context"])
		}
		out = append(out, v)
	}
	return out
}

func TestPages(t *testing.T) {
	srv, _ := newUmbrellaServer(t)
	for _, tc := range []struct {
		path     string
		section  string
		contains []string
		absent   []string
		schema   string // the embedded description's @type, "" for none
	}{
		{"/", "", []string{"The 14 Career Clusters", `<a href="/schemes/career-clusters/060100">Digital Technology</a>`, `credentials of value</a>`, "designating agencies"}, nil, "WebSite"},
		{"/resources/" + umbNREMT, "credentials", []string{
			`<p class="verdict yes" role="status">Of value on Nov 25, 2026</p>`,
			`<td data-label="Agency"><a href="/resources/` + umbDeptEd + `">Heartland Department of Education</a>`,
			"River Valley Workforce Region", "$38,930", "About <strong>470</strong> openings a year",
			`<span class="sys soc">SOC</span> <a href="/schemes/soc/29-2042">Emergency Medical Technicians</a> <span class="code">29-2042</span>`,
			`<span class="sys naics">NAICS</span>`, `<span class="sys cip">CIP</span>`,
			`href="/check?ctid=` + umbNREMT + `"`, `/history">History</a>`, "Who said what", "Every recorded fact", "@media print",
		}, []string{"58920"}, "EducationalOccupationalCredential"},
		{"/resources/" + umbAWSCloud, "credentials", []string{
			`<p class="verdict no" role="status">Not designated of value on Nov 25, 2026</p>`,
			"Designations not in force today", `<span class="status-expired">expired</span>`, "$89,600",
		}, nil, "EducationalOccupationalCredential"},
		{"/resources/" + umbWorkforce, "organizations", []string{
			"<h1>Heartland Workforce Commission</h1>", "Credentials it designates of value", "credential-rows", "Credentials it owns",
		}, nil, "Organization"},
		{"/schemes/career-clusters/060100", "clusters", []string{
			"<h1>Digital Technology</h1>", "Career Cluster 060100", "A cross-cutting Cluster",
			`<h3><a href="/schemes/career-clusters/060103">Network Systems &amp; Cybersecurity</a>`,
			"<h4>Occupations (SOC)</h4>", `<a href="/schemes/soc/15-1212">Information Security Analysts</a> <span class="code">15-1212</span>`,
			"Credentials of value in it", "CompTIA Security&#43;",
		}, []string{"Top concept of", "Cross-cutting false", ">Narrower<"}, "DefinedTerm"},
		{"/schemes/career-clusters/060103", "clusters", []string{
			`<a href="/schemes/career-clusters/060100">Digital Technology</a></nav>`, "Sub-Cluster 060103", "<h4>Industries (NAICS)</h4>", "CompTIA Security&#43;",
		}, nil, "DefinedTerm"},
		{"/schemes/soc/15-1212", "", []string{
			"<h1>Information Security Analysts</h1>", `<span class="sys soc">SOC</span>`, "In the Career Clusters",
			`<a href="/schemes/career-clusters/060103">Network Systems &amp; Cybersecurity</a>`, "CompTIA Security&#43;",
		}, nil, "Occupation"},
		{"/schemes/soc", "clusters", []string{"the 23 at the top are listed here"}, nil, ""},
		{"/schemes/naics/62", "", []string{"<h1>Health Care and Social Assistance</h1>", `<h2 id="nar-h">Under it (4)</h2>`, `<a href="/schemes/naics/621">Ambulatory Health Care Services</a>`}, nil, "CategoryCode"},
		{"/organizations", "organizations", []string{"Designating agencies", "Heartland Workforce Commission", `aria-label="By first letter"`}, nil, ""},
		{"/credentials", "credentials", []string{`<table class="list">`}, nil, ""},
		{"/check", "check", []string{`<form class="check"`}, nil, ""},
		{"/reports/clusters", "reports", []string{"<svg"}, nil, ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, page := do(t, http.MethodGet, srv.URL+tc.path, map[string]string{"Accept": "text/html"})
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("%d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), page)
			}
			if csp := res.Header.Get("Content-Security-Policy"); csp != htmlCSP {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			if len(page) >= 100<<10 {
				t.Errorf("the page weighs %d bytes; pages stay under 100 KB", len(page))
			}
			if !strings.Contains(page, `<nav aria-label="Site">`) || !strings.Contains(page, `<form role="search" aria-label="Search the registry"`) {
				t.Error("no site header")
			}
			if tc.section != "" && !regexp.MustCompile(`<a href="[^"]*" aria-current="page">`).MatchString(page) {
				t.Errorf("the header does not mark the %s section", tc.section)
			}
			for _, want := range tc.contains {
				if want == "credential-rows" {
					want = `<table class="list">`
				}
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			for _, bad := range tc.absent {
				if strings.Contains(page, bad) {
					t.Errorf("page holds %q", bad)
				}
			}
			docs := embeddedJSONLD(t, page)
			switch {
			case tc.schema == "" && len(docs) > 0:
				t.Errorf("unexpected embedded JSON-LD %v", docs)
			case tc.schema != "" && (len(docs) != 1 || docs[0]["@type"] != tc.schema):
				t.Errorf("embedded JSON-LD %v, want one %s", docs, tc.schema)
			}
		})
	}
}

func TestCredentialSchemaOrg(t *testing.T) {
	srv, _ := newUmbrellaServer(t)
	_, page := do(t, http.MethodGet, srv.URL+"/resources/"+umbNREMT, map[string]string{"Accept": "text/html"})
	docs := embeddedJSONLD(t, page)
	if len(docs) != 1 {
		t.Fatalf("%d descriptions", len(docs))
	}
	d := docs[0]
	b, _ := json.Marshal(d)
	for _, want := range []string{
		`"credentialCategory":[{"@type":"DefinedTerm","inDefinedTermSet":"https://purl.org/ctdl/terms/","name":"Certification"`,
		`"recognizedBy":[{"@id":"` + srv.URL + `/resources/` + umbDeptEd + `","@type":"Organization","name":"Heartland Department of Education"}`,
		`"@type":"Occupation"`, `"occupationalCategory":{"@id":"` + srv.URL + `/schemes/soc/29-2042","@type":"CategoryCode","codeValue":"29-2042"`,
		`"creator":[{"@id":"` + srv.URL + `/resources/ce-390f71ba-ec12-4579-a4b4-cb10e009bb9b","@type":"Organization"`,
		`"educationalAlignment":[{"@type":"AlignmentObject","alignmentType":"educationalSubject"`,
		`"identifier":"` + umbNREMT + `"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("description lacks %s\n%s", want, b)
		}
	}
}

// TestPagesKeepMarkupInert writes a credential whose name, description and
// links hold markup, and reads every page that shows it.
func TestPagesKeepMarkupInert(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	base := store.Base()
	ctid := "ce-0badc0de-0000-4000-8000-000000000002"
	name := `Evil </script><script>alert(1)</script> <!-- "q" & 'a' <b>b</b> ` + "\u2028"
	doc := map[string]any{
		"@context": schema.ContextURL, "id": "resources/" + ctid, "type": "Certification", "ctid": ctid,
		"name": name, "description": `"><img src=x onerror=alert(2)>`,
		"subjectWebpage": `https://example.org/?q="><script>alert(3)</script>`,
		"sameAs":         "javascript:alert(4)",
		"ownedBy":        base.Resource(umbWorkforce),
	}
	raw, _ := json.Marshal(doc)
	quads, err := rdf.ParseJSONLD(base, raw)
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := registry.GroupRecords(quads)
	if _, err := store.PutBatch(context.Background(), "test", recs); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/resources/" + ctid, "/check?ctid=" + ctid, "/credentials?q=evil&active=any", "/resources/" + ctid + "/designations", "/resources/" + ctid + "/history", "/resources/" + umbWorkforce} {
		res, page := do(t, http.MethodGet, srv.URL+path, map[string]string{"Accept": "text/html"})
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		if n := strings.Count(page, "<script"); n > 1 || (n == 1 && !strings.Contains(page, `<script type="application/ld+json">`)) {
			t.Errorf("%s: %d script elements", path, n)
		}
		for _, bad := range []string{"<script>alert", "<img src=x", "<b>b</b>", "<!-- \"q\"", `href="javascript:`} {
			if strings.Contains(page, bad) {
				t.Errorf("%s: unescaped %q", path, bad)
			}
		}
		if res.Header.Get("Content-Security-Policy") != htmlCSP {
			t.Errorf("%s: Content-Security-Policy %q", path, res.Header.Get("Content-Security-Policy"))
		}
	}
	_, page := do(t, http.MethodGet, srv.URL+"/resources/"+ctid, map[string]string{"Accept": "text/html"})
	docs := embeddedJSONLD(t, page)
	if len(docs) != 1 || docs[0]["name"] != name || docs[0]["description"] != doc["description"] {
		t.Errorf("the description does not give the name and description back as they are: %v", docs)
	}
	script := regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`).FindStringSubmatch(page)[1]
	for _, bad := range []string{"</", "<!--", "\u2028"} {
		if strings.Contains(script, bad) {
			t.Errorf("the embedded JSON-LD holds %q", bad)
		}
	}
}

// TestCredentialPageFollowsDesignations: a credential's page shows its
// designations, so its validators change when a designation does.
func TestCredentialPageFollowsDesignations(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	url := srv.URL + "/resources/" + umbNREMT
	res, _ := do(t, http.MethodGet, url, map[string]string{"Accept": "text/html"})
	etag := res.Header.Get("ETag")
	if etag == "" || res.Header.Get("Last-Modified") != "" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("validators: ETag %q, Last-Modified %q, Cache-Control %q", etag, res.Header.Get("Last-Modified"), res.Header.Get("Cache-Control"))
	}
	if res, _ := do(t, http.MethodGet, url, map[string]string{"Accept": "text/html", "If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
		t.Fatalf("unchanged page: %d, want 304", res.StatusCode)
	}
	recs, err := catalogtest.Of(t, store).Designations(context.Background(), store.Base().Resource(umbNREMT))
	if err != nil || len(recs) == 0 {
		t.Fatalf("designations: %v %d", err, len(recs))
	}
	if _, err := store.Retire(context.Background(), "Heartland Workforce Commission", recs[0].IRI, "test", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	res, page := do(t, http.MethodGet, url, map[string]string{"Accept": "text/html", "If-None-Match": etag})
	if res.StatusCode != http.StatusOK || res.Header.Get("ETag") == etag || !strings.Contains(page, "Designations not in force today") {
		t.Errorf("after a designation is retired: %d, ETag %q (was %q)", res.StatusCode, res.Header.Get("ETag"), etag)
	}
	// The JSON-LD is the record alone: its validators follow the record.
	res, _ = do(t, http.MethodGet, url, map[string]string{"Accept": "application/ld+json"})
	if res.Header.Get("Last-Modified") == "" {
		t.Error("the record's JSON-LD lost its Last-Modified")
	}
}

func TestErrorPages(t *testing.T) {
	srv, _ := newUmbrellaServer(t)
	browser := map[string]string{"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
	for _, tc := range []struct {
		path     string
		status   int
		contains []string
	}{
		{"/credentails", 404, []string{"<h1>Not found</h1>", "Perhaps you meant", `<a href="/credentials">Credentials of value</a>`, `aria-label="Search credentials"`}},
		{"/schemes/soc/29-1149", 404, []string{`<a href="/schemes/soc/29-1141">29-1141 Registered Nurses</a>`}},
		{"/resources/" + umbNoSuch, 404, []string{"no record with IRI", `<a href="/credentials">Search the credentials</a>`}},
		{"/credentials?cluster=Nowhere", 400, []string{"<h1>Bad Request</h1>", "cluster"}},
		{"/check?name=zzzz+qqqq", 404, []string{"No credential has that name"}},
	} {
		res, page := do(t, http.MethodGet, srv.URL+tc.path, browser)
		if res.StatusCode != tc.status || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s, want %d HTML\n%s", tc.path, res.StatusCode, res.Header.Get("Content-Type"), tc.status, page)
			continue
		}
		if res.Header.Get("Content-Security-Policy") != htmlCSP {
			t.Errorf("%s: no CSP", tc.path)
		}
		for _, want := range tc.contains {
			if !strings.Contains(page, want) {
				t.Errorf("%s: page lacks %q", tc.path, want)
			}
		}
	}
	// Programs get the problem as JSON, with the same suggestions.
	for _, accept := range []string{"", "application/json", "*/*"} {
		res, body := do(t, http.MethodGet, srv.URL+"/credentails", map[string]string{"Accept": accept})
		if res.StatusCode != 404 || res.Header.Get("Content-Type") != typeProblem || !strings.Contains(body, `"href": "/credentials"`) {
			t.Errorf("Accept %q: %d %s\n%s", accept, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
	if res, body := do(t, http.MethodGet, srv.URL+"/credentails?format=html", nil); res.StatusCode != 404 || !strings.Contains(body, "<h1>Not found</h1>") {
		t.Errorf("?format=html: %d", res.StatusCode)
	}
}

func TestOrganizationsRoute(t *testing.T) {
	srv, _ := newUmbrellaServer(t)
	type page struct {
		TotalItems int    `json:"totalItems"`
		Page       int    `json:"page"`
		Pages      int    `json:"pages"`
		Next       string `json:"next"`
		Member     []struct {
			ID         string   `json:"id"`
			Name       string   `json:"name"`
			Types      []string `json:"types"`
			Designates int      `json:"designatesOfValue"`
		} `json:"member"`
	}
	read := func(path string) page {
		t.Helper()
		res, body := do(t, http.MethodGet, srv.URL+path, map[string]string{"Accept": "application/json"})
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d\n%s", path, res.StatusCode, body)
		}
		var p page
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, body)
		}
		return p
	}
	all := read("/organizations")
	if all.TotalItems < 10 || len(all.Member) != all.TotalItems || all.Pages != 1 || all.Next != "" {
		t.Fatalf("all: %+v", all)
	}
	designating := 0
	for i, m := range all.Member {
		if i > 0 && strings.ToLower(all.Member[i-1].Name) > strings.ToLower(m.Name) {
			t.Errorf("not by name: %q before %q", all.Member[i-1].Name, m.Name)
		}
		if len(m.Types) == 0 {
			t.Errorf("%s has no type", m.Name)
		}
		if m.Designates > 0 {
			designating++
		}
	}
	if designating != 3 {
		t.Errorf("%d designating agencies, want the sample's 3", designating)
	}
	h := read("/organizations?letter=h")
	if h.TotalItems == 0 || h.TotalItems >= all.TotalItems {
		t.Errorf("letter H: %d of %d", h.TotalItems, all.TotalItems)
	}
	for _, m := range h.Member {
		if !strings.HasPrefix(m.Name, "H") {
			t.Errorf("letter H lists %q", m.Name)
		}
	}
	if none := read("/organizations?letter=q"); none.TotalItems != 0 || none.Member == nil || len(none.Member) != 0 {
		t.Errorf("letter Q: %+v", none)
	}
	for _, tc := range []struct {
		query  string
		status int
	}{{"page=0", 400}, {"page=x", 400}, {"page=2", 404}, {"letter=ab", 400}, {"sort=name", 400}} {
		if res, body := do(t, http.MethodGet, srv.URL+"/organizations?"+tc.query, nil); res.StatusCode != tc.status || res.Header.Get("Content-Type") != typeProblem {
			t.Errorf("%s: %d %s\n%s", tc.query, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
}
