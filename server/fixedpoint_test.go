package server

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"credreg/catalog"
	"credreg/catalog/catalogtest"
	"credreg/ingest"
	"credreg/ingest/seed"
	"credreg/registry"
	"credreg/schema"
)

// TestListCSVFixedPoint exports the whole list as CSV, after adding an
// agency's keyed row with codes outside the official lists and retiring a
// designation and a credential, and imports it into a registry that holds
// only the reference data (and the regions of the registry it came from):
// the credentials, designations, codes, retirements and agency keys come
// back the same, by name where the new registry names organizations anew.
// Its own export then imports back unchanged.
func TestListCSVFixedPoint(t *testing.T) {
	ctx := context.Background()
	srv, store := newUmbrellaServer(t)
	res, err := ingest.NewResolver(ctx, catalogtest.Of(t, store))
	if err != nil {
		t.Fatal(err)
	}
	extra := "Local Key,Credential Name,Owner,SOC Codes,NAICS Codes,Career Cluster,Region,High Wage,Valid From\n" +
		"HWC-7,Solar Roofing Credential,Heartland Community College,29-2061.01; 99-9999,99,Energy & Natural Resources,River Valley,Y,2025-07-01\n"
	src, err := ingest.CSV("extra.csv", strings.NewReader(extra), int64(len(extra)), ingest.SheetOptions{Agency: "Heartland Workforce Commission", Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := ingest.Run(ctx, store, src, ingest.FormatCSV, ingest.Options{Actor: "test"}); err != nil || rep.Failed > 0 {
		t.Fatalf("extra row: %v %+v", err, rep)
	}
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if _, err := store.Retire(ctx, "test", store.Base().Resource("ce-4c7b2ebf-4e89-4e72-814b-1e1fcd175028"), "replaced by the 2026 list", at); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Retire(ctx, "test", store.Base().Resource("ce-e8bd8439-8c72-47e7-93e3-06efe9fc6cac"), "no longer offered", at); err != nil {
		t.Fatal(err)
	}

	export := func(url string) string {
		t.Helper()
		r, body := do(t, http.MethodGet, url+"/credentials?active=any&format=csv", nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("export: %d", r.StatusCode)
		}
		return body
	}
	body := export(srv.URL)

	// The new registry: reference data, and the regions of the old one.
	fresh, freshURL := referenceOnlyServer(t)
	sample, err := seed.Sample(fresh.Base())
	if err != nil {
		t.Fatal(err)
	}
	var regions []registry.Record
	for _, r := range sample {
		if strings.HasPrefix(r.IRI, fresh.Base().Scheme(schema.SchemeRegions)+"/") {
			regions = append(regions, r)
		}
	}
	if _, err := fresh.PutBatch(ctx, "regions", regions); err != nil {
		t.Fatal(err)
	}
	imp := func(name, data string) *ingest.Report {
		t.Helper()
		res, err := ingest.NewResolver(ctx, catalogtest.Of(t, fresh))
		if err != nil {
			t.Fatal(err)
		}
		src, err := ingest.CSV(name, strings.NewReader(data), int64(len(data)), ingest.SheetOptions{Resolver: res, NewAgency: true})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := ingest.Run(ctx, fresh, src, ingest.FormatCSV, ingest.Options{Actor: "re-import"})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Problems) > 0 {
			t.Fatalf("%s does not read back: %v", name, rep.Problems)
		}
		return rep
	}
	rep := imp("export.csv", body)

	before, err := catalogtest.Of(t, store).List(ctx, catalog.ListQuery{Active: catalog.ActiveAny, Limit: catalog.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	after, err := catalogtest.Of(t, fresh).List(ctx, catalog.ListQuery{Active: catalog.ActiveAny, Limit: catalog.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	a, b := summarizeByName(before), summarizeByName(after)
	if !reflect.DeepEqual(a, b) {
		for i := range a {
			if i >= len(b) || a[i] != b[i] {
				t.Errorf("exported  %s", a[i])
				if i < len(b) {
					t.Errorf("read back %s", b[i])
				}
				break
			}
		}
		t.Fatalf("%d credentials exported, %d read back", len(a), len(b))
	}
	for _, want := range []string{"29-2061.01", "99-9999", "key Heartland Workforce Commission=HWC-7", "retired 2026-05-01 replaced by the 2026 list", "credential retired"} {
		if !strings.Contains(strings.Join(b, "\n"), want) {
			t.Errorf("the read-back list lacks %q", want)
		}
	}
	// The new registry's export imports into it unchanged: a fixed point.
	again := imp("export-2.csv", export(freshURL))
	if again.Written != 0 || again.Credentials.Created != 0 {
		t.Errorf("re-importing the new registry's own export wrote %d records, created %d credentials", again.Written, again.Credentials.Created)
	}
	t.Logf("%d rows, %d credentials read back; credentials %+v", rep.Units, after.Total, rep.Credentials)
}

// referenceOnlyServer runs a server over a store holding the reference
// data only.
func referenceOnlyServer(t *testing.T) (*registry.Store, string) {
	t.Helper()
	srv, store := newImportServerWith(t, Config{}, false)
	return store, srv.URL
}

// summarizeByName describes a list page with organizations by name and
// codes by notation, so that two registries that named their
// organizations differently compare equal.
func summarizeByName(p *catalog.ListPage) []string {
	name := func(iri string) string {
		if t, ok := p.Terms[iri]; ok && t.Label != "" {
			return t.Label
		}
		return iri
	}
	names := func(iris []string) []string {
		out := make([]string, len(iris))
		for i, iri := range iris {
			out[i] = name(iri)
		}
		sort.Strings(out)
		return out
	}
	code := func(iris []string) []string {
		out := make([]string, len(iris))
		for i, iri := range iris {
			out[i] = iri[strings.LastIndexByte(iri, '/')+1:]
		}
		sort.Strings(out)
		return out
	}
	var out []string
	for _, it := range p.Items {
		v := it.Credential
		line := fmt.Sprint(v.CTID, " ", v.Name, " ", v.Description, " ", v.SubjectWebpage, v.Types, names(v.OwnedBy), names(v.OfferedBy),
			code(v.Occupations), code(v.Programs), code(v.Industries), code(v.Competencies))
		for _, id := range v.Identifiers {
			line += fmt.Sprintf(" key %s=%s", name(id.Source), id.Code)
		}
		if v.Retired {
			line += " credential retired"
		}
		var des []string
		for _, d := range it.Designations {
			var ev []string
			for _, e := range d.Evidence {
				ev = append(ev, e.MedianAnnualWage, e.ProjectedAnnualOpenings, e.DataSource, e.DataYear)
			}
			s := fmt.Sprint(d.CTID, " ", name(d.Agency), code(d.Clusters), code(d.SubClusters), " ", d.Region, " ", d.ValidFrom, " ", d.ValidThrough, code(d.Criteria), ev)
			if d.Retired {
				s += fmt.Sprintf(" retired %.10s %s", d.RetiredOn, d.RetirementReason)
			}
			des = append(des, s)
		}
		sort.Strings(des)
		out = append(out, line+" | "+strings.Join(des, " | "))
	}
	sort.Strings(out)
	return out
}
