package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"credreg/catalog"
	"credreg/catalog/catalogtest"
	"credreg/ingest/seed"
	"credreg/registry"
	"credreg/schema"
)

// newImportServer runs a Server configured by cfg over a real Badger store
// with the reference data and the sample loaded, on a loopback port.
func newImportServer(t *testing.T, cfg Config) (*httptest.Server, *registry.Store) {
	t.Helper()
	return newImportServerWith(t, cfg, true)
}

// newImportServerWith is newImportServer with the sample or without it.
func newImportServerWith(t *testing.T, cfg Config, sample bool) (*httptest.Server, *registry.Store) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base, _ := schema.NewBase("http://" + srv.Listener.Addr().String())
	store, err := registry.Open(context.Background(), "badger://"+t.TempDir(), registry.Options{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if _, err := seed.Load(context.Background(), store, seed.Options{Sample: sample, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	cfg.Catalog = catalogtest.Of(t, store)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
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
	secret, _, err := store.CreateToken(ctx, iri, registry.RoleAgency, time.Time{})
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
	if code != http.StatusMultiStatus || store.Sequence() != before {
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
	if err := json.Unmarshal([]byte(body), &rep); err != nil || code != http.StatusMultiStatus {
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

// part is one part of a multipart POST /import body.
type part struct{ name, filename, contentType, body string }

func postMultipart(t *testing.T, url, token string, parts ...part) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := fmt.Sprintf("form-data; name=%q", p.name)
		if p.filename != "" {
			cd += fmt.Sprintf("; filename=%q", p.filename)
		}
		h.Set("Content-Disposition", cd)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, p.body)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return post(t, url, token, mw.FormDataContentType(), buf.String())
}

// An agency's own layout: no header is a default one, and the type is
// spelled the agency's way.
const (
	agencySheet = "Qualification,Awarded By,Kind,Pathway,Hot Job,Effective\n" +
		"%s,Acme Cloud Academy,Industry Cert,IT Support & Services,yes,2025-07-01\n"
	agencyMappingYAML = "columns:\n  name: Qualification\n  owner: Awarded By\n  type: Kind\n  subcluster: Pathway\n  in_demand: Hot Job\n  valid_from: Effective\n" +
		"values:\n  type: {Industry Cert: Certification}\ndefaults:\n  region: Statewide\n"
	agencyMappingJSON = `{"columns": {"name": "Qualification", "owner": "Awarded By", "type": "Kind", "subcluster": "Pathway", "in_demand": "Hot Job", "valid_from": "Effective"},
 "values": {"type": {"Industry Cert": "Certification"}}, "defaults": {"region": "Statewide"}}`
)

type importReport struct {
	File                             string
	Format                           string
	DryRun                           bool
	Units, Imported, Failed, Written int
	Problems                         []struct {
		Row     int
		Column  string
		Message string
	}
}

func decodeReport(t *testing.T, code int, body string) importReport {
	t.Helper()
	var rep importReport
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatalf("%d, not a report: %v\n%s", code, err, body)
	}
	return rep
}

// checkNamed GETs /check?name= and returns the answer, nil on 404.
func checkNamed(t *testing.T, srvURL, name string) *catalog.Check {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srvURL+"/check?name="+url.QueryEscape(name), nil)
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusNotFound {
		return nil
	}
	var a catalog.Check
	if res.StatusCode != http.StatusOK || json.Unmarshal(b, &a) != nil {
		t.Fatalf("check %q: %d %s", name, res.StatusCode, b)
	}
	return &a
}

func problemDetail(t *testing.T, body string) string {
	t.Helper()
	var p problem
	if err := json.Unmarshal([]byte(body), &p); err != nil || p.Detail == "" {
		t.Fatalf("not a problem: %s", body)
	}
	return p.Detail
}

// POST /import with multipart/form-data: the file, the agency's mapping
// (YAML, JSON, or sniffed), parameters as form fields or in the query.
func TestImportMultipartMapping(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	token, agency := tokenFor(t, store, "Heartland Workforce Commission")
	for _, tc := range []struct {
		test, query, credential string
		mapping                 part
	}{
		{"yaml", "", "Mapped Cloud Associate", part{"mapping", "our-columns.yaml", "", agencyMappingYAML}},
		{"yml with a content type", "", "Mapped Cloud Technician", part{"mapping", "our-columns.yml", "application/yaml", agencyMappingYAML}},
		{"json", "?name=agency-sheet.csv", "Mapped Cloud Professional", part{"mapping", "our-columns.json", "application/json", agencyMappingJSON}},
		{"json sniffed, no filename", "", "Mapped Cloud Architect", part{"mapping", "", "", agencyMappingJSON}},
		{"yaml sniffed", "", "Mapped Cloud Engineer", part{"mapping", "mapping", "", agencyMappingYAML}},
	} {
		t.Run(tc.test, func(t *testing.T) {
			before := store.Sequence()
			code, body := postMultipart(t, srv.URL+"/import"+tc.query, token,
				part{"file", "sheet.csv", "application/octet-stream", fmt.Sprintf(agencySheet, tc.credential)}, tc.mapping)
			rep := decodeReport(t, code, body)
			if code != 200 || rep.Units != 1 || rep.Imported != 1 || rep.Failed != 0 || rep.Written == 0 || rep.DryRun || rep.Format != "csv" {
				t.Fatalf("%d %+v\n%s", code, rep, body)
			}
			if want := map[bool]string{true: "agency-sheet.csv", false: "sheet.csv"}[tc.query != ""]; rep.File != want {
				t.Errorf("report file %q, want %q", rep.File, want)
			}
			a := checkNamed(t, srv.URL, tc.credential)
			if a == nil {
				t.Fatalf("%q was not stored", tc.credential)
			}
			if a.Credential.Name != tc.credential || len(a.Credential.Types) != 1 || !strings.HasSuffix(a.Credential.Types[0].IRI, "Certification") {
				t.Errorf("stored credential %+v: want %q, a Certification (the mapped spelling)", a.Credential, tc.credential)
			}
			if len(a.Credential.OwnedBy) != 1 || a.Credential.OwnedBy[0].Label != "Acme Cloud Academy" {
				t.Errorf("owner %+v, want Acme Cloud Academy (from the Awarded By column)", a.Credential.OwnedBy)
			}
			if len(a.ActiveDesignations) != 1 || a.ActiveDesignations[0].Agency.IRI != agency || a.ActiveDesignations[0].Region != "Statewide" ||
				len(a.ActiveDesignations[0].SubClusters) != 1 || a.ActiveDesignations[0].ValidFrom != "2025-07-01" {
				t.Errorf("designations %+v: want the token's agency's, Statewide (the mapping's default), one Sub-Cluster, from 2025-07-01", a.ActiveDesignations)
			}
			changes, _ := store.Changes(context.Background(), before, 10)
			if len(changes) == 0 {
				t.Error("no change logged")
			}
			for _, c := range changes {
				if c.Actor != agency {
					t.Errorf("change %d by %q, want the token's agency", c.Seq, c.Actor)
				}
			}
		})
	}

	// Without the mapping the same sheet imports nothing.
	code, body := postMultipart(t, srv.URL+"/import", token, part{"file", "sheet.csv", "", fmt.Sprintf(agencySheet, "Unmapped Cloud Associate")})
	if code == 200 || checkNamed(t, srv.URL, "Unmapped Cloud Associate") != nil {
		t.Errorf("the agency's sheet without its mapping: %d %s", code, body)
	}
}

func TestImportMultipartDryRun(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	token, _ := tokenFor(t, store, "Heartland Workforce Commission")
	for _, tc := range []struct {
		test, query string
		fields      []part
	}{
		{"dry_run field", "", []part{{"dry_run", "", "", "true"}}},
		{"dryRun field", "", []part{{"dryRun", "", "", "true"}}},
		{"dry_run query", "?dry_run=true", nil},
		{"dryRun query", "?dryRun=1", nil},
		{"query and field agree", "?dry_run=true", []part{{"dryRun", "", "", "true"}}},
	} {
		t.Run(tc.test, func(t *testing.T) {
			before := store.Sequence()
			parts := append([]part{
				{"file", "sheet.csv", "text/csv", fmt.Sprintf(agencySheet, "Dry Cloud Associate")},
				{"mapping", "m.yaml", "", agencyMappingYAML},
			}, tc.fields...)
			code, body := postMultipart(t, srv.URL+"/import"+tc.query, token, parts...)
			rep := decodeReport(t, code, body)
			if code != 200 || !rep.DryRun || rep.Imported != 1 || rep.Failed != 0 {
				t.Errorf("%d %+v", code, rep)
			}
			if store.Sequence() != before {
				t.Errorf("a dry run wrote: sequence %d -> %d", before, store.Sequence())
			}
			if checkNamed(t, srv.URL, "Dry Cloud Associate") != nil {
				t.Error("a dry run stored the credential")
			}
		})
	}
	// Conflicting or malformed values are refused, nothing written.
	before := store.Sequence()
	for _, tc := range []struct {
		query, detail string
		fields        []part
	}{
		{"?dry_run=false", `dry_run is given twice, as "false" and "true"`, []part{{"dryRun", "", "", "true"}}},
		{"?dry_run=yes%20please", `dry_run="yes please"`, nil},
	} {
		parts := append([]part{{"file", "sheet.csv", "text/csv", fmt.Sprintf(agencySheet, "Dry Cloud Associate")}}, tc.fields...)
		code, body := postMultipart(t, srv.URL+"/import"+tc.query, token, parts...)
		if code != 400 || !strings.Contains(problemDetail(t, body), tc.detail) {
			t.Errorf("%s: %d %s; want 400 saying %s", tc.query, code, body, tc.detail)
		}
	}
	if store.Sequence() != before {
		t.Errorf("refused requests wrote: sequence %d -> %d", before, store.Sequence())
	}
}

// Requests refused before anything is imported: the status and what the
// message must say.
func TestImportMultipartRefused(t *testing.T) {
	srv, store := newImportServer(t, Config{MaxImportBytes: 3 << 20})
	token, _ := tokenFor(t, store, "Heartland Workforce Commission")
	file := part{"file", "sheet.csv", "", fmt.Sprintf(agencySheet, "Refused Cloud Associate")}
	for _, tc := range []struct {
		test   string
		parts  []part
		status int
		detail []string
	}{
		{"unknown mapping field", []part{file, {"mapping", "our-columns.yaml", "", strings.Replace(agencyMappingYAML, "subcluster:", "subclustr:", 1)}},
			400, []string{`the part "mapping"`, "mapping our-columns.yaml", "unknown field(s) subclustr", "fields are:"}},
		{"unknown mapping key, json", []part{file, {"mapping", "our-columns.json", "", `{"colums": {"name": "Title"}}`}},
			400, []string{`the part "mapping"`, "mapping our-columns.json", "colums"}},
		{"malformed mapping", []part{file, {"mapping", "m.yaml", "", "columns: [\n"}},
			400, []string{`the part "mapping"`, "mapping m.yaml"}},
		{"mapping too large", []part{file, {"mapping", "m.yaml", "", "# " + strings.Repeat("x", 1<<20)}},
			413, []string{`the part "mapping" is over the limit of 1048576 bytes`}},
		{"body too large", []part{{"file", "sheet.csv", "", strings.Repeat("x", 3<<20)}},
			413, []string{"the body is over the limit of 3145728 bytes"}},
		{"no file part", []part{{"mapping", "m.yaml", "", agencyMappingYAML}, {"dry_run", "", "", "true"}},
			400, []string{`no part "file"`}},
		{"unknown parts", []part{file, {"sheet", "s.csv", "", "x"}, {"agency", "", "", "x"}, {"sheet", "", "", "y"}},
			400, []string{`unknown part(s) "sheet", "agency"`, "the parts are: file, mapping"}},
		{"two files", []part{file, file}, 400, []string{`more than one part "file"`}},
		{"format unknown", []part{{"file", "data.bin", "application/octet-stream", "x"}},
			415, []string{`cannot tell the format of the part "file"`, "data.bin"}},
		{"mapping on CTDL", []part{{"file", "doc.jsonld", "", "{}"}, {"mapping", "m.yaml", "", agencyMappingYAML}},
			400, []string{`the part "mapping" applies to spreadsheets`}},
	} {
		t.Run(tc.test, func(t *testing.T) {
			before := store.Sequence()
			code, body := postMultipart(t, srv.URL+"/import", token, tc.parts...)
			if code != tc.status {
				t.Fatalf("%d %s; want %d", code, body, tc.status)
			}
			detail := problemDetail(t, body)
			for _, w := range tc.detail {
				if !strings.Contains(detail, w) {
					t.Errorf("detail %q does not say %q", detail, w)
				}
			}
			if store.Sequence() != before {
				t.Errorf("a refused request wrote: sequence %d -> %d", before, store.Sequence())
			}
		})
	}
	if checkNamed(t, srv.URL, "Refused Cloud Associate") != nil {
		t.Error("a refused request stored the credential")
	}
	// No token: 401 before the body is read.
	if code, _ := postMultipart(t, srv.URL+"/import", "", file); code != 401 {
		t.Errorf("no token: %d, want 401", code)
	}
}

// The format of the file part: the format field or parameter, then the
// part's Content-Type, then its filename.
func TestImportMultipartFormat(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	token, _ := tokenFor(t, store, "Heartland Workforce Commission")
	mapping := part{"mapping", "m.yaml", "", agencyMappingYAML}
	csvField := part{"format", "", "", "csv"}
	for i, tc := range []struct {
		query                   string
		filename, contentType   string
		fieldBefore, fieldAfter bool
	}{
		{"", "upload.txt", "text/plain", false, false},              // .txt is CSV
		{"", "", "text/csv; charset=utf-8", false, false},           // the part's Content-Type
		{"", "sheet.csv", "application/octet-stream", false, false}, // the filename
		{"?format=csv", "data.bin", "application/octet-stream", false, false},
		{"", "data", "", true, false},
		{"", "data", "", false, true}, // a field after the file
	} {
		name := fmt.Sprintf("Format Cloud Associate %d", i)
		var parts []part
		if tc.fieldBefore {
			parts = append(parts, csvField)
		}
		parts = append(parts, part{"file", tc.filename, tc.contentType, fmt.Sprintf(agencySheet, name)}, mapping)
		if tc.fieldAfter {
			parts = append(parts, csvField)
		}
		code, body := postMultipart(t, srv.URL+"/import"+tc.query, token, parts...)
		if rep := decodeReport(t, code, body); code != 200 || rep.Imported != 1 || rep.Format != "csv" {
			t.Errorf("case %d: %d %s", i, code, body)
		}
		if checkNamed(t, srv.URL, name) == nil {
			t.Errorf("case %d: %q not stored", i, name)
		}
	}
}

// 422 when every unit failed, with the report; 200 when some did.
func TestImportAllRowsFail(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	token, _ := tokenFor(t, store, "Heartland Workforce Commission")
	broken := "Credential Name,Owner,Type,Sub-Cluster,Region,In Demand,Valid From\n" +
		"Broken One,Acme Cloud Academy,Certification,Nowhere,Statewide,yes,2025-07-01\n" +
		"Broken Two,Acme Cloud Academy,Certification,Nowhere Either,Statewide,yes,2025-07-01\n"
	before := store.Sequence()
	check := func(how string, code int, body string) {
		t.Helper()
		rep := decodeReport(t, code, body)
		if code != 422 || rep.Units != 2 || rep.Imported != 0 || rep.Failed != 2 || len(rep.Problems) < 2 {
			t.Fatalf("%s: %d %+v; want 422 with both rows' problems", how, code, rep)
		}
		for i, p := range rep.Problems[:2] {
			if p.Row != i+2 || p.Column != "Sub-Cluster" || p.Message == "" {
				t.Errorf("%s: problem %d = %+v; want row %d, Sub-Cluster", how, i, p, i+2)
			}
		}
	}
	code, body := post(t, srv.URL+"/import", token, "text/csv", broken)
	check("raw", code, body)
	code, body = postMultipart(t, srv.URL+"/import", token, part{"file", "broken.csv", "", broken})
	check("multipart", code, body)
	if store.Sequence() != before || checkNamed(t, srv.URL, "Broken One") != nil {
		t.Errorf("rows that all failed wrote: sequence %d -> %d", before, store.Sequence())
	}
	// Some rows failing is 207, the report says which.
	code, body = postMultipart(t, srv.URL+"/import", token, part{"file", "sheet.csv", "text/csv", sheet})
	if rep := decodeReport(t, code, body); code != http.StatusMultiStatus || rep.Imported != 1 || rep.Failed != 1 || rep.Problems[0].Row != 3 {
		t.Errorf("some rows failing: %d %+v", code, rep)
	}
	if a := checkNamed(t, srv.URL, "Cloud Support Associate"); a == nil || a.Credential.Name != "Cloud Support Associate" {
		t.Errorf("the valid row was not stored: %+v", a)
	}
	// An empty sheet failed nothing: 200.
	code, body = post(t, srv.URL+"/import", token, "text/csv", "Credential Name,Owner\n")
	if rep := decodeReport(t, code, body); code != 200 || rep.Units != 0 {
		t.Errorf("an empty sheet: %d %+v", code, rep)
	}
}

// The raw body keeps working beside multipart: parameters in the query,
// dryRun too.
func TestImportRawBody(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	token, _ := tokenFor(t, store, "Heartland Workforce Commission")
	one := "Credential Name,Owner,Type,Sub-Cluster,Region,In Demand,Valid From\n" +
		"Raw Cloud Associate,Acme Cloud Academy,Certification,IT Support & Services,Statewide,yes,2025-07-01\n"
	before := store.Sequence()
	code, body := post(t, srv.URL+"/import?dryRun=true&name=raw.csv", token, "text/csv", one)
	if rep := decodeReport(t, code, body); code != 200 || !rep.DryRun || rep.File != "raw.csv" || store.Sequence() != before {
		t.Fatalf("raw dry run: %d %+v", code, rep)
	}
	code, body = post(t, srv.URL+"/import?format=csv", token, "application/octet-stream", one)
	if rep := decodeReport(t, code, body); code != 200 || rep.Imported != 1 || rep.File != "upload.csv" {
		t.Fatalf("raw import: %d %+v", code, rep)
	}
	if a := checkNamed(t, srv.URL, "Raw Cloud Associate"); a == nil || len(a.ActiveDesignations) != 1 {
		t.Errorf("raw import stored %+v", a)
	}
}
