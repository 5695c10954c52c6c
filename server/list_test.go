package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/catalog"
	"credreg/catalog/catalogtest"
	"credreg/ingest"
	"credreg/ingest/seed"
	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// listPage is the JSON-LD of a list page, read plainly.
type listPageJSON struct {
	ID         string `json:"id"`
	TotalItems int    `json:"totalItems"`
	View       struct {
		ID, First, Next, Previous string
	} `json:"view"`
	Member json.RawMessage `json:"member"`
}

func members(t *testing.T, raw json.RawMessage) []map[string]any {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	var list []map[string]any
	if raw[0] != '[' {
		t.Fatalf("member is not an array: %s", raw)
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	return list
}

// TestListRoute pages through the list over HTTP, following the next
// links, and reads every page's JSON-LD back as the N-Quads of the page.
func TestListRoute(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	want, err := catalogtest.Of(t, store).List(context.Background(), catalog.ListQuery{Active: "2026-11-25", Limit: catalog.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	if want.Total < 30 {
		t.Fatalf("the fixtures have %d credentials of value; the test expects more", want.Total)
	}
	next := srv.URL + "/credentials?active=2026-11-25&limit=7"
	var got []string
	pages := 0
	for next != "" {
		res, body := do(t, http.MethodGet, next, map[string]string{"Accept": "application/ld+json"})
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != typeJSONLD {
			t.Fatalf("%s: %d %s\n%s", next, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		var p listPageJSON
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		if p.TotalItems != want.Total || p.ID != srv.URL+"/credentials?active=2026-11-25" {
			t.Errorf("page %d: collection %s with %d items", pages, p.ID, p.TotalItems)
		}
		for _, m := range members(t, p.Member) {
			got = append(got, m["ctid"].(string))
		}
		// The JSON-LD says what the N-Quads say.
		nqURL := strings.Replace(next, "?", "?format=nq&", 1)
		_, nq := do(t, http.MethodGet, nqURL, nil)
		fromJSON, err := rdf.ParseJSONLD(store.Base(), []byte(body))
		if err != nil {
			t.Fatalf("page %d JSON-LD: %v", pages, err)
		}
		if a, b := lineSet(fromJSON), lineSet(readNQuads(t, nq)); !reflect.DeepEqual(a, b) {
			t.Errorf("page %d: JSON-LD and N-Quads differ (%d and %d statements)", pages, len(a), len(b))
		}
		if pages > 0 && p.View.Previous == "" {
			t.Errorf("page %d has no previous link", pages)
		}
		next = p.View.Next
		pages++
		if pages > 20 {
			t.Fatal("the next links do not end")
		}
	}
	var wantCTIDs []string
	for _, it := range want.Items {
		wantCTIDs = append(wantCTIDs, it.Credential.CTID)
	}
	if !reflect.DeepEqual(got, wantCTIDs) {
		t.Errorf("paged through %d credentials, want %d in the same order", len(got), len(wantCTIDs))
	}
	if pages != (want.Total+6)/7 {
		t.Errorf("%d pages for %d credentials by 7", pages, want.Total)
	}

	// A filter by name, and Link headers.
	res, body := do(t, http.MethodGet, srv.URL+"/credentials?cluster=Healthcare+%26+Human+Services&active=2026-11-25&limit=2", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(strings.Join(res.Header.Values("Link"), ","), `rel="next"`) || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("filtered page: %d, Link %q", res.StatusCode, res.Header.Get("Link"))
	}
	if !strings.Contains(body, "Healthcare & Human Services") {
		t.Errorf("the filtered page does not name its cluster:\n%s", body)
	}
	// Conditional GET.
	etag := res.Header.Get("ETag")
	res, _ = do(t, http.MethodGet, srv.URL+"/credentials?cluster=Healthcare+%26+Human+Services&active=2026-11-25&limit=2", map[string]string{"If-None-Match": etag})
	if etag == "" || res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match %q: %d", etag, res.StatusCode)
	}
}

func TestListRouteErrors(t *testing.T) {
	srv, _ := newUmbrellaServer(t)
	tests := []struct {
		query       string
		accept      string
		status      int
		param, want string
	}{
		{"clusters=060100", "", 400, "clusters", "unknown parameter"},
		{"cluster=Nope", "", 400, "cluster", "no Career Cluster"},
		{"soc=12", "", 400, "soc", "no SOC occupation"},
		{"active=2026-11-25&active=any", "", 400, "active", "give it once"},
		{"limit=0", "", 400, "limit", "1 to"},
		{"limit=ten", "", 400, "limit", "1 to"},
		{"cursor=Zm9v", "", 400, "cursor", "not a cursor"},
		{"q=" + strings.Repeat("x", 501), "", 400, "q", "at most 500"},
		{"format=xml", "", 400, "format", "unknown format"},
		{"", "image/png", 406, "", "text/csv"},
	}
	for _, tc := range tests {
		res, body := do(t, http.MethodGet, srv.URL+"/credentials?"+tc.query, map[string]string{"Accept": tc.accept})
		var p problem
		_ = json.Unmarshal([]byte(body), &p)
		if res.StatusCode != tc.status || p.Parameter != tc.param || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d parameter %q\n%s", tc.query, res.StatusCode, p.Parameter, body)
		}
	}
	// The candidates of a cluster come as a list.
	_, body := do(t, http.MethodGet, srv.URL+"/credentials?cluster=Nope", nil)
	var p problem
	if err := json.Unmarshal([]byte(body), &p); err != nil || len(p.Candidates) != 14 {
		t.Errorf("candidates %v", p.Candidates)
	}
}

func TestListPage(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	// A credential whose name would be markup.
	ctx := context.Background()
	doc := `{"@context":"https://w3id.org/credreg/context/v1.jsonld","@graph":[
		{"id":"resources/ce-77777777-0000-4000-8000-000000000001","type":"Certificate","ctid":"ce-77777777-0000-4000-8000-000000000001",
		 "name":"<script>alert(1)</script> Certificate","ownedBy":"resources/` + umbDeptEd + `"}]}`
	quads, err := rdf.ParseJSONLD(store.Base(), []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := registry.GroupRecords(quads)
	if _, err := store.PutBatch(ctx, "test", recs); err != nil {
		t.Fatal(err)
	}
	res, body := do(t, http.MethodGet, srv.URL+"/credentials?active=any&q=certificate&cluster=&region=", map[string]string{"Accept": "text/html"})
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt; Certificate", `role="search"`, `name="cluster"`,
		`<option value="060100"`, `href="/credentials?active=any&amp;format=csv&amp;q=certificate"`, ">Employer"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Error("the page carries unescaped markup")
	}
}

// TestListCSVReadsBack exports the whole list as CSV and imports it into a
// registry that has the reference data only: the importer reads every row,
// and the new registry lists the same credentials with the same
// designations.
func TestListCSVReadsBack(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	res, body := do(t, http.MethodGet, srv.URL+"/credentials?active=any&format=csv", nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("%d %v", res.StatusCode, res.Header)
	}
	ctx := context.Background()
	fresh, err := registry.Open(ctx, "badger://"+t.TempDir(), registry.Options{Base: store.Base(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	// The reference data, and the sample's organizations and competencies.
	if _, err := seed.Load(ctx, fresh, seed.Options{Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	recs, err := seed.Sample(store.Base())
	if err != nil {
		t.Fatal(err)
	}
	var reference []registry.Record
	for _, r := range recs {
		if !isCredentialOrDesignation(r) {
			reference = append(reference, r)
		}
	}
	if _, err := fresh.PutBatch(ctx, "reference", reference); err != nil {
		t.Fatal(err)
	}
	resolver, err := ingest.NewResolver(ctx, catalogtest.Of(t, fresh))
	if err != nil {
		t.Fatal(err)
	}
	src, err := ingest.CSV("export.csv", strings.NewReader(body), int64(len(body)), ingest.SheetOptions{Resolver: resolver})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ingest.Run(ctx, fresh, src, ingest.FormatCSV, ingest.Options{Actor: "re-import"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Fatalf("the export does not read back: %v", rep.Problems)
	}
	before, err := catalogtest.Of(t, store).List(ctx, catalog.ListQuery{Active: catalog.ActiveAny, Limit: catalog.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	after, err := catalogtest.Of(t, fresh).List(ctx, catalog.ListQuery{Active: catalog.ActiveAny, Limit: catalog.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := summarize(before), summarize(after); !reflect.DeepEqual(a, b) {
		for i := range a {
			if i < len(b) && a[i] != b[i] {
				t.Errorf("exported %s\nread back %s", a[i], b[i])
				break
			}
		}
		t.Fatalf("%d credentials exported, %d read back", len(a), len(b))
	}
	t.Logf("%d rows, %d credentials read back", rep.Units, after.Total)
}

func isCredentialOrDesignation(r registry.Record) bool {
	for _, q := range r.Quads {
		if q.Subject == quad.IRI(r.IRI) && q.Predicate == quad.IRI(schema.RDFType) {
			t := strings.Trim(quad.ToString(q.Object), "<>")
			if schema.IsCredentialType(t) || t == schema.ClassValueDesignation {
				return true
			}
		}
	}
	return false
}

// summarize writes what a spreadsheet carries of each credential and
// designation.
func summarize(p *catalog.ListPage) []string {
	var out []string
	for _, it := range p.Items {
		v := it.Credential
		line := fmt.Sprint(v.CTID, v.Name, v.Description, v.Types, v.OwnedBy, v.OfferedBy, v.Occupations, v.Programs, v.Industries, v.Competencies)
		var des []string
		for _, d := range it.Designations {
			var ev []string
			for _, e := range d.Evidence {
				ev = append(ev, e.MedianAnnualWage, e.ProjectedAnnualOpenings, e.DataSource, e.DataYear)
			}
			des = append(des, fmt.Sprint(d.CTID, d.Agency, d.Clusters, d.SubClusters, d.Region, d.ValidFrom, d.ValidThrough, d.Criteria, ev))
		}
		sort.Strings(des)
		out = append(out, line+" "+strings.Join(des, " | "))
	}
	return out
}

func TestClusterReportRoute(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	want, err := catalogtest.Of(t, store).ClusterReport(context.Background(), "2026-11-25")
	if err != nil {
		t.Fatal(err)
	}
	// Today is the server's date.
	res, body := do(t, http.MethodGet, srv.URL+"/reports/clusters", map[string]string{"Accept": "application/ld+json"})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"credentialCount": `+fmt.Sprint(want.Credentials)+`,`) ||
		!strings.Contains(body, `"date": "2026-11-25"`) {
		t.Fatalf("%d\n%.600s", res.StatusCode, body)
	}
	fromJSON, err := rdf.ParseJSONLD(store.Base(), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	_, nq := do(t, http.MethodGet, srv.URL+"/reports/clusters?format=nq", nil)
	if a, b := lineSet(fromJSON), lineSet(readNQuads(t, nq)); !reflect.DeepEqual(a, b) || len(a) < 500 {
		t.Errorf("JSON-LD and N-Quads differ (%d and %d statements)", len(a), len(b))
	}
	res, body = do(t, http.MethodGet, srv.URL+"/reports/clusters?date=2026-11-25&format=csv", nil)
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if res.StatusCode != http.StatusOK || len(lines) != 1+14+72 || !strings.HasPrefix(lines[0], "\ufeffCode,Name,Level") {
		t.Errorf("CSV: %d, %d lines, header %q", res.StatusCode, len(lines), lines[0])
	}
	res, body = do(t, http.MethodGet, srv.URL+"/reports/clusters?date=2026-11-25", map[string]string{"Accept": "text/html"})
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("report page: %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	for _, w := range []string{`role="img" aria-labelledby="chart-title chart-desc"`, `<title id="chart-title">`, `<desc id="chart-desc">Credentials of value per Career Cluster on 2026-11-25. Advanced Manufacturing: `,
		`<caption`, `scope="row"`, `href="/credentials?active=2026-11-25&amp;cluster=060100"`} {
		if !strings.Contains(body, w) {
			t.Errorf("the report page lacks %s", w)
		}
	}
	if n := strings.Count(body, "<rect "); n != 14 {
		t.Errorf("%d bars, want one per Cluster", n)
	}
	for _, q := range []string{"date=25.11.2026", "date=2026-11-25&date=2026-11-26", "cluster=060100"} {
		if res, body := do(t, http.MethodGet, srv.URL+"/reports/clusters?"+q, nil); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s", q, res.StatusCode, body)
		}
	}
}
