package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// Fixture CTIDs (fixtures/data).
const (
	fxNREMT        = "ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a"
	fxSecurityPlus = "ce-753d4e3a-bc16-4cc6-9d35-37f186c36532"
	fxAWSCloud     = "ce-09e4b1a8-2a10-4682-bed4-5220b34a551e"
	fxNetworkPlus  = "ce-82d95aec-8a0d-49b8-a8a6-96bbc43e12ff"
	fxDeptEd       = "ce-02327000-993b-4166-8e74-bea0a771b3d3" // Heartland Department of Education
	fxWorkforce    = "ce-f426a2a0-0e4c-4ba7-b6fb-a55da02f39f7" // Heartland Workforce Commission
	fxHigherEd     = "ce-f19b3635-7002-4d65-88fd-6c6cc106d4c7" // Heartland Higher Education Coordinating Board
	fxCompTIA      = "ce-68c7408a-031d-4c10-a7dc-4937df07e692"
	fxActor        = "credreg-fixtures" // seed.Actor; that package imports this one
)

// fixtureStore opens a store with the fixture files loaded the way
// seed.Load loads them: one batch, written by "credreg-fixtures".
func fixtureStore(t *testing.T) *testStore {
	t.Helper()
	s := openStore(t, t.TempDir())
	names, err := filepath.Glob("../fixtures/data/*/*.jsonld")
	if err != nil || len(names) == 0 {
		t.Fatalf("fixture files: %v (%d)", err, len(names))
	}
	sort.Strings(names)
	var all []registry.Record
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		quads, err := rdf.ParseJSONLD(s.Base(), b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		recs, problems := registry.GroupRecords(quads)
		if len(problems) > 0 {
			t.Fatalf("%s: %v", name, problems)
		}
		all = append(all, recs...)
	}
	all = append(all, codeConcepts(s.Base(), all)...)
	if _, err := s.PutBatch(context.Background(), fxActor, all); err != nil {
		t.Fatal(err)
	}
	return s
}

func res(s *testStore, ctid string) string { return s.Base().Resource(ctid) }

func TestDesignationsSideBySide(t *testing.T) {
	ctx := context.Background()
	s := fixtureStore(t)
	tests := []struct {
		name     string
		ctid     string
		agencies []string // in order
		differ   []string // properties in disagreement
	}{
		{"NREMT: two agencies, designated differently", fxNREMT, []string{fxDeptEd, fxWorkforce},
			[]string{schema.Cluster, schema.SubCluster, schema.Region, schema.ValidFrom, schema.ValidThrough, schema.Criterion, schema.Evidence}},
		{"Security+: three agencies", fxSecurityPlus, []string{fxDeptEd, fxHigherEd, fxWorkforce},
			[]string{schema.ValidFrom, schema.ValidThrough, schema.Criterion}},
		{"A+ has one designation: nothing to disagree on", "ce-05babcca-7acb-4e55-b691-924cfe262cf8", []string{fxDeptEd}, nil},
		{"an organization has none", fxCompTIA, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := s.Designations(ctx, res(s, tc.ctid))
			if err != nil {
				t.Fatal(err)
			}
			var agencies []string
			for _, r := range recs {
				d := ViewDesignation(r)
				if d.Credential != res(s, tc.ctid) || !d.isDesignation {
					t.Errorf("%s is not a designation of %s", r.IRI, tc.ctid)
				}
				agencies = append(agencies, strings.TrimPrefix(d.Agency, s.Base().Resource("")))
			}
			if !reflect.DeepEqual(agencies, tc.agencies) {
				t.Errorf("agencies = %v, want %v", agencies, tc.agencies)
			}
			set, err := s.DesignationSet(ctx, res(s, tc.ctid))
			if err != nil {
				t.Fatal(err)
			}
			var differ []string
			for _, d := range set.Disagreements {
				differ = append(differ, d.Property)
				if len(d.Designations) < 2 {
					t.Errorf("disagreement on %s names %v", d.Label, d.Designations)
				}
			}
			if !reflect.DeepEqual(differ, tc.differ) {
				t.Errorf("disagreements = %v, want %v", differ, tc.differ)
			}
			checkSetJSONLD(t, s, set)
		})
	}
	if _, err := s.DesignationSet(ctx, res(s, "ce-99999999-9999-4999-8999-999999999999")); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("designations of an unknown credential: %v, want registry.ErrNotFound", err)
	}
}

// checkSetJSONLD reads the set's JSON-LD back: the same statements as the
// set's document, which holds every statement of every designation, with
// the designations nested as members.
func checkSetJSONLD(t *testing.T, s *testStore, set *DesignationSet) {
	t.Helper()
	js, err := set.Document.JSONLD()
	if err != nil {
		t.Fatal(err)
	}
	back, err := rdf.ParseJSONLD(s.Base(), js)
	if err != nil {
		t.Fatalf("parse rendered JSON-LD: %v\n%s", err, js)
	}
	if h := rdf.ContentHash(back); h != set.Document.Hash {
		t.Errorf("rendered JSON-LD reads back to other statements:\n%s", js)
	}
	got := lines(back)
	for _, d := range set.Designations {
		for l := range lines(d.Record.Quads) {
			if !got[l] {
				t.Errorf("JSON-LD lacks %s", l)
			}
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["id"] != set.IRI || doc["type"] != "Collection" || doc["@context"] != s.Base().Context() {
		t.Errorf("document head: id %v, type %v, @context %v", doc["id"], doc["type"], doc["@context"])
	}
	members, ok := doc["member"].([]any)
	if !ok {
		t.Errorf("member is not an array: %T", doc["member"])
	}
	if len(members) != len(set.Designations) {
		t.Fatalf("%d members rendered, want %d:\n%s", len(members), len(set.Designations), js)
	}
	for _, m := range members {
		node, ok := m.(map[string]any)
		if !ok || node["type"] != "ValueDesignation" || node["agency"] == nil {
			t.Errorf("member is not a nested designation: %v", m)
		}
		if ev, ok := node["evidence"].([]any); !ok || len(ev) != 1 {
			t.Errorf("member's evidence is not an array of one: %v", node["evidence"])
		} else if _, ok := ev[0].(map[string]any); !ok {
			t.Errorf("member's evidence is not nested: %v", node["evidence"])
		}
	}
}

func TestDisagreementOnRetirement(t *testing.T) {
	ctx := context.Background()
	s := fixtureStore(t)
	cred := res(s, fxSecurityPlus)
	recs, err := s.Designations(ctx, cred)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retire(ctx, "Heartland Workforce Commission", recs[2].IRI, "no longer in demand", time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	set, err := s.DesignationSet(ctx, cred)
	if err != nil {
		t.Fatal(err)
	}
	var status *Disagreement
	for i, d := range set.Disagreements {
		if d.Property == schema.RecordStatus {
			status = &set.Disagreements[i]
		}
	}
	if status == nil || len(status.Designations) != 3 {
		t.Fatalf("one retired, two current: disagreements %+v", set.Disagreements)
	}
	if !set.Designations[2].Retired || set.Designations[2].RetirementReason != "no longer in demand" {
		t.Errorf("retired designation read as %+v", set.Designations[2])
	}
	checkSetJSONLD(t, s, set)
	js, _ := set.Document.JSONLD()
	if !strings.Contains(string(js), `"credreg:property": {`) && !strings.Contains(string(js), `"credreg:property": "credreg:recordStatus"`) {
		t.Logf("rendering of disagreements:\n%s", js)
	}
}

func TestSameAgencyIsNotADisagreement(t *testing.T) {
	a := DesignationView{IRI: "x:1", Agency: "x:a", Region: "Statewide", ValidFrom: "2022-07-01", ValidThrough: "2024-06-30"}
	b := DesignationView{IRI: "x:2", Agency: "x:a", Region: "Statewide", ValidFrom: "2024-07-01", ValidThrough: "2026-06-30"}
	if d := Disagreements([]DesignationView{a, b}); len(d) != 0 {
		t.Errorf("one agency's renewal taken for a disagreement: %+v", d)
	}
	c := DesignationView{IRI: "x:3", Agency: "x:c", Region: "North", ValidFrom: "2024-07-01", ValidThrough: "2026-06-30"}
	d := Disagreements([]DesignationView{a, b, c})
	want := []Disagreement{
		{Property: schema.Region, Label: "Region", Designations: []string{"x:1", "x:2", "x:3"}},
		{Property: schema.ValidFrom, Label: "Valid from", Designations: []string{"x:1", "x:3"}},
		{Property: schema.ValidThrough, Label: "Valid through", Designations: []string{"x:1", "x:3"}},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("disagreements = %+v\nwant %+v", d, want)
	}
}

func TestStatusOn(t *testing.T) {
	tests := []struct {
		d    DesignationView
		day  string
		want string
	}{
		{DesignationView{ValidFrom: "2025-07-01", ValidThrough: "2027-06-30"}, "2026-11-25", StatusActive},
		{DesignationView{ValidFrom: "2025-07-01", ValidThrough: "2027-06-30"}, "2025-07-01", StatusActive},
		{DesignationView{ValidFrom: "2025-07-01", ValidThrough: "2027-06-30"}, "2027-06-30", StatusActive},
		{DesignationView{ValidFrom: "2025-07-01", ValidThrough: "2027-06-30"}, "2027-07-01", StatusExpired},
		{DesignationView{ValidFrom: "2025-07-01", ValidThrough: "2027-06-30"}, "2025-06-30", StatusNotYet},
		{DesignationView{ValidFrom: "2025-07-01"}, "2099-01-01", StatusActive},
		{DesignationView{ValidFrom: "2025-07-01", ValidThrough: "2027-06-30", Retired: true}, "2026-11-25", StatusRetiredNow},
	}
	for _, tc := range tests {
		if got := tc.d.StatusOn(tc.day); got != tc.want {
			t.Errorf("%+v on %s: %s, want %s", tc.d, tc.day, got, tc.want)
		}
	}
	if dateOf("2025-07-01Z") != "2025-07-01" || dateOf("2025-07-01-05:00") != "2025-07-01" {
		t.Error("dateOf keeps the time zone")
	}
}

func TestFindByName(t *testing.T) {
	ctx := context.Background()
	s := fixtureStore(t)
	tests := []struct {
		name string
		want []string
	}{
		{"CompTIA Security+", []string{fxSecurityPlus}},
		{"  comptia   SECURITY+ ", []string{fxSecurityPlus}},
		{"CompTIA", nil}, // an organization, not a credential
		{"No Such Credential", nil},
		{"", nil},
	}
	for _, tc := range tests {
		got, err := s.FindByName(ctx, tc.name)
		if err != nil {
			t.Fatalf("%q: %v", tc.name, err)
		}
		var want []string
		for _, c := range tc.want {
			want = append(want, res(s, c))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("FindByName(%q) = %v, want %v", tc.name, got, want)
		}
	}
	// A second credential with the same name: both.
	twin := "ce-5ec0de00-0000-4000-8000-000000000001"
	putTwin(t, s, twin, "CompTIA Security+")
	got, err := s.FindByName(ctx, "CompTIA Security+")
	if err != nil || len(got) != 2 {
		t.Errorf("ambiguous name: %v, %v", got, err)
	}
}

func putTwin(t *testing.T, s *testStore, ctid, name string) {
	t.Helper()
	iri := quad.IRI(res(s, ctid))
	rec := registry.Record{IRI: string(iri), Quads: []quad.Quad{
		{Subject: iri, Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(schema.CETerms + "Certificate")},
		{Subject: iri, Predicate: quad.IRI(schema.CTID), Object: quad.String(ctid)},
		{Subject: iri, Predicate: quad.IRI(schema.Name), Object: quad.String(name)},
		{Subject: iri, Predicate: quad.IRI(schema.OwnedBy), Object: quad.IRI(res(s, "ce-f7bc2f1f-1814-4c58-a483-38cf37c42a02"))},
	}}
	if _, err := s.Put(context.Background(), "test", rec); err != nil {
		t.Fatal(err)
	}
}

func TestCredentialView(t *testing.T) {
	ctx := context.Background()
	s := fixtureStore(t)
	v, err := s.Credential(ctx, res(s, fxSecurityPlus))
	if err != nil {
		t.Fatal(err)
	}
	if !v.IsCredential || v.Name != "CompTIA Security+" || v.CTID != fxSecurityPlus || len(v.Competencies) != 8 ||
		!reflect.DeepEqual(v.OwnedBy, []string{res(s, fxCompTIA)}) ||
		!reflect.DeepEqual(v.Occupations, []string{s.Base().Concept("soc", "15-1212"), s.Base().Concept("soc", "15-1244")}) {
		t.Errorf("Security+ read as %+v", v)
	}
	v, err = s.Credential(ctx, res(s, fxCompTIA))
	if err != nil || v.IsCredential {
		t.Errorf("an organization read as a credential: %+v, %v", v, err)
	}
}

func TestLookup(t *testing.T) {
	ctx := context.Background()
	s := fixtureStore(t)
	unknown1 := "ce-99999999-9999-4999-8999-999999999999"
	unknown2 := "ce-88888888-8888-4888-8888-888888888888"
	ids := []string{fxSecurityPlus, unknown1, res(s, fxNREMT), "CE-BAD", fxAWSCloud, unknown2, fxSecurityPlus,
		"https://credentialengineregistry.org/resources/" + fxNetworkPlus}
	r, err := s.Lookup(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	wantFound := []string{res(s, fxSecurityPlus), res(s, fxNREMT), res(s, fxAWSCloud), res(s, fxNetworkPlus)}
	if !reflect.DeepEqual(r.Found, wantFound) {
		t.Errorf("found %v, want %v", r.Found, wantFound)
	}
	if !reflect.DeepEqual(r.Unknown, []string{res(s, unknown1), res(s, unknown2)}) {
		t.Errorf("unknown %v", r.Unknown)
	}
	if len(r.Malformed) != 1 || r.Malformed[0].Value != "CE-BAD" || r.Malformed[0].Field != "ctids[3]" {
		t.Errorf("malformed %+v", r.Malformed)
	}
	// The document reads back to the records' statements plus the result
	// node's.
	back, err := rdf.ParseJSONLD(s.Base(), r.JSONLD)
	if err != nil {
		t.Fatalf("parse lookup JSON-LD: %v\n%s", err, r.JSONLD)
	}
	var records, extra []quad.Quad
	for _, q := range back {
		if _, ok := q.Subject.(quad.BNode); ok {
			extra = append(extra, q)
			continue
		}
		if _, ok := q.Object.(quad.BNode); ok {
			t.Errorf("a record statement points at a blank node: %v", q)
		}
		records = append(records, q)
	}
	var want []quad.Quad
	for _, iri := range wantFound {
		rec, err := s.Get(ctx, iri)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, rec.Quads...)
	}
	if rdf.ContentHash(records) != rdf.ContentHash(want) {
		t.Errorf("lookup @graph reads back to other statements than its records")
	}
	var unknownIRIs []string
	var malformedValues []string
	for _, q := range extra {
		switch rdf.IRIOf(q.Predicate) {
		case PropUnknown:
			unknownIRIs = append(unknownIRIs, string(rdf.IRIOf(q.Object)))
		case PropProblemValue:
			malformedValues = append(malformedValues, rdf.Lexical(q.Object))
		}
	}
	sort.Strings(unknownIRIs)
	if !reflect.DeepEqual(unknownIRIs, []string{res(s, unknown2), res(s, unknown1)}) || !reflect.DeepEqual(malformedValues, []string{"CE-BAD"}) {
		t.Errorf("result node: unknown %v, malformed %v", unknownIRIs, malformedValues)
	}
	var doc struct {
		Context string           `json:"@context"`
		Graph   []map[string]any `json:"@graph"`
	}
	if err := json.Unmarshal(r.JSONLD, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Context != s.Base().Context() || len(doc.Graph) != 1+len(wantFound) || doc.Graph[0]["type"] != "LookupResult" || doc.Graph[1]["name"] != "CompTIA Security+" {
		t.Errorf("lookup document shape: %s", r.JSONLD)
	}
	if _, err := s.Lookup(ctx, make([]string, MaxLookup+1)); err == nil {
		t.Error("a lookup over the limit succeeded")
	}
}
