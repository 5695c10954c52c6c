package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/ingest"
	"credreg/registry"
	"credreg/schema"
)

// importAs posts body to /import with token, as contentType.
func importAs(t *testing.T, url, token, contentType, body string) (int, ingest.Report) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/import", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var rep ingest.Report
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
		t.Fatalf("%d: the answer is not a report: %v", res.StatusCode, err)
	}
	return res.StatusCode, rep
}

// TestImportWritesOnlyWhatTheAgencyMay sends, with agency A's token,
// uploads that would write agency B's designations or the reference data,
// in every import format: each unit is refused with a 403 problem and the
// store is unchanged; A's own rows in the same upload import.
func TestImportWritesOnlyWhatTheAgencyMay(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	ctx := context.Background()
	tokA, agencyA := tokenFor(t, store, "Heartland Workforce Commission")
	_, agencyB := tokenFor(t, store, "Heartland Department of Education")
	base := store.Base().String()
	bDesignation := "ce-4c7b2ebf-4e89-4e72-814b-1e1fcd175028" // a sample designation of B
	clusterLabel := func() string {
		l, err := store.Label(ctx, base+"/schemes/career-clusters/060100")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	designationsOf := func(agency string) int {
		n, err := store.Subjects(ctx, schema.DesignatingAgency, quad.IRI(agency))
		if err != nil {
			t.Fatal(err)
		}
		return len(n)
	}
	beforeB, beforeA := designationsOf(agencyB), designationsOf(agencyA)
	beforeLabel := clusterLabel()
	bRecord, err := store.Get(ctx, base+"/resources/"+bDesignation)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, contentType, body string
		status, forbidden       int
	}{
		{"a sheet whose Agency column names B", "text/csv",
			"Credential Name,Owner,Agency,Career Cluster,Region\n" +
				"CompTIA Security+,CompTIA,Heartland Department of Education,Digital Technology,Statewide\n" +
				"CompTIA A+,CompTIA,Heartland Department of Education,Digital Technology,Statewide\n",
			http.StatusForbidden, 2},
		{"a sheet carrying B's Designation CTID", "text/csv",
			"Credential Name,Owner,Designation CTID,Career Cluster,Region\n" +
				"CompTIA Security+,CompTIA," + bDesignation + ",Digital Technology,Statewide\n",
			http.StatusForbidden, 1},
		{"N-Quads relabelling a Career Cluster", "application/n-quads",
			"<" + base + "/schemes/career-clusters/060100> <" + schema.PrefLabel + "> \"Computers\" .\n",
			http.StatusForbidden, 1},
		{"N-Quads writing a designation for B", "application/n-quads",
			"<" + base + "/resources/ce-11111111-2222-4333-8444-555555555555> <" + schema.RDFType + "> <" + schema.ClassValueDesignation + "> .\n" +
				"<" + base + "/resources/ce-11111111-2222-4333-8444-555555555555> <" + schema.CTID + "> \"ce-11111111-2222-4333-8444-555555555555\" .\n" +
				"<" + base + "/resources/ce-11111111-2222-4333-8444-555555555555> <" + schema.DesignatingAgency + "> <" + agencyB + "> .\n" +
				"<" + base + "/resources/ce-11111111-2222-4333-8444-555555555555> <" + schema.DesignatedFor + "> <" + base + "/resources/" + nremt + "> .\n" +
				"<" + base + "/resources/ce-11111111-2222-4333-8444-555555555555> <" + schema.Region + "> \"Statewide\" .\n" +
				"<" + base + "/resources/ce-11111111-2222-4333-8444-555555555555> <" + schema.Cluster + "> <" + base + "/schemes/career-clusters/040300> .\n",
			http.StatusForbidden, 1},
		{"N-Quads overwriting B's designation", "application/n-quads",
			"<" + base + "/resources/" + bDesignation + "> <" + schema.RDFType + "> <" + schema.ClassCredentialOrganization + "> .\n" +
				"<" + base + "/resources/" + bDesignation + "> <" + schema.CTID + "> \"" + bDesignation + "\" .\n" +
				"<" + base + "/resources/" + bDesignation + "> <" + schema.Name + "> \"Taken over\" .\n",
			http.StatusForbidden, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seq := store.Sequence()
			status, rep := importAs(t, srv.URL, tokA, tc.contentType, tc.body)
			if status != tc.status || rep.Forbidden != tc.forbidden || rep.Imported != 0 {
				t.Errorf("status %d, %d forbidden, %d imported; want %d, %d, 0: %v", status, rep.Forbidden, rep.Imported, tc.status, tc.forbidden, rep.Problems)
			}
			for _, p := range rep.Problems {
				if !strings.HasPrefix(p.Message, "forbidden (403): ") {
					t.Errorf("problem %v is not a 403", p)
				}
				if strings.Contains(tc.name, "Agency column") && (p.Column != "Agency" || !strings.Contains(p.Message, agencyB+" (Heartland Department of Education)")) {
					t.Errorf("problem %v: want it in column Agency, naming agency B", p)
				}
			}
			if store.Sequence() != seq {
				t.Errorf("a refused upload wrote %d changes", store.Sequence()-seq)
			}
		})
	}
	if got := designationsOf(agencyB); got != beforeB {
		t.Errorf("B has %d designations, had %d", got, beforeB)
	}
	if got := clusterLabel(); got != beforeLabel {
		t.Errorf("the Cluster is %q, was %q", got, beforeLabel)
	}
	if after, _ := store.Get(ctx, base+"/resources/"+bDesignation); after.Hash != bRecord.Hash {
		t.Error("B's designation changed")
	}

	// A's own rows beside a refused one: A's import, the other refused.
	status, rep := importAs(t, srv.URL, tokA, "text/csv",
		"Credential Name,Owner,Agency,Career Cluster,Region\n"+
			"CompTIA Security+,CompTIA,Heartland Workforce Commission,Digital Technology,Statewide\n"+
			"CompTIA A+,CompTIA,Heartland Department of Education,Digital Technology,Statewide\n")
	if status != http.StatusMultiStatus || rep.Imported != 1 || rep.Forbidden != 1 || rep.Failed != 1 {
		t.Errorf("mixed upload: status %d, %d imported, %d forbidden, %d failed", status, rep.Imported, rep.Forbidden, rep.Failed)
	}
	// A's row updated A's Statewide designation of Security+ (it had one).
	if got := designationsOf(agencyA); got != beforeA || rep.Written == 0 {
		t.Errorf("A has %d designations, want %d, and the row wrote %d records", got, beforeA, rep.Written)
	}
}

// TestPutCannotTurnADesignationIntoSomethingElse tries PUT over another agency's
// designation with something that is not a designation.
func TestPutCannotTurnADesignationIntoSomethingElse(t *testing.T) {
	_, store := newImportServer(t, Config{})
	tokA, _ := tokenFor(t, store, "Heartland Workforce Commission")
	base := store.Base().String()
	bDesignation := base + "/resources/ce-4c7b2ebf-4e89-4e72-814b-1e1fcd175028"
	// PUT over B's designation with something that is not a designation.
	body := `{"type": "CredentialOrganization", "name": "Taken over"}`
	if code, _, b := send(t, http.MethodPut, bDesignation, tokA, body); code != http.StatusForbidden {
		t.Errorf("PUT over B's designation: %d %s", code, b)
	}
}

// TestAdminTokenAndRevocation: an admin token writes what an agency may
// not (the reference data, another agency's designation); an agency
// revokes its own token but not another's; a revoked token stops working
// at once on the running server.
func TestAdminTokenAndRevocation(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	ctx := context.Background()
	hwc, err := store.FindOrganization(ctx, "Heartland Workforce Commission")
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := store.CreateToken(ctx, hwc, registry.RoleAdmin, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	tokA, _ := tokenFor(t, store, "Heartland Workforce Commission")
	tokB, _ := tokenFor(t, store, "Heartland Department of Education")
	base := store.Base().String()
	relabel := "<" + base + "/schemes/career-clusters/060100> <" + schema.PrefLabel + "> \"Digital Technology\" .\n" +
		"<" + base + "/schemes/career-clusters/060100> <" + schema.RDFType + "> <" + schema.ClassConcept + "> .\n" +
		"<" + base + "/schemes/career-clusters/060100> <" + schema.Notation + "> \"060100\" .\n" +
		"<" + base + "/schemes/career-clusters/060100> <" + schema.InScheme + "> <" + base + "/schemes/career-clusters> .\n"
	if status, rep := importAs(t, srv.URL, tokA, "application/n-quads", relabel); status != http.StatusForbidden {
		t.Errorf("agency relabels a Cluster: %d %v", status, rep.Problems)
	}
	if status, rep := importAs(t, srv.URL, admin, "application/n-quads", relabel); status != http.StatusOK || rep.Forbidden != 0 {
		t.Errorf("admin writes reference data: %d %v", status, rep.Problems)
	}
	bDesignation := base + "/resources/ce-4c7b2ebf-4e89-4e72-814b-1e1fcd175028"
	if code, _, b := send(t, http.MethodPost, bDesignation+"/retire", admin, `{"reason":"operator clean-up"}`); code != http.StatusOK {
		t.Errorf("admin retires another agency's designation: %d %s", code, b)
	}

	idOf := func(secret string) string { return strings.SplitN(secret, "_", 3)[1] }
	revoke := func(by, id string) int {
		code, _, _ := send(t, http.MethodPost, srv.URL+"/tokens/"+id+"/revoke", by, "")
		return code
	}
	if code := revoke(tokA, idOf(tokB)); code != http.StatusForbidden {
		t.Errorf("A revokes B's token: %d", code)
	}
	if code := revoke(tokA, idOf(tokA)); code != http.StatusOK {
		t.Errorf("A revokes its own token: %d", code)
	}
	if code, _, _ := send(t, http.MethodPost, srv.URL+"/designations", tokA, designationBody(base, "")); code != http.StatusUnauthorized {
		t.Errorf("a revoked token still writes: %d", code)
	}
	if code := revoke(admin, idOf(tokB)); code != http.StatusOK {
		t.Errorf("admin revokes B's token: %d", code)
	}
	if code := revoke(admin, idOf(tokB)); code != http.StatusConflict {
		t.Errorf("revoking twice: %d", code)
	}
}

// TestAtomicImport: with ?atomic=true one bad row keeps every row out;
// without it the good rows land.
func TestAtomicImport(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	tok, _ := tokenFor(t, store, "Heartland Workforce Commission")
	sheet := "Credential Name,Owner,Career Cluster,Region\n" +
		"Atomic One,CompTIA,Digital Technology,Statewide\n" +
		"Atomic Two,CompTIA,No Such Cluster,Statewide\n"
	req := func(query, body string) (int, ingest.Report) {
		t.Helper()
		r, _ := http.NewRequest(http.MethodPost, srv.URL+"/import"+query, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("Content-Type", "text/csv")
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var rep ingest.Report
		if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, rep
	}
	seq := store.Sequence()
	code, rep := req("?atomic=true", sheet)
	if code != http.StatusUnprocessableEntity || !rep.Atomic || rep.Imported != 0 || rep.Failed != 1 || store.Sequence() != seq {
		t.Errorf("atomic with a bad row: %d, atomic %v, %d imported, %d failed, %d changes written", code, rep.Atomic, rep.Imported, rep.Failed, store.Sequence()-seq)
	}
	good := strings.Replace(sheet, "No Such Cluster", "Digital Technology", 1)
	if code, rep := req("?atomic=true", good); code != http.StatusOK || rep.Imported != 2 || rep.Written == 0 {
		t.Errorf("atomic, all good: %d, %d imported, %d written", code, rep.Imported, rep.Written)
	}
	other := strings.NewReplacer("Atomic One", "Partial One", "Atomic Two", "Partial Two").Replace(sheet)
	if code, rep := req("", other); code != http.StatusMultiStatus || rep.Imported != 1 || rep.Failed != 1 {
		t.Errorf("not atomic: %d, %d imported, %d failed", code, rep.Imported, rep.Failed)
	}
}
