package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/nquads"

	"credreg/catalog"
	"credreg/catalog/catalogtest"
	"credreg/ingest/seed"
	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// Fixture CTIDs.
const (
	umbNREMT     = "ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a"
	umbAWSCloud  = "ce-09e4b1a8-2a10-4682-bed4-5220b34a551e" // one designation, ended 2024-06-30
	umbCompTIA   = "ce-68c7408a-031d-4c10-a7dc-4937df07e692"
	umbDeptEd    = "ce-02327000-993b-4166-8e74-bea0a771b3d3"
	umbWorkforce = "ce-f426a2a0-0e4c-4ba7-b6fb-a55da02f39f7"
	umbHigherEd  = "ce-f19b3635-7002-4d65-88fd-6c6cc106d4c7"
	umbNoSuch    = "ce-99999999-9999-4999-8999-999999999999"
)

// newUmbrellaServer is newTestServer with the umbrella routes and "today"
// fixed at 2026-11-25.
func newUmbrellaServer(t *testing.T) (*httptest.Server, *registry.Store) {
	t.Helper()
	srv, store := newTestServer(t)
	old := now
	now = func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
	t.Cleanup(func() { now = old })
	return srv, store
}

func sendJSON(t *testing.T, method, url, contentType, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
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
	return res, string(b)
}

// readNQuads parses an N-Quads body, keeping literals as written.
func readNQuads(t *testing.T, body string) []quad.Quad {
	t.Helper()
	r := nquads.NewReader(strings.NewReader(body), true)
	var out []quad.Quad
	for {
		q, err := r.ReadQuad()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("N-Quads: %v", err)
		}
		out = append(out, q)
	}
}

func lineSet(quads []quad.Quad) map[string]bool {
	out := map[string]bool{}
	for _, q := range quads {
		q.Label = nil
		out[q.NQuad()] = true
	}
	return out
}

func TestDesignationsRoute(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	ctx := context.Background()
	tests := []struct {
		ctid     string
		agencies []string // the columns, in order
		differs  []string // rows marked
		agree    []string // rows not marked
	}{
		{umbNREMT, []string{"Heartland Department of Education", "Heartland Workforce Commission"},
			[]string{"Career Cluster", "Sub-Cluster", "Region", "Valid from", "Valid through", "Criteria", "Evidence"},
			[]string{"Agency", "Status on Nov 25, 2026"}},
		{securityPlus, []string{"Heartland Department of Education", "Heartland Higher Education Coordinating Board", "Heartland Workforce Commission"},
			[]string{"Valid from", "Valid through", "Criteria"},
			[]string{"Career Cluster", "Sub-Cluster", "Region", "Evidence", "Status on Nov 25, 2026"}},
		{umbAWSCloud, []string{"Heartland Department of Education"}, nil,
			[]string{"Career Cluster", "Region", "Valid through", "Criteria", "Status on Nov 25, 2026"}},
	}
	for _, tc := range tests {
		t.Run(tc.ctid, func(t *testing.T) {
			url := srv.URL + "/resources/" + tc.ctid + "/designations"
			res, body := do(t, http.MethodGet, url, map[string]string{"Accept": "application/ld+json"})
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != typeJSONLD || res.Header.Get("ETag") == "" {
				t.Fatalf("JSON-LD: %d %s ETag %q\n%s", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("ETag"), body)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(body), &doc); err != nil {
				t.Fatal(err)
			}
			if doc["type"] != "Collection" || doc["id"] != url || doc["totalItems"] != float64(len(tc.agencies)) {
				t.Errorf("collection head: %v %v %v", doc["type"], doc["id"], doc["totalItems"])
			}
			// The JSON-LD holds every designation's statements and reads
			// back to the same statements as the N-Quads.
			fromLD, err := rdf.ParseJSONLD(store.Base(), []byte(body))
			if err != nil {
				t.Fatalf("JSON-LD does not expand: %v", err)
			}
			_, nq := do(t, http.MethodGet, url, map[string]string{"Accept": "application/n-quads"})
			fromNQ := readNQuads(t, nq)
			if rdf.ContentHash(fromLD) != rdf.ContentHash(fromNQ) {
				t.Errorf("JSON-LD and N-Quads differ:\n%s\n%s", body, nq)
			}
			got := lineSet(fromLD)
			recs, err := catalogtest.Of(t, store).Designations(ctx, store.Base().Resource(tc.ctid))
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(tc.agencies) {
				t.Fatalf("%d designations, want %d", len(recs), len(tc.agencies))
			}
			for _, rec := range recs {
				for l := range lineSet(rec.Quads) {
					if !got[l] {
						t.Errorf("JSON-LD lacks %s", l)
					}
				}
			}
			disagreements := 0
			for l := range got {
				if strings.Contains(l, catalog.ClassDisagreement) {
					disagreements++
				}
			}
			if disagreements != len(tc.differs) {
				t.Errorf("%d disagreement nodes, want %d", disagreements, len(tc.differs))
			}
			// The page: one column per designation, differing rows marked.
			res, page := do(t, http.MethodGet, url, map[string]string{"Accept": "text/html"})
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("HTML: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
			}
			cols := regexp.MustCompile(`<th scope="col"><a href="[^"]*">([^<]*)</a></th>`).FindAllStringSubmatch(page, -1)
			var names []string
			for _, c := range cols {
				names = append(names, c[1])
			}
			if strings.Join(names, "|") != strings.Join(tc.agencies, "|") {
				t.Errorf("columns %v, want %v", names, tc.agencies)
			}
			for _, row := range tc.differs {
				if !strings.Contains(page, `<tr class="differs"><th scope="row">`+row+` <mark class="flag">(differs)</mark></th>`) {
					t.Errorf("row %q is not marked as differing", row)
				}
			}
			for _, row := range tc.agree {
				if !strings.Contains(page, `<tr><th scope="row">`+row+`</th>`) {
					t.Errorf("row %q is missing or marked", row)
				}
			}
			if len(tc.differs) > 0 && !strings.Contains(page, "Where the agencies differ") {
				t.Error("page has no summary of the differences")
			}
		})
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/resources/" + umbNoSuch + "/designations", 404},
		{"/resources/ce-nope/designations", 400},
		{"/resources/" + umbNREMT + "/designations?format=xml", 400},
	} {
		if res, body := do(t, http.MethodGet, srv.URL+tc.path, nil); res.StatusCode != tc.status || res.Header.Get("Content-Type") != typeProblem {
			t.Errorf("%s: %d %s, want %d problem\n%s", tc.path, res.StatusCode, res.Header.Get("Content-Type"), tc.status, body)
		}
	}
}

func TestDesignationsRouteMarksRetirement(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	ctx := context.Background()
	recs, err := catalogtest.Of(t, store).Designations(ctx, store.Base().Resource(securityPlus))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Retire(ctx, "Heartland Workforce Commission", recs[2].IRI, "no longer in demand", time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	_, page := do(t, http.MethodGet, srv.URL+"/resources/"+securityPlus+"/designations", map[string]string{"Accept": "text/html"})
	if !strings.Contains(page, `<tr class="differs"><th scope="row">Status on Nov 25, 2026 <mark class="flag">(differs)</mark>`) ||
		!strings.Contains(page, "Retired Jun 30, 2026: no longer in demand") {
		t.Errorf("retired designation not marked:\n%s", page)
	}
	_, body := do(t, http.MethodGet, srv.URL+"/resources/"+securityPlus+"/designations", map[string]string{"Accept": "application/ld+json"})
	if !strings.Contains(body, "#disagreement-recordStatus") {
		t.Errorf("JSON-LD has no status disagreement:\n%s", body)
	}
}

func TestHistoryRoute(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	ctx := context.Background()
	recs, err := catalogtest.Of(t, store).Designations(ctx, store.Base().Resource(umbNREMT))
	if err != nil {
		t.Fatal(err)
	}
	des := recs[1].IRI
	ctid := des[strings.LastIndexByte(des, '/')+1:]
	url := srv.URL + "/resources/" + ctid + "/history"
	var h historyAnswer
	get := func() {
		t.Helper()
		res, body := do(t, http.MethodGet, url, map[string]string{"Accept": "application/json"})
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != typeJSON {
			t.Fatalf("history: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		h = historyAnswer{}
		if err := json.Unmarshal([]byte(body), &h); err != nil {
			t.Fatal(err)
		}
	}
	get()
	if h.Resource != des || len(h.Changes) != 1 || h.Changes[0].Actor != seed.Actor || h.Changes[0].Action != registry.ActionCreate || h.Changes[0].Hash != recs[1].Hash || h.Note == "" {
		t.Fatalf("history of a fixture record: %+v", h)
	}
	if _, err := store.Retire(ctx, "Heartland Workforce Commission", des, "superseded", time.Now()); err != nil {
		t.Fatal(err)
	}
	get()
	if len(h.Changes) != 2 || h.Changes[1].Action != registry.ActionRetire || h.Changes[1].Actor != "Heartland Workforce Commission" || h.Changes[1].Seq <= h.Changes[0].Seq {
		t.Fatalf("history after retire: %+v", h.Changes)
	}
	res, page := do(t, http.MethodGet, url, map[string]string{"Accept": "text/html"})
	if res.StatusCode != 200 || !strings.Contains(page, "<td>"+seed.Actor+"</td><td>create</td>") || !strings.Contains(page, "<td>Heartland Workforce Commission</td><td>retire</td>") {
		t.Errorf("history page: %d\n%s", res.StatusCode, page)
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/resources/" + umbNoSuch + "/history", 404},
		{"/resources/CE-1/history", 400},
	} {
		if res, _ := do(t, http.MethodGet, srv.URL+tc.path, nil); res.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.path, res.StatusCode, tc.status)
		}
	}
	if res, _ := do(t, http.MethodGet, url, map[string]string{"Accept": "application/n-quads"}); res.StatusCode != http.StatusNotAcceptable {
		t.Errorf("history as N-Quads: %d, want 406", res.StatusCode)
	}
}

func TestCheck(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	base := store.Base()
	// A second credential named like Security+, for the ambiguous case.
	twin := "ce-5ec0de00-0000-4000-8000-000000000001"
	doc := `{"@context":"` + schema.ContextURL + `","id":"resources/` + twin + `","type":"Certificate","ctid":"` + twin + `",
	  "name":"CompTIA Security+","ownedBy":"resources/ce-f7bc2f1f-1814-4c58-a483-38cf37c42a02"}`
	quads, err := rdf.ParseJSONLD(base, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := registry.GroupRecords(quads)
	if _, err := store.PutBatch(context.Background(), "test", recs); err != nil {
		t.Fatal(err)
	}
	agency := func(ctid string) string { return base.Resource(ctid) }
	tests := []struct {
		name     string
		query    string
		ofValue  bool
		active   []string // agency IRIs
		other    []string // statuses of the other designations
		credName string
	}{
		{"NREMT today: two agencies", "ctid=" + umbNREMT, true, []string{agency(umbDeptEd), agency(umbWorkforce)}, nil, "Nationally Registered Emergency Medical Technician (NREMT)"},
		{"NREMT before the second agency's period", "ctid=" + umbNREMT + "&date=2025-12-01", true, []string{agency(umbDeptEd)}, []string{catalog.StatusNotYet}, ""},
		{"NREMT after both periods", "ctid=" + umbNREMT + "&date=2028-01-01", false, nil, []string{catalog.StatusExpired, catalog.StatusExpired}, ""},
		{"an expired designation", "ctid=" + umbAWSCloud, false, nil, []string{catalog.StatusExpired}, "AWS Certified Cloud Practitioner"},
		{"by exact name", "name=CompTIA+Network%2B", true, []string{agency(umbDeptEd)}, nil, "CompTIA Network+"},
		{"by name in other case", "name=%20aws%20certified%20CLOUD%20practitioner", false, nil, []string{catalog.StatusExpired}, "AWS Certified Cloud Practitioner"},
		{"Security+ by CTID: three agencies", "ctid=" + securityPlus, true, []string{agency(umbDeptEd), agency(umbHigherEd), agency(umbWorkforce)}, nil, "CompTIA Security+"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := do(t, http.MethodGet, srv.URL+"/check?"+tc.query, nil)
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != typeJSON {
				t.Fatalf("%d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			var a catalog.Check
			if err := json.Unmarshal([]byte(body), &a); err != nil {
				t.Fatal(err)
			}
			if a.OfValue != tc.ofValue {
				t.Errorf("ofValue = %v, want %v\n%s", a.OfValue, tc.ofValue, a.Summary)
			}
			var active, other []string
			for _, d := range a.ActiveDesignations {
				active = append(active, d.Agency.IRI)
				if d.Status != catalog.StatusActive || d.Agency.Label == "" {
					t.Errorf("active designation %+v", d)
				}
			}
			for _, d := range a.OtherDesignations {
				other = append(other, d.Status)
			}
			if strings.Join(active, " ") != strings.Join(tc.active, " ") || strings.Join(other, " ") != strings.Join(tc.other, " ") {
				t.Errorf("active %v, other %v; want %v, %v", active, other, tc.active, tc.other)
			}
			var agencies []string
			for _, l := range a.Agencies {
				agencies = append(agencies, l.IRI)
			}
			if strings.Join(agencies, " ") != strings.Join(tc.active, " ") {
				t.Errorf("agencies %v", agencies)
			}
			if tc.credName != "" && a.Credential.Name != tc.credName {
				t.Errorf("credential name %q, want %q", a.Credential.Name, tc.credName)
			}
			if a.Credential.CTID == "" || a.Credential.IRI != base.Resource(a.Credential.CTID) || len(a.Credential.Types) == 0 || len(a.Credential.OwnedBy) == 0 || a.Credential.OwnedBy[0].Label == "" {
				t.Errorf("credential %+v", a.Credential)
			}
			if len(a.Occupations) == 0 || a.Occupations[0].Code == "" || a.Occupations[0].Label == "" {
				t.Errorf("occupations %+v", a.Occupations)
			}
			if a.OfValue && (len(a.Clusters)+len(a.SubClusters) == 0 || len(a.Regions) == 0) {
				t.Errorf("of value without Clusters or regions: %+v", a)
			}
			if !strings.Contains(a.Summary, a.Date) {
				t.Errorf("summary %q", a.Summary)
			}
		})
	}
	// The details of one answer.
	_, body := do(t, http.MethodGet, srv.URL+"/check?ctid="+umbNREMT, nil)
	var a catalog.Check
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatal(err)
	}
	if a.Date != "2026-11-25" {
		t.Errorf("date %s, want the fixed today", a.Date)
	}
	wf := a.ActiveDesignations[1]
	if wf.Region != "River Valley Workforce Region" || wf.ValidFrom != "2026-01-01" || len(wf.Criteria) != 2 || wf.Criteria[0].Label == "" ||
		len(wf.Evidence) != 1 || wf.Evidence[0].MedianAnnualWage != "37450" || wf.Evidence[0].DataYear != "2025" ||
		len(wf.SubClusters) != 1 || wf.SubClusters[0].Code != "040206" || wf.SubClusters[0].Label == "" {
		t.Errorf("Workforce Commission's designation: %+v", wf)
	}
	if !strings.Contains(body, `"medianAnnualWage": 37450`) {
		t.Error("wages are not JSON numbers")
	}
	if a.Links.Designations != base.Resource(umbNREMT)+"/designations" || a.Links.History != base.Resource(umbNREMT)+"/history" {
		t.Errorf("links %+v", a.Links)
	}
	_, body = do(t, http.MethodGet, srv.URL+"/check?ctid="+securityPlus, nil)
	a = catalog.Check{}
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Competencies) != 8 || a.Competencies[0].Label == "" || len(a.Industries) != 1 || a.Industries[0].Code != "541512" || len(a.Programs) != 1 || a.Programs[0].Code != "11.1003" {
		t.Errorf("Security+ competencies %+v, industries %+v, programs %+v", a.Competencies, a.Industries, a.Programs)
	}

	// Ambiguous, unknown and bad questions.
	res, body := do(t, http.MethodGet, srv.URL+"/check?name=CompTIA+Security%2B", nil)
	var amb catalog.Ambiguous
	if err := json.Unmarshal([]byte(body), &amb); err != nil {
		t.Fatal(err)
	}
	var cands []string
	for _, c := range amb.Candidates {
		cands = append(cands, c.CTID)
		if c.Check != "/check?ctid="+c.CTID || c.Name != "CompTIA Security+" || len(c.OwnedBy) == 0 || c.OwnedBy[0].Label == "" {
			t.Errorf("candidate %+v", c)
		}
	}
	sort.Strings(cands)
	if res.StatusCode != http.StatusMultipleChoices || strings.Join(cands, " ") != twin+" "+securityPlus {
		t.Errorf("ambiguous name: %d, candidates %v\n%s", res.StatusCode, cands, body)
	}
	for _, tc := range []struct {
		query, contains string
		status          int
	}{
		{"name=No+Such+Credential", "no credential is named", 404},
		{"ctid=" + umbNoSuch, "no credential", 404},
		{"ctid=" + umbCompTIA, "not a credential", 404},
		{"ctid=ce-123", "malformed CTID", 400},
		{"", "give the credential's CTID", 400},
		{"ctid=" + umbNREMT + "&name=x", "not both", 400},
		{"ctid=" + umbNREMT + "&date=25.11.2026", "malformed date", 400},
		{"name=" + strings.Repeat("x", maxCheckName+1), "over the limit", 400},
	} {
		res, body := do(t, http.MethodGet, srv.URL+"/check?"+tc.query, nil)
		if res.StatusCode != tc.status || res.Header.Get("Content-Type") != typeProblem || !strings.Contains(body, tc.contains) {
			t.Errorf("check?%.60s: %d %s, want %d with %q\n%s", tc.query, res.StatusCode, res.Header.Get("Content-Type"), tc.status, tc.contains, body)
		}
	}

	// The pages.
	res, page := do(t, http.MethodGet, srv.URL+"/check?ctid="+umbNREMT, map[string]string{"Accept": "text/html"})
	if res.StatusCode != 200 || !strings.Contains(page, "Of value on Nov 25, 2026") || !strings.Contains(page, "River Valley Workforce Region") {
		t.Errorf("check page: %d\n%s", res.StatusCode, page)
	}
	res, page = do(t, http.MethodGet, srv.URL+"/check?ctid="+umbAWSCloud, map[string]string{"Accept": "text/html"})
	if res.StatusCode != 200 || !strings.Contains(page, "Not designated of value on Nov 25, 2026") || !strings.Contains(page, "expired") {
		t.Errorf("check page of an expired designation: %d\n%s", res.StatusCode, page)
	}
	res, page = do(t, http.MethodGet, srv.URL+"/check?name=CompTIA+Security%2B", map[string]string{"Accept": "text/html"})
	if res.StatusCode != http.StatusMultipleChoices || !strings.Contains(page, `href="/check?ctid=`+twin+`"`) {
		t.Errorf("ambiguous page: %d\n%s", res.StatusCode, page)
	}
	res, page = do(t, http.MethodGet, srv.URL+"/check", map[string]string{"Accept": "text/html"})
	if res.StatusCode != 200 || !strings.Contains(page, `<form class="check"`) {
		t.Errorf("empty check page: %d", res.StatusCode)
	}
}

func TestCheckPageIsEscaped(t *testing.T) {
	srv, _ := newUmbrellaServer(t)
	res, page := do(t, http.MethodGet, srv.URL+`/check?name=%3Cscript%3Ealert(1)%3C%2Fscript%3E`, map[string]string{"Accept": "text/html"})
	if res.StatusCode != 404 || strings.Contains(page, "<script>alert(1)") {
		t.Errorf("unknown name with markup: %d\n%s", res.StatusCode, page)
	}
}

func TestLookupRoute(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	ctx := context.Background()
	base := store.Base()
	url := srv.URL + "/resources/lookup"
	known := []string{umbNREMT, securityPlus, umbAWSCloud}
	unknown := []string{umbNoSuch, "ce-88888888-8888-4888-8888-888888888888"}
	list := []string{known[0], unknown[0], known[1], "ce-NOT-A-CTID", known[2], unknown[1]}
	listJSON, _ := json.Marshal(list)
	for _, body := range []string{string(listJSON), `{"ctids": ` + string(listJSON) + `}`} {
		res, out := sendJSON(t, http.MethodPost, url, "application/json", body)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != typeJSONLD {
			t.Fatalf("lookup: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), out)
		}
		var doc struct {
			Context string           `json:"@context"`
			Graph   []map[string]any `json:"@graph"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Context != base.Context() || len(doc.Graph) != 1+len(known) {
			t.Fatalf("lookup document: %s", out)
		}
		head := doc.Graph[0]
		un, _ := head["unknown"].([]any)
		mal, _ := head["malformed"].([]any)
		if head["type"] != "LookupResult" || len(un) != 2 || len(mal) != 1 {
			t.Errorf("result node %v", head)
		}
		if m, _ := mal[0].(map[string]any); m["value"] != "ce-NOT-A-CTID" || !strings.Contains(fmt.Sprint(m["message"]), "ce-NOT-A-CTID") {
			t.Errorf("malformed entry %v", mal[0])
		}
		for i, ctid := range known {
			if doc.Graph[1+i]["id"] != base.Resource(ctid) {
				t.Errorf("@graph[%d] is %v, want %s", 1+i, doc.Graph[1+i]["id"], ctid)
			}
		}
		// The credentials' statements, exactly.
		quads, err := rdf.ParseJSONLD(base, []byte(out))
		if err != nil {
			t.Fatalf("lookup JSON-LD does not expand: %v", err)
		}
		var recordQuads []quad.Quad
		for _, q := range quads {
			if _, ok := q.Subject.(quad.BNode); !ok {
				recordQuads = append(recordQuads, q)
			}
		}
		var want []quad.Quad
		for _, ctid := range known {
			rec, err := store.Get(ctx, base.Resource(ctid))
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, rec.Quads...)
		}
		if rdf.ContentHash(recordQuads) != rdf.ContentHash(want) {
			t.Errorf("lookup @graph reads back to other statements than the records")
		}
	}

	many := make([]string, catalog.MaxLookup+1)
	for i := range many {
		many[i] = fmt.Sprintf("ce-%08x-0000-4000-8000-000000000000", i)
	}
	manyJSON, _ := json.Marshal(many)
	atLimit, _ := json.Marshal(many[:catalog.MaxLookup])
	res, out := sendJSON(t, http.MethodPost, url, "application/json", string(atLimit))
	if res.StatusCode != 200 || strings.Count(out, `"`+base.Resource("")) != catalog.MaxLookup {
		t.Errorf("1000 unknown CTIDs: %d", res.StatusCode)
	}
	for _, tc := range []struct {
		name, contentType, body, contains string
		status                            int
	}{
		{"1001 CTIDs", "application/json", string(manyJSON), "at most 1000", 413},
		{"over 256 KiB", "application/json", `["` + strings.Repeat("x", maxLookupBytes) + `"]`, "over the limit", 413},
		{"not JSON", "application/json", "ce-1, ce-2", "not JSON", 400},
		{"broken JSON", "application/json", `["ce-1"`, "not a JSON list", 400},
		{"numbers", "application/json", `["` + umbNREMT + `", 42]`, "ctids[1] is 42", 400},
		{"unknown field", "application/json", `{"ids": []}`, "unknown field", 400},
		{"empty", "application/json", `[]`, "no CTIDs", 400},
		{"trailing data", "application/json", `[] []`, "after its JSON value", 400},
		{"wrong type", "text/csv", "ce-1\n", "Content-Type", 415},
	} {
		res, out := sendJSON(t, http.MethodPost, url, tc.contentType, tc.body)
		if res.StatusCode != tc.status || !strings.Contains(out, tc.contains) {
			t.Errorf("%s: %d, want %d with %q\n%.300s", tc.name, res.StatusCode, tc.status, tc.contains, out)
		}
	}
	if res, _ := sendJSON(t, http.MethodDelete, url, "application/json", "[]"); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != http.MethodPost {
		t.Errorf("DELETE lookup: %d Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
}

// TestCheckFollowsReplacement marks a fixture credential superseded by
// another: the check answers for both, and says so.
func TestCheckFollowsReplacement(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	ctx := context.Background()
	base := store.Base()
	oldIRI := base.Resource("ce-3f0e2a4b-1c5d-4e6f-8a7b-9c0d1e2f3a4b")
	doc := `{"@context":"` + schema.ContextURL + `","id":"` + oldIRI + `","type":"Certification","ctid":"ce-3f0e2a4b-1c5d-4e6f-8a7b-9c0d1e2f3a4b",
	  "name":"Emergency Medical Technician (retired edition)","ownedBy":"` + base.Resource("ce-390f71ba-ec12-4579-a4b4-cb10e009bb9b") + `",
	  "supersededBy":"` + base.Resource(umbNREMT) + `","lastVerified":"2026-10-01"}`
	quads, err := rdf.ParseJSONLD(base, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := registry.GroupRecords(quads)
	if _, err := store.PutBatch(ctx, "test", recs); err != nil {
		t.Fatal(err)
	}
	res, body := do(t, http.MethodGet, srv.URL+"/check?ctid=ce-3f0e2a4b-1c5d-4e6f-8a7b-9c0d1e2f3a4b", map[string]string{"Accept": "application/json"})
	if res.StatusCode != 200 {
		t.Fatalf("check: %d %s", res.StatusCode, body)
	}
	var a struct {
		OfValue    bool
		Summary    string
		Credential struct {
			SupersededBy []struct{ IRI string }
			LastVerified string
		}
		Replacement *struct {
			OfValue    bool
			Credential struct{ IRI string }
		}
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatal(err)
	}
	if a.OfValue || len(a.Credential.SupersededBy) != 1 || a.Credential.LastVerified != "2026-10-01" {
		t.Errorf("the old credential's answer: %s", body)
	}
	if a.Replacement == nil || !a.Replacement.OfValue || a.Replacement.Credential.IRI != base.Resource(umbNREMT) || !strings.Contains(a.Summary, "It is superseded by") {
		t.Errorf("the answer does not follow the replacement: %s", body)
	}
	// A credential nothing supersedes has no replacement.
	_, body = do(t, http.MethodGet, srv.URL+"/check?ctid="+umbNREMT, map[string]string{"Accept": "application/json"})
	if strings.Contains(body, `"replacement"`) {
		t.Errorf("a credential superseded by nothing has a replacement: %s", body)
	}
}
