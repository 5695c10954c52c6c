package catalog

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"credreg/rdf"
)

func TestClusterReport(t *testing.T) {
	ctx := context.Background()
	s := listStore(t)
	rep, err := s.ClusterReport(ctx, listDay)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 14+72 {
		t.Fatalf("%d rows, want 14 Clusters and 72 Sub-Clusters", len(rep.Rows))
	}
	if rep.Credentials != 3 || rep.Designations != 4 {
		t.Errorf("%d credentials of value, %d designations in force; want 3 and 4", rep.Credentials, rep.Designations)
	}
	rows := map[string]ClusterRow{}
	for _, r := range rep.Rows {
		rows[r.Notation] = r
	}
	type want struct {
		creds, desigs, single, multi, contested int
		agencies, regions                       []string
	}
	check := func(code string, w want) {
		t.Helper()
		r := rows[code]
		var agencies, regions []string
		for _, c := range r.ByAgency {
			agencies = append(agencies, c.Label)
		}
		for _, c := range r.ByRegion {
			regions = append(regions, c.Label)
		}
		got := want{r.Credentials, r.Designations, r.SingleAgency, r.MultiAgency, r.Contested, agencies, regions}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s %s: %+v\nwant %+v", code, r.Label, got, w)
		}
	}
	hwc, hhe := "Heartland Workforce Commission", "Heartland Higher Education Coordinating Board"
	check("060100", want{1, 2, 0, 1, 0, []string{hhe, hwc}, []string{"Capital Area Workforce Region", "Statewide"}})
	check("060103", want{1, 2, 0, 1, 0, []string{hhe, hwc}, []string{"Capital Area Workforce Region", "Statewide"}})
	check("040200", want{1, 1, 1, 0, 0, []string{hwc}, []string{"Statewide"}})
	check("040206", want{1, 1, 1, 0, 0, []string{hwc}, []string{"Statewide"}})
	check("010200", want{1, 1, 1, 0, 0, []string{hwc}, []string{"Statewide"}})
	check("020100", want{})
	if r := rows["060103"]; r.Parent != rows["060100"].IRI || len(r.ByType) != 1 || r.ByType[0].Label == "" {
		t.Errorf("060103: parent %s, types %+v", r.Parent, r.ByType)
	}

	// Another agency designates Gamma for Software Solutions: Gamma is
	// then contested under Construction, and under Digital Technology.
	doc := `{"@context":"https://w3id.org/credreg/context/v1.jsonld","@graph":[
		{"id":"resources/ce-22222222-0000-4000-8000-000000000099","type":"ValueDesignation","ctid":"ce-22222222-0000-4000-8000-000000000099",
		 "agency":"resources/` + fxHigherEd + `","credential":"resources/` + lc3 + `","subCluster":"schemes/career-clusters/060104",
		 "region":"Statewide","validFrom":"2026-01-01"}]}`
	if _, err := s.PutBatch(ctx, "test", mustRecords(t, s, []byte(doc))); err != nil {
		t.Fatal(err)
	}
	if rep, err = s.ClusterReport(ctx, listDay); err != nil {
		t.Fatal(err)
	}
	rows = map[string]ClusterRow{}
	for _, r := range rep.Rows {
		rows[r.Notation] = r
	}
	check("010200", want{1, 1, 1, 0, 1, []string{hwc}, []string{"Statewide"}})
	check("060100", want{2, 3, 1, 1, 1, []string{hhe, hwc}, []string{"Statewide", "Capital Area Workforce Region"}})

	if _, err := s.ClusterReport(ctx, "25/11/2026"); err == nil {
		t.Error("a malformed date is accepted")
	}

	// The JSON-LD says what the N-Quads say; the table has a column per
	// agency.
	iri := s.Base().String() + "/reports/clusters?date=" + listDay
	js, nq, err := rep.Render(s.Base(), iri)
	if err != nil {
		t.Fatal(err)
	}
	quads, err := rdf.ParseJSONLD(s.Base(), js)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := rdf.Canonicalize(quads)
	if string(rdf.NQuads(q)) != string(nq) {
		t.Errorf("the report's JSON-LD and N-Quads differ")
	}
	for _, want := range []string{`"type": "ClusterReport"`, `"contestedCount": 1`, `"byAgency": [`, `"item": {`, `"date": "2026-11-25"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("the JSON-LD lacks %s", want)
		}
	}
	table := rep.Columns()
	if len(table) != 1+86 || !strings.Contains(strings.Join(table[0], ","), "Agency: "+hhe) {
		t.Errorf("table header %v, %d rows", table[0], len(table))
	}
}

// TestClusterReportFollowsWrites: the report is kept while the list index
// holds, and made anew for another day or after a write.
func TestClusterReportFollowsWrites(t *testing.T) {
	ctx := context.Background()
	s := listStore(t)
	first, err := s.ClusterReport(ctx, listDay)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := s.ClusterReport(ctx, listDay); again != first {
		t.Error("an unchanged index made the report again")
	}
	if other, _ := s.ClusterReport(ctx, "2020-01-01"); other == first || other.Day != "2020-01-01" {
		t.Error("another day got the kept report")
	}
	page, err := s.List(ctx, ListQuery{Active: listDay})
	if err != nil || len(page.Items) == 0 || len(page.Items[0].Designations) == 0 {
		t.Fatalf("list: %v", err)
	}
	if _, err := s.Retire(ctx, "test", page.Items[0].Designations[0].IRI, "test", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	after, err := s.ClusterReport(ctx, listDay)
	if err != nil {
		t.Fatal(err)
	}
	if after == first || after.Designations != first.Designations-1 {
		t.Errorf("after a designation is retired: %d designations in force, were %d", after.Designations, first.Designations)
	}
}
