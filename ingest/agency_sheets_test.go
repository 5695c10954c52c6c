package ingest

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/catalog"
	"credreg/catalog/catalogtest"
	"credreg/registry"
	"credreg/schema"
)

// Agencies of the sample registry.
const (
	workforceCommission = "ce-f426a2a0-0e4c-4ba7-b6fb-a55da02f39f7"
	educationDepartment = "ce-02327000-993b-4166-8e74-bea0a771b3d3"
)

// storedNames are the sample credentials testdata/agency-sheets/labor-department.csv
// names (in its own spelling, with their owners).
var storedNames = []string{
	"CompTIA Security+", "CompTIA A+", "CompTIA Network+", "Certified Nursing Assistant", "Licensed Practical Nurse",
	"Commercial Driver's License, Class A", "AWS Certified Welder", "Certified Production Technician (CPT 4.0)",
	"ServSafe Food Protection Manager Certification", "Certified Pharmacy Technician (CPhT)", "NCCER Electrical Level 1",
	"Heartland Journeyman Electrician License",
}

const securityPlus = "ce-753d4e3a-bc16-4cc6-9d35-37f186c36532"

func agencySheet(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "agency-sheets", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// credentialsNamed returns the stored credentials whose name folds to
// name's key.
func credentialsNamed(t *testing.T, s *registry.Store, name string) []*catalog.CredentialView {
	t.Helper()
	m, err := catalogtest.Of(t, s).MatchCredential(context.Background(), catalog.CredentialKey{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return m.Candidates
}

// TestAgencySheetMergesWithStored imports a labor department's own sheet
// (its headers, O*NET and SOC codes, Clusters in its spelling, loose
// region names, Y/N flags, wages, US dates) into a registry that already
// holds twelve of its credentials, then a second agency's sheet naming
// some of the same: no credential is duplicated, the second adds
// designations only, and a re-import writes nothing.
func TestAgencySheetMergesWithStored(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mapping, err := LoadMapping(filepath.Join("testdata", "agency-sheets", "labor-department.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	labor := agencySheet(t, "labor-department.csv")
	stored := map[string]string{}
	for _, name := range storedNames {
		got := credentialsNamed(t, s, name)
		if len(got) != 1 {
			t.Fatalf("the sample holds %d credentials named %q", len(got), name)
		}
		stored[name] = got[0].CTID
	}
	opts := SheetOptions{Agency: "Heartland Workforce Commission", Mapping: mapping}

	dry := importCSV(t, s, "labor-department.csv", labor, opts, true)
	if dry.Failed != 0 || dry.Imported != 32 || dry.Credentials == nil || dry.Credentials.Created != 20 || dry.Credentials.Matched[catalog.MatchNameOwner] != 12 {
		t.Fatalf("dry run: %d imported, %d failed, credentials %+v; problems %v", dry.Imported, dry.Failed, dry.Credentials, dry.Problems)
	}
	rep := importCSV(t, s, "labor-department.csv", labor, opts, false)
	if rep.Failed != 0 || rep.Imported != 32 {
		t.Fatalf("%d imported, %d failed: %v", rep.Imported, rep.Failed, rep.Problems)
	}
	if c := rep.Credentials; c.Created != 20 || c.Matched[catalog.MatchNameOwner] != 12 {
		t.Errorf("credentials %+v; want 20 created, 12 matched by name and owner", c)
	}
	// The column no field reads is named, and each new owner once.
	var unread, newOrgs int
	for _, w := range rep.Warnings {
		switch {
		case strings.Contains(w.Message, `P "Reviewer Notes"`):
			unread++
		case strings.Contains(w.Message, "is an organization the registry does not hold: it is created"):
			newOrgs++
		default:
			t.Errorf("unexpected warning %v", w)
		}
	}
	if unread != 1 || newOrgs != 15 {
		t.Errorf("%d warnings of the unread column (want 1), %d of new organizations (want 15): %v", unread, newOrgs, rep.Warnings)
	}
	for name, ctid := range stored {
		got := credentialsNamed(t, s, name)
		if len(got) != 1 {
			t.Errorf("%d credentials named %q after the import, want 1", len(got), name)
			continue
		}
		if got[0].CTID != ctid {
			t.Errorf("%q is %s, want the stored %s", name, got[0].CTID, ctid)
		}
	}
	// The agency's key is kept on the credential.
	sec, err := catalogtest.Of(t, s).Credential(ctx, s.Base().Resource(securityPlus))
	if err != nil {
		t.Fatal(err)
	}
	wantKey := catalog.Identifier{Source: s.Base().Resource(workforceCommission), Code: "LD-001"}
	if !reflect.DeepEqual(sec.Identifiers, []catalog.Identifier{wantKey}) {
		t.Errorf("identifiers %+v, want %+v", sec.Identifiers, wantKey)
	}
	// Codes as the sheet wrote them: 15-1212.00 is the SOC occupation, an
	// O*NET code has its own concept under its occupation.
	if !reflect.DeepEqual(sec.Occupations, []string{s.Base().Concept(schema.SchemeSOC, "15-1212"), s.Base().Concept(schema.SchemeSOC, "15-1244")}) {
		t.Errorf("Security+ occupations %v", sec.Occupations)
	}
	epa := credentialsNamed(t, s, "EPA Section 608 Universal")
	if len(epa) != 1 || !reflect.DeepEqual(epa[0].Occupations, []string{s.Base().Concept(schema.SchemeSOC, "49-9021"), s.Base().Concept(schema.SchemeSOC, "49-9021.01")}) {
		t.Errorf("EPA 608: %+v", epa)
	}
	// Loose region names are written as the registry's regions.
	des, err := catalogtest.Of(t, s).Designations(ctx, s.Base().Resource(stored["CompTIA A+"]))
	if err != nil {
		t.Fatal(err)
	}
	var regions []string
	for _, d := range des {
		v := catalog.ViewDesignation(d)
		if v.Agency == s.Base().Resource(workforceCommission) {
			regions = append(regions, v.Region)
			if v.ValidFrom != "2025-07-01" || v.ValidThrough != "2027-06-30" {
				t.Errorf("A+ designation dates %s..%s", v.ValidFrom, v.ValidThrough)
			}
		}
	}
	if !reflect.DeepEqual(regions, []string{"Northeast Heartland Workforce Region"}) {
		t.Errorf("A+ designations by the Commission are for %v", regions)
	}

	// A second agency's sheet naming eight of the same credentials adds
	// its designations and no credential.
	before := designationsBy(t, s, educationDepartment)
	edu := importCSV(t, s, "education-department.csv", agencySheet(t, "education-department.csv"), SheetOptions{Agency: "Heartland Department of Education"}, false)
	if edu.Failed != 0 || edu.Imported != 8 || edu.Credentials.Created != 0 || edu.Credentials.Matched[catalog.MatchNameOwner] != 8 {
		t.Fatalf("second agency: %d imported, %d failed, credentials %+v: %v", edu.Imported, edu.Failed, edu.Credentials, edu.Problems)
	}
	// One designation per credential and region for the Department: the
	// ones it held already (for four of the eight) are updated.
	if after := designationsBy(t, s, educationDepartment); after-before != 4 {
		t.Errorf("the Department of Education has %d new designations, want 4", after-before)
	}
	for _, name := range []string{"CompTIA Security+", "CompTIA A+", "Certified Nursing Assistant", "Licensed Practical Nurse",
		"AWS Certified Welder", "Commercial Driver's License, Class A", "Dental Assistant Certification", "Cisco Certified Network Associate (CCNA)"} {
		got := credentialsNamed(t, s, name)
		if len(got) != 1 {
			t.Fatalf("%d credentials named %q", len(got), name)
		}
		des, err := catalogtest.Of(t, s).Designations(ctx, got[0].IRI)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range des {
			if v := catalog.ViewDesignation(d); v.Agency == s.Base().Resource(educationDepartment) && v.Region == "Statewide" {
				n++
				if v.ValidFrom != "2025-08-01" {
					t.Errorf("%s: the Department's designation starts %s, want the sheet's 2025-08-01", name, v.ValidFrom)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s: %d Statewide designations by the Department, want 1", name, n)
		}
	}
	for _, name := range []string{"CompTIA Security+", "Dental Assistant Certification", "Cisco Certified Network Associate (CCNA)"} {
		if got := credentialsNamed(t, s, name); len(got) != 1 {
			t.Errorf("%d credentials named %q after the second agency's sheet", len(got), name)
		}
	}

	// The same sheet again writes nothing and matches every row by the
	// agency's key.
	again := importCSV(t, s, "labor-department.csv", labor, opts, false)
	if again.Failed != 0 || again.Written != 0 || again.Credentials.Matched[catalog.MatchKey] != 32 || again.Credentials.Unchanged != 32 {
		t.Errorf("re-import: %d failed, %d written, credentials %+v", again.Failed, again.Written, again.Credentials)
	}
	// A renamed row still finds its credential by the agency's key.
	renamed := strings.Replace(labor, "LD-001,CompTIA Security+,", "LD-001,CompTIA Security+ (SY0-701),", 1)
	rn := importCSV(t, s, "labor-department.csv", renamed, opts, false)
	if rn.Failed != 0 || rn.Credentials.Created != 0 {
		t.Errorf("renamed re-import: %d failed, credentials %+v", rn.Failed, rn.Credentials)
	}
	if got := credentialsNamed(t, s, "CompTIA Security+ (SY0-701)"); len(got) != 1 || got[0].CTID != securityPlus {
		t.Errorf("renamed credential: %+v", got)
	}
}

// designationsBy counts the stored designations of an agency.
func designationsBy(t *testing.T, s *registry.Store, agencyCTID string) int {
	t.Helper()
	iris, err := s.Subjects(context.Background(), schema.DesignatingAgency, quad.IRI(s.Base().Resource(agencyCTID)))
	if err != nil {
		t.Fatal(err)
	}
	return len(iris)
}
